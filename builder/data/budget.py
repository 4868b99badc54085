"""What the arrays of a data set will take, counted before they are made: samples x the sample
shape x bytes, against a limit, refused with a message that says where the shape comes from.

Copied verbatim into exported `train.py` scripts, like `readers.py`: keep it self-contained.
"""

from __future__ import annotations

from builder.data.sources import DataError


def byte_size(count):
    """Bytes for people: 12 KB, 64 MiB, 1.3 GiB."""
    if count >= 2**30:
        return f"{count / 2**30:,.1f} GiB"
    if count >= 2**20:
        return f"{count / 2**20:,.0f} MiB"
    return f"{max(1, round(count / 1000)):,} KB"


class ArraysTooLarge(DataError):
    """The arrays a data set would become take more bytes than allowed: raised from the sample
    count and the sample shape, before any of them is allocated."""

    def __init__(self, name, samples, shape, itemsize, limit, shaped_by=None, copies=1,
                 at_least=False):  # fmt: skip
        self.fields = (name, samples, tuple(int(s) for s in shape), itemsize, limit)
        self.shaped_by, self.copies, self.at_least = shaped_by, copies, at_least
        need = samples * itemsize * copies
        for size in self.fields[2]:
            need *= size
        self.need = need
        shown = "[" + ", ".join(str(s) for s in self.fields[2]) + "]"
        what = f"shaped by {shaped_by} {shown}" if shaped_by else f"of shape {shown}"
        arrays = "float32" if itemsize == 4 else "int64"
        hint = (
            f"make {shaped_by} smaller, or use fewer samples"
            if shaped_by
            else "use fewer samples or smaller ones"
        )
        super().__init__(
            f"{name}: {'at least ' if at_least else ''}{samples:,} samples {what} make "
            f"{'more than ' if at_least else ''}{byte_size(need)} of {arrays} arrays, more "
            f"than the limit of {byte_size(limit)} for this file; {hint}"
        )

    def naming(self, shaped_by):
        """The same refusal, naming the node whose shape the samples take."""
        return ArraysTooLarge(*self.fields, shaped_by, self.copies, self.at_least)


def check_array_bytes(name, samples, shape, itemsize, limit, shaped_by=None, copies=1,
                      at_least=False):  # fmt: skip
    """Refuse, before allocating, `copies` arrays of `samples` x `shape` over `limit` bytes
    (None: no limit).  `shaped_by` names what the shape comes from (the Input) when not the data;
    `at_least`: the samples counted so far, of a file still being read."""
    if limit is None:
        return
    need = int(samples) * int(itemsize) * int(copies)
    for size in shape:
        need *= int(size)
    if need > limit:
        raise ArraysTooLarge(
            name, int(samples), shape, itemsize, limit, shaped_by, copies, at_least
        )
