"""The paper's data sets, each split returned whole as one tensor.

Synthetic data come as float32 (N, d); images stay uint8 (N, C, H, W) to keep memory low, and the trainer
turns each batch into model input with to_model_input.
"""

from __future__ import annotations

from pathlib import Path

import torch

from maae.config import IMAGE_DATASETS, DataConfig
from maae.data import images, synthetic
from maae.data.images import IMAGE_SHAPES, DataUnavailableError

__all__ = ["DataUnavailableError", "data_shape", "load_split", "missing", "splits", "to_model_input"]


def splits(name: str) -> tuple[str, ...]:
    """The splits a data set has: the image sets ship only train and test."""
    if name == "synthetic":
        return synthetic.SPLITS
    if name in IMAGE_DATASETS:
        return ("train", "test")
    raise ValueError(f"unknown data set {name!r} (known: synthetic, {', '.join(IMAGE_DATASETS)})")


def load_split(cfg: DataConfig, split: str) -> torch.Tensor:
    supported = splits(cfg.name)
    if split not in supported:
        raise ValueError(f"{cfg.name} has no split {split!r} (supported: {', '.join(supported)})")
    if cfg.name == "synthetic":
        return synthetic.load_split(cfg, split)
    return images.load_split(cfg.name, Path(cfg.root).expanduser().absolute(), split)


def data_shape(cfg: DataConfig) -> tuple[int, ...]:
    """Shape of one sample, known from the config alone, so networks can be built before data load."""
    if cfg.name == "synthetic":
        return (cfg.d,)
    if cfg.name in IMAGE_SHAPES:
        return IMAGE_SHAPES[cfg.name]
    raise ValueError(f"unknown data set {cfg.name!r} (known: synthetic, {', '.join(IMAGE_SHAPES)})")


def to_model_input(batch: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float32 in [0, 1]; float data pass unchanged."""
    if batch.dtype == torch.uint8:
        return batch.float().div_(255.0)
    if batch.is_floating_point():
        return batch
    raise TypeError(f"expected uint8 images or float data, got {batch.dtype}")


def missing(cfg: DataConfig) -> str | None:
    """Why a data set cannot be read (one line naming the expected path), or None when its files are there.

    Synthetic data are generated on demand, so they are never missing.
    """
    if cfg.name == "synthetic":
        return None
    try:
        images.check_present(cfg.name, Path(cfg.root).expanduser().absolute())
    except DataUnavailableError as err:
        return str(err)
    return None
