"""Training settings: task, data set, loss, optimizer, schedule, batch size, epochs, seed.

Every change is written to the design's `training` section through the design state (so undo
and autosave apply).  Every field shows the value the run trains on (`components.form_fields`):
a refused value stays in its field, marked, and holds Train back.  What does not fit the design
is explained next to its control, before Train is pressed, by `builder.training.preflight` (the
trainer's own checks).
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
from components import form_fields as fields
from components.data_picker import load_for, render_data_picker
from components.ui_text import md_escape

# The declarations the number fields take their limits and help from.
TRAINING = {p.name: p for p in TRAINING_PARAMS}
OPTIMIZER = {p.name: p for p in OPTIMIZER_PARAMS}
SCHEDULE = {p.name: p for p in SCHEDULE_PARAMS}
TASK_HELP = {task.name: task.help for task in TASK_RECIPES.values()}
# What the form calls the settings an optimizer or schedule declares it takes.
LABELS = {"momentum": "Momentum", "step_size": "Every (epochs)", "gamma": "Gamma"}
# Settings an optimizer keeps when another is picked, if the new one takes them.
CARRIED = ("lr", "weight_decay", "momentum", "nesterov", "betas")


def set_training(changes: dict, field: str, shown) -> bool:
    """Apply changes to the training section; a refused change stays in its field, marked."""
    design = ds.current_design()
    training = {**(design.training or {}), **changes}
    problems = validate_training(training)
    if problems:
        fields.refuse(field, shown, "; ".join(str(p) for p in problems))
        return False
    fields.accept(field)
    ds.commit(replace(design, training=training))
    return True


def _value(field: str):
    return st.session_state[fields.key(field)]


def _on_task(field: str) -> None:
    task = _value(field)
    training = ds.current_design().training or {}
    if task == task_of(training):
        return  # a callback without a change (Streamlit calls back when a field leaves the page)
    changes = {"task": task}
    loss = training.get("loss")
    if loss is None or check_loss(task, loss, None):
        changes["loss"] = DEFAULT_LOSS[task]
    set_training(changes, field, task)


def _on_value(field: str, setting: str) -> None:
    set_training({setting: _value(field)}, field, _value(field))


def switched_optimizer(training: dict, kind: str) -> dict:
    """The optimizer settings after picking `kind`: what the new one takes carries over (the
    learning rate too, while the new one accepts it); what it does not take is dropped, so
    the fields show the new one's defaults."""
    old = training.get("optimizer") or {}
    new = {"type": kind}
    for setting in CARRIED:
        kept = setting in ("lr", "weight_decay") or takes(kind, setting)
        if kept and old.get(setting) is not None:
            new[setting] = old[setting]
    if "lr" in new and validate_training({**training, "optimizer": new}):
        del new["lr"]  # the new one refuses it: its own default shows, and trains
    return new


def _on_optimizer(field: str, setting: str) -> None:
    training = ds.current_design().training or {}
    value = _value(field)
    opt = dict(training.get("optimizer") or {"type": DEFAULT_OPTIMIZER})
    if setting == "type":
        opt = switched_optimizer(training, value)
    elif setting in ("beta1", "beta2"):
        betas = list(opt.get("betas") or DEFAULT_BETAS)
        betas[0 if setting == "beta1" else 1] = float(value)
        opt["betas"] = betas
    else:
        opt[setting] = value
    set_training({"optimizer": opt}, field, value)


def _on_schedule(field: str, setting: str) -> None:
    training = ds.current_design().training or {}
    sched = dict(training.get("schedule") or {"type": DEFAULT_SCHEDULE})
    sched[setting] = _value(field)
    set_training({"schedule": sched}, field, _value(field))


def _explain(messages: list[str] | None) -> None:
    for message in messages or []:
        st.error(md_escape(message), icon=":material/error:")


def _choice(label, field, options, stored, *, callback=None, args=None, **kwargs) -> None:
    """A pick list showing the stored choice."""
    fields.show(field, stored if stored in options else options[0], label)
    st.selectbox(
        label,
        options,
        key=fields.key(field),
        on_change=callback or _on_value,
        args=args or (field, field),
        **kwargs,
    )
    fields.mark(field)


def _number(label, field, stored, *, param=None, step, fmt=None, help=None, callback=None,
            args=None):  # fmt: skip
    """A number field showing the stored value (or its refused draft); with `param` (its
    declaration) its help and limits come from there, so they are written once."""
    if param is not None:
        bounds = fields.bounds_text(param)
        help = help or param.help
        help = f"{help} ({bounds})" if bounds else help
    fields.show(field, stored, label)
    st.number_input(
        label,
        step=step,
        format=fmt,
        key=fields.key(field),
        help=help,
        on_change=callback or _on_value,
        args=args or (field, field),
    )
    fields.mark(field)


def render_training_controls(design) -> dict[str, list[str]]:
    """The settings form; returns preflight problems per section (empty: ready to train), with
    the refused values still in their fields under "fields"."""
    training = design.training or {}
    task = task_of(training)
    dataset, data_error = load_for(design)
    problems = training_problems(design, dataset, data_error)

    _explain(problems.get("design"))
    _choice(
        "Task", "task", TASKS, task, callback=_on_task, args=("task",),
        help=md_escape(TASK_HELP.get(task, "")),
    )  # fmt: skip
    _explain(problems.get("task"))
    render_data_picker(design, dataset, problems.get("dataset", []))

    loss = training.get("loss") or DEFAULT_LOSS.get(task, "cross_entropy")
    _choice(
        "Loss", "loss", LOSSES, loss, help=md_escape(LOSS_HELP.get(loss, "")),
        disabled=task == "gan",
    )  # fmt: skip
    _explain(problems.get("loss"))

    render_optimizer(training.get("optimizer") or training_defaults()["optimizer"])
    _explain(problems.get("optimizer"))
    render_schedule(training.get("schedule") or {"type": DEFAULT_SCHEDULE})
    _explain(problems.get("schedule"))

    cols = st.columns(3)
    for col, (label, name) in zip(
        cols, (("Batch size", "batch_size"), ("Epochs", "epochs"), ("Seed", "seed")), strict=True
    ):
        with col:
            stored = training.get(name, TRAINING[name].default)
            _number(label, name, int(stored), param=TRAINING[name], step=1)
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
    refused = fields.reasons()
    return {**problems, "fields": refused} if refused else problems


def _recipe(kind: str | None):
    """The optimizer declaration of `kind` (the default one for a kind the design lacks)."""
    return OPTIMIZER_RECIPES.get(kind or "") or OPTIMIZER_RECIPES[DEFAULT_OPTIMIZER]


def _taken_field(param: Param, prefix: str, value, callback) -> None:
    """A field for a setting an optimizer or schedule declares it takes: its limits, default
    and help come from that declaration."""
    value = param.default if value is None else value
    is_int = param.type == "int"
    field = f"{prefix}.{param.name}"
    _number(
        LABELS.get(param.name, param.name), field, int(value) if is_int else float(value),
        param=param, step=1 if is_int else 0.05, fmt=None if is_int else "%g", callback=callback,
        args=(field, param.name),
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
                fields.show(field, bool(training.get(field, False)), label)
                st.checkbox(
                    label,
                    key=fields.key(field),
                    on_change=_on_value,
                    args=(field, field),
                    help=TRAINING[field].help,
                )
                fields.mark(field)


def render_optimizer(opt: dict) -> None:
    kind = opt.get("type", DEFAULT_OPTIMIZER)
    cols = st.columns(2)
    with cols[0]:
        _choice(
            "Optimizer", "opt.type", OPTIMIZERS, kind if kind in OPTIMIZERS else DEFAULT_OPTIMIZER,
            callback=_on_optimizer, args=("opt.type", "type"),
        )  # fmt: skip
    with cols[1]:
        lr = float(_recipe(kind).learning_rate(opt))  # what trains: the design's, else the default
        _number(
            "Learning rate", "opt.lr", lr, param=OPTIMIZER["lr"], step=1e-4, fmt="%g",
            callback=_on_optimizer, args=("opt.lr", "lr"),
        )  # fmt: skip
    cols = st.columns(2)
    with cols[0]:
        wd = float(_recipe(kind).arguments(opt)["weight_decay"])
        _number(
            "Weight decay", "opt.weight_decay", wd, param=OPTIMIZER["weight_decay"], step=1e-4,
            fmt="%g", callback=_on_optimizer, args=("opt.weight_decay", "weight_decay"),
        )  # fmt: skip
    with cols[1]:
        if takes(kind, "momentum"):
            _taken_field(OPTIMIZER["momentum"], "opt", opt.get("momentum"), _on_optimizer)
    if takes(kind, "nesterov"):
        fields.show("opt.nesterov", bool(opt.get("nesterov")), "Nesterov momentum")
        st.checkbox(
            "Nesterov momentum",
            key=fields.key("opt.nesterov"),
            on_change=_on_optimizer,
            args=("opt.nesterov", "nesterov"),
            help=md_escape(OPTIMIZER["nesterov"].help),
        )
        fields.mark("opt.nesterov")
    if takes(kind, "betas"):
        betas = list(opt.get("betas") or DEFAULT_BETAS)
        cols = st.columns(2)
        for i, (col, name) in enumerate(zip(cols, ("beta1", "beta2"), strict=True)):
            with col:
                _number(
                    f"β{i + 1}", f"opt.{name}", float(betas[i]), step=0.001, fmt="%g",
                    help="Adam's decay rates (at least 0, less than 1)",
                    callback=_on_optimizer, args=(f"opt.{name}", name),
                )  # fmt: skip


def render_schedule(sched: dict) -> None:
    kind = sched.get("type", DEFAULT_SCHEDULE)
    recipe = SCHEDULE_RECIPES.get(kind)
    settings = recipe.takes if recipe else ()
    cols = st.columns([2] + [1] * max(2, len(settings)))
    with cols[0]:
        _choice(
            "Learning-rate schedule", "sched.type", SCHEDULES, kind,
            callback=_on_schedule, args=("sched.type", "type"),
        )  # fmt: skip
    for col, param in zip(cols[1:], settings, strict=False):
        with col:
            _taken_field(param, "sched", sched.get(param.name), _on_schedule)
