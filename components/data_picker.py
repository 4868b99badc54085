"""The data set control: a built-in one, or an uploaded CSV / NPZ / image ZIP / text, with a
preview; for text, how it is cut into tokens.

An upload is read with the trainer's own readers before anything changes: a broken file gets a
message naming what is wrong and leaves the design as it was; a good one is stored in the
workspace and the design's `training.dataset` points at it.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import streamlit as st

from builder.data import BUILTIN, DataError, Dataset, load_dataset
from builder.data.check import data_model, model_io
from builder.data.datasets import confined, dataset_label
from builder.data.text import DEFAULT_MAX_VOCAB, PAD, TOKENIZERS
from builder.data.uploads import (
    csv_columns,
    dataset_setting,
    read_upload,
    save_upload,
    text_column,
    upload_kind,
    uploads_dir,
)
from builder.design.settings import TEXT_PARAMS
from builder.layers.registry import fmt_shape
from builder.recipes.tasks import task_of
from components import charts, person
from components import design_state as ds
from components.data_cache import data_cache
from components.failures import file_boundary
from components.images import preview_mosaic
from components.one_shot_upload import one_shot_uploader
from components.ui_text import md_escape

UPLOAD = "__upload__"
UPLOAD_ERROR = "nb_data_upload_error"
UPLOAD_MODE = "nb_data_upload_mode"
PREVIEW = 16
PREVIEW_WIDTH = 240  # pixels of the image preview: larger samples are shrunk to fit it
PREVIEW_STEPS = 2000  # of a sequence sample drawn in the preview
PREVIEW_COLUMNS = 20  # of a table of numbers shown in the preview


def data_input(design) -> tuple[str | None, list[int] | None]:
    """(id, shape) of the Input that reads the data (the discriminator's for a GAN)."""
    try:
        io = model_io(design, data_model(design))
    except (DataError, KeyError):
        return None, None
    return io["input_id"], io["input_shape"] or None


def _load(uploads: str, spec: str, task: str, seed: int, shape: tuple | None, stamp: float,
          text: str = "{}", input_id: str | None = None):  # fmt: skip
    """(data set, None) or (None, why not), kept in the server-wide cache, which counts bytes:
    the person's uploads folder is part of the key, so two people's files of one name are never
    mistaken for each other."""
    key = (uploads, spec, task, seed, shape, stamp, text, input_id)
    return data_cache().get_or_make(key, lambda: _read(*key))


def _read(uploads, spec, task, seed, shape, stamp, text, input_id):
    training = {"dataset": json.loads(spec), "task": task, "seed": seed, "text": json.loads(text)}
    with file_boundary(dataset_label(training["dataset"]), "read") as outcome:
        shape = list(shape) if shape else None
        return load_dataset(training, shape, data_root=uploads, input_id=input_id), None
    return None, outcome.message


def load_for(design) -> tuple[Dataset | None, str | None]:
    """The design's data set (cached), or the reason it cannot be read."""
    training = design.training or {}
    spec = training.get("dataset", "digits")
    stamp = 0.0
    if isinstance(spec, dict) and spec.get("path"):
        try:  # nothing outside the person's uploads is read, or even looked at
            stamp = confined(spec["path"], uploads_dir(person.folder())).stat().st_mtime
        except DataError as exc:
            return None, str(exc)
        except OSError:
            stamp = -1.0
    input_id, shape = data_input(design)
    return _load(
        str(uploads_dir(person.folder())),
        json.dumps(spec, sort_keys=True),
        task_of(training),
        int(training.get("seed", 0) or 0),
        tuple(shape) if shape else None,
        stamp,
        json.dumps(training.get("text") or {}, sort_keys=True),
        input_id,
    )


def _set_dataset(value) -> None:
    design = ds.current_design()
    ds.commit(replace(design, training={**design.training, "dataset": value}))


def _on_choice(key: str) -> None:
    choice = st.session_state.get(key)
    st.session_state[UPLOAD_MODE] = choice == UPLOAD
    st.session_state.pop(UPLOAD_ERROR, None)
    if choice in BUILTIN:
        _set_dataset(choice)


def _on_upload(name: str, raw: bytes) -> None:
    design = ds.current_design()
    training = design.training or {}
    kept = dataset_label(training.get("dataset", "digits"))

    def refused(message: str) -> None:
        st.session_state[UPLOAD_ERROR] = (
            f"{message}. Nothing was changed: the design still trains on “{kept}”."
        )

    with file_boundary(name, "upload", show=refused) as outcome:
        column = text_column(raw) if upload_kind(name) == "csv" else None  # text to classify
        input_id, shape = data_input(design)
        read_upload(
            name,
            raw,
            task=task_of(training),
            seed=int(training.get("seed", 0) or 0),
            input_shape=shape,
            text={**(training.get("text") or {}), "column": column},
            input_id=input_id,
        )
        path = save_upload(name, raw, person.folder())
    if outcome.failed:
        return
    st.session_state.pop(UPLOAD_ERROR, None)
    st.session_state[UPLOAD_MODE] = False
    _set_dataset(dataset_setting(name, path, text=column))
    ds.notify("success", f"Using the uploaded file {name}.")


def _on_target(key: str) -> None:
    spec = dict((ds.current_design().training or {}).get("dataset") or {})
    spec["target"] = st.session_state.get(key)
    _set_dataset(spec)


def render_data_picker(design, dataset: Dataset | None, problems: list[str]) -> None:
    training = design.training or {}
    spec = training.get("dataset", "digits")
    options = list(BUILTIN)
    if isinstance(spec, dict):
        options.append("__file__")
    options.append(UPLOAD)
    current = "__file__" if isinstance(spec, dict) else spec
    if st.session_state.get(UPLOAD_MODE):
        current = UPLOAD
    labels = {UPLOAD: "Upload a file (CSV, NPZ, image ZIP, text)…", "__file__": dataset_label(spec)}
    key = f"nb_tr:{ds.revision()}:dataset:{current}"  # a new field when the data set changes
    st.selectbox(
        "Data set",
        options,
        index=options.index(current) if current in options else 0,
        format_func=lambda v: labels.get(v, v),
        key=key,
        on_change=_on_choice,
        args=(key,),
        help=md_escape(BUILTIN.get(spec, "")) if isinstance(spec, str) else None,
    )
    if current == UPLOAD:
        one_shot_uploader(
            "Upload a data file",
            name="data_upload",
            types=["csv", "npz", "zip", "txt"],
            on_file=_on_upload,
            help=md_escape(
                "CSV with a header row (the last column is the target unless you pick another); "
                "a CSV with one column of text and one of labels is text to classify; "
                "NPZ with arrays X and y; ZIP with one folder of images per class; "
                ".txt (UTF-8) for a language model"
            ),
        )
    error = st.session_state.get(UPLOAD_ERROR)
    if error:
        st.error(md_escape(error), icon=":material/error:")
    for message in problems:
        st.error(md_escape(message), icon=":material/error:")
    with file_boundary(dataset_label(spec), "preview", show=_show_error):
        if isinstance(spec, dict) and spec.get("type") == "csv":
            render_target(spec)
        if dataset is not None and dataset.vocab is not None:
            render_tokens(training)
        if dataset is not None:
            render_preview(dataset, (training.get("text") or {}).get("tokens", "chars"))


def _show_error(message: str) -> None:
    st.error(md_escape(message), icon=":material/error:")


def _on_text(key: str, field: str) -> None:
    design = ds.current_design()
    text = {**(design.training.get("text") or {}), field: st.session_state.get(key)}
    ds.commit(replace(design, training={**design.training, "text": text}))


def render_tokens(training: dict) -> None:
    """How text becomes tokens: characters or words, and the cap on the vocabulary."""
    text = training.get("text") or {}
    params = {p.name: p for p in TEXT_PARAMS}
    left, right = st.columns(2)
    tokens_key = f"nb_tr:{ds.revision()}:text_tokens"
    left.selectbox(
        "Tokens",
        TOKENIZERS,
        index=TOKENIZERS.index(text.get("tokens", "chars")),
        key=tokens_key,
        on_change=_on_text,
        args=(tokens_key, "tokens"),
        help=md_escape(params["tokens"].help),
    )
    cap_key = f"nb_tr:{ds.revision()}:text_max_vocab"
    right.number_input(
        "Vocabulary cap",
        min_value=int(params["max_vocab"].min),
        max_value=int(params["max_vocab"].max),
        value=int(text.get("max_vocab") or DEFAULT_MAX_VOCAB),
        step=1,
        key=cap_key,
        on_change=_on_text,
        args=(cap_key, "max_vocab"),
        help=md_escape(params["max_vocab"].help),
    )


def _on_text_column(key: str) -> None:
    spec = dict((ds.current_design().training or {}).get("dataset") or {})
    spec["text"] = st.session_state.get(key)
    if spec.get("target") == spec["text"]:
        spec.pop("target")
    _set_dataset(spec)


def render_target(spec: dict) -> None:
    try:
        columns = csv_columns(confined(spec["path"], uploads_dir(person.folder())))
    except (OSError, UnicodeDecodeError, DataError):
        return  # the data-set message already says the file cannot be read
    if spec.get("text") in columns:  # a text column: the rest may hold the label
        text_key = f"nb_tr:{ds.revision()}:text_column"
        st.selectbox(
            "Text column",
            columns,
            index=columns.index(spec["text"]),
            key=text_key,
            on_change=_on_text_column,
            args=(text_key,),
            help="The column of texts the model reads, as tokens",
        )
        columns = [c for c in columns if c != spec["text"]]
    target = spec.get("target") or (columns[-1] if columns else None)
    if target in columns:
        target_key = f"nb_tr:{ds.revision()}:target"
        st.selectbox(
            "Target column",
            columns,
            index=columns.index(target),
            key=target_key,
            on_change=_on_target,
            args=(target_key,),
            help="The column the model learns to predict; every other column is a feature",
        )


def render_preview(dataset: Dataset, tokenizer: str = "chars") -> None:
    classes = dataset.class_names if dataset.num_classes else None
    parts = [
        f"{len(dataset.x_train):,} train / {len(dataset.x_val):,} validation",
        f"sample {fmt_shape(dataset.sample_shape)}",
    ]
    if classes:
        shown = ", ".join(classes[:12]) + (" …" if len(classes) > 12 else "")
        parts.append(f"{len(classes)} classes ({shown})")
    elif dataset.target_shape is not None:
        parts.append(f"target {fmt_shape(dataset.target_shape)}")
    if dataset.vocab is not None:
        parts.append(f"vocabulary of {len(dataset.vocab):,} tokens")
    st.caption(md_escape(" · ".join(parts)))
    if dataset.vocab is not None:
        with st.expander("Preview", icon=":material/visibility:"):
            render_text_preview(dataset, tokenizer)
        return
    with st.expander("Preview", icon=":material/visibility:"):
        x = dataset.x_train[:PREVIEW]
        shape = dataset.sample_shape
        if len(shape) == 3 and shape[0] in (1, 3, 4):
            low = float(min(0.0, x.min()))
            st.image(preview_mosaic(x, (low, 1.0), PREVIEW_WIDTH), caption=_labels(dataset))
        elif shape == [2]:
            st.plotly_chart(
                charts.points_figure(dataset.x_train[:1000], None, None),
                key="nb_preview_points",
                config={"displayModeBar": False},
            )
        elif len(shape) == 2:
            st.plotly_chart(
                charts.sequence_figure(x[0][:PREVIEW_STEPS], "First sample"),
                key="nb_preview_seq",
                config={"displayModeBar": False},
            )
            st.caption(_labels(dataset, 1))
        else:
            rows = x.reshape(len(x), -1)[:8, :PREVIEW_COLUMNS]
            names = dataset.feature_names or [f"x{i}" for i in range(rows.shape[1])]
            table = {n: rows[:, i] for i, n in enumerate(names[: rows.shape[1]])}
            if dataset.y_train is not None:
                table["target"] = _targets(dataset, 8)
            st.dataframe(table, hide_index=True, height=180)


def _targets(dataset: Dataset, n: int) -> list:
    y = dataset.y_train[:n]
    if dataset.num_classes:
        return [dataset.class_names[int(v)] for v in y]
    return [float(np.asarray(v).reshape(-1)[0]) for v in y]


def _labels(dataset: Dataset, n: int = PREVIEW) -> str | None:
    if dataset.y_train is None:
        return None
    return md_escape("labels: " + ", ".join(str(v) for v in _targets(dataset, n)))


def render_text_preview(dataset: Dataset, tokenizer: str) -> None:
    """The first few samples as the text they hold (tokens joined back), never as markdown."""
    joiner = "" if tokenizer == "chars" else " "
    for i, row in enumerate(dataset.x_train[:3]):
        tokens = [dataset.vocab[int(t)] for t in row if dataset.vocab[int(t)] != PAD]
        st.code(joiner.join(tokens), language=None, wrap_lines=True)
        if dataset.num_classes:
            st.caption(md_escape(f"label: {dataset.class_names[int(dataset.y_train[i])]}"))
