"""Synthetic data of paper §5.1 / supp. §10.1: x = f(z), z ~ N(0, I_n), f a fixed random leaky-ReLU MLP.

f has ``layers`` weight layers (n -> hidden -> ... -> d), each followed by a leaky ReLU, so the data lie on
an n-dimensional piecewise-linear manifold in R^d whose true latent size n the model has to discover.

Reproducibility: f and every sample come from ``generator_seed`` alone (never the training seed), drawn in
float64 with numpy's PCG64, whose stream numpy keeps fixed across versions and machines. Draw order: for each
layer its weight matrix (fan_in x fan_out), then its bias; then all n_train + n_val + n_test latents in one
(N, n) draw, split in that order, so the three splits are disjoint draws. Only the BLAS summation order can
differ between machines (~1e-16 relative), far below the float32 rounding of the stored data.

Initialisation: W ~ N(0, 2 / ((1 + slope^2) fan_in)) (He et al. 2015 for leaky ReLU) keeps the activations'
second moment about constant through the layers, so the scale of x neither explodes nor vanishes with depth.
Biases ~ N(0, 0.1^2) move f's kinks off the origin; without them f would be positively homogeneous and the
data a cone.
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from maae.config import DataConfig
from maae.io import read_cache, torch_save

FORMAT = 1  # bump when the generating procedure changes, so old caches are regenerated
BIAS_STD = 0.1
SPLITS = ("train", "val", "test")


def params(cfg: DataConfig) -> dict[str, int | float]:
    """Everything the data depend on; stored in the cache and compared on load."""
    return {
        "format": FORMAT,
        "n": cfg.n,
        "d": cfg.d,
        "hidden": cfg.hidden,
        "layers": cfg.layers,
        "negative_slope": float(cfg.negative_slope),
        "generator_seed": cfg.generator_seed,
        "n_train": cfg.n_train,
        "n_val": cfg.n_val,
        "n_test": cfg.n_test,
    }


def cache_path(cfg: DataConfig) -> Path:
    name = (
        f"n{cfg.n}_d{cfg.d}_h{cfg.hidden}_l{cfg.layers}_s{float(cfg.negative_slope)!r}_g{cfg.generator_seed}"
        f"_{cfg.n_train}-{cfg.n_val}-{cfg.n_test}.pt"
    )
    return Path(cfg.root).expanduser() / "synthetic" / name


def apply_f(weights: list[np.ndarray], biases: list[np.ndarray], z: np.ndarray, slope: float) -> np.ndarray:
    h = z
    for w, b in zip(weights, biases, strict=True):
        h = h @ w + b
        h = np.where(h > 0, h, slope * h)
    return h


def generate(cfg: DataConfig) -> dict[str, Any]:
    """Draw f and all samples: params, z and x (float32, all splits in order) and f's float64 weights."""
    rng = np.random.Generator(np.random.PCG64(cfg.generator_seed))
    slope = float(cfg.negative_slope)
    widths = [cfg.n] + [cfg.hidden] * (cfg.layers - 1) + [cfg.d]
    weights, biases = [], []
    for fan_in, fan_out in itertools.pairwise(widths):
        weights.append(rng.standard_normal((fan_in, fan_out)) * math.sqrt(2.0 / ((1.0 + slope**2) * fan_in)))
        biases.append(rng.standard_normal(fan_out) * BIAS_STD)
    z = rng.standard_normal((cfg.n_train + cfg.n_val + cfg.n_test, cfg.n))
    x = apply_f(weights, biases, z, slope)
    return {
        "params": params(cfg),
        "z": torch.from_numpy(z.astype(np.float32)),
        "x": torch.from_numpy(x.astype(np.float32)),
        "weights": [torch.from_numpy(w) for w in weights],
        "biases": [torch.from_numpy(b) for b in biases],
    }


def _read_cache(path: Path, expected: dict[str, int | float]) -> dict[str, Any] | None:
    """The cached data set, or None (with a warning if a file was there but unusable)."""
    data = read_cache(path, "synthetic data cache")
    if data is None:
        return None
    total = expected["n_train"] + expected["n_val"] + expected["n_test"]
    if not (
        isinstance(data, dict)
        and data.get("params") == expected
        and isinstance(data.get("x"), torch.Tensor)
        and data["x"].shape == (total, expected["d"])
        and isinstance(data.get("z"), torch.Tensor)
        and data["z"].shape == (total, expected["n"])
    ):
        warnings.warn(
            f"synthetic data cache {path} does not hold the expected data set; regenerating it", stacklevel=3
        )
        return None
    return data


def load(cfg: DataConfig) -> dict[str, Any]:
    """The data set as returned by generate(), generated once and then read from the cache."""
    path = cache_path(cfg)
    data = _read_cache(path, params(cfg))
    if data is None:
        data = generate(cfg)
        try:
            torch_save(path, data)
        except OSError as err:  # e.g. a read-only data folder: the data are still correct, just not cached
            warnings.warn(f"could not write synthetic data cache {path} ({err})", stacklevel=2)
    return data


def _rows(cfg: DataConfig, split: str) -> slice:
    sizes = {"train": cfg.n_train, "val": cfg.n_val, "test": cfg.n_test}
    start = sum(sizes[s] for s in SPLITS[: SPLITS.index(split)])
    return slice(start, start + sizes[split])


def load_split(cfg: DataConfig, split: str) -> torch.Tensor:
    """x of one split, float32 (N, d); a copy, so the other splits can be freed."""
    return load(cfg)["x"][_rows(cfg, split)].clone()


def latents(cfg: DataConfig, split: str) -> torch.Tensor:
    """The true z of one split, float32 (N, n), row-aligned with load_split."""
    return load(cfg)["z"][_rows(cfg, split)].clone()
