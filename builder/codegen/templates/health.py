"""Health statistics of a supervised or language-model train.py: what each node's outputs and each
weight's gradients look like while it trains, and the node whose output first went non-finite."""

import math

import torch
from torch import nn

# ---- train.py ----
# Health. Every HEALTH_EVERY steps (and on the first) the loop records, per node, its output's
# mean, std, share of near-zero values, share of saturated values (sigmoid and tanh near their
# bounds), share of units not active in any recorded batch of the epoch (the ReLU family) and a
# histogram over fixed bins; per weight tensor, its norm, its gradient's norm and the size of the
# step against the weight. Recording only reads tensors (detached, no random numbers drawn, no
# weight touched), so a run gives the same metrics and weights with it and without it
# (--no-health). The records go to hooks.emit("health", ...): OUT/health.jsonl here.

HEALTH_EVERY = 100  # a record costs one or two steps of a small model: about 1-2% in all
HIST_VALUES = 4096  # the histogram reads at most this many values, evenly spaced
NEAR_ZERO = 1e-6
# Histogram bin edges over signed magnitudes, 1/64 to 8 on either side: 21 bins, the middle one
# holding the values near zero, the outer ones everything beyond -8 and 8.
HIST_EDGES = tuple(-(2.0**k) for k in range(3, -7, -1)) + tuple(2.0**k for k in range(-6, 4))
SATURATED = {  # the output values where a squashing activation's gradient has all but vanished
    nn.Sigmoid: lambda y: (y < 0.02) | (y > 0.98),
    nn.Tanh: lambda y: y.abs() > 0.96,
}
DEAD_KINDS = (nn.ReLU, nn.ReLU6)  # units that output exactly zero when inactive
NODE_FIELDS = ("mean", "std", "zero", "saturated", "dead")


def units_dim(y):
    """Which dimension holds a node's units: channels of an image, else the last (features)."""
    return 1 if y.dim() == 4 else y.dim() - 1


class Health:
    """Reads the model's node outputs on a recorded step and its weights around that step."""

    def __init__(self, model, every=HEALTH_EVERY):
        self.model = model
        self.every = every
        self.modules = {n: model.get_submodule(a) for n, a in Model.NODE_MODULES.items()}
        layers = {attr: node for node, attr in Model.NODE_LAYERS.items()}
        self.params = [(name, layers.get(name.split(".")[0]), p)
                       for name, p in model.named_parameters()]  # fmt: skip
        self.edges = torch.tensor(HIST_EDGES)
        self.nan = torch.tensor(math.nan)
        self.epoch = None
        self.active = {}  # node -> units active in some recorded batch of this epoch
        self.outputs = {}
        self.before = None
        self.handles = []

    def due(self, step):
        return self.every > 0 and (step == 1 or step % self.every == 0)

    def watch(self, epoch):
        """Before the forward pass of a recorded step: read every node's output as it is made."""
        if epoch != self.epoch:
            self.epoch, self.active = epoch, {}
        self.outputs = {}
        self.handles = [m.register_forward_hook(self.reader(n)) for n, m in self.modules.items()]

    def unwatch(self):
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def reader(self, node):
        def read(module, inputs, output):
            if torch.is_tensor(output) and output.is_floating_point():
                self.outputs[node] = self.node_stats(node, module, output.detach())

        return read

    @torch.no_grad()
    def node_stats(self, node, module, y):
        y = y if y.dtype == torch.float32 else y.float()
        flat = y.flatten()
        saturated = SATURATED.get(type(module))
        if self.edges.device != y.device:
            self.edges = self.edges.to(y.device)
            self.nan = self.nan.to(y.device)
        dead = self.nan
        if isinstance(module, DEAD_KINDS) and y.dim() >= 2:
            dim = units_dim(y)
            fired = y.movedim(dim, -1).reshape(-1, y.shape[dim]).gt(0).any(0)
            seen = self.active.get(node)
            self.active[node] = fired if seen is None else seen | fired
            dead = 1.0 - self.active[node].float().mean()
        spaced = flat[:: max(1, flat.numel() // HIST_VALUES)].contiguous()
        bins = torch.bincount(torch.bucketize(spaced, self.edges), minlength=len(HIST_EDGES) + 1)
        std, mean = torch.std_mean(flat, correction=0)
        values = [
            mean,
            std,
            flat.abs().le(NEAR_ZERO).float().mean(),
            saturated(flat).float().mean() if saturated else self.nan,
            dead,
        ]
        share = bins[: len(HIST_EDGES) + 1].float() / spaced.numel()
        return torch.cat([torch.stack(values), share])

    @torch.no_grad()
    def before_step(self):
        """After backward, before the optimizer's step: the weights and gradients as they are."""
        self.before = [p.detach().clone() for _, _, p in self.params]

    @torch.no_grad()
    def record(self, step, epoch):
        """After the optimizer's step: the step's record (plain numbers, None where not known)."""
        params, nodes = {}, {}
        if self.params:  # the norms of all tensors at once (torch's own clip_grad_norm_ does so)
            olds, news = self.before, [p.detach() for _, _, p in self.params]
            weight = torch.stack(torch._foreach_norm(olds)).float()
            grad = torch.full_like(weight, math.nan)
            has = [i for i, (_, _, p) in enumerate(self.params) if p.grad is not None]
            if has:
                norms = torch._foreach_norm([self.params[i][2].grad for i in has])
                grad[has] = torch.stack(norms).float()
            update = torch.stack(torch._foreach_norm(torch._foreach_sub(news, olds))).float()
            table = torch.stack([weight, grad, update / weight.clamp_min(1e-12)], dim=1)
            for (name, node, _), values in zip(self.params, table.cpu().tolist(), strict=True):
                weight, grad, update = (v if math.isfinite(v) else None for v in values)
                params[name] = {"node": node, "weight_norm": weight, "grad_norm": grad,
                                "update_ratio": update}  # fmt: skip
        self.before = None
        if self.outputs:
            table = torch.stack(list(self.outputs.values())).cpu().tolist()
            for node, row in zip(self.outputs, table, strict=True):
                values = [v if math.isfinite(v) else None for v in row]
                nodes[node] = dict(zip(NODE_FIELDS, values, strict=False))
                nodes[node]["hist"] = values[len(NODE_FIELDS) :]
        self.outputs = {}
        return {"step": step, "epoch": epoch, "nodes": nodes, "params": params}


@torch.no_grad()
def first_non_finite(model, x):
    """The first node (in the order the forward pass makes them) whose output on `x` is NaN or
    infinite, or None. Only for a run that is failing: the extra forward pass may draw dropout
    masks and move BatchNorm's running statistics."""
    found = []

    def reader(node):
        def read(module, inputs, output):
            if not found and torch.is_tensor(output) and output.is_floating_point():
                if not torch.isfinite(output).all():
                    found.append(node)

        return read

    modules = {n: model.get_submodule(a) for n, a in Model.NODE_MODULES.items()}
    handles = [m.register_forward_hook(reader(n)) for n, m in modules.items()]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return found[0] if found else None
