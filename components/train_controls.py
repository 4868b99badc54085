"""Training settings: task, data set, loss, optimizer, schedule, batch size, epochs, seed.

Every change is written to the design's `training` section through the design state (so undo
and autosave apply).  What does not fit the design is explained next to its control, before
Train is pressed, by `builder.training.preflight` (the trainer's own checks).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from builder.design.settings import (
    OPTIMIZER_PARAMS,
    OPTIMIZERS,
    SCHEDULE_PARAMS,
    SCHEDULES,
    TASKS,
    TRAINING_PARAMS,
    training_defaults,
    validate_training,
)
from builder.params import Param
from builder.recipes.losses import LOSS_HELP, LOSSES, check_loss
from builder.recipes.optimizers import DEFAULT_BETAS, DEFAULT_OPTIMIZER, OPTIMIZER_RECIPES, takes
from builder.recipes.schedules import DEFAULT_SCHEDULE, SCHEDULE_RECIPES
from builder.recipes.tasks import DEFAULT_LOSS, TASK_RECIPES, task_of
from builder.training.preflight import training_problems
from components import design_state as ds
from components.data_picker import load_for, render_data_picker
from components.ui_text import md_escape

ERRORS = "nb_train_field_errors"
# The declarations the number fields take their limits and help from.
TRAINING = {p.name: p for p in TRAINING_PARAMS}
OPTIMIZER = {p.name: p for p in OPTIMIZER_PARAMS}
SCHEDULE = {p.name: p for p in SCHEDULE_PARAMS}
TASK_HELP = {task.name: task.help for task in TASK_RECIPES.values()}
# What the form calls the settings an optimizer or schedule declares it takes.
LABELS = {"momentum": "Momentum", "step_size": "Every (epochs)", "gamma": "Gamma"}


REFUSED = "nb_train_refused"  # bumped on a refusal, so the fields show the design's values again


def _key(name: str) -> str:
    return f"nb_tr:{ds.revision()}.{st.session_state.get(REFUSED, 0)}:{name}"


def set_training(changes: dict, field: str) -> str | None:
    """Apply changes to the training section; returns why they were refused, or None."""
    design = ds.current_design()
    training = {**(design.training or {}), **changes}
    problems = validate_training(training)
    errors = st.session_state.setdefault(ERRORS, {})
    if problems:
        errors[field] = "; ".join(str(p) for p in problems)
        st.session_state[REFUSED] = st.session_state.get(REFUSED, 0) + 1
        return errors[field]
    errors.clear()  # a message tells of the last refused change; the next good one clears it
    ds.commit(replace(design, training=training))
    return None


def _on_task(key: str) -> None:
    task = st.session_state[key]
    training = ds.current_design().training or {}
    if task == task_of(training):
        return  # a callback without a change (Streamlit calls back when a field leaves the page)
    changes = {"task": task}
    loss = training.get("loss")
    if loss is None or check_loss(task, loss, None):
        changes["loss"] = DEFAULT_LOSS[task]
    set_training(changes, "task")


def _on_value(key: str, field: str) -> None:
    set_training({field: st.session_state[key]}, field)


def _on_optimizer(key: str, field: str) -> None:
    training = ds.current_design().training or {}
    value = st.session_state[key]
    opt = dict(training.get("optimizer") or {"type": DEFAULT_OPTIMIZER})
    if field == "type":
        opt = {"type": value, "lr": _recipe(value).lr}
        for keep in ("weight_decay",):
            if keep in (training.get("optimizer") or {}):
                opt[keep] = training["optimizer"][keep]
    elif field in ("beta1", "beta2"):
        betas = list(opt.get("betas") or DEFAULT_BETAS)
        betas[0 if field == "beta1" else 1] = float(value)
        opt["betas"] = betas
    else:
        opt[field] = value
    set_training({"optimizer": opt}, field)


def _on_schedule(key: str, field: str) -> None:
    training = ds.current_design().training or {}
    sched = dict(training.get("schedule") or {"type": DEFAULT_SCHEDULE})
    sched[field] = st.session_state[key]
    set_training({"schedule": sched}, field)


def _explain(messages: list[str] | None) -> None:
    for message in messages or []:
        st.error(md_escape(message), icon=":material/error:")


def _field_error(field: str) -> None:
    reason = st.session_state.get(ERRORS, {}).get(field)
    if reason:
        st.error(md_escape(reason), icon="⛔")


def _bounds(param: Param) -> tuple[float | None, float | None]:
    """A number field's limits from its declaration; an exclusive bound is left to the check
    that runs on change, which explains it at the field."""
    return (
        None if param.min_exclusive else param.min,
        None if param.max_exclusive else param.max,
    )


def _number(label, field, value, *, param=None, lo=None, hi=None, step, fmt=None, help=None,
            callback=None, args=()):  # fmt: skip
    """A number field; with `param` (its declaration in builder.design.settings) its limits and help
    come from there, so they are written once."""
    if param is not None:
        lo, hi = _bounds(param)
        help = help or param.help
        kind = int if param.type == "int" else float  # Streamlit wants one number type
        lo, hi = (None if b is None else kind(b) for b in (lo, hi))
    key = _key(field)
    st.number_input(
        label,
        min_value=lo,
        max_value=hi,
        value=value,
        step=step,
        format=fmt,
        key=key,
        help=help,
        on_change=callback or _on_value,
        args=args or (key, field),
    )
    _field_error(field)


def render_training_controls(design) -> dict[str, list[str]]:
    """The settings form; returns preflight problems per section (empty: ready to train)."""
    training = design.training or {}
    task = task_of(training)
    dataset, data_error = load_for(design)
    problems = training_problems(design, dataset, data_error)

    _explain(problems.get("design"))
    key = _key("task")
    st.selectbox(
        "Task",
        TASKS,
        index=TASKS.index(task) if task in TASKS else 0,
        key=key,
        on_change=_on_task,
        args=(key,),
        help=md_escape(TASK_HELP.get(task, "")),
    )
    _field_error("task")
    _explain(problems.get("task"))
    render_data_picker(design, dataset, problems.get("dataset", []))

    loss = training.get("loss") or DEFAULT_LOSS.get(task, "cross_entropy")
    key = _key("loss")
    st.selectbox(
        "Loss",
        LOSSES,
        index=LOSSES.index(loss) if loss in LOSSES else 0,
        key=key,
        on_change=_on_value,
        args=(key, "loss"),
        help=md_escape(LOSS_HELP.get(loss, "")),
        disabled=task == "gan",
    )
    _field_error("loss")
    _explain(problems.get("loss"))

    render_optimizer(training.get("optimizer") or training_defaults()["optimizer"])
    _explain(problems.get("optimizer"))
    render_schedule(training.get("schedule") or {"type": DEFAULT_SCHEDULE})
    _explain(problems.get("schedule"))

    cols = st.columns(3)
    with cols[0]:
        _number(
            "Batch size",
            "batch_size",
            int(training.get("batch_size", 64)),
            param=TRAINING["batch_size"],
            step=1,
        )
    with cols[1]:
        _number(
            "Epochs", "epochs", int(training.get("epochs", 10)), param=TRAINING["epochs"], step=1
        )
    with cols[2]:
        _number("Seed", "seed", int(training.get("seed", 0)), param=TRAINING["seed"], step=1)
    if task != "gan":
        clip = training.get("clip_grad_norm")
        _number(
            "Gradient clipping (max norm; empty: none)", "clip_grad_norm",
            None if clip is None else float(clip), param=TRAINING["clip_grad_norm"], step=0.5,
            fmt="%g",
        )  # fmt: skip
    if task == "gan":
        cols = st.columns(2)
        with cols[0]:
            _number(
                "Label smoothing", "label_smoothing", float(training.get("label_smoothing", 0.0)),
                param=TRAINING["label_smoothing"], step=0.05, fmt="%g",
            )  # fmt: skip
        with cols[1]:
            _number(
                "Fixed noise samples", "noise_samples", int(training.get("noise_samples", 64)),
                param=TRAINING["noise_samples"], step=1,
            )  # fmt: skip
    render_advanced_options(training)
    _explain(problems.get("settings"))
    return problems


def _recipe(kind: str | None):
    """The optimizer declaration of `kind` (the default one for a kind the design lacks)."""
    return OPTIMIZER_RECIPES.get(kind or "") or OPTIMIZER_RECIPES[DEFAULT_OPTIMIZER]


def _taken_field(param: Param, value, callback) -> None:
    """A field for a setting an optimizer or schedule declares it takes: its limits, default
    and help come from that declaration."""
    value = param.default if value is None else value
    is_int = param.type == "int"
    _number(
        LABELS.get(param.name, param.name), param.name, int(value) if is_int else float(value),
        param=param, step=1 if is_int else 0.05, fmt=None if is_int else "%g", callback=callback,
        args=(_key(param.name), param.name),
    )  # fmt: skip


def render_advanced_options(training: dict) -> None:
    """Mixed precision and torch.compile: kept in the design's training settings, so train.py
    and the notebook of an export use them too. Both off: the run is exactly the plain one."""
    with st.expander("Advanced: mixed precision and compilation", expanded=False):
        cols = st.columns(2)
        for col, field, label in (
            (cols[0], "amp", "Mixed precision (--amp)"),
            (cols[1], "compile", "Compile the model (--compile)"),
        ):
            with col:
                key = _key(field)
                st.checkbox(
                    label,
                    value=bool(training.get(field, False)),
                    key=key,
                    on_change=_on_value,
                    args=(key, field),
                    help=TRAINING[field].help,
                )
                _field_error(field)


def render_optimizer(opt: dict) -> None:
    kind = opt.get("type", DEFAULT_OPTIMIZER)
    cols = st.columns(2)
    with cols[0]:
        key = _key("opt.type")
        st.selectbox(
            "Optimizer",
            OPTIMIZERS,
            index=OPTIMIZERS.index(kind if kind in OPTIMIZERS else DEFAULT_OPTIMIZER),
            key=key,
            on_change=_on_optimizer,
            args=(key, "type"),
        )
        _field_error("type")
    with cols[1]:
        lr = float(opt.get("lr") or _recipe(kind).lr)
        _number(
            "Learning rate", "lr", lr, param=OPTIMIZER["lr"], step=1e-4, fmt="%g",
            callback=_on_optimizer, args=(_key("lr"), "lr"),
        )  # fmt: skip
    cols = st.columns(2)
    with cols[0]:
        wd = float(opt.get("weight_decay") or 0.0)
        _number(
            "Weight decay", "weight_decay", wd, param=OPTIMIZER["weight_decay"], step=1e-4,
            fmt="%g", callback=_on_optimizer, args=(_key("weight_decay"), "weight_decay"),
        )  # fmt: skip
    with cols[1]:
        if takes(kind, "momentum"):
            _taken_field(OPTIMIZER["momentum"], opt.get("momentum") or None, _on_optimizer)
    if takes(kind, "nesterov"):
        key = _key("nesterov")
        st.checkbox(
            "Nesterov momentum",
            value=bool(opt.get("nesterov")),
            key=key,
            on_change=_on_optimizer,
            args=(key, "nesterov"),
        )
        _field_error("nesterov")
    if takes(kind, "betas"):
        betas = list(opt.get("betas") or DEFAULT_BETAS)
        cols = st.columns(2)
        for i, (col, name) in enumerate(zip(cols, ("beta1", "beta2"), strict=True)):
            with col:
                _number(
                    f"β{i + 1}", name, float(betas[i]), lo=0.0, step=0.001, fmt="%g",  # < 1: checked
                    callback=_on_optimizer, args=(_key(name), name),
                )  # fmt: skip


def render_schedule(sched: dict) -> None:
    kind = sched.get("type", DEFAULT_SCHEDULE)
    recipe = SCHEDULE_RECIPES.get(kind)
    settings = recipe.takes if recipe else ()
    cols = st.columns([2] + [1] * max(2, len(settings)))
    with cols[0]:
        key = _key("sched.type")
        st.selectbox(
            "Learning-rate schedule",
            SCHEDULES,
            index=SCHEDULES.index(kind) if kind in SCHEDULES else 0,
            key=key,
            on_change=_on_schedule,
            args=(key, "type"),
        )
    for col, param in zip(cols[1:], settings, strict=False):
        with col:
            _taken_field(param, sched.get(param.name) or None, _on_schedule)
