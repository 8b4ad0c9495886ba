"""Fréchet distances of image sets in a network's feature space, shared by FID and the offline fd_lenet.

The real set's statistics depend only on the data set, split, count and network, so they are computed once
and cached; the cache file also stores a hash of the images, so replaced data are never scored against
stale statistics.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from maae.data import to_model_input
from maae.io import atomic_write
from maae.metrics.frechet import frechet_distance, statistics


@dataclass(frozen=True)
class Backbone:
    """A feature extractor for images in [0, 1].

    ``name`` says everything that changes the features (network, weights, precision): it is recorded with
    every score and is part of the real-statistics cache key.
    """

    name: str
    features: Callable[[torch.Tensor], torch.Tensor]  # float (B, C, H, W) in [0, 1] on device -> (B, k)
    device: torch.device
    batch_size: int = 50


@dataclass(frozen=True)
class RealStats:
    mu: np.ndarray
    sigma: np.ndarray
    n: int
    split: str
    from_cache: bool


def minmax_per_image(images: torch.Tensor) -> torch.Tensor:
    """Each image scaled to [0, 1] by its own min and max (the authors' preprocessing of generated images
    before FID); a constant image becomes all zeros."""
    x = images.float()
    flat = x.flatten(1)
    lo, hi = flat.min(1).values, flat.max(1).values
    scale = (hi - lo).clamp_min(torch.finfo(x.dtype).tiny)
    shape = (-1,) + (1,) * (x.dim() - 1)
    return (x - lo.view(shape)) / scale.view(shape)


@torch.no_grad()
def extract(backbone: Backbone, images: torch.Tensor) -> np.ndarray:
    """float64 (N, k) features of uint8 images or float images in [0, 1], batch by batch."""
    out = []
    for batch in images.split(backbone.batch_size):
        x = to_model_input(batch).to(backbone.device, torch.float32)
        out.append(backbone.features(x).double().cpu().numpy())
    return np.concatenate(out)


def fingerprint(images: torch.Tensor) -> str:
    return hashlib.sha256(images.contiguous().numpy().tobytes()).hexdigest()[:16]


def _cache_file(cache_dir: Path, data: str, split: str, n: int, backbone: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", backbone)
    return cache_dir / f"stats_{data}_{split}_{n}_{slug}.npz"


def real_statistics(
    backbone: Backbone, images: torch.Tensor, data: str, split: str, cache_dir: Path
) -> RealStats:
    """Feature statistics of real ``images`` (the first rows of a split), from the cache if it has them."""
    n = images.shape[0]
    key = {"data": data, "split": split, "n": n, "backbone": backbone.name, "images": fingerprint(images)}
    path = _cache_file(cache_dir, data, split, n, backbone.name)
    if path.is_file():
        try:
            with np.load(path) as f:
                if {k: f[k].item() for k in key} == key:
                    return RealStats(f["mu"], f["sigma"], n, split, True)
        except (OSError, ValueError, KeyError) as err:
            warnings.warn(f"feature statistics cache {path} is unreadable ({err}); recomputing", stacklevel=2)
    mu, sigma = statistics(extract(backbone, images))
    buffer = io.BytesIO()
    np.savez(buffer, mu=mu, sigma=sigma, **{k: np.array(v) for k, v in key.items()})
    try:
        atomic_write(path, lambda f: f.write(buffer.getvalue()))
    except OSError as err:  # e.g. a read-only data folder: the statistics are still right, just not cached
        warnings.warn(f"could not write feature statistics cache {path} ({err})", stacklevel=2)
    return RealStats(mu, sigma, n, split, False)


def image_fd(backbone: Backbone, generated: torch.Tensor, real: RealStats) -> float:
    """Fréchet distance between the generated images' features and the real statistics."""
    return frechet_distance(*statistics(extract(backbone, generated)), real.mu, real.sigma)
