"""maae.report.where_n: the recipe's runs from the grid and the studies on one map of n by m/n."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from maae.report import where_n
from maae.report.reference import load as load_reference
from maae.report.study import StudyError

RECIPE = {"model.lambda1": 30.0, "train.lr_mask": 0.005}
CFG = {
    "scale": "cpu",
    "datasets": {
        "synthetic8": {"data": {"name": "synthetic", "n": 8}, "steps": 1000, "run": RECIPE},
        "synthetic16": {"data": {"name": "synthetic", "n": 16}, "steps": 500, "run": RECIPE},  # shorter
        "mnist": {"data": {"name": "mnist"}, "steps": 1000},
    },
    "studies": {
        "heldout": {"n": [6], "steps": 1000, "base": RECIPE, "seeds": [0, 1]},
        "other": {"n": [6], "steps": 1000, "base": {"model.lambda1": 100.0}, "seeds": [0]},
    },
}


def grid_row(m: int, seed: int, m_active: int, since: int, model: str = "maae") -> dict:
    return {"dataset": "synthetic8", "model": model, "m": m, "seed": seed, "m_active": m_active,
            "m_active_since": since, "steps": 1000}  # fmt: skip


def study_row(setting: str, n: int, m: int, seed: int, m_active: int, settled: bool) -> dict:
    found = settled and abs(m_active - n) <= 1
    return {"setting": setting, "model": "maae", "n": n, "m": m, "seed": seed, "m_active": m_active,
            "settled": settled, "found": found}  # fmt: skip


@pytest.fixture
def results(tmp_path: Path) -> Path:
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(CFG))
    grid = [
        grid_row(16, 0, 8, 100), grid_row(16, 1, 10, 100),  # found; 2 above n
        grid_row(8, 0, 8, 900),  # at n but still moving over the last quarter
        grid_row(16, 0, 30, 100, model="wae"),  # not MAAE
    ]  # fmt: skip
    (tmp_path / "runs" / "synthetic8").mkdir(parents=True)
    pd.DataFrame(grid).to_csv(tmp_path / "runs" / "synthetic8" / "runs.csv", index=False)
    study = tmp_path / "studies" / "heldout"
    study.mkdir(parents=True)
    rows = [study_row("base", 6, 12, 0, 6, True), study_row("base", 6, 12, 1, 5, True),
            study_row("lambda1=100", 6, 12, 0, 9, True)]  # fmt: skip
    pd.DataFrame(rows).to_csv(study / "runs.csv", index=False)
    return tmp_path


def test_the_map_holds_the_recipes_runs_alone(results: Path) -> None:
    cfg, ref = where_n.load_scale(results), load_reference()
    grid, studies, left_out = where_n.sources(cfg)
    assert (grid, studies) == (["synthetic8"], ["heldout"])
    assert set(left_out) == {"synthetic16", "other"}
    text = where_n.render(cfg, where_n.runs(results, cfg, ref), ref)
    assert "| n | m = 1n | m = 2n |" in text
    assert "| 6 |  | 2/2 (6, 5) |" in text
    assert "| 8 | 0/1 (8*) | 1/2 (8, 10) |" in text
    assert "3 runs" not in text and "5 runs from synthetic8, heldout" in text
    left = "Not on the map: synthetic16 (another recipe, length or data); other (its base is another recipe,"
    assert left in text
    with pytest.raises(StudyError, match="'mnist' is not a synthetic data set"):
        where_n.recipe(cfg, "mnist")
    assert where_n.recipe(cfg, "synthetic16")[1] == 500
    cfg["datasets"]["synthetic16"] |= {"steps": 1000, "data": {"name": "synthetic", "n": 16, "n_train": 100}}
    assert where_n.sources(cfg)[0] == ["synthetic8"]  # the same recipe on other data is another experiment


def test_a_run_two_sources_hold_counts_once(results: Path) -> None:
    cfg = where_n.load_scale(results)
    cfg["studies"]["heldout"]["n"] = [8]
    rows = [study_row("base", 8, 16, 0, 12, True), study_row("base", 8, 16, 2, 8, True)]
    pd.DataFrame(rows).to_csv(results / "studies" / "heldout" / "runs.csv", index=False)
    frame = where_n.runs(results, cfg, load_reference())
    at = frame[frame["m"] == 16].sort_values("seed")
    assert list(at["seed"]) == [0, 1, 2] and list(at["source"]) == ["synthetic8", "synthetic8", "heldout"]
    assert list(at["m_active"]) == [8, 10, 8]  # seed 0 is the grid's run, not the study's copy


def test_a_missing_study_table_is_one_error_line(results: Path, capsys) -> None:
    (results / "studies" / "heldout" / "runs.csv").unlink()
    assert where_n.main(["--results", str(results)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "run `snakemake heldout` first" in err and err.count("\n") == 1
    with pytest.raises(StudyError, match="no synthetic data set"):
        where_n.recipe({"datasets": {"mnist": {"data": {"name": "mnist"}, "steps": 1}}})


def test_a_data_set_left_out_by_only_is_not_asked_for() -> None:
    """`--config 'only=[mnist]'` then `snakemake where_n`: no synthetic grid is asked for (it planned their
    training), and the map says why each is absent."""
    grid, studies, left_out = where_n.sources({**CFG, "only": ["mnist"]})
    assert grid == [] and studies == ["heldout"]
    assert left_out["synthetic8"] == "left out of this run (only: mnist)"
    assert where_n.sources(CFG)[0] == ["synthetic8"]
