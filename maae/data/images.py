"""Image data sets as whole uint8 tensors (N, C, H, W), read from the files their publishers distribute.

Own readers rather than torchvision's data set classes, for a reason each:
- MNIST / Fashion-MNIST: torchvision 0.29 reads only the extracted idx files and ignores ``*.gz``; we take
  either, so a read-only folder holding only the downloaded ``.gz`` files works as is.
- CIFAR-10: torchvision refuses any batch whose md5 differs from the official one and then says only "not
  found or corrupted"; we read the same python pickles and check their structure, naming the bad file.
  The batches are pickles, trusted here exactly as torchvision (and the CIFAR site's own loader) trusts them.
- CelebA: torchvision's class requires every attribute file and md5; we need only the images and the
  train/val/test partition.
Every missing or damaged file raises DataUnavailableError with one line naming it and how to obtain it.
"""

from __future__ import annotations

import gzip
import os
import pickle
import struct
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from maae.io import read_cache, torch_save

IMAGE_SHAPES: dict[str, tuple[int, int, int]] = {
    "mnist": (1, 28, 28),
    "fashion_mnist": (1, 28, 28),
    "cifar10": (3, 32, 32),
    "celeba": (3, 64, 64),
}
IDX_SOURCES = {  # data set -> (torchvision's folder name, download address)
    "mnist": ("MNIST", "https://ossci-datasets.s3.amazonaws.com/mnist/"),
    "fashion_mnist": ("FashionMNIST", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
}
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"
CELEBA_URL = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
CELEBA_CROP = 140  # the authors' celeba140: centre 140x140 crop of the 178x218 aligned images ...
CELEBA_SIZE = 64  # ... resized (bilinear, antialiased) to 64x64
CELEBA_PARTITIONS = {"train": 0, "test": 2}  # list_eval_partition.txt: 0 train, 1 val, 2 test
CELEBA_CHUNK = 512  # images decoded per resize batch: bounds the memory of the full-size crops


class DataUnavailableError(RuntimeError):
    """A data file is missing or unreadable; the one-line message names it and says how to obtain it."""


def unavailable(path: Path, problem: str, how: str) -> DataUnavailableError:
    return DataUnavailableError(" ".join(f"{path}: {problem}; {how}".split()))


def load_split(name: str, root: Path, split: str) -> torch.Tensor:
    """The whole split as uint8 (N, C, H, W); split is "train" or "test"."""
    if name in IDX_SOURCES:
        return _idx_images(name, root, split)
    if name == "cifar10":
        return _cifar10(root, split)
    if name == "celeba":
        return _celeba(root, split)
    raise ValueError(f"unknown image data set {name!r} (known: {', '.join(IMAGE_SHAPES)})")


def idx_how(name: str, root: Path) -> str:
    folder, url = IDX_SOURCES[name]
    return (
        f"download train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
        f"t10k-labels-idx1-ubyte.gz from {url} into {root / folder / 'raw'} (gzipped or extracted)"
    )


def _idx_stem(kind: str, split: str) -> str:
    return f"{'train' if split == 'train' else 't10k'}-{kind}-idx{3 if kind == 'images' else 1}-ubyte"


def read_idx(name: str, root: Path, kind: str, split: str) -> tuple[Path, bytes]:
    """The decompressed bytes of one MNIST-format file (``kind`` images or labels), extracted or .gz."""
    raw = root / IDX_SOURCES[name][0] / "raw"
    stem = _idx_stem(kind, split)
    path = next((p for p in (raw / stem, raw / f"{stem}.gz") if p.is_file()), None)
    if path is None:
        raise unavailable(
            raw / f"{stem}.gz", "missing (nor is the extracted file there)", idx_how(name, root)
        )
    try:
        data = path.read_bytes()
        return path, gzip.decompress(data) if path.suffix == ".gz" else data
    except (OSError, EOFError, zlib.error) as err:
        raise unavailable(path, f"unreadable ({err})", idx_how(name, root)) from err


def _idx_images(name: str, root: Path, split: str) -> torch.Tensor:
    path, data = read_idx(name, root, "images", split)
    header = struct.unpack(">4I", data[:16]) if len(data) >= 16 else None
    if header is None or header[0] != 2051 or header[2:] != (28, 28) or len(data) != 16 + header[1] * 784:
        raise unavailable(
            path, "not an idx file of 28x28 uint8 images (bad header or length)", idx_how(name, root)
        )
    return torch.from_numpy(np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28).copy())


def cifar_how(root: Path) -> str:
    return f"download cifar-10-python.tar.gz from {CIFAR_URL} and extract it into {root}"


def _cifar_names(split: str) -> list[str]:
    return [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]


def read_cifar_batches(root: Path, split: str) -> list[tuple[Path, dict]]:
    """The unpickled CIFAR-10 python batches of a split, in order, each with its path."""
    folder = root / "cifar-10-batches-py"
    batches = []
    for path in (folder / name for name in _cifar_names(split)):
        if not path.is_file():
            raise unavailable(path, "missing", cifar_how(root))
        try:
            with path.open("rb") as f:
                batch = pickle.load(f, encoding="bytes")
        except Exception as err:
            raise unavailable(path, f"unreadable ({type(err).__name__}: {err})", cifar_how(root)) from err
        if not isinstance(batch, dict):
            raise unavailable(path, "not a CIFAR-10 python batch (no dict inside)", cifar_how(root))
        batches.append((path, batch))
    return batches


def _cifar10(root: Path, split: str) -> torch.Tensor:
    arrays = []
    for path, batch in read_cifar_batches(root, split):
        data = batch.get(b"data")
        if not (
            isinstance(data, np.ndarray)
            and data.dtype == np.uint8
            and data.ndim == 2
            and data.shape[1] == 3072
        ):
            raise unavailable(
                path,
                "not a CIFAR-10 python batch (no b'data' uint8 array of shape (N, 3072))",
                cifar_how(root),
            )
        arrays.append(data.reshape(-1, 3, 32, 32))  # rows hold the R, G and B planes in turn: already CHW
    return torch.from_numpy(np.concatenate(arrays))


def _celeba(root: Path, split: str) -> torch.Tensor:
    """Decoding ~200k JPEGs takes minutes, so each preprocessed split is cached once under celeba/cache/
    (delete that folder after changing the source files)."""
    folder = root / "celeba"
    cache = _celeba_cache(folder, split)
    images = read_cache(cache, "CelebA cache", mmap=True)
    if images is not None:
        if (
            isinstance(images, torch.Tensor)
            and images.dtype == torch.uint8
            and images.shape[1:] == IMAGE_SHAPES["celeba"]
        ):
            return images
        warnings.warn(f"CelebA cache {cache} does not hold {split} images; rebuilding it", stacklevel=3)
    images = _celeba_build(folder, split)
    try:
        torch_save(cache, images)
    except OSError as err:  # e.g. a read-only data folder: the images are still correct, just not cached
        warnings.warn(f"could not write CelebA cache {cache} ({err})", stacklevel=3)
    return images


def _celeba_cache(folder: Path, split: str) -> Path:
    return folder / "cache" / f"celeba{CELEBA_CROP}_{CELEBA_SIZE}_{split}.pt"


def _celeba_files(folder: Path, split: str, how: str) -> list[Path]:
    listing = folder / "list_eval_partition.txt"
    if not listing.is_file():
        raise unavailable(listing, "missing", how)
    try:
        lines = listing.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise unavailable(listing, f"unreadable ({err})", how) from err
    wanted = str(CELEBA_PARTITIONS[split])
    files = []
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2 or fields[1] not in ("0", "1", "2"):
            raise unavailable(listing, f"line {number} is not '<image>.jpg <0|1|2>'", how)
        if fields[1] == wanted:
            files.append(folder / "img_align_celeba" / fields[0])
    if not files:
        raise unavailable(listing, f"lists no image of partition {wanted} ({split})", how)
    return files


def _celeba_build(folder: Path, split: str) -> torch.Tensor:
    how = (
        "place img_align_celeba/ (unzipped img_align_celeba.zip) and list_eval_partition.txt from the CelebA "
        f"site ({CELEBA_URL}) in {folder}"
    )
    files = _celeba_files(folder, split, how)
    if not files[0].parent.is_dir():
        raise unavailable(files[0].parent, "missing", how)
    out = torch.empty((len(files), *IMAGE_SHAPES["celeba"]), dtype=torch.uint8)
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:  # PIL decodes without holding the GIL
        for start in range(0, len(files), CELEBA_CHUNK):
            crops = list(pool.map(partial(_celeba_crop, how=how), files[start : start + CELEBA_CHUNK]))
            out[start : start + len(crops)] = TF.resize(
                torch.stack(crops), [CELEBA_SIZE, CELEBA_SIZE], antialias=True
            )
    return out


def _celeba_crop(path: Path, how: str) -> torch.Tensor:
    try:
        with Image.open(path) as image:
            rgb = np.array(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as err:  # PIL's errors for missing, truncated or foreign files
        raise unavailable(path, f"unreadable image ({err})", how) from err
    return TF.center_crop(torch.from_numpy(rgb).permute(2, 0, 1), [CELEBA_CROP, CELEBA_CROP])


def check_present(name: str, root: Path) -> None:
    """Raise DataUnavailableError unless a data set's files are where load_split looks (no decoding).

    Cheap enough to run for every data set when a workflow is planned, so a missing data set is known before
    any job starts; a damaged file is still only found when it is read.
    """
    if name in IDX_SOURCES:
        for kind in ("images", "labels"):
            for split in ("train", "test"):
                raw = root / IDX_SOURCES[name][0] / "raw"
                stem = _idx_stem(kind, split)
                if not ((raw / stem).is_file() or (raw / f"{stem}.gz").is_file()):
                    raise unavailable(
                        raw / f"{stem}.gz", "missing (nor is the extracted file there)", idx_how(name, root)
                    )
    elif name == "cifar10":
        folder = root / "cifar-10-batches-py"
        for batch in _cifar_names("train") + _cifar_names("test"):
            if not (folder / batch).is_file():
                raise unavailable(folder / batch, "missing", cifar_how(root))
    elif name == "celeba":
        folder = root / "celeba"
        cached = all(_celeba_cache(folder, split).is_file() for split in CELEBA_PARTITIONS)
        how = f"place img_align_celeba/ and list_eval_partition.txt from {CELEBA_URL} in {folder}"
        for path in (folder / "list_eval_partition.txt", folder / "img_align_celeba"):
            if not cached and not path.exists():
                raise unavailable(path, "missing", how)
    else:
        raise ValueError(f"unknown image data set {name!r} (known: {', '.join(IMAGE_SHAPES)})")
