"""The live view of a run: buttons, progress, metrics, charts, epoch-end views, GAN samples.

It is one `st.fragment`, on a timer (twice a second) only while the watched run trains, so
these charts rerun, never the whole page, and a click on Train, Pause or Stop reruns only this
fragment. The charts are live charts (`components.live_chart`): each redraw updates the drawn
chart in place. With no run training there is nothing to redraw, and a timer would still cost
the browser up to a quarter of a core; so when a run starts, is paused or resumed, or ends, the page
reruns once to set the fragment's timer (and, at the end, so the rest of the page, such as the
feature maps from the saved weights, follows).
"""

from __future__ import annotations

import time

import streamlit as st

from builder.runs.live import Progress, Snapshot
from builder.runs.protocol import RunStatus
from builder.runs.queue import ordinal
from components import charts
from components import design_state as ds
from components import run_session as rs
from components.images import samples_mosaic
from components.live_chart import live_chart
from components.run_controls import render_run_buttons
from components.ui_text import md_escape

REFRESH_S = 0.5
PAUSED_REFRESH_S = 2.0  # a paused run changes only on a click, which reruns the fragment anyway
PAUSE_SETTLE_S = 3.0  # steps taken before the pause arrived are still drawn at REFRESH_S
EPOCH_REDRAW_S = 1.0
STATUS_TEXT = {
    RunStatus.IDLE: "No run yet",
    RunStatus.QUEUED: "Waiting for a free place to train",
    RunStatus.STARTING: "Starting the training process…",
    RunStatus.RUNNING: "Training",
    RunStatus.PAUSED: "Paused",
    RunStatus.FINISHED: "Finished",
    RunStatus.STOPPED: "Stopped",
    RunStatus.CANCELLED: "Cancelled before it started",
    RunStatus.ERROR: "Failed",
    RunStatus.INTERRUPTED: "Interrupted (the training process ended without finishing)",
}


def render_live(problems: dict[str, list[str]], task: str = "classification") -> None:
    """The run buttons and the watched run, redrawn twice a second while it trains (before the
    first run, the empty charts of `task`, so they already stand in the page when Train is
    pressed)."""
    run_id = rs.watched()
    every = refresh_interval(run_id)
    st.fragment(run_every=every)(_live)(problems, task, every)


def refresh_interval(run_id: int | None) -> float | None:
    """Seconds between redraws of the live view of `run_id`: none unless it is training."""
    if not rs.is_active(run_id):
        return None
    if not rs.is_paused(run_id):
        return REFRESH_S
    paused_for = rs.seconds_paused(run_id)
    settling = paused_for is not None and paused_for < PAUSE_SETTLE_S
    return REFRESH_S if settling else PAUSED_REFRESH_S


def _live(problems: dict[str, list[str]], task: str, every: float | None) -> None:
    run_id = rs.watched()
    active = rs.is_active(run_id)
    render_run_buttons(problems, run_id, active)
    try:
        _draw(run_id, task)
    except Exception as exc:  # a drawing bug must not put a traceback on the page
        st.error(md_escape(f"The live view of run #{run_id} failed: {type(exc).__name__}: {exc}"))
    if refresh_interval(run_id) != every:
        # A run started, paused, resumed or ended: the page reruns once, which sets this
        # fragment's timer anew (and, after a run, brings the feature maps up to date).
        st.rerun()


def empty_snapshot(task: str) -> Snapshot:
    return Snapshot(None, RunStatus.IDLE, None, task, {}, [], [], Progress())


def _draw(run_id: int | None, task: str) -> None:
    snap = rs.refresh(run_id) if run_id is not None else None
    if snap is None:
        snap = empty_snapshot(task)
    render_progress(snap, ds.current_design().name)
    render_metrics(snap)
    if snap.task == "gan":
        render_gan(snap)
    else:
        render_curves(snap)
    if snap.task == "language_model":
        render_samples(snap)


def progress_text(snap: Snapshot, design_name: str | None = None) -> str:
    """The status line: the design's name, the run and how far it is."""
    named = f"“{design_name}”" if design_name else "This design"
    if snap.run_id is None:
        return f"{named} has no runs yet: check the settings and press Train"
    p = snap.progress
    status = STATUS_TEXT[snap.status]
    if snap.status == RunStatus.QUEUED:
        spot = rs.place(snap.run_id)
        status = f"Waiting: {ordinal(spot)} in line" if spot else STATUS_TEXT[RunStatus.STARTING]
    bits = [f"{named} · Run #{snap.run_id} · {status}"]
    if p.epochs:
        bits.append(f"epoch {p.epoch}/{p.epochs}")
    if p.total_steps:
        bits.append(f"step {p.step:,}/{p.total_steps:,}")
    if p.samples_per_sec:
        bits.append(f"{p.samples_per_sec:,.0f} samples/s")
    if p.seconds_left is not None and not snap.ended:
        bits.append(f"{_duration(p.seconds_left)} left")
    if snap.ended and snap.epochs:
        bits.append(f"in {_duration(snap.epochs[-1].get('seconds') or 0)}")
    return " · ".join(bits)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def render_progress(snap: Snapshot, design_name: str | None = None) -> None:
    with st.container(key="nb_live_progress"):
        text = md_escape(progress_text(snap, design_name))
        st.progress(snap.progress.fraction, text=text)
        if snap.error:
            st.error(md_escape(snap.error), icon=":material/error:")


def _fmt(value, percent: bool = False) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value:.1%}" if percent else f"{value:.4f}"


def render_metrics(snap: Snapshot) -> None:
    last = snap.last_epoch or {}
    if snap.task == "gan":
        items = [
            ("D loss", _fmt(last.get("d_loss"))),
            ("G loss", _fmt(last.get("g_loss"))),
            ("D(x)", _fmt(last.get("d_real"))),
            ("D(G(z))", _fmt(last.get("d_fake"))),
        ]
    else:
        train = last.get("train_loss")
        if train is None and snap.steps:
            train = snap.steps[-1].get("loss")
        items = [("Train loss", _fmt(train)), ("Validation loss", _fmt(last.get("val_loss")))]
        if snap.task == "language_model":  # losses in nats per token
            items.append(("Validation perplexity", _fmt(last.get("val_perplexity"))))
        if snap.task == "classification":
            items.append(("Validation accuracy", _fmt(last.get("val_accuracy"), percent=True)))
    with st.container(key="nb_live_metrics", horizontal=True):
        for label, value in items:
            st.metric(label, value, border=True)


def _chart(fig: dict, key: str, run_id: int | None) -> None:
    with st.container(key=key):
        live_chart(fig, key=f"{key}_chart", run_id=run_id)


def epochs_to_draw(snap: Snapshot, now: float | None = None) -> list[dict]:
    """The epochs the per-epoch charts show: the newest, but renewed at most every
    EPOCH_REDRAW_S while training. Epochs of a second or less (a small model) would otherwise
    redraw every chart on every tick, and the browser would take the CPU the training needs;
    an unchanged chart costs the browser next to nothing."""
    now = time.monotonic() if now is None else now
    key = f"nb_live_epochs_{snap.run_id}"
    shown = st.session_state.get(key)
    fresh = shown is None or snap.ended or now - shown[0] >= EPOCH_REDRAW_S
    if fresh or len(shown[1]) > len(snap.epochs):
        shown = (now, snap.epochs)
        st.session_state[key] = shown
    return shown[1]


def render_curves(snap: Snapshot) -> None:
    left, right = st.columns(2)
    with left:
        _chart(charts.loss_figure(snap.steps, snap.epochs), "nb_live_loss", snap.run_id)
    epochs = epochs_to_draw(snap)
    last = epochs[-1] if epochs else {}
    with right:
        if snap.task == "classification":
            _chart(charts.accuracy_figure(epochs), "nb_live_accuracy", snap.run_id)
        else:
            _chart(charts.lr_figure(epochs), "nb_live_lr", snap.run_id)
    left, right = st.columns(2)
    if snap.task == "classification":
        with left:
            if last.get("confusion"):
                _chart(
                    charts.confusion_figure(last["confusion"], snap.class_names, last.get("epoch")),
                    "nb_live_confusion",
                    snap.run_id,
                )
            elif last.get("mistakes") is not None:
                names = snap.class_names or []
                st.caption(f"Most frequent mistakes at epoch {last.get('epoch')} (too many "
                           "classes for a confusion matrix)")  # fmt: skip
                st.dataframe(
                    [
                        {
                            "true": names[t] if t < len(names) else t,
                            "predicted": names[p] if p < len(names) else p,
                            "count": n,
                        }
                        for t, p, n in last["mistakes"]
                    ],
                    hide_index=True,
                )
            else:
                st.caption("The confusion matrix appears at the end of the first epoch.")
        with right:
            _chart(charts.lr_figure(epochs), "nb_live_lr", snap.run_id)
    elif last.get("predictions"):
        figure = charts.prediction_figure(last["predictions"], last.get("epoch"))
        _chart(figure, "nb_live_pred", snap.run_id)


def render_gan(snap: Snapshot) -> None:
    left, right = st.columns(2)
    with left:
        _chart(charts.gan_loss_figure(snap.steps, snap.epochs), "nb_live_gan_loss", snap.run_id)
    with right:
        _chart(charts.gan_scores_figure(epochs_to_draw(snap)), "nb_live_gan_scores", snap.run_id)
    render_samples(snap)


SLIDER_HELP = {
    "text": "Drag back to see what the model wrote from the same prompt in earlier epochs",
    None: "Drag back to see how the same noise looked in earlier epochs",
}


def _epoch_slider(snap: Snapshot) -> int | None:
    """The epoch whose samples are shown: the newest, unless the user stepped back."""
    epochs = sorted(snap.samples)
    if not epochs:
        return None
    newest = epochs[-1]
    if len(epochs) == 1:
        return newest
    key = f"nb_gan_epoch_{snap.run_id}"
    follow = f"{key}_newest"
    if st.session_state.get(key) in (None, st.session_state.get(follow)):
        st.session_state[key] = newest  # following the newest epoch
    st.session_state[follow] = newest
    return st.slider(
        "Samples after epoch",
        min_value=epochs[0],
        max_value=newest,
        key=key,
        help=SLIDER_HELP.get(snap.sample_kind, SLIDER_HELP[None]),
    )


def render_samples(snap: Snapshot) -> None:
    epoch = _epoch_slider(snap)
    if epoch is None:
        if snap.task == "language_model":
            st.caption("Lines the model writes from its prompt appear when training starts.")
        else:
            st.caption("The generator's samples appear when training starts.")
        return
    if epoch not in snap.samples:  # a long run keeps only some epochs: the nearest before
        epoch = max((e for e in snap.samples if e <= epoch), default=min(snap.samples))
    samples = snap.samples[epoch]
    if snap.sample_kind == "text":
        render_text_samples(samples, epoch)
        return
    label = "untrained generator" if epoch == 0 else f"after epoch {epoch}"
    with st.container(key="nb_gan_samples"):
        if snap.sample_kind == "images":
            st.image(
                samples_mosaic(samples, (-1.0, 1.0), 420),
                caption=f"{len(samples)} samples from the same fixed noise, {label}",
            )
        elif snap.sample_kind == "points":
            live_chart(
                charts.points_figure(snap.real, samples, epoch),
                key="nb_gan_points_chart",
                run_id=snap.run_id,
            )
        else:
            live_chart(
                charts.heatmap_figure(samples.reshape(len(samples), -1), f"Samples, {label}"),
                key="nb_gan_arrays_chart",
                run_id=snap.run_id,
            )


def render_text_samples(lines, epoch: int) -> None:
    """A language model's lines from its fixed prompt, as plain text (never markdown)."""
    label = "the untrained model" if epoch == 0 else f"after epoch {epoch}"
    with st.container(key="nb_text_samples"):
        st.caption(f"{len(lines)} lines written from the same prompt and seed, {label}")
        for line in lines:
            st.code(str(line), language=None, wrap_lines=True)
