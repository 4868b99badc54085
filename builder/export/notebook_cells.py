"""The code cells of the exported notebook (and the texts that go with them), by training loop:
the data, the training through train.py's own functions, the metrics plot and the samples."""

from __future__ import annotations

OUT = "notebook_out"  # where the notebook's training writes, apart from train.py's own --out

DATA_CELL = """\
from pathlib import Path

import train as script  # train.py beside this notebook: the functions `python train.py` runs

source = script.DATA
bundled = Path("data") / Path(str(source)).name  # where the export's ZIP puts a data file
if script.DATA_KIND and not Path(source).exists() and bundled.is_file():
    source = str(bundled)  # as `python train.py --data data/FILE` reads it
data = script.load_data(source, script.SEED)
for name in ("x_train", "y_train", "x_val", "y_val"):
    print(f"{name}: {data[name].shape} {data[name].dtype}")"""

TRAIN_CELL = """\
OUT = "{out}"
hooks = script.ScriptHooks(OUT)  # prints each epoch and writes OUT/metrics.jsonl
try:
    result = script.train(
        hooks,
        data,
        source=source,
        epochs=script.EPOCHS,
        seed=script.SEED,
        batch_size=script.BATCH_SIZE,
    )
finally:
    hooks.close()
script.save_results(result, hooks, OUT)
print(result["final"])"""

METRICS_TEXT = """\
## How training went

The metrics of every epoch, read back from `metrics.jsonl`."""

_READ_METRICS = """\
%matplotlib inline
import json

import matplotlib.pyplot as plt

with open("{out}/metrics.jsonl") as handle:
    rows = [json.loads(line) for line in handle]
epochs = [row["epoch"] for row in rows]
"""

PLOT_CELL = {
    "supervised": _READ_METRICS
    + """\
accuracy = "val_accuracy" in rows[0]
fig, axes = plt.subplots(1, 2 if accuracy else 1, figsize=(10 if accuracy else 5, 3.5), squeeze=False)
axes[0][0].plot(epochs, [r["train_loss"] for r in rows], label="train loss")
axes[0][0].plot(epochs, [r["val_loss"] for r in rows], label="validation loss")
axes[0][0].set_xlabel("epoch")
axes[0][0].legend()
if accuracy:
    axes[0][1].plot(epochs, [r["val_accuracy"] for r in rows], label="validation accuracy")
    axes[0][1].set_xlabel("epoch")
    axes[0][1].legend()
plt.show()""",
    "language_model": _READ_METRICS
    + """\
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(epochs, [r["train_loss"] for r in rows], label="train loss (nats per token)")
axes[0].plot(epochs, [r["val_loss"] for r in rows], label="validation loss")
axes[0].set_xlabel("epoch")
axes[0].legend()
axes[1].plot(epochs, [r["val_perplexity"] for r in rows], label="validation perplexity")
axes[1].set_xlabel("epoch")
axes[1].legend()
plt.show()""",
    "gan": _READ_METRICS
    + """\
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
axes[0].plot(epochs, [r["d_loss"] for r in rows], label="discriminator loss")
axes[0].plot(epochs, [r["g_loss"] for r in rows], label="generator loss")
axes[0].set_xlabel("epoch")
axes[0].legend()
axes[1].plot(epochs, [r["d_real"] for r in rows], label="D(real)")
axes[1].plot(epochs, [r["d_fake"] for r in rows], label="D(generated)")
axes[1].set_xlabel("epoch")
axes[1].legend()
plt.show()""",
}

SAMPLES_TEXT = {
    "gan": "## What the generator makes\n\nThe generator's outputs for the fixed noise batch "
    "after the last epoch, beside real samples.",
    "language_model": "## What the model writes\n\nLines the model wrote after the last epoch, "
    f"continuing the prompt (sampled as `train.py` samples them, also saved in `{OUT}`).",
}

SAMPLES_CELL = {
    "gan": """\
import numpy as np

samples = np.asarray(hooks.samples)
kind = script.sample_kind(samples.shape[1:])
real = np.concatenate([data["x_train"], data["x_val"]])
if kind == "points":
    plt.scatter(real[:1000, 0], real[:1000, 1], s=4, alpha=0.4, label="real")
    plt.scatter(samples[:, 0], samples[:, 1], s=6, label="generated")
    plt.legend()
elif kind == "images":
    count = min(len(samples), 32)
    fig, axes = plt.subplots(4, 8, figsize=(8, 4))
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < count:
            image = samples[i].transpose(1, 2, 0)
            ax.imshow(image.squeeze(-1) if image.shape[-1] == 1 else image.clip(0, 1), cmap="gray")
else:
    print(samples[:8])
plt.show()""",
    "language_model": """\
for line in hooks.samples:
    print(repr(str(line)))""",
}
