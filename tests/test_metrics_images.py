"""Image metrics on small fake data sets: the FID path with a random-weight stand-in of pytorch-fid's
InceptionV3 (no download), the missing-weights error, the label readers and the offline fd_lenet."""

from __future__ import annotations

import gzip
import json
import pickle
import struct
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import tiny_overrides
from test_cli import assert_one_error_line, cli

from maae.config import DataConfig, RunConfig
from maae.data import DataUnavailableError, load_split
from maae.metrics import fid, offline
from maae.metrics.images import Backbone, extract, image_fd, minmax_per_image, real_statistics
from maae.metrics.labels import load_labels
from maae.metrics.score import ScoreOptions, score_run
from maae.train import train

N_TRAIN, N_TEST = 200, 40


def fake_digits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """28x28 uint8 images whose class (0-9) decides where a bright square sits, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
    for image, k in zip(images, labels, strict=True):
        r, c = 3 + 12 * (k // 5), 2 + 5 * (k % 5)
        image[r : r + 10, c : c + 5] = 255
    return images, labels


def write_fake_mnist(root: Path, gz: bool = False) -> Path:
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", N_TRAIN, 0), ("t10k", N_TEST, 1)):
        images, labels = fake_digits(n, seed)
        files = {
            f"{prefix}-images-idx3-ubyte": struct.pack(">4I", 2051, n, 28, 28) + images.tobytes(),
            f"{prefix}-labels-idx1-ubyte": struct.pack(">2I", 2049, n) + labels.tobytes(),
        }
        for name, data in files.items():
            (raw / (name + ".gz" if gz else name)).write_bytes(gzip.compress(data) if gz else data)
    return root


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_fake_mnist(tmp_path_factory.mktemp("fake_mnist"))


@pytest.fixture(scope="module")
def stand_in() -> Backbone:
    """pytorch-fid's InceptionV3 with random weights."""
    return fid.inception_backbone(fid.build_inception(fid.random_state_dict(0)), "random-s0", batch_size=8)


# ---------------------------------------------------------------- FID with the stand-in network


def test_fid_path_with_stand_in_network(stand_in, mnist_root: Path, tmp_path: Path) -> None:
    real = load_split(DataConfig(name="mnist", root=str(mnist_root)), "test")[:6]
    stats = real_statistics(stand_in, real, "mnist", "test", tmp_path)
    assert stats.mu.shape == (2048,) and stats.sigma.shape == (2048, 2048) and not stats.from_cache
    assert list(tmp_path.glob("stats_mnist_test_6_inception-pool3-random-s0-fp32.npz"))
    again = real_statistics(stand_in, real, "mnist", "test", tmp_path)
    assert (
        again.from_cache and np.array_equal(again.mu, stats.mu) and np.array_equal(again.sigma, stats.sigma)
    )
    # the same images as floats in [0, 1] (how generated images arrive) score ~0 against their statistics
    assert abs(image_fd(stand_in, real.float() / 255, stats)) < 1e-5 * np.trace(stats.sigma)  # rank 5 of 2048


def test_real_statistics_cache_key(tmp_path: Path) -> None:
    flat = Backbone("pixels", lambda x: x.flatten(1)[:, :20], torch.device("cpu"))
    real = torch.randint(
        0, 256, (8, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(2)
    )
    first = real_statistics(flat, real, "mnist", "test", tmp_path)
    assert real_statistics(flat, real, "mnist", "test", tmp_path).from_cache
    changed = real.clone()
    changed[0, 0, 0, 0] ^= 1
    assert not real_statistics(flat, changed, "mnist", "test", tmp_path).from_cache  # same file, new images
    assert not real_statistics(flat, real[:7], "mnist", "test", tmp_path).from_cache  # another count
    assert not real_statistics(
        Backbone("other", flat.features, flat.device), real, "mnist", "test", tmp_path
    ).from_cache
    assert len(list(tmp_path.glob("stats_*.npz"))) == 3
    (tmp_path / "stats_mnist_test_8_pixels.npz").write_bytes(b"damaged")
    with pytest.warns(UserWarning, match="unreadable"):
        again = real_statistics(flat, real, "mnist", "test", tmp_path)
    assert not again.from_cache and np.array_equal(again.sigma, first.sigma)


def test_inception_input_handling(stand_in) -> None:
    x = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    grey = extract(stand_in, x)
    assert grey.shape == (2, 2048) and grey.dtype == np.float64
    np.testing.assert_allclose(extract(stand_in, x.expand(-1, 3, -1, -1)), grey, rtol=1e-6)
    plain = fid.inception_backbone(
        fid.build_inception(fid.random_state_dict(0)), "plain", channels_last=False
    )
    np.testing.assert_allclose(extract(plain, x), grey, rtol=1e-4, atol=1e-6)


def test_minmax_per_image() -> None:
    x = torch.stack([torch.linspace(0.2, 0.6, 16).view(1, 4, 4), torch.full((1, 4, 4), 0.3)])
    y = minmax_per_image(x)
    assert y[0].min() == 0 and y[0].max() == 1 and torch.equal(y[1], torch.zeros(1, 4, 4))


def test_build_inception_takes_only_the_given_weights() -> None:
    state = fid.random_state_dict(1)
    model = fid.build_inception(state)
    name = "Mixed_7c.branch_pool.conv.weight"
    assert torch.equal(dict(model.blocks[3].named_parameters())[name.replace("Mixed_7c", "2")], state[name])
    with pytest.raises(RuntimeError, match="Missing key"):
        fid.build_inception({k: v for k, v in state.items() if "Mixed_7c" not in k})


# ---------------------------------------------------------------- missing weights


def test_missing_weights_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    path = tmp_path / "torch" / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth"
    assert fid.weights_path() == path

    with pytest.raises(fid.WeightsUnavailableError) as err:
        fid.load_weights(download=False)
    message = str(err.value)
    assert str(path) in message and fid.WEIGHTS_URL in message and "\n" not in message

    def offline_download(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline_download)
    with pytest.raises(fid.WeightsUnavailableError, match="download failed.*no network"):
        fid.fid_backbone()

    path.write_bytes(b"not the weights")
    with pytest.raises(fid.WeightsUnavailableError, match="not pytorch-fid's weights"):
        fid.load_weights()


def test_score_cli_without_weights_is_one_error_line(
    capsys, mnist_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    run = tmp_path / "run"
    train(mnist_cfg(mnist_root, tmp_path), run)
    code, _, err = cli(capsys, "score", "--run", run, "--metrics", "fid,nac", "--no-download")
    assert_one_error_line(code, err, str(tmp_path / "torch" / "hub" / "checkpoints"))
    assert not (run / "scores.json").exists()


# ---------------------------------------------------------------- labels and fd_lenet


def test_idx_and_cifar_labels(tmp_path: Path) -> None:
    root = write_fake_mnist(tmp_path / "gz", gz=True)
    labels = load_labels(DataConfig(name="mnist", root=str(root)), "train")
    assert labels.dtype == torch.int64 and torch.equal(
        labels, torch.from_numpy(fake_digits(N_TRAIN, 0)[1]).long()
    )

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for i, name in enumerate([*(f"data_batch_{j}" for j in range(1, 6)), "test_batch"]):
        batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [i, 9 - i]}
        (folder / name).write_bytes(pickle.dumps(batch))
    cifar = DataConfig(name="cifar10", root=str(tmp_path))
    assert load_labels(cifar, "train").tolist() == [0, 9, 1, 8, 2, 7, 3, 6, 4, 5]
    assert load_labels(cifar, "test").tolist() == [5, 4]

    (folder / "test_batch").write_bytes(b"garbage")
    with pytest.raises(DataUnavailableError, match="test_batch"):
        load_labels(cifar, "test")
    with pytest.raises(ValueError, match="no class labels"):
        load_labels(DataConfig(name="celeba"), "train")


def test_fd_lenet_trains_once_deterministically(mnist_root: Path, tmp_path: Path) -> None:
    data = DataConfig(name="mnist", root=str(mnist_root))
    net, record = offline.load_or_train(data, tmp_path, epochs=2)
    assert 0 <= record["test_accuracy"] <= 1 and record["epochs"] == 2
    (cache,) = tmp_path.glob("lenet_mnist_e2_s0.pt")
    retrained = offline.train_lenet(load_split(data, "train"), load_labels(data, "train"), epochs=2, seed=0)
    for a, b in zip(net.state_dict().values(), retrained.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    mtime = cache.stat().st_mtime_ns
    backbone, again = offline.lenet_backbone(data, tmp_path, epochs=2)
    assert cache.stat().st_mtime_ns == mtime and again == record  # read from the cache
    assert backbone.name.startswith("lenet-mnist-e2-s0-")
    # another classifier (here: its weights nudged in the cache) is another backbone, so its real
    # statistics are never read from the cache the first one wrote
    state = torch.load(cache, weights_only=False)
    first = next(iter(state["model"]))
    state["model"][first] = state["model"][first] + 1e-3
    torch.save(state, cache)
    other, _ = offline.lenet_backbone(data, tmp_path, epochs=2)
    assert other.name != backbone.name and other.name.rsplit("-w", 1)[0] == backbone.name.rsplit("-w", 1)[0]
    assert extract(backbone, load_split(data, "test")).shape == (N_TEST, offline.FEATURES)
    with pytest.raises(ValueError, match="celeba has no class labels"):
        offline.load_or_train(DataConfig(name="celeba"), tmp_path)


# ---------------------------------------------------------------- scoring an image run


def mnist_cfg(root: Path, tmp_path: Path) -> RunConfig:
    overrides = {**tiny_overrides(tmp_path), "data.name": "mnist", "data.root": str(root), "model.m": 6}
    return RunConfig().replace(**{**overrides, "train.steps": 2, "train.checkpoint_every": 2})


def test_scoring_runs_without_tf32_and_restores_the_callers_choice(mnist_root: Path, tmp_path: Path) -> None:
    """cuDNN may use TF32 by default on a GPU; features are computed without it (the flags are read where a
    backbone runs: this CPU cannot show the kernels), and a caller's own setting comes back after."""
    run = tmp_path / "run"
    train(mnist_cfg(mnist_root, tmp_path), run)
    seen = []

    def features(x: torch.Tensor) -> torch.Tensor:
        seen.append((torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32))
        return F.avg_pool2d(x, 7).flatten(1)

    opts = ScoreOptions(metrics=("fid",), n_samples=20, n_real=20, cache_dir=str(tmp_path / "cache"))
    before = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        score_run(run, opts, inception=Backbone("recording", features, torch.device("cpu")))
        assert seen and set(seen) == {(False, False)}
        assert (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32) == (True, True)
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = before


def test_score_image_run(mnist_root: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    train(mnist_cfg(mnist_root, tmp_path), run)
    # any Backbone can stand in for the Inception network: its own path is tested above
    pooled = Backbone("pooled-pixels", lambda x: F.avg_pool2d(x, 7).flatten(1), torch.device("cpu"))
    opts = ScoreOptions(
        n_samples=20, n_real=20, n_codes=30, lenet_epochs=1, cache_dir=str(tmp_path / "cache")
    )
    result = score_run(run, opts, inception=pooled)
    scores = result["scores"]
    assert set(scores) == {"fid", "fd_lenet", "nac"}
    assert scores["fid"]["backbone"] == "pooled-pixels" and scores["fd_lenet"]["backbone"].startswith(
        "lenet-"
    )
    for name in ("fid", "fd_lenet"):
        assert scores[name]["n_generated"] == 20 and scores[name]["n_real"] == 20
        assert np.isfinite(scores[name]["value"]) and scores[name]["generated_minmax"] is True
    assert "not FID" in scores["fd_lenet"]["note"]
    assert len(scores["nac"]["matrix"]) == 6 and scores["nac"]["n_codes"] == 30
    assert len(scores["nac"]["active"]) == result["m_active"]
    assert json.loads((run / "scores.json").read_text()) == result
