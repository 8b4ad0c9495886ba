"""maae.studies: a scale's studies: section expanded into runs, their configs, and its errors."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from maae import scales, studies
from maae.config import ConfigError

CPU = scales.load(Path("config/cpu.yaml"))


def test_settings_are_the_base_each_axis_value_and_the_named_settings() -> None:
    names = [s.name for s in studies.settings(CPU["studies"]["sensitivity"])]
    assert names[0] == "base" and names[-2:] == ["authors", "paper"]
    assert "lambda1=10" in names and "lambda3_interval=0.025ofsteps" in names
    assert "lambda3_interval=default" in names and len(names) == len(set(names)) == 16


def test_an_axis_value_replaces_only_its_key_and_null_is_maaes_default() -> None:
    base = studies.run_overrides(CPU, "sensitivity", "base", 8, "maae", 1)
    moved = studies.run_overrides(CPU, "sensitivity", "lambda1=100", 8, "maae", 1)
    assert {k for k in base if base[k] != moved.get(k)} == {"model.lambda1"} and moved["model.lambda1"] == 100
    authors_4r = studies.run_config(CPU, "sensitivity", "lambda3_interval=default", 8, "maae", 1)
    assert authors_4r.train.lambda3_interval is None and authors_4r.model.lambda1 == 30.0
    assert studies.run_config(CPU, "sensitivity", "authors", 8, "maae", 1).model.lambda1 == 1000.0  # maae's


def test_a_study_run_is_a_grid_run_of_its_capacity_in_its_variant_folder() -> None:
    cfg = studies.run_config(CPU, "sensitivity", "base", 16, "maae", 2)
    grid = scales.run_config(CPU, "synthetic16", "maae", 32, 2)
    assert cfg == grid  # the base at m = 2n is the grid's run: same data, recipe, length, seed
    run = studies.StudyRun("sensitivity", "base", 16, "maae", 32, 2)
    assert run.folder("res") == Path("res/runs/synthetic16/sensitivity~base/maae/m32/seed2")


def test_schedules_follow_an_axis_that_sets_the_length() -> None:
    cfg = studies.run_config(CPU, "sensitivity", "steps=5000", 4, "maae", 0)
    assert (cfg.train.steps, cfg.train.lambda3_interval, cfg.model.m) == (5000, 250, 8)


def test_the_yardstick_runs_at_the_base_alone() -> None:
    runs = studies.runs(CPU, "sensitivity")
    assert {r.setting for r in runs if r.model == "wae"} == {"base"}
    assert len(runs) == 3 * 2 * (2 + 15)


def test_a_yardstick_model_among_the_studys_models_runs_once() -> None:
    cfg = _with({"models": ["maae", "wae"], "yardstick": ["wae"]})
    base = [(r.n, r.model, r.seed) for r in studies.runs(cfg, "sensitivity") if r.setting == "base"]
    assert len(base) == len(set(base)) == 3 * 2 * 2


def _with(change: dict) -> dict:
    cfg = copy.deepcopy(CPU)
    study = cfg["studies"]["sensitivity"]
    for key, value in change.items():
        study[key] = value
    return cfg


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"axes": {"lr": {"key": "lr_mask", "values": [1]}}}, "studies.sensitivity.axes.lr.key"),
        ({"axes": {"lr": {"key": "train.lr_maks", "values": [1]}}}, "studies.sensitivity.axes.lr: "),
        ({"axes": {"r": {"key": "model.recon", "values": ["l3"]}}}, "studies.sensitivity.axes.r: "),
        ({"axes": {"l": {"key": "model.lambda1", "values": [10, 10.0]}}}, "appears twice"),
        ({"settings": {"base": {}}}, "studies.sensitivity.settings.base"),
        ({"models": ["mae"]}, "studies.sensitivity.models.0"),
        ({"axes": {"x": {"key": "train.lambda3_interval", "values": [{"of_steps": 2}]}}}, "of_steps must be"),
        (
            {"axes": {"x": {"key": "train.lambda3_interval", "values": [{"of_step": 0.1}]}}},
            "sensitivity.axes: axis",
        ),
        ({"base": {"model.m": 3}}, "studies.sensitivity.base: model.m: a run's data, model, m and seed"),
        ({"axes": {"k": {"key": "model.kind", "values": ["wae"]}}}, "model.kind: a run's data"),
    ],
)
def test_bad_study_named(change: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        studies.check(_with(change))
