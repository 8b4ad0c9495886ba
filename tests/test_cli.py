"""``python -m maae``: commands, outputs, and one-line errors (exit code 2) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import D, M, tiny_overrides, write_yaml

from maae.cli import main


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exit_:
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def tiny_sets(root: Path) -> list[str]:
    """--set options for a tiny run: should a bad value slip through, the run it starts is short."""
    return [arg for key, value in tiny_overrides(root).items() for arg in ("--set", f"{key}={value}")]


def assert_one_error_line(code: int, err: str, names: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "error: " in line]
    assert len(lines) == 1, err
    assert names in lines[0]


def test_help_lists_commands(capsys) -> None:
    code, out, _ = cli(capsys, "--help")
    assert code == 0
    for command in ("train", "sample", "encode", "config"):
        assert command in out


def test_config_prints_resolved_json(capsys) -> None:
    code, out, _ = cli(capsys, "config", "--set", "model.m=4", "-s", "data.name=mnist")
    assert code == 0
    cfg = json.loads(out)
    assert cfg["model"]["m"] == 4
    resolved = (cfg["model"]["arch"], cfg["model"]["recon"], cfg["model"]["lambda3"])
    assert resolved == ("dense1024", "bce_clipped", 0.5)


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("model.m=0", "model.m"),
        ("data.name=foo", "data.name"),
        ("train.steps=-1", "train.steps"),
        ("model.bogus=1", "model.bogus"),
        ("model.kind=maybe", "model.kind"),
    ],
)
def test_bad_override_is_one_error_line(override: str, key: str, capsys, data_root, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "train", *tiny_sets(data_root), "--set", override, "--out", tmp_path / "run")
    assert_one_error_line(code, err, key)
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "run").exists(), "a bad config must fail before anything is written"


def test_unknown_option(capsys, data_root, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "train", *tiny_sets(data_root), "--out", tmp_path, "--bogus")
    assert_one_error_line(code, err, "--bogus")


def test_missing_config_file(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, _, err = cli(capsys, "config", "--config", missing)
    assert_one_error_line(code, err, str(missing))


def test_missing_cifar_files(capsys, tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    code, _, err = cli(
        capsys,
        "train",
        *tiny_sets(root),
        *("--set", "data.name=cifar10", "--set", "model.width=null", "--out", tmp_path / "run"),
    )
    assert_one_error_line(code, err, str(root / "cifar-10-batches-py"))
    assert err.count("\n") == 1
    assert not (tmp_path / "run" / "model.pt").exists()


def test_sample_from_unfinished_run(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "sample", "--run", tmp_path, "--out", tmp_path / "x.npy")
    assert_one_error_line(code, err, str(tmp_path / "model.pt"))


def test_train_sample_encode(capsys, make_cfg, tmp_path: Path) -> None:
    run = tmp_path / "run"
    code, out, _ = cli(capsys, "train", "-c", write_yaml(tmp_path / "cfg.yaml", make_cfg()), "-o", run)
    assert code == 0 and "m_A=" in out
    assert (run / "model.pt").is_file()

    code, _, _ = cli(capsys, "sample", "--run", run, "-n", 7, "--seed", 1, "--out", tmp_path / "x.npy")
    assert code == 0
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (7, D) and x.dtype == np.float32 and np.isfinite(x).all()

    code, _, err = cli(capsys, "sample", "--run", run, "-n", 0, "--out", tmp_path / "none.npy")
    assert_one_error_line(code, err, "-n")

    for split, limit, rows in [("test", None, 128), ("val", None, 64), ("train", 5, 5)]:
        path = tmp_path / f"codes_{split}.npy"
        extra = ["--limit", limit] if limit is not None else []
        code, _, _ = cli(capsys, "encode", "--run", run, "--split", split, *extra, "--out", path)
        assert code == 0
        codes = np.load(path)
        assert codes.shape == (rows, M) and np.isfinite(codes).all()
        assert torch.from_numpy(codes).std() > 0


def test_encode_unknown_split(capsys, maae_run: Path, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "encode", "--run", maae_run, "--split", "nope", "--out", tmp_path / "c.npy")
    assert_one_error_line(code, err, "nope")
