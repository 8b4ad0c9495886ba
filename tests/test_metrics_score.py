"""``score_run`` and ``python -m maae score`` on the tiny synthetic run: scores.json and its errors."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import M
from test_cli import assert_one_error_line, cli

from maae.data import load_split
from maae.metrics import kde
from maae.metrics.score import ScoreOptions, score_run

SMALL = {"n_samples": 64, "n_real": 64, "n_codes": 100, "kde_n_fit": 128, "kde_n_val": 64}
SMALL_FLAGS = {"--" + k.replace("_", "-"): str(v) for k, v in SMALL.items()}


def flags(options: dict[str, str]) -> list[str]:
    return [a for pair in options.items() for a in pair]


@pytest.fixture
def run(maae_run: Path, tmp_path: Path) -> Path:
    """A copy of the session's finished run, which scoring may write into."""
    return Path(shutil.copytree(maae_run, tmp_path / "run"))


def test_score_synthetic_run(run: Path, make_cfg) -> None:
    result = score_run(run, ScoreOptions(**SMALL))
    assert json.loads((run / "scores.json").read_text()) == result
    summary = json.loads((run / "summary.json").read_text())
    assert result["metrics"] == ["fd_raw", "kde", "nac"] and set(result["scores"]) == {"fd_raw", "kde", "nac"}
    assert (result["data"], result["model"], result["m"]) == ("synthetic", "maae", M)
    assert result["m_active"] == summary["m_active"] and result["mu"] == pytest.approx(summary["mu"])
    assert result["seeds"] == {"sample": 0, "train": 0, "data_generator": 0}
    assert {"torch", "numpy", "scipy", "pytorch-fid", "scikit-learn"} <= set(result["versions"])
    assert result["code_version"] and result["device"].startswith("cpu")
    assert result["options"]["n_samples"] == 64

    fd, ll, nac = (result["scores"][k] for k in ("fd_raw", "kde", "nac"))
    assert fd["value"] > 0 and (fd["n_generated"], fd["n_real"], fd["real_split"]) == (64, 64, "test")
    assert (ll["n_fit"], ll["n_val"], ll["n_generated"], ll["method"]) == (128, 64, 64, "exact")
    assert math.isfinite(ll["value"]) and ll["bandwidth"] in ll["search"]["bandwidths"]
    best = int(np.argmax(ll["search"]["val_mean_ll"]))
    assert ll["search"]["bandwidths"][best] == ll["bandwidth"]
    assert nac["n_codes"] == 100 and len(nac["matrix"]) == M and len(nac["active"]) == result["m_active"]

    again = score_run(run, ScoreOptions(**SMALL))
    assert again["scores"]["fd_raw"] == fd and again["scores"]["kde"] == ll  # seeded draws: same scores
    other = score_run(run, ScoreOptions(**SMALL, seed=1, metrics=("fd_raw",)))
    assert other["scores"]["fd_raw"]["value"] != fd["value"] and set(other["scores"]) == {"fd_raw"}


def test_kde_sklearn_option_reports_its_disagreement(run: Path, make_cfg) -> None:
    result = score_run(run, ScoreOptions(**SMALL, metrics=("kde", "kde_sklearn")))
    exact, sk = result["scores"]["kde"], result["scores"]["kde_sklearn"]
    assert sk["method"] == "sklearn" and exact["method"] == "exact"
    gap = sk["disagreement_with_exact"]
    assert len(gap["sklearn_minus_exact"]) == len(sk["search"]["bandwidths"]) == len(gap["bandwidths"])
    assert gap["max_abs"] == max(abs(v) for v in gap["sklearn_minus_exact"])
    fit = load_split(make_cfg().data, "train")[:128].numpy()
    val = load_split(make_cfg().data, "val")[:64].numpy()
    h = gap["bandwidths"][-1]  # large bandwidth: scikit-learn is right there
    assert sk["search"]["val_mean_ll"][-1] == pytest.approx(kde.log_density(val, fit, h).mean(), rel=1e-6)


def test_score_cli(capsys, run: Path) -> None:
    code, out, _ = cli(capsys, "score", "--run", run, *flags({**SMALL_FLAGS, "--metrics": "fd_raw,nac"}))
    assert code == 0 and "fd_raw=" in out and "nac=" in out and "m_A=" in out
    assert set(json.loads((run / "scores.json").read_text())["scores"]) == {"fd_raw", "nac"}


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"--n-codes": "5000"}, "--n-codes"),
        ({"--n-real": "1"}, "--n-real"),
        ({"--metrics": "fid"}, "fid"),
        ({"--metrics": ","}, "--metrics"),
    ],
)
def test_score_cli_errors(capsys, run: Path, options: dict[str, str], names: str) -> None:
    code, _, err = cli(capsys, "score", "--run", run, *flags({**SMALL_FLAGS, **options}))
    assert_one_error_line(code, err, names)
    assert not (run / "scores.json").exists()


def test_score_unfinished_run(capsys, tmp_path: Path) -> None:
    code, _, err = cli(capsys, "score", "--run", tmp_path)
    assert_one_error_line(code, err, str(tmp_path / "model.pt"))
