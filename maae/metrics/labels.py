"""Class labels of the image data sets, for training the offline metric's classifier (maae.data reads
images only). Same files and folders as maae.data.images; CelebA has no class labels there."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import torch

from maae.config import DataConfig
from maae.data.images import IDX_SOURCES, cifar_how, idx_how, read_cifar_batches, read_idx, unavailable
from maae.metrics.options import LABELLED


def load_labels(cfg: DataConfig, split: str) -> torch.Tensor:
    """int64 labels (N,) of a train or test split, row-aligned with maae.data.load_split."""
    root = Path(cfg.root).expanduser().absolute()
    if cfg.name in IDX_SOURCES:
        return _idx_labels(cfg.name, root, split)
    if cfg.name == "cifar10":
        return _cifar10_labels(root, split)
    raise ValueError(f"{cfg.name} has no class labels in this suite (labelled: {', '.join(LABELLED)})")


def _idx_labels(name: str, root: Path, split: str) -> torch.Tensor:
    path, data = read_idx(name, root, "labels", split)
    header = struct.unpack(">2I", data[:8]) if len(data) >= 8 else None
    if header is None or header[0] != 2049 or len(data) != 8 + header[1]:
        raise unavailable(path, "not an idx label file (bad header or length)", idx_how(name, root))
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64))


def _cifar10_labels(root: Path, split: str) -> torch.Tensor:
    labels = []
    for path, batch in read_cifar_batches(root, split):
        if not isinstance(batch.get(b"labels"), list):
            raise unavailable(path, "not a CIFAR-10 python batch (no b'labels' list)", cifar_how(root))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return torch.from_numpy(np.concatenate(labels))
