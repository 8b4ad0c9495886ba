"""Class labels of the image data sets, for training the offline metric's classifier (maae.data reads
images only). Same files and folders as maae.data.images; CelebA has no class labels there."""

from __future__ import annotations

import gzip
import pickle
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from maae.config import DataConfig
from maae.data.images import CIFAR_URL, IDX_SOURCES, DataUnavailableError
from maae.metrics.options import LABELLED


def load_labels(cfg: DataConfig, split: str) -> torch.Tensor:
    """int64 labels (N,) of a train or test split, row-aligned with maae.data.load_split."""
    root = Path(cfg.root).expanduser().absolute()
    if cfg.name in IDX_SOURCES:
        return _idx_labels(cfg.name, root, split)
    if cfg.name == "cifar10":
        return _cifar10_labels(root, split)
    raise ValueError(f"{cfg.name} has no class labels in this suite (labelled: {', '.join(LABELLED)})")


def _missing(path: Path, problem: str, how: str) -> DataUnavailableError:
    return DataUnavailableError(f"{path}: {problem}; {how}")


def _idx_labels(name: str, root: Path, split: str) -> torch.Tensor:
    folder, url = IDX_SOURCES[name]
    raw = root / folder / "raw"
    stem = f"{'train' if split == 'train' else 't10k'}-labels-idx1-ubyte"
    how = f"download {stem}.gz from {url} into {raw} (gzipped or extracted)"
    path = next((p for p in (raw / stem, raw / f"{stem}.gz") if p.is_file()), None)
    if path is None:
        raise _missing(raw / f"{stem}.gz", "missing (nor is the extracted file there)", how)
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise _missing(path, f"unreadable ({err})", how) from err
    header = struct.unpack(">2I", data[:8]) if len(data) >= 8 else None
    if header is None or header[0] != 2049 or len(data) != 8 + header[1]:
        raise _missing(path, "not an idx label file (bad header or length)", how)
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=8).astype(np.int64))


def _cifar10_labels(root: Path, split: str) -> torch.Tensor:
    folder = root / "cifar-10-batches-py"
    how = f"download cifar-10-python.tar.gz from {CIFAR_URL} and extract it into {root}"
    names = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    labels = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise _missing(path, "missing", how)
        try:
            with path.open("rb") as f:
                batch = pickle.load(f, encoding="bytes")  # trusted as maae.data.images trusts it
            labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
        except Exception as err:
            raise _missing(path, f"no readable b'labels' ({type(err).__name__}: {err})", how) from err
    return torch.from_numpy(np.concatenate(labels))
