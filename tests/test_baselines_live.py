"""Live searches: a fake trainer counts what is trained (nothing twice, a second search trains nothing, the
grid's runs are reused), then one real tiny end-to-end run through ``python -m baselines live``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from baselines import live
from baselines.__main__ import main
from baselines.compare import METHODS, compare
from baselines.source import BaselineError, DatasetUnavailable
from maae import scales
from maae.config import RunConfig
from maae.metrics.options import ScoreOptions
from maae.scales import run_dir

BEST = 5


class FakeTrainer:
    """Writes the files a trained and scored run folder has; the WAE's fd_raw is U-shaped with its minimum
    at m = BEST, and a run's train time is m seconds."""

    def __init__(self) -> None:
        self.trained: list[tuple[str, int, int]] = []
        self.scored: list[Path] = []

    def train(self, cfg: RunConfig, out: Path) -> None:
        model = cfg.model.kind
        self.trained.append((model, cfg.model.m, cfg.train.seed))
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text(json.dumps(cfg.to_dict()))
        summary = {
            "steps": cfg.train.steps,
            "train_seconds": float(cfg.model.m),
            "iterations_per_second": 1.0,
            "device": "cpu",
            "versions": {"torch": "x"},
            "code_version": "test",
        }
        (out / "summary.json").write_text(json.dumps(summary))

    def score(self, out: Path, opts: ScoreOptions) -> None:
        self.scored.append(out)
        cfg = json.loads((out / "config.json").read_text())
        m = cfg["model"]["m"]
        value = 0.5 if cfg["model"]["kind"] == "maae" else float((m - BEST) ** 2 + 1)
        scores = {"fd_raw": {"value": value, "n_generated": opts.n_samples, "n_real": opts.n_real}}
        result = {"scores": scores, "m_active": min(m, BEST), "seeds": {"sample": 0}, "device": "cpu"}
        (out / "scores.json").write_text(json.dumps(result))


@pytest.fixture
def fake() -> FakeTrainer:
    return FakeTrainer()


@pytest.fixture
def source_for(
    make_cfg: Callable[..., RunConfig], tmp_path: Path
) -> Callable[[FakeTrainer], live.LiveSource]:
    def make(trainer: FakeTrainer) -> live.LiveSource:
        return live.LiveSource(
            results=tmp_path / "res",
            scale="smoke",
            dataset="synthetic3",
            metric="fd_raw",
            make_config=lambda model, m, seed: make_cfg(
                **{"model.m": m, "model.kind": model, "train.seed": seed}
            ),
            score_options=ScoreOptions(n_samples=64, n_real=64),
            train_fn=trainer.train,
            score_fn=trainer.score,
        )

    return make


def test_no_model_is_trained_twice(fake: FakeTrainer, source_for: Callable) -> None:
    source = source_for(fake)
    comparison = compare(source, list(range(2, 13)), [0, 1], list(METHODS))
    assert len(fake.trained) == len(set(fake.trained)) == 2 * (11 + 1)  # linear saw every m; + MAAE
    assert source.trained == fake.trained
    frame = comparison.frame.set_index(["method", "seed"])
    for seed in (0, 1):
        assert frame.loc[("linear", seed), "chosen_m"] == frame.loc[("ternary", seed), "chosen_m"] == BEST
        assert frame.loc[("linear", seed), "train_seconds"] == sum(range(2, 13))
        assert frame.loc[("maae", seed), "train_seconds"] == 12
        assert frame.loc[("maae", seed), "m_active"] == BEST
        ternary = frame.loc[("ternary", seed)]
        assert ternary["cost_ratio"] == pytest.approx(ternary["train_seconds"] / 12)
    for method, seed in frame.index:  # every cost counts each distinct model once, trained here or not
        assert frame.loc[(method, seed), "models_trained"] <= 11


def test_a_second_search_over_the_same_range_trains_nothing(fake: FakeTrainer, source_for: Callable) -> None:
    cands = list(range(2, 13))
    first = compare(source_for(fake), cands, [0], ["ternary"])
    assert len(fake.trained) == first.frame.set_index("method").loc["ternary", "models_trained"] + 1  # + MAAE
    trained = list(fake.trained)
    again = source_for(fake)
    second = compare(again, cands, [0], ["ternary"])
    assert again.trained == [] and fake.trained == trained
    pd.testing.assert_frame_equal(first.frame, second.frame)
    # another search over the range trains only the m the first one did not
    compare(source_for(fake), cands, [0], ["ternary_printed", "linear"])
    assert len(fake.trained) == len(set(fake.trained)) == len(cands) + 1


def test_runs_the_grid_trained_are_reused(fake: FakeTrainer, source_for: Callable, tmp_path: Path) -> None:
    """A run the grid made (same folder, summary.json and scores.json) is a cache hit."""
    grid = FakeTrainer()
    grid_source = source_for(grid)
    for m in range(2, 13):
        grid_source.run("wae", m, 0)
    assert run_dir(tmp_path / "res", "synthetic3", "wae", 7, 0).joinpath("scores.json").is_file()
    compare(source_for(fake), list(range(2, 13)), [0], list(METHODS))
    assert fake.trained == [("maae", 12, 0)]


def test_an_unscored_run_is_scored_not_retrained(
    fake: FakeTrainer, source_for: Callable, tmp_path: Path
) -> None:
    source = source_for(fake)
    source.run("wae", 4, 0)
    folder = run_dir(tmp_path / "res", "synthetic3", "wae", 4, 0)
    (folder / "scores.json").unlink()
    run = source.run("wae", 4, 0)
    assert fake.trained == [("wae", 4, 0)] and fake.scored == [folder, folder]
    assert (run.score, run.train_seconds, run.m_active) == (2.0, 4.0, 4)


def test_scores_without_the_primary_metric_are_an_error(
    fake: FakeTrainer, source_for: Callable, tmp_path: Path
) -> None:
    source = source_for(fake)
    source.run("wae", 4, 0)
    path = run_dir(tmp_path / "res", "synthetic3", "wae", 4, 0) / "scores.json"
    scores = json.loads(path.read_text())
    scores["scores"] = {"kde": {"value": -3.0}}
    path.write_text(json.dumps(scores))
    with pytest.raises(BaselineError, match="no fd_raw"):
        source.run("wae", 4, 0)


# ---- with a real scale file --------------------------------------------------------------------------------


def tiny_scale(tmp_path: Path) -> Path:
    """A scale whose runs take a second each: 20 steps on a 256-row synthetic data set, 64 scored samples."""
    cfg = {
        "scale": "smoke",
        "results": str(tmp_path / "res"),
        "data_root": str(tmp_path / "data"),
        "device": "cpu",
        "run": {"model.width": 32, "train.batch_size": 16, "train.critic_steps": 2, "train.log_every": 10,
                "train.checkpoint_every": 20, "train.progress": "none"},
        "datasets": {
            "tiny": {
                "data": {"name": "synthetic", "n": 2, "d": 16, "hidden": 32, "n_train": 256, "n_val": 64,
                         "n_test": 128},
                "m": [2, 4],
                "seeds": [0],
                "steps": 20,
                "score": {"metrics": ["fd_raw"], "n_samples": 64, "n_real": 64},
            },
            "mnist": {"data": {"name": "mnist"}, "m": [8], "steps": 20},
        },
    }  # fmt: skip
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    pytest.importorskip("jsonschema", reason="maae.scales.load validates with it (a Snakemake dependency)")
    return path


def test_from_scale_errors(tmp_path: Path) -> None:
    cfg = scales.load(tiny_scale(tmp_path))
    with pytest.raises(BaselineError, match="'celeba' is not in the smoke scale"):
        live.from_scale(cfg, "celeba")
    with pytest.raises(DatasetUnavailable, match="mnist: data set missing"):
        live.from_scale(cfg, "mnist")


def test_live_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Real training and scoring through the grid's run folders; the second command trains nothing."""
    config = tiny_scale(tmp_path)
    argv = ["live", "--config", str(config), "--dataset", "tiny", "--out", str(tmp_path / "live")]
    assert main([*argv, "--range", "2", "4", "--methods", "linear", "ternary"]) == 0
    frame = pd.read_csv(tmp_path / "live.csv")
    assert list(frame["method"]) == ["maae", "linear", "ternary"]
    assert (frame["mode"] == "live").all() and (frame["range_hi"] == 4).all()
    lin = frame.set_index("method").loc["linear"]
    assert lin["models_trained"] == 3 and lin["chosen_m"] in (2, 3, 4) and lin["train_seconds"] > 0
    results = tmp_path / "res"
    for model, m in (("wae", 2), ("wae", 3), ("wae", 4), ("maae", 4)):
        folder = run_dir(results, "tiny", model, m, 0)
        assert (folder / "summary.json").is_file() and (folder / "scores.json").is_file()
    stamp = run_dir(results, "tiny", "wae", 3, 0).joinpath("model.pt").stat().st_mtime_ns
    assert (
        "live: 4 of the 4 runs looked at were trained by this command" in (tmp_path / "live.md").read_text()
    )

    assert main([*argv, "--range", "2", "4"]) == 0  # all three searches: every run is already there
    assert "live: 0 of the 4 runs looked at were trained" in (tmp_path / "live.md").read_text()
    assert run_dir(results, "tiny", "wae", 3, 0).joinpath("model.pt").stat().st_mtime_ns == stamp
    again = pd.read_csv(tmp_path / "live.csv").set_index("method")
    assert again.loc["linear", "train_seconds"] == pytest.approx(lin["train_seconds"])
    assert "wrote" in capsys.readouterr().out
