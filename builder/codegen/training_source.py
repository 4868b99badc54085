"""The exported `train.py`: a standalone script that trains `model.py` the way the app does.

It copies the data-loading functions from `builder.data.sources` verbatim (so it loads the same
data the same way without importing builder), writes out the design's loss and optimizer, and
runs unchanged as `python train.py` or `torchrun --nproc_per_node=N train.py` (DDP with a
DistributedSampler; gloo on CPU, nccl on GPU; only rank 0 logs and saves).
"""

from __future__ import annotations

import inspect
import json
from string import Template

from builder.codegen.train_template import DATA_SECTION, SETUP_PROCESSES, SPLIT_FILE, TEMPLATE
from builder.data import readers, sources
from builder.design.settings import resolved_training
from builder.design.spec import load_design
from builder.recipes.losses import DEFAULT_LOSS
from builder.recipes.optimizers import DEFAULT_BETAS

# What each data-set loader needs copied alongside it.
BUILTIN_CODE = {
    "digits": ["digits_data", "stratified_split"],
    "moons": ["moons_data", "stratified_split"],
    "circles": ["circles_data", "stratified_split"],
    "spirals": ["spirals_data", "stratified_split"],
    "sine": ["sine_data"],
    "waves": ["waves_data"],
}
FILE_CODE = {
    "csv": ["_is_number", "_classes", "read_csv_table", "standardize"],
    "npz": ["_classes", "read_npz"],
    "images": ["_classes", "read_image_zip"],
}
SPLIT_CODE = ["stratified_split", "random_split"]
IMPORTS = {
    "read_csv_table": ["csv", "io", "math"],
    "read_npz": ["io", "zipfile"],
    "read_image_zip": ["io", "zipfile"],
}

LOSS_CODE = {
    "cross_entropy": "F.cross_entropy(output, target)",
    "nll": "F.nll_loss(output, target)",
    "bce": "F.binary_cross_entropy_with_logits(output, F.one_hot(target, output.shape[1]).float())",
    "bce1": "F.binary_cross_entropy_with_logits(output[:, 0], target.float())",
    "kl_div": (
        "F.kl_div(F.log_softmax(output, dim=1), F.one_hot(target, output.shape[1]).float(), "
        'reduction="batchmean")'
    ),
    "mse": "F.mse_loss(output, target.view_as(output))",
    "l1": "F.l1_loss(output, target.view_as(output))",
    "huber": "F.huber_loss(output, target.view_as(output))",
}


def lit(value) -> str:
    """A Python literal, strings in double quotes as the rest of the script."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def optimizer_source(cfg: dict, params: str = "params", lr: str = "lr") -> str:
    """The optimizer constructor as one expression, over `params` with learning rate `lr`."""
    kind = cfg.get("type", "adam")
    wd = cfg.get("weight_decay")
    wd = float(wd) if wd is not None else (0.01 if kind == "adamw" else 0.0)
    betas = tuple(cfg.get("betas") or DEFAULT_BETAS)
    momentum = float(cfg.get("momentum") or 0.0)
    if kind == "sgd":
        nesterov = bool(cfg.get("nesterov")) and momentum > 0
        return (
            f"torch.optim.SGD({params}, lr={lr}, momentum={momentum!r}, nesterov={nesterov}, "
            f"weight_decay={wd!r})"
        )
    if kind in ("adam", "adamw"):
        name = {"adam": "Adam", "adamw": "AdamW"}[kind]
        return f"torch.optim.{name}({params}, lr={lr}, betas={betas!r}, weight_decay={wd!r})"
    if kind == "rmsprop":
        return f"torch.optim.RMSprop({params}, lr={lr}, momentum={momentum!r}, weight_decay={wd!r})"
    return f"torch.optim.Adagrad({params}, lr={lr}, weight_decay={wd!r})"


def schedule_source(cfg: dict | None) -> str:
    cfg = cfg or {}
    kind = cfg.get("type", "none")
    if kind == "step":
        size = cfg.get("step_size")
        step = f"{int(size)}" if size else "max(1, epochs // 3)"
        gamma = float(cfg.get("gamma", 0.1))
        return f"torch.optim.lr_scheduler.StepLR(optimizer, {step}, gamma={gamma!r})"
    if kind == "cosine":
        return "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))"
    return "None"


def copied_source(names: list[str]) -> str:
    seen, blocks = set(), []
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        if name == "read_image_zip":
            blocks.append(f"IMAGE_EXTENSIONS = {readers.IMAGE_EXTENSIONS!r}")
        function = getattr(sources, name, None) or getattr(readers, name)
        blocks.append(inspect.getsource(function).rstrip())
    return "\n\n\n".join(blocks)


def loader_parts(dataset, task: str, input_shape) -> tuple[list[str], str, str]:
    """(functions to copy, body of load_data, the default for --data)."""
    gan = task == "gan"
    if isinstance(dataset, str):
        names = BUILTIN_CODE[dataset] + FILE_CODE["npz"] + SPLIT_CODE
        if dataset == "sine":
            body = "return sine_data()"
        elif dataset == "waves":
            body = "x_train, y_train, x_val, y_val, _ = waves_data()\n    return x_train, y_train, x_val, y_val"
        else:
            call = f"digits_data(gan={gan})" if dataset == "digits" else f"{dataset}_data()"
            body = (
                f"x, y, _ = {call}\n"
                "    train, val = stratified_split(y, seed)\n"
                "    return x[train], y[train], x[val], y[val]"
            )
        body = f'if source.endswith(".npz"):\n        return split_file(source, seed)\n    {body}'
        return names, body, lit(dataset)
    kind = dataset["type"]
    names = FILE_CODE[kind] + FILE_CODE["npz"] + SPLIT_CODE
    return names, "return split_file(source, seed)", lit(dataset["path"])


def data_section(names, dataset, input_shape, load_body) -> str:
    """The script's data code: copied functions, the file splitter and load_data."""
    return Template(DATA_SECTION).substitute(
        copied=copied_source(names),
        split_file=split_file_source(dataset, input_shape),
        load_body=load_body,
    )


def split_file_source(dataset, input_shape) -> str:
    readers, kinds = "", [".npz"]
    if isinstance(dataset, dict) and dataset["type"] == "csv":
        readers = (
            '    elif source.endswith(".csv"):\n'
            "        x, y, _, _ = read_csv_table(data, name, TARGET, TASK)\n"
        )
        kinds.append(".csv")
    elif isinstance(dataset, dict) and dataset["type"] == "images":
        readers = (
            '    elif source.endswith(".zip"):\n'
            f'        x, y, _ = read_image_zip(data, name, {tuple(input_shape)!r}, TASK == "gan")\n'
        )
        kinds.append(".zip")
    standardize = ""
    if ".csv" in kinds:
        standardize = (
            '    if source.endswith(".csv"):\n'
            "        x_train, x_val = standardize(x_train, x_val)\n"
        )
    return Template(SPLIT_FILE).substitute(
        readers=readers, kinds=" or ".join(kinds), standardize=standardize
    )


def generate_train_script(design) -> str:
    """The text of train.py for this design (next to model.py, which it imports)."""
    design = load_design(design)
    if design.is_gan:
        from builder.codegen.gan_source import generate_gan_script

        return generate_gan_script(design)
    raw = dict(design.training or {})
    task = raw.get("task", "classification")
    raw.setdefault("loss", DEFAULT_LOSS.get(task, "cross_entropy"))
    s = resolved_training(raw)
    graph = design.models["model"]
    input_node = next(n for n in graph.nodes if n.type == "Input")
    input_shape = list(input_node.params.get("shape") or [])
    from builder.codegen.model_source import build_model

    output_shape = list(build_model(design).OUTPUT_SHAPE)
    loss = s["loss"]
    loss_key = "bce1" if loss == "bce" and output_shape == [1] else loss
    names, load_body, data_default = loader_parts(s["dataset"], task, input_shape)
    needed = {m for n in names for m in IMPORTS.get(n, [])} | {"argparse", "json", "os", "time"}
    target = s["dataset"].get("target") if isinstance(s["dataset"], dict) else None
    return Template(TEMPLATE).substitute(
        name=design.name,
        imports="\n".join(f"import {m}" for m in sorted(needed)),
        task=lit(task),
        data_default=data_default,
        target=lit(target),
        loss=loss,
        loss_code=LOSS_CODE[loss_key],
        optimizer_code=optimizer_source(s["optimizer"]),
        schedule_code=schedule_source(s.get("schedule")),
        lr=repr(float(s["optimizer"].get("lr") or 0.001)),
        batch_size=int(s["batch_size"]),
        epochs=int(s["epochs"]),
        seed=int(s["seed"]),
        data_section=data_section(names, s["dataset"], input_shape, load_body),
        classify=task == "classification",
        setup_processes=SETUP_PROCESSES,
    )
