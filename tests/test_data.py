"""Data loading, on small files fabricated in the real formats (and the real MNIST files if present)."""

from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from maae.config import DataConfig
from maae.data import DataUnavailableError, data_shape, load_split, synthetic, to_model_input

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def small_synthetic(root: Path, **overrides) -> DataConfig:
    values = {
        "name": "synthetic",
        "root": str(root),
        "n": 3,
        "d": 20,
        "hidden": 32,
        "n_train": 300,
        "n_val": 50,
        "n_test": 70,
    }
    return DataConfig(**{**values, **overrides})


def assert_unavailable(cfg: DataConfig, split: str, path: Path) -> str:
    with pytest.raises(DataUnavailableError) as info:
        load_split(cfg, split)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


# ---------------------------------------------------------------- public helpers


def test_to_model_input():
    images = torch.tensor([[0, 51, 255]], dtype=torch.uint8)
    out = to_model_input(images)
    assert out.dtype == torch.float32
    assert torch.allclose(out, torch.tensor([[0.0, 0.2, 1.0]]))
    x = torch.randn(4, 3)
    assert to_model_input(x) is x
    with pytest.raises(TypeError):
        to_model_input(torch.zeros(2, dtype=torch.int64))


def test_data_shape_without_data(tmp_path):
    assert data_shape(DataConfig(name="synthetic", d=37, root=str(tmp_path))) == (37,)
    assert data_shape(DataConfig(name="mnist", root=str(tmp_path))) == (1, 28, 28)
    assert data_shape(DataConfig(name="fashion_mnist", root=str(tmp_path))) == (1, 28, 28)
    assert data_shape(DataConfig(name="cifar10", root=str(tmp_path))) == (3, 32, 32)
    assert data_shape(DataConfig(name="celeba", root=str(tmp_path))) == (3, 64, 64)
    assert not any(tmp_path.iterdir())


def test_unknown_splits(tmp_path):
    with pytest.raises(ValueError, match="train, test"):
        load_split(DataConfig(name="mnist", root=str(tmp_path)), "val")
    with pytest.raises(ValueError, match="train, val, test"):
        load_split(small_synthetic(tmp_path), "validation")


# ---------------------------------------------------------------- synthetic


@pytest.mark.parametrize(("n", "d", "hidden", "layers"), [(3, 20, 32, 2), (16, 128, 128, 2), (5, 7, 9, 1)])
def test_synthetic_shapes(tmp_path, n, d, hidden, layers):
    cfg = small_synthetic(tmp_path, n=n, d=d, hidden=hidden, layers=layers)
    for split, size in (("train", 300), ("val", 50), ("test", 70)):
        x = load_split(cfg, split)
        assert x.shape == (size, d) and x.dtype == torch.float32
        assert synthetic.latents(cfg, split).shape == (size, n)


def test_synthetic_cache_name_and_reuse(tmp_path, monkeypatch):
    cfg = small_synthetic(tmp_path)
    first = load_split(cfg, "train")
    path = tmp_path / "synthetic" / "n3_d20_h32_l2_s0.2_g0_300-50-70.pt"
    assert synthetic.cache_path(cfg) == path and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind

    def fail(_cfg):
        raise AssertionError("regenerated although the cache holds the data set")

    monkeypatch.setattr(synthetic, "generate", fail)
    assert torch.equal(load_split(cfg, "train"), first)
    assert torch.load(path, weights_only=True)["params"] == synthetic.params(cfg)


def test_synthetic_reproducible_from_seed_only(tmp_path):
    a = small_synthetic(tmp_path / "a")
    b = small_synthetic(tmp_path / "b")  # a fresh cache: generated again from the seed
    for split in ("train", "val", "test"):
        assert torch.equal(load_split(a, split), load_split(b, split))
    other = small_synthetic(tmp_path / "a", generator_seed=1)
    assert not torch.allclose(load_split(a, "train"), load_split(other, "train"))


def test_synthetic_is_f_of_z_and_splits_are_disjoint(tmp_path):
    cfg = small_synthetic(tmp_path)
    data = synthetic.load(cfg)
    x = synthetic.apply_f(
        [w.numpy() for w in data["weights"]],
        [b.numpy() for b in data["biases"]],
        data["z"].double().numpy(),
        cfg.negative_slope,
    )
    assert np.allclose(x, data["x"].numpy(), atol=1e-5)
    assert [tuple(w.shape) for w in data["weights"]] == [(3, 32), (32, 20)]
    rows = {split: {tuple(r) for r in synthetic.latents(cfg, split).tolist()} for split in synthetic.SPLITS}
    assert sum(map(len, rows.values())) == 420
    assert not (rows["train"] & rows["val"] or rows["train"] & rows["test"] or rows["val"] & rows["test"])


@pytest.mark.parametrize("layers", [1, 2, 6])
def test_synthetic_not_degenerate(tmp_path, layers):
    cfg = small_synthetic(tmp_path, layers=layers, n_train=2000)
    x = load_split(cfg, "train").double()
    assert torch.isfinite(x).all()
    std = x.std(dim=0)
    assert (std > 0.05).all() and (std < 20).all()
    # f is nonlinear, so the 3-dim manifold spans more than 3 directions of R^20 ...
    assert torch.linalg.matrix_rank(torch.cov(x.T), rtol=1e-6) > cfg.n
    # ... yet locally it is 3-dimensional: nearby z give differences of rank 3.
    data = synthetic.load(cfg)
    w, b = [t.numpy() for t in data["weights"]], [t.numpy() for t in data["biases"]]
    z0 = np.random.default_rng(0).standard_normal((1, cfg.n))
    dz = 1e-6 * np.random.default_rng(1).standard_normal((50, cfg.n))
    dx = synthetic.apply_f(w, b, z0 + dz, cfg.negative_slope) - synthetic.apply_f(
        w, b, z0, cfg.negative_slope
    )
    assert np.linalg.matrix_rank(dx, tol=1e-9) == cfg.n


def test_synthetic_damaged_cache_is_regenerated(tmp_path):
    cfg = small_synthetic(tmp_path)
    expected = load_split(cfg, "val")
    path = synthetic.cache_path(cfg)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.warns(UserWarning, match="unreadable"):
        assert torch.equal(load_split(cfg, "val"), expected)
    torch.save({"params": {}, "x": torch.zeros(1)}, path)
    with pytest.warns(UserWarning, match="expected data set"):
        assert torch.equal(load_split(cfg, "val"), expected)
    assert torch.load(path, weights_only=True)["params"] == synthetic.params(cfg)


def test_synthetic_unwritable_cache_still_gives_data(tmp_path, monkeypatch):
    cfg = small_synthetic(tmp_path)

    def refuse(_path, _obj):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(synthetic, "torch_save", refuse)
    with pytest.warns(UserWarning, match="could not write"):
        x = load_split(cfg, "train")
    assert x.shape == (300, 20)


# ---------------------------------------------------------------- MNIST / Fashion-MNIST


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> None:
    magic = 2049 if array.ndim == 1 else 2051
    payload = struct.pack(f">{array.ndim + 1}I", magic, *array.shape) + array.astype(np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if compress else payload)


def fabricate_idx(raw: Path, sizes=(("train", 12), ("t10k", 5)), compress=True) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    out = {}
    for prefix, n in sizes:
        out[prefix] = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        write_idx(raw / f"{prefix}-images-idx3-ubyte{'.gz' if compress else ''}", out[prefix], compress)
        write_idx(
            raw / f"{prefix}-labels-idx1-ubyte{'.gz' if compress else ''}", rng.integers(0, 10, n), compress
        )
    return out


@pytest.mark.parametrize(("name", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
@pytest.mark.parametrize("compress", [True, False])
def test_idx_images(tmp_path, name, folder, compress):
    written = fabricate_idx(tmp_path / folder / "raw", compress=compress)
    cfg = DataConfig(name=name, root=str(tmp_path))
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = load_split(cfg, split)
        assert images.dtype == torch.uint8 and images.shape == (len(written[prefix]), 1, 28, 28)
        assert np.array_equal(images[:, 0].numpy(), written[prefix])


def test_idx_missing_and_damaged(tmp_path):
    cfg = DataConfig(name="fashion_mnist", root=str(tmp_path))
    raw = tmp_path / "FashionMNIST" / "raw"
    message = assert_unavailable(cfg, "train", raw / "train-images-idx3-ubyte.gz")
    assert "t10k-labels-idx1-ubyte.gz" in message and "fashion-mnist" in message
    fabricate_idx(raw)
    gz = raw / "t10k-images-idx3-ubyte.gz"
    full = gz.read_bytes()
    gz.write_bytes(full[: len(full) // 2])  # truncated download
    assert_unavailable(cfg, "test", gz)
    gz.write_bytes(b"not gzip at all")
    assert_unavailable(cfg, "test", gz)
    write_idx(gz, np.zeros((5, 28, 27), dtype=np.uint8))  # wrong image size
    assert_unavailable(cfg, "test", gz)
    gz.write_bytes(gzip.compress(gzip.decompress(full)[:-10]))  # fewer pixels than the header says
    assert_unavailable(cfg, "test", gz)


def test_real_mnist_and_fashion():
    if not (SHARED_DATA / "MNIST" / "raw").is_dir() or not (SHARED_DATA / "FashionMNIST" / "raw").is_dir():
        pytest.skip(f"real MNIST / Fashion-MNIST files not found under {SHARED_DATA}")
    for name in ("mnist", "fashion_mnist"):
        cfg = DataConfig(name=name, root=str(SHARED_DATA))
        train, test = load_split(cfg, "train"), load_split(cfg, "test")
        assert train.shape == (60000, 1, 28, 28) and test.shape == (10000, 1, 28, 28)
        assert train.dtype == test.dtype == torch.uint8
        assert 20 < train.float().mean() < 120  # real digits / clothes, not an empty array


# ---------------------------------------------------------------- CIFAR-10


def fabricate_cifar(root: Path, per_batch: int = 4) -> dict[str, np.ndarray]:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        batch = {
            b"batch_label": name.encode(),
            b"labels": rng.integers(0, 10, per_batch).tolist(),
            b"data": data,
            b"filenames": [f"img_{i}.png".encode() for i in range(per_batch)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
        written[name] = data
    meta = {b"num_cases_per_batch": per_batch, b"label_names": [b"airplane"] * 10, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return written


def test_cifar10(tmp_path):
    written = fabricate_cifar(tmp_path)
    cfg = DataConfig(name="cifar10", root=str(tmp_path))
    train, test = load_split(cfg, "train"), load_split(cfg, "test")
    assert train.dtype == torch.uint8 and train.shape == (20, 3, 32, 32) and test.shape == (4, 3, 32, 32)
    # Each row is the 1024 red, then green, then blue values; batches concatenate in order.
    assert np.array_equal(train[4, 1].numpy().ravel(), written["data_batch_2"][0, 1024:2048])
    assert np.array_equal(test.numpy().reshape(4, -1), written["test_batch"])


def python2_batch_pickle(data: np.ndarray) -> bytes:
    """{'data': data, 'labels': [0]} as Python 2's cPickle wrote the real batches: str keys and a numpy
    array with str state, which Python 3 can only read back through an ``encoding``."""

    def string(value: bytes) -> bytes:  # BINSTRING: a Python 2 str
        return b"T" + struct.pack("<I", len(value)) + value

    def small(n: int) -> bytes:  # BININT1
        return b"K" + bytes([n])

    rows, cols = data.shape
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n"
        + small(0) + b"\x85" + string(b"b") + b"\x87R"
        + b"(" + small(1) + b"M" + struct.pack("<H", rows) + b"M" + struct.pack("<H", cols) + b"\x86"
        + b"cnumpy\ndtype\n" + string(b"u1") + small(0) + small(1) + b"\x87R"
        + b"(" + small(3) + string(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xff" + small(0) + b"tb"
        + b"\x89" + string(data.tobytes()) + b"tb"
    )  # fmt: skip
    return b"\x80\x02}(" + string(b"data") + array + string(b"labels") + b"]" + small(0) + b"au."


def test_cifar10_reads_python2_pickles(tmp_path):
    fabricate_cifar(tmp_path)
    py2 = np.arange(2 * 3072, dtype=np.uint64).astype(np.uint8).reshape(2, 3072)
    (tmp_path / "cifar-10-batches-py" / "test_batch").write_bytes(python2_batch_pickle(py2))
    test = load_split(DataConfig(name="cifar10", root=str(tmp_path)), "test")
    assert np.array_equal(test.numpy().reshape(2, -1), py2)


def test_cifar10_missing_and_damaged(tmp_path):
    cfg = DataConfig(name="cifar10", root=str(tmp_path))
    folder = tmp_path / "cifar-10-batches-py"
    message = assert_unavailable(cfg, "test", folder / "test_batch")
    assert "cifar-10-python.tar.gz" in message and f"extract it into {tmp_path}" in message
    fabricate_cifar(tmp_path)
    batch = folder / "data_batch_3"
    batch.write_bytes(batch.read_bytes()[:200])  # truncated pickle
    assert_unavailable(cfg, "train", batch)
    batch.write_bytes(b"\x80\x02garbage")
    assert_unavailable(cfg, "train", batch)
    batch.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), dtype=np.uint8)}))  # wrong content
    assert_unavailable(cfg, "train", batch)
    (folder / "test_batch").unlink()
    assert_unavailable(cfg, "test", folder / "test_batch")


# ---------------------------------------------------------------- CelebA

RED, BLUE = (220, 20, 20), (20, 20, 220)


def celeba_image(seed: int) -> Image.Image:
    """A real-size (178x218) aligned image, blue outside and red inside its central 140x140 square."""
    array = np.empty((218, 178, 3), dtype=np.uint8)
    array[:] = BLUE
    array[39:179, 19:159] = RED
    array[39:179, 19:159, 1] += np.uint8(seed)  # distinct images
    return Image.fromarray(array)


def fabricate_celeba(root: Path, partitions=(0, 0, 1, 2, 0, 2)) -> Path:
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    lines = []
    for i, partition in enumerate(partitions):
        name = f"{i + 1:06d}.jpg"
        celeba_image(i).save(folder / "img_align_celeba" / name, quality=95)
        lines.append(f"{name} {partition}\n")
    (folder / "list_eval_partition.txt").write_text("".join(lines))
    return folder


def test_celeba_crop_resize_and_cache(tmp_path, monkeypatch):
    folder = fabricate_celeba(tmp_path)
    cfg = DataConfig(name="celeba", root=str(tmp_path))
    train = load_split(cfg, "train")
    assert train.dtype == torch.uint8 and train.shape == (3, 3, 64, 64)
    assert load_split(cfg, "test").shape == (2, 3, 64, 64)
    # Only the red centre survives the crop: any offset of a few pixels would bring in blue at an edge.
    inner = train[:, :, 1:-1, 1:-1].int()
    assert (inner[:, 0] > 180).all() and (inner[:, 2] < 70).all()
    assert (train[:, 1, 32, 32].int() - torch.tensor([20, 21, 24])).abs().max() <= 6  # files 1, 2, 5 in order
    cache = folder / "cache" / "celeba140_64_train.pt"
    assert cache.is_file() and (folder / "cache" / "celeba140_64_test.pt").is_file()

    def fail(*_args, **_kwargs):
        raise AssertionError("decoded although the cache holds the split")

    monkeypatch.setattr("maae.data.images._celeba_build", fail)
    assert torch.equal(load_split(cfg, "train"), train)


def test_celeba_damaged_cache_is_rebuilt(tmp_path):
    folder = fabricate_celeba(tmp_path)
    cfg = DataConfig(name="celeba", root=str(tmp_path))
    expected = load_split(cfg, "test")
    cache = folder / "cache" / "celeba140_64_test.pt"
    cache.write_bytes(b"truncated")
    with pytest.warns(UserWarning, match="unreadable"):
        assert torch.equal(load_split(cfg, "test"), expected)
    assert torch.equal(torch.load(cache, weights_only=True), expected)


def test_celeba_missing_and_damaged(tmp_path):
    cfg = DataConfig(name="celeba", root=str(tmp_path))
    folder = tmp_path / "celeba"
    message = assert_unavailable(cfg, "train", folder / "list_eval_partition.txt")
    assert "img_align_celeba.zip" in message and "CelebA" in message
    fabricate_celeba(tmp_path)
    listing = folder / "list_eval_partition.txt"
    listing.write_text("000001.jpg 0\nnonsense\n")
    assert_unavailable(cfg, "train", listing)
    listing.write_text("000001.jpg 0\n000002.jpg 1\n")  # no test images listed
    assert_unavailable(cfg, "test", listing)
    listing.write_text("000001.jpg 0\n000002.jpg 0\n000003.jpg 2\n000007.jpg 2\n")
    assert_unavailable(cfg, "test", folder / "img_align_celeba" / "000007.jpg")
    jpg = folder / "img_align_celeba" / "000002.jpg"
    jpg.write_bytes(jpg.read_bytes()[:300])  # truncated image
    assert_unavailable(cfg, "train", jpg)
    jpg.write_bytes(b"not a jpeg")
    assert_unavailable(cfg, "train", jpg)
    for image in (folder / "img_align_celeba").iterdir():
        image.unlink()
    (folder / "img_align_celeba").rmdir()
    assert_unavailable(cfg, "train", folder / "img_align_celeba")
