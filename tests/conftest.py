"""Shared fixtures: tiny CPU configs on a small synthetic data set, and one finished run to read."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from maae.config import RunConfig
from maae.train import train

M = 4
D = 16


def tiny_overrides(root: Path) -> dict[str, Any]:
    """Dotted-key settings small enough that a 20-step run takes a fraction of a second."""
    return {
        "data.root": str(root),
        "data.n": 3,
        "data.d": D,
        "data.hidden": 32,
        "data.n_train": 256,
        "data.n_val": 64,
        "data.n_test": 128,
        "model.m": M,
        "model.width": 32,
        "train.steps": 20,
        "train.batch_size": 16,
        "train.critic_steps": 2,
        "train.checkpoint_every": 10,
        # lambda3 doubling and the learning-rate drop within a few steps, so that resuming must restore them
        "train.lambda3_interval": 7,
        "train.lr_drop": "lr",
        "train.lr_drop_step": 12,
        "train.log_every": 5,
        "train.threads": 1,
        "train.progress": "none",
        "train.device": "cpu",
    }


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic data cache for the whole session."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="session")
def make_cfg(data_root: Path) -> Callable[..., RunConfig]:
    """make_cfg(**{"model.m": 8}) -> a validated tiny RunConfig."""

    def make(**overrides: Any) -> RunConfig:
        return RunConfig().replace(**{**tiny_overrides(data_root), **overrides})

    return make


@pytest.fixture(scope="session")
def maae_run(make_cfg: Callable[..., RunConfig], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 20-step MAAE run (m=4, log every 5, checkpoint every 10); read it, do not write to it."""
    out = tmp_path_factory.mktemp("maae_run")
    train(make_cfg(), out)
    return out


def write_yaml(path: Path, cfg: RunConfig) -> Path:
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    return path


def read_metrics(run: Path) -> tuple[list[str], list[dict[str, str]]]:
    with (run / "metrics.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


def final_state(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", map_location="cpu", weights_only=False)["model"]


def assert_same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert torch.equal(a[name], b[name]), f"{name} differs"
