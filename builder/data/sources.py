"""Where the numbers come from: the built-in data sets and the seeded splits.

This module and `readers.py` are self-contained on purpose (numpy and the standard library):
`builder.codegen.training_source` copies their functions verbatim into the exported `train.py`, so the
exported script loads exactly the data the app trained on.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """A data set that cannot be used: the message names the file, column or row at fault."""


def digits_data(gan=False):
    """8x8 handwritten digits (1,797 images), [1, 8, 8], 10 classes

    sklearn's bundled file, scaled to [0, 1] ([-1, 1] for a GAN)."""
    spec = find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise DataError("the digits data set needs scikit-learn: pip install scikit-learn")
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    table = np.loadtxt(path, delimiter=",", dtype=np.float32)
    x = (table[:, :-1] / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    if gan:
        x = x * 2.0 - 1.0
    y = table[:, -1].astype(np.int64)
    return x, y, [str(d) for d in range(10)]


def moons_data(n=1000, noise=0.1, seed=0):
    """two interleaving half circles, [2] points, 2 classes"""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], 1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).astype(np.int64)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order], ["upper", "lower"]


def circles_data(n=1000, noise=0.08, factor=0.5, seed=0):
    """a circle inside a circle, [2] points, 2 classes"""
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)
    x = np.concatenate([outer, inner]) + rng.normal(0.0, noise, (n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).astype(np.int64)
    order = rng.permutation(n)
    return x[order].astype(np.float32), y[order], ["outer", "inner"]


def spirals_data(n_per_arm=300, noise=0.2, seed=0):
    """three interleaved spiral arms, [2] points, 3 classes"""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for arm in range(3):
        r = np.linspace(0.0, 1.0, n_per_arm)
        t = np.linspace(arm * 4.0, (arm + 1) * 4.0, n_per_arm) + rng.normal(0, noise, n_per_arm)
        xs.append(np.stack([r * np.sin(t), r * np.cos(t)], 1))
        ys.append(np.full(n_per_arm, arm))
    x, y = np.concatenate(xs), np.concatenate(ys).astype(np.int64)
    order = rng.permutation(len(y))
    return x[order].astype(np.float32), y[order], ["arm 0", "arm 1", "arm 2"]


def sine_data(n_train=4000, n_val=1000, steps=32, noise=0.05, seed=0):
    """forecasting: 32 steps of summed sine waves [32, 1] -> next value [1]

    `steps` values [T, 1] of a sum of 1-3 sine waves in [-1, 1] plus noise."""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    t = np.arange(steps + 1, dtype=np.float64)
    series = np.zeros((n, steps + 1))
    count = rng.integers(1, 4, n)
    for k in range(3):
        freq = rng.uniform(0.02, 0.12, (n, 1))
        phase = rng.uniform(0, 2 * np.pi, (n, 1))
        series += (k < count)[:, None] * np.sin(2 * np.pi * freq * t + phase)
    series /= np.abs(series).max(axis=1, keepdims=True) + 1e-8
    series += rng.normal(0.0, noise, series.shape)
    x = series[:, :steps, None].astype(np.float32)
    y = series[:, steps:].astype(np.float32)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def waves_data(n_train=3000, n_val=600, steps=32, noise=0.1, seed=0):
    """sequence classification: sine, square or sawtooth [32, 1], 3 classes"""
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = np.arange(n) % 3
    rng.shuffle(y)
    t = np.arange(steps, dtype=np.float64)
    freq = rng.uniform(0.03, 0.15, (n, 1))
    phase = rng.uniform(0, 1, (n, 1))
    amp = rng.uniform(0.5, 1.0, (n, 1))
    cycle = (freq * t + phase) % 1.0
    sine = np.sin(2 * np.pi * cycle)
    square = np.where(cycle < 0.5, 1.0, -1.0)
    saw = 2.0 * cycle - 1.0
    wave = np.where(y[:, None] == 0, sine, np.where(y[:, None] == 1, square, saw))
    x = (amp * wave + rng.normal(0.0, noise, wave.shape))[:, :, None].astype(np.float32)
    y = y.astype(np.int64)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:], ["sine", "square", "sawtooth"]


def stratified_split(y, seed, val_fraction=0.2):
    """Indices (train, val): each class keeps its share in both parts; fixed by `seed`."""
    rng = np.random.default_rng(seed)
    train, val = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        n_val = int(round(len(idx) * val_fraction)) if len(idx) > 1 else 0
        val.append(idx[:n_val])
        train.append(idx[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))


def random_split(n, seed, val_fraction=0.2):
    """Indices (train, val) of a seeded shuffle, for targets that are numbers."""
    idx = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * val_fraction))
    return np.sort(idx[n_val:]), np.sort(idx[:n_val])


def standardize(x_train, x_val):
    """Scale each feature to mean 0 and std 1, with statistics of the training part only."""
    mean = x_train.mean(axis=0, keepdims=True)
    std = x_train.std(axis=0, keepdims=True)
    std[std == 0] = 1.0
    return ((x_train - mean) / std).astype(np.float32), ((x_val - mean) / std).astype(np.float32)
