"""maae.report.study on fabricated study runs: shares with exact intervals, per-axis verdicts by the
pre-registered rule (robust, sensitive, inconclusive; far values shown, not judged), the named settings."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from maae import scales, studies
from maae.report import stats, study
from maae.report.plots import study as plots
from maae.report.reference import load as load_reference

REF = load_reference()
# The cpu scale with a study of fixed shape (3 n x 3 seeds: 9 runs per setting), so these tests do not
# follow the size the shipped study is given.
STUDY = {
    "n": [4, 8, 16],
    "seeds": [0, 1, 2],
    "steps": 10000,
    "yardstick": ["wae"],
    "base": {"model.lambda1": 30.0, "train.lr_mask": 0.005, "train.lambda3_interval": {"of_steps": 0.05}},
    "axes": {
        "lambda1": {"key": "model.lambda1", "values": [10, 100, 1000]},
        "lr_mask": {"key": "train.lr_mask", "values": [0.0015, 0.015]},
        "lambda3_interval": {"key": "train.lambda3_interval", "values": [{"of_steps": 0.025}, None]},
        "recon": {"key": "model.recon", "values": ["l2"]},
        "rmsprop_init": {"key": "train.rmsprop_init", "values": [1.0]},
    },
    "settings": {"authors": {}, "paper": {"model.mask_param": "paper", "model.recon": "l2"}},
}
CPU = scales.load(Path("config/cpu.yaml"), {"studies": {"sensitivity": STUDY}})


def fabricated(found: dict[str, int], settled: bool = True) -> pd.DataFrame:
    """Every run of the cpu study; at a setting named in ``found``, that many of its 9 MAAE runs (3 n x
    3 seeds, in order) end at m_A = n, the rest at n + 3; elsewhere all find n."""
    rows = []
    count: dict[str, int] = {}
    for run in studies.runs(CPU, "sensitivity"):
        s = studies.setting(CPU["studies"]["sensitivity"], run.setting)
        k = count.get(run.setting, 0)
        hit = run.model == "wae" or k < found.get(run.setting, 9)
        if run.model != "wae":
            count[run.setting] = k + 1
        m_active = run.m if run.model == "wae" else (run.n if hit else run.n + 3)
        value = None if s.axis is None else studies.label(s.value)
        found_n = settled and run.model != "wae" and hit
        rows.append(
            {
                "setting": run.setting, "axis": s.axis, "value": value,
                "n": run.n, "m": run.m, "model": run.model, "seed": run.seed, "m_active": m_active,
                "offset": m_active - run.n, "settled": settled, "found": found_n,
                "fd_raw": 1.0 if run.model == "maae" else 2.0, "steps": 10000,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def verdict_of(runs: pd.DataFrame, axis: str) -> dict:
    return next(v for v in study.verdicts(CPU, "sensitivity", runs, REF) if v["axis"] == axis)


def test_exact_share_intervals() -> None:
    none = stats.proportion(0, 3)
    assert none.estimate == 0 and none.low == 0 and none.high == pytest.approx(1 - 0.025 ** (1 / 3))
    assert stats.proportion(9, 9).low == pytest.approx(0.025 ** (1 / 9))
    with pytest.raises(ValueError):
        stats.proportion(4, 3)


def test_every_axis_robust_when_every_run_finds_n() -> None:
    verdicts = study.verdicts(CPU, "sensitivity", fabricated({}), REF)
    assert {v["verdict"] for v in verdicts} == {"robust"}


def test_a_judged_value_clearly_below_makes_the_axis_sensitive() -> None:
    v = verdict_of(fabricated({"lambda1=100": 3}), "lambda1")  # 3 of 9: interval [0.07, 0.70], below 0.8
    assert v["verdict"] == "sensitive"


def test_a_value_beyond_the_factor_is_shown_not_judged() -> None:
    v = verdict_of(fabricated({"lambda1=1000": 0}), "lambda1")
    assert v["verdict"] == "robust"
    far = next(r for r in v["values"] if r["value"] == "1000")
    assert not far["judged"] and far["share"].estimate == 0
    judged = {r["value"]: r["judged"] for r in verdict_of(fabricated({}), "lambda3_interval")["values"]}
    assert judged == {"base": True, "0.025ofsteps": True, "default": False}  # the authors' 4R: shown


def test_a_categorical_axis_judges_every_value() -> None:
    assert verdict_of(fabricated({"recon=l2": 0}), "recon")["verdict"] == "sensitive"
    assert verdict_of(fabricated({"rmsprop_init=1": 0}), "rmsprop_init")["verdict"] == "sensitive"


def test_a_share_below_the_bar_whose_interval_reaches_it_is_inconclusive() -> None:
    v = verdict_of(fabricated({"lambda1=10": 6}), "lambda1")  # 6 of 9: interval [0.30, 0.93]
    assert v["verdict"] == "inconclusive" and v["runs_to_decide"] > 9


def test_a_base_that_fails_fails_every_axis_it_anchors() -> None:
    verdicts = study.verdicts(CPU, "sensitivity", fabricated({"base": 0}), REF)
    assert {v["verdict"] for v in verdicts} == {"sensitive"}


def test_a_moving_mask_finds_nothing() -> None:
    runs = fabricated({}, settled=False)
    assert not runs["found"].any()
    cells = study.cells(runs, REF)
    assert (cells["share"] == 0).all() and (cells["settled"] == 0).all()
    texts = [t.get_text() for t in plots.heatmap(cells, "title", 1).axes[0].texts]
    assert all(t.endswith("(3 still moving)") for t in texts)


def test_cells_and_the_report_say_what_each_named_setting_found() -> None:
    runs = fabricated({"authors": 0, "paper": 4})
    cells = study.cells(runs, REF)
    base = cells[(cells["setting"] == "base") & (cells["n"] == 8)].iloc[0]
    assert (base["runs"], base["found"], base["m"], base["wae_fd_raw"]) == (3, 3, 16, 2.0)
    runs["code_version"], runs["n_generated"], runs["n_real"] = "abc", 5000, 5000
    text = study.render({**CPU}, "sensitivity", runs, REF)
    assert "**authors** does not find n: 0 of 9 runs" in text
    assert "**paper** finds n in some runs: 4 of 9 runs" in text
    assert "**base** finds n: 9 of 9 runs" in text and "written before the run" in text
    assert not math.isnan(base["fd_raw"])


def test_heatmap_colours_the_share_and_writes_each_cells_runs() -> None:
    cells = study.cells(fabricated({"authors": 0, "paper": 4}), REF)
    fig = plots.heatmap(cells, "title", 1)
    ax = fig.axes[0]
    shown = ax.images[0].get_array()
    settings = list(dict.fromkeys(cells["setting"]))
    for c in cells.itertuples():
        assert shown[settings.index(c.setting), [4, 8, 16].index(c.n)] == pytest.approx(c.share)
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["0/3  m_A 7, 7, 7\nFD 1"] == "white"  # authors at n = 4: every seed 3 above n, dark cell
    assert colours["3/3  m_A 4, 4, 4\nFD 1"] == "black"  # found: viridis's yellow end
    assert [t.get_text() for t in ax.get_yticklabels()] == settings


def test_axes_plot_each_runs_offset_per_axis_titled_with_its_verdict() -> None:
    runs = fabricated({"lambda1=100": 3})
    verdicts = study.verdicts(CPU, "sensitivity", runs, REF)
    fig = plots.axes(runs, verdicts, 1, "title")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == [
        f"{v['axis']} ({v['key']}): {v['verdict']}" for v in verdicts
    ]
    lambda1 = panels[0]
    assert lambda1.get_xscale() == "log"
    means = {line.get_label(): line for line in lambda1.lines if line.get_label().startswith("n = ")}
    assert list(means["n = 4"].get_ydata()) == [0, 0, 0, 0]  # lambda1=100's misses are its last runs
    assert list(means["n = 8"].get_ydata()) == [0, 0, 3, 0]  # n = 8, 16: m_A = n + 3
    x8 = means["n = 8"].get_xdata()
    assert x8[0] < x8[1] < x8[2] < x8[3] and x8[1] == pytest.approx(30)  # sorted on the axis, n = 8 centred
    texts = [t.get_text() for t in lambda1.texts]
    assert texts == ["9/9", "9/9", "3/9", "9/9 (shown)"]  # lambda1 = 1000 lies beyond the judged factor
    dots = [c.get_offsets()[:, 1] for c in lambda1.collections if len(c.get_offsets())]
    assert sorted(float(y) for d in dots for y in d).count(3.0) == 6  # every run drawn: 6 misses at n + 3


def test_axes_plot_orders_values_and_draws_a_moving_mask_hollow() -> None:
    runs = fabricated({}, settled=False)
    verdicts = study.verdicts(CPU, "sensitivity", runs, REF)
    fig = plots.axes(runs, verdicts, 1, "title")
    lambda3 = next(ax for ax in fig.axes if ax.get_title().startswith("lambda3_interval"))
    labels = [t.get_text().split("\n")[0] for t in lambda3.get_xticklabels()]
    assert labels == ["0.025ofsteps", "base", "default"]  # numbers ascending, the authors' 4R last
    drawn = [c for c in lambda3.collections if len(c.get_offsets())]
    assert drawn and all(len(c.get_facecolors()) == 0 or c.get_facecolors()[0][3] == 0 for c in drawn)


def test_a_study_without_axes_says_so_in_its_report_and_figures() -> None:
    whole = {"n": [4, 8], "m_per_n": 4, "seeds": [0, 1], "steps": 10000, "base": STUDY["base"]}
    cfg = scales.load(Path("config/cpu.yaml"), {"studies": {"whole": whole}})
    rows = [
        {
            "setting": run.setting, "axis": None, "value": None, "n": run.n, "m": run.m, "model": run.model,
            "seed": run.seed, "m_active": run.n + run.seed, "offset": run.seed, "settled": True,
            "found": True, "fd_raw": 1.0, "steps": 10000, "code_version": "abc", "n_generated": 5000,
            "n_real": 5000,
        }
        for run in studies.runs(cfg, "whole")
    ]  # fmt: skip
    runs = pd.DataFrame(rows)
    assert study.verdicts(cfg, "whole", runs, REF) == []
    text = study.render(cfg, "whole", runs, REF)
    assert "None: this study varies no setting one at a time" in text and "| axis |" not in text
    assert "**base** finds n: 4 of 4 runs" in text
    fig = plots.axes(runs, [], 1, "title")
    assert "no axes in this study:\nits settings are in the heatmap" in [t.get_text() for t in fig.texts]
    heatmap = plots.heatmap(study.cells(runs, REF), "title", 1)
    assert heatmap.get_figheight() >= 3.8  # one row of settings still leaves room for the colour bar's label


def test_a_studys_question_heads_its_page_and_a_study_without_one_shows_none() -> None:
    whole = {"n": [4], "seeds": [0], "steps": 10000, "base": STUDY["base"]}
    asked = whole | {"question": "Does the recipe find n = 4?\n  Decided before the run:  4 of 5 seeds."}
    cfg = scales.load(Path("config/cpu.yaml"), {"studies": {"whole": whole, "asked": asked}})
    rows = [
        {
            "setting": "base", "axis": None, "value": None, "n": 4, "m": 8, "model": "maae", "seed": 0,
            "m_active": 4, "offset": 0, "settled": True, "found": True, "fd_raw": 1.0, "steps": 10000,
            "code_version": "abc", "n_generated": 5000, "n_real": 5000,
        }
    ]  # fmt: skip
    runs = pd.DataFrame(rows)
    text = study.render(cfg, "asked", runs, REF)
    asked_text = "Does the recipe find n = 4? Decided before the run: 4 of 5 seeds."  # whitespace collapsed
    assert f"**Question** (from the scale file): {asked_text}\n" in text
    assert text.index("**Question**") < text.index("Base setting") < text.index("**Rule**")
    assert "**Question**" not in study.render(cfg, "whole", runs, REF)
