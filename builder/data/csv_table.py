"""CSV files: a table of numbers with a target column, read row by row into float32 blocks.

Lines may end in \\n, \\r\\n or \\r alone; a line the csv module cannot read, or a cell over
its size limit, is a DataError naming the file and the line.  Copied verbatim into exported
`train.py` scripts, like `readers.py`: keep these functions self-contained.
"""

from __future__ import annotations

import csv
import math
import re

import numpy as np

from builder.data.budget import check_array_bytes
from builder.data.readers import _classes
from builder.data.sources import DataError

MAX_CSV_CELLS = 20_000_000  # rows x columns of a CSV
CSV_BLOCK_CELLS = 1 << 16  # a CSV's numbers are read into blocks of about this many
CSV_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # a line, and how it ends


def csv_rows(text, name, dialect=csv.excel):
    """The rows of CSV text, whose lines may end in \\n, \\r\\n or \\r alone; a row the csv
    module cannot read is a DataError naming the file and the line."""
    lines = (m.group(0) for m in CSV_LINE.finditer(text))  # one at a time: no copy of the text
    reader = csv.reader(lines, dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "field larger than field limit" in str(exc):
                raise DataError(
                    f"{name}, line {line}: a cell holds more than {csv.field_size_limit():,} "
                    "characters, the most a CSV cell may hold; shorten it"
                ) from None
            raise DataError(f"{name}, line {line}: not a readable CSV line ({exc})") from None
        yield row


def sniff_dialect(text):
    """The CSV's separator (comma, semicolon or tab) guessed from its start; commas if unsure."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def read_csv_table(data, name, target=None, task="classification", max_arrays=None):
    """A CSV with a header row -> (x [N, F] float32, y, class names or None, feature names).

    The target column (default: the last) is classes for classification (text or whole numbers)
    and a number for regression; every other column must hold numbers.  The arrays may take
    `max_arrays` bytes (None: no limit), checked before they are made.
    """
    if not data or not data.strip():
        raise DataError(f"{name}: the file is empty")
    if b"\x00" in data[:4096]:
        raise DataError(f"{name}: this is not a CSV file (it holds binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{name}: this is not a CSV text file (not UTF-8: {exc.reason})") from None
    # Rows are read one at a time into float32 blocks, never kept as text: a big CSV costs
    # its arrays, not a Python string per cell.
    rows = (row for row in csv_rows(text, name, sniff_dialect(text)) if any(c.strip() for c in row))
    first = next(rows, None)
    if first is None:
        raise DataError(f"{name}: the file is empty")
    header = [h.strip() for h in first]
    if len(header) > MAX_CSV_CELLS:
        raise DataError(f"{name}: more than {MAX_CSV_CELLS:,} cells (rows x columns)")
    if len(header) < 2:
        raise DataError(
            f"{name}: found {len(header)} column; a CSV needs a header row naming at least "
            "one feature column and the target column, separated by commas"
        )
    if all(_is_number(h) for h in header):
        raise DataError(f"{name}: the first row holds numbers; the first row must name the columns")
    row = next(rows, None)
    if row is None:
        raise DataError(f"{name}: the file has a header but no data rows")
    if target is None and task == "gan":
        target_col = None
    else:
        target = header[-1] if target is None else target
        if target not in header:
            raise DataError(
                f"{name}: no column named {target!r}; the columns are: {', '.join(header)}"
            )
        target_col = header.index(target)
    features = [i for i in range(len(header)) if i != target_col]
    block_rows = max(1, CSV_BLOCK_CELLS // len(features))
    blocks, block, filled = [], np.empty((block_rows, len(features)), dtype=np.float32), 0
    numbers = task in ("regression", "forecasting")  # the target is a number, read as one
    values, value_block = [], np.empty(block_rows, dtype=np.float32)
    labels, seen = [], {}  # one string object per distinct label, however many rows hold it
    cells, r = len(header), 2
    while row is not None:
        cells += len(row)
        if cells > MAX_CSV_CELLS:
            raise DataError(
                f"{name}: more than {MAX_CSV_CELLS:,} cells (rows x columns); use fewer "
                "rows or columns"
            )
        if len(row) != len(header):
            raise DataError(
                f"{name}, row {r}: expected {len(header)} cells as in the header, got {len(row)}"
            )
        for j, col in enumerate(features):
            cell = row[col].strip()
            try:
                value = float(cell)
            except ValueError:
                what = "an empty cell" if not cell else repr(cell)
                raise DataError(
                    f"{name}, row {r}, column {header[col]!r}: {what} is not a number; "
                    "feature columns must hold numbers only"
                ) from None
            if not math.isfinite(value):
                raise DataError(f"{name}, row {r}, column {header[col]!r}: {cell!r} is not finite")
            block[filled, j] = value
        if target_col is not None:
            cell = row[target_col].strip()
            if not cell:
                raise DataError(f"{name}, row {r}, column {header[target_col]!r}: empty target")
            if numbers:
                if not _is_number(cell) or not math.isfinite(float(cell)):
                    raise DataError(
                        f"{name}, row {r}, column {target!r}: {cell!r} is not a number, but the "
                        "task is regression; set the task to classification for text labels"
                    )
                value_block[filled] = float(cell)
            else:
                labels.append(seen.setdefault(cell, cell))
        filled += 1
        if filled == block_rows:
            blocks.append(block)
            values.append(value_block)
            read = len(blocks) * block_rows
            check_array_bytes(name, read, [len(features)], 4, max_arrays, at_least=True)
            block, value_block, filled = np.empty_like(block), np.empty_like(value_block), 0
        row, r = next(rows, None), r + 1
    check_array_bytes(name, r - 2, [len(features)], 4, max_arrays)
    x = np.concatenate(blocks + [block[:filled]])
    del blocks, block
    names = [header[i] for i in features]
    if target_col is None:
        return x, None, None, names
    if numbers:
        return x, np.concatenate(values + [value_block[:filled]])[:, None], None, names
    y, class_names = _classes(labels, name, target)
    return x, y, class_names, names


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
