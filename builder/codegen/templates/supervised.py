"""The loop of a classification, regression or forecasting train.py."""

import os
import time

import torch

# ---- train.py ----
# The training loop.

EVAL_BATCH = 1024
PREDICTION_POINTS = 100  # true-vs-predicted values kept per epoch, for a plot
MAX_CONFUSION_CLASSES = 50  # more classes: the most frequent mistakes, not classes^2 cells
TOP_MISTAKES = 20
DEVICE_DATA_LIMIT = 512 * 2**20  # data sets up to this size live on the device


def predict(output):
    """Class indices from a batch of outputs: argmax, or logit > 0 for a single output."""
    if output.dim() == 2 and output.shape[1] == 1:
        return (output[:, 0] > 0).long()
    return output.argmax(dim=1)


@torch.no_grad()
def evaluate(model, x_val, y_val, num_classes, device):
    """Validation loss, plus accuracy and a confusion matrix, or a few true-vs-predicted values."""
    model.eval()
    total, confusion = 0.0, None
    truth, preds = [], []
    for i in range(0, len(x_val), EVAL_BATCH):
        x = x_val[i : i + EVAL_BATCH].to(device)
        y = y_val[i : i + EVAL_BATCH].to(device)
        output = model(x)
        total += compute_loss(output, y).item() * len(x)
        if CLASSIFICATION:
            cells = torch.bincount(y * num_classes + predict(output), minlength=num_classes**2)
            confusion = cells if confusion is None else confusion + cells
        elif not truth:  # the first batch holds enough points to plot
            truth.append(y.reshape(len(y), -1)[:, 0])
            preds.append(output.reshape(len(output), -1)[:, 0])
    metrics = {"val_loss": total / max(len(x_val), 1)}
    if CLASSIFICATION:
        matrix = confusion.view(num_classes, num_classes)
        metrics["val_accuracy"] = matrix.diag().sum().item() / max(len(x_val), 1)
        if num_classes <= MAX_CONFUSION_CLASSES:
            metrics["confusion"] = matrix.tolist()
        else:  # [true class, predicted class, count] of the most frequent mistakes
            wrong = matrix.clone()
            wrong.fill_diagonal_(0)
            counts, cells = wrong.flatten().topk(min(TOP_MISTAKES, wrong.numel()))
            metrics["mistakes"] = [
                [cell // num_classes, cell % num_classes, count]
                for count, cell in zip(counts.tolist(), cells.tolist(), strict=True)
                if count > 0
            ]
    else:
        metrics["predictions"] = {
            "true": torch.cat(truth)[:PREDICTION_POINTS].tolist(),
            "pred": torch.cat(preds)[:PREDICTION_POINTS].tolist(),
        }
    return metrics


def train(hooks, data, *, source=DATA, epochs=EPOCHS, seed=SEED, batch_size=BATCH_SIZE, lr=None,
          device=None, initial_weights=None, amp=AMP, compile_model=COMPILE,
          tensorboard=None):  # fmt: skip
    """Train Model on `data` (load_data's arrays), telling `hooks` as it goes.

    Returns {"final": last metrics, "weights": the state_dict}. `hooks` has `emit(kind, **fields)`
    for the start, step and epoch events, `checkpoint()` once per step (False: stop now),
    `epoch_weights(get)` after each epoch, `step_every` and `stopped`.
    """
    classes = data["classes"] if CLASSIFICATION else None
    num_classes = len(classes) if classes else 0
    run = Setup(data, seed=seed, lr=lr, epochs=epochs, batch_size=batch_size, device=device,
                initial_weights=initial_weights, amp=amp, compile_model=compile_model)  # fmt: skip
    model = run.model
    emit = hooks.emit if run.rank == 0 else (lambda event, /, **fields: None)
    board = tensorboard_log(tensorboard, run.rank)
    if board is not None:
        emit = board.wrap(emit)
    emit("start", **run.start_fields(source, epochs, seed), class_names=classes)
    start = time.perf_counter()
    step, history, best = 0, None, None
    for epoch in range(1, epochs + 1):
        step, totals = run.epoch(hooks, emit, step, epoch)
        if totals is None:
            break
        total, seen, train_seconds, lr_now = totals
        if run.rank != 0:
            continue
        metrics = evaluate(model, run.x_val, run.y_val, num_classes, run.device)
        history = {
            "epoch": epoch,
            "epochs": epochs,
            "step": step,
            "train_loss": total / max(seen, 1),
            **metrics,
            "lr": lr_now,
            "samples_per_sec": seen / max(train_seconds, 1e-9),
            "seconds": time.perf_counter() - start,
        }
        if CLASSIFICATION and (best is None or metrics["val_accuracy"] > best[1]):
            best = (epoch, metrics["val_accuracy"])
        emit("epoch", **history)
        if board is not None:
            board.histograms({"": model}, step)
        hooks.epoch_weights(lambda: cpu_weights(model))
    final = {"epochs": history["epoch"] if history else 0, "steps": step}
    if history:
        final.update({k: history[k] for k in ("train_loss", "val_loss")})
        if CLASSIFICATION:
            final["val_accuracy"] = history["val_accuracy"]
            final["best_val_accuracy"], final["best_epoch"] = best[1], best[0]
    final["seconds"] = time.perf_counter() - start
    if board is not None:
        board.close()
    return {"final": final, "weights": cpu_weights(model)}


def save_results(result, hooks, out):
    torch.save(result["weights"], os.path.join(out, "weights.pt"))
