"""maae.report.figures on a fabricated results root: the data behind each plot, placeholders and the CLI.

runs.csv, datasets.json, metrics.csv and scores.json are written by hand with values from known formulas, so a
test can say which numbers each figure must show; Figure 6 samples real tiny MNIST runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import tiny_overrides
from matplotlib.figure import Figure
from matplotlib.text import Text
from test_metrics_images import write_fake_mnist

from maae.config import RunConfig
from maae.report.aggregate import COLUMN_NAMES
from maae.report.figures import main
from maae.report.plots import heatmaps, samples, scores, training
from maae.report.plots.common import Results, Unavailable, count_text, seeds_text
from maae.report.reference import PATH as PAPER_REFERENCE
from maae.report.reference import load as load_reference
from maae.report.stats import seed_bootstrap, settings
from maae.scales import run_dir
from maae.train import train

SCALE = "smoke"
STEPS = 300
SYNTH_M, SYNTH_SEEDS = [4, 8, 12, 16], [0, 1, 2]
MNIST_M = [8, 32]  # 32 is one of the paper's Figure 5 m
CIFAR_REASON = "data set missing: no CIFAR-10 batches under data/cifar-10-batches-py"


def score(model: str, m: int, seed: int) -> float:
    """WAE: U-shaped in m with its minimum at 8; MAAE: flat from 8 on. The seed shifts both."""
    return (m - 8) ** 2 / 10 + 1 + seed if model == "wae" else abs(min(m - 8, 0)) + 1 + seed / 2


def m_active(model: str, m: int, seed: int) -> int:
    return m if model == "wae" else min(m, 8 + seed)


def runs_row(dataset: str, model: str, m: int, seed: int, metric: str) -> dict:
    return {
        "scale": SCALE, "dataset": dataset, "model": model, "m": m, "seed": seed, "steps": STEPS,
        "m_active": m_active(model, m, seed), "score_metric": metric, "score": score(model, m, seed),
        "n_generated": 1000, "n_real": 500, "run_dir": run_dir(".", dataset, model, m, seed).as_posix(),
    }  # fmt: skip


def manifest() -> dict:
    grid = {"status": "ok", "reason": None, "models": ["maae", "wae"], "steps": STEPS}
    return {
        "scale": SCALE,
        "datasets": {
            "synthetic8": {**grid, "data": "synthetic", "n": 8, "m": SYNTH_M, "seeds": SYNTH_SEEDS,
                           "capacity": 16, "metric": "fd_raw"},
            "mnist": {**grid, "data": "mnist", "n": None, "m": MNIST_M, "seeds": [0], "capacity": 32,
                      "metric": "fd_lenet"},
            "cifar10": {**grid, "data": "cifar10", "n": None, "status": "missing", "reason": CIFAR_REASON,
                        "m": [64], "seeds": [0], "capacity": 64, "metric": "fd_lenet"},
        },
    }  # fmt: skip


def mu_value(j: int, step: int) -> float:
    """Distinct per dimension and step; dimensions j >= 5 close, the others stay open."""
    return 1.0 - step / STEPS if j >= 5 else 0.5 + j / 100


def write_metrics(folder: Path, m: int) -> pd.DataFrame:
    steps = np.arange(50, STEPS + 1, 50)
    frame = pd.DataFrame({"step": steps, "omega": 1.0 / steps, "recon": 2.0 - steps / STEPS})
    frame["m_active"] = [m, m, 9, 6, 5, 5][: len(steps)]  # settles at 5 from step 250
    for j in range(m):
        frame[f"mu_{j}"] = [mu_value(j, s) for s in steps]
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "metrics.csv", index=False)
    return frame


def nac_matrix(model: str, m: int) -> list[list[float | None]]:
    """WAE entries in [0, 1]; MAAE entries in [0, 0.5] with one undefined (null) entry."""
    values = np.linspace(0.0, 1.0 if model == "wae" else 0.5, m * m).reshape(m, m).tolist()
    if model == "maae":
        values[0][1] = None
    return values


def write_run(root: Path, dataset: str, model: str, m: int, seed: int) -> Path:
    folder = run_dir(root, dataset, model, m, seed)
    write_metrics(folder, m)
    (folder / "config.json").write_text(json.dumps({"model": {"active_threshold": 0.1, "recon": "bce"}}))
    (folder / "summary.json").write_text(json.dumps({"steps": STEPS}))
    active = list(range(m)) if model == "wae" else [1, 3, 4]
    nac = {"value": 0.25, "n_codes": 200, "active": active, "matrix": nac_matrix(model, m)}
    (folder / "scores.json").write_text(json.dumps({"scores": {"nac": nac}}))
    return folder


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    rows = [
        runs_row(name, model, m, seed, info["metric"])
        for name, info in manifest()["datasets"].items()
        if info["status"] == "ok"
        for model in info["models"]
        for m in info["m"]
        for seed in info["seeds"]
    ]
    pd.DataFrame(rows, columns=list(COLUMN_NAMES)).to_csv(root / "runs.csv", index=False)
    (root / "datasets.json").write_text(json.dumps(manifest()))
    for m in MNIST_M:
        write_run(root, "mnist", "maae", m, 0)
    for model in ("maae", "wae"):
        write_run(root, "synthetic8", model, 16, 0)
    return root


@pytest.fixture(scope="module")
def results(root: Path) -> Results:
    return Results.load(root)


def texts(fig: Figure) -> str:
    """Every text on the figure, wrapping undone."""
    return " ".join(t.get_text().replace("\n", " ") for t in fig.findobj(Text))


# ---------------------------------------------------------------- data behind Figures 1 and 4


def test_per_m_means_intervals_and_minimum(results: Results) -> None:
    stats = results.per_m(results.runs_of("synthetic8", "wae"))
    assert stats.index.tolist() == SYNTH_M and (stats["seeds"] == len(SYNTH_SEEDS)).all()
    for m in SYNTH_M:
        values = [score("wae", m, s) for s in SYNTH_SEEDS]
        assert stats.loc[m, "mean"] == pytest.approx(np.mean(values)) and stats.loc[m, "values"] == values
        iv = seed_bootstrap(dict(zip(SYNTH_SEEDS, values, strict=True)), **settings(load_reference()))
        assert (stats.loc[m, "low"], stats.loc[m, "high"]) == (pytest.approx(iv.low), pytest.approx(iv.high))
        assert min(values) <= stats.loc[m, "low"] <= stats.loc[m, "high"] <= max(values)
    assert scores.best_m(stats) == 8
    active = results.per_m(results.runs_of("synthetic8", "maae"), "m_active")
    assert active.loc[16, "mean"] == pytest.approx(np.mean([m_active("maae", 16, s) for s in SYNTH_SEEDS]))


def test_fig1_panels_plot_the_means_and_say_why_others_are_missing(results: Results) -> None:
    fig, problems = scores.fig1(results, ["synthetic8", "cifar10", "synthetic16"])
    assert problems == [f"cifar10: {CIFAR_REASON}", "synthetic16: not in the smoke scale"]
    text = texts(fig)
    assert all(problem in text for problem in problems)
    assert "smoke scale" in text and "fd_raw, 1,000 generated vs 500 real" in text and "3 seeds" in text
    mean_line = fig.axes[0].lines[0]
    assert list(mean_line.get_xdata()) == SYNTH_M
    assert list(mean_line.get_ydata()) == pytest.approx(
        [np.mean([score("wae", m, s) for s in SYNTH_SEEDS]) for m in SYNTH_M]
    )
    assert "minimum at m = 8" in text and "n = 8" in text


def edited(root: Path, tmp_path: Path, change) -> Results:
    """The fabricated results with runs.csv changed by ``change`` (a function of the frame)."""
    copy = tmp_path / "results"
    shutil.copytree(root, copy)
    frame = pd.read_csv(copy / "runs.csv")
    change(frame).to_csv(copy / "runs.csv", index=False)
    return Results.load(copy)


def test_a_model_without_scores_is_a_panel_not_a_crash(root: Path, tmp_path: Path) -> None:
    """Every WAE score of synthetic8 missing: Figure 1's panel says so and the other panels are drawn;
    Figure 4 draws MAAE and names what it could not draw (both raised TypeError in fill_between)."""

    def no_wae_scores(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[(frame["dataset"] == "synthetic8") & (frame["model"] == "wae"), "score"] = np.nan
        return frame

    results = edited(root, tmp_path, no_wae_scores)
    fig, problems = scores.fig1(results, ["synthetic8", "mnist"])
    assert problems == ["synthetic8: no score values for WAE"] and fig.axes[1].lines
    fig, problems = scores.fig4(results, "synthetic8")
    assert problems == ["synthetic8: no score values for WAE"] and "MAAE score" in texts(fig)


def test_a_missing_wae_gan_leaves_the_wae_panel_drawn(root: Path, tmp_path: Path) -> None:
    """The scale lists the WAE-GAN, runs.csv has none: a note, not a message written over the WAE."""
    copy = tmp_path / "gan"
    shutil.copytree(root, copy)
    info = json.loads((copy / "datasets.json").read_text())
    info["datasets"]["synthetic8"]["models"].append("wae_gan")
    (copy / "datasets.json").write_text(json.dumps(info))
    fig, problems = scores.fig1(Results.load(copy), ["synthetic8"])
    assert problems == ["synthetic8: no WAE-GAN runs in runs.csv"]
    assert fig.axes[0].axison and fig.axes[0].lines  # the WAE's curve, its axes kept


def test_an_interval_at_an_m_run_alone_is_drawn_as_a_bar(results: Results) -> None:
    """A band needs neighbours: a model run at one m alone (the WAE-GAN at the capacity) shows its interval
    as a bar, not nothing."""
    stats = results.per_m(results.runs_of("synthetic8", "wae")).loc[[16]]
    fig = Figure()
    ax = fig.add_subplot()
    scores.band(ax, stats, "red", "one m")
    (bar,) = ax.collections[1:2]  # the band's (empty) polygon first, then the bar
    (segment,) = bar.get_segments()
    assert segment[:, 1].tolist() == pytest.approx([stats.loc[16, "low"], stats.loc[16, "high"]])


def test_seeds_without_a_value_are_not_counted_in_a_caption() -> None:
    rows = pd.DataFrame({"model": ["wae"] * 4, "m": [4, 4, 8, 8], "seed": [0, 1, 0, 1]})
    rows["score"] = [1.0, np.nan, 2.0, 3.0]
    assert seeds_text(rows) == "1–2 seeds per point"


def test_fig4_left_scores_right_m_active(results: Results) -> None:
    fig, problems = scores.fig4(results, "synthetic8")
    assert problems == []
    left, right = fig.axes[:2]
    expected = {
        model: [np.mean([score(model, m, s) for s in SYNTH_SEEDS]) for m in SYNTH_M]
        for model in ("maae", "wae")
    }
    assert [list(line.get_ydata()) for line in left.lines] == [
        pytest.approx(expected["maae"]),
        pytest.approx(expected["wae"]),
    ]
    labels = [line.get_label() for line in right.lines]
    assert labels == ["MAAE m_A", "m_A = m", "m_A = n = 8"]
    assert list(right.lines[0].get_ydata()) == pytest.approx(
        [np.mean([m_active("maae", m, s) for s in SYNTH_SEEDS]) for m in SYNTH_M]
    )
    assert "fd_raw" in texts(fig) and "300 steps" in texts(fig)


def test_fig4_of_a_missing_data_set_is_unavailable(results: Results) -> None:
    with pytest.raises(Unavailable, match="cifar10: data set missing: no CIFAR-10 batches"):
        scores.fig4(results, "cifar10")


# ---------------------------------------------------------------- Figures 5 and 8 from metrics.csv


def test_mu_history_reads_mu_0_to_m_minus_1_in_order(root: Path) -> None:
    metrics = training.read_metrics(run_dir(root, "mnist", "maae", 32, 0))
    mu = training.mu_history(metrics, 32)
    assert mu.columns.tolist() == [f"mu_{j}" for j in range(32)]  # mu_10 after mu_9, not after mu_1
    assert mu.loc[150, "mu_10"] == mu_value(10, 150) and mu.loc[300, "mu_3"] == mu_value(3, 300)
    with pytest.raises(Unavailable, match="has 32 mu columns, expected mu_0..mu_30 for m = 31"):
        training.mu_history(metrics, 31)


def test_fig5_panels(results: Results) -> None:
    fig, problems = training.fig5(results, "mnist", [8, 32, 110], seed=0)
    assert problems == ["mnist: m = 110 was not run in the smoke scale (m run: 8, 32)"]
    reference = yaml.safe_load(PAPER_REFERENCE.read_text())["figures"]["fig5"]
    paper_32 = dict(zip(reference["m"], reference["m_active"], strict=True))[32]
    text = texts(fig)
    assert f"m = 32: final m_A = 5 paper (Figure 5): m_A = {paper_32}" in text
    assert "m = 8: final m_A = 5" in text and "paper (Figure 5)" not in fig.axes[0].get_title()
    assert problems[0] in text and "smoke scale" in text and "300 steps" in text
    mu_lines = [line for line in fig.axes[1].lines if line.get_linestyle() == "-"]
    assert len(mu_lines) == 32  # one per mu_j; the threshold line is dotted
    assert {tuple(line.get_ydata()) for line in mu_lines} == {
        tuple(mu_value(j, s) for s in range(50, STEPS + 1, 50)) for j in range(32)
    }


def test_fig5_shows_the_paper_only_for_its_data_set(results: Results) -> None:
    fig, _ = training.fig5(results, "synthetic8", [16], seed=0)
    assert "paper" not in texts(fig) and "m = 16: final m_A = 5" in texts(fig)


def test_fig8_curves_and_settle_step(results: Results, root: Path) -> None:
    metrics = training.read_metrics(run_dir(root, "mnist", "maae", 32, 0))
    curves = training.training_curves(metrics)
    assert curves.columns.tolist() == ["omega", "recon", "m_active"] and curves.index[-1] == STEPS
    assert training.settle_step(curves["m_active"]) == 250
    assert training.settle_step(pd.Series([4, 4], index=[10, 20])) == 10
    fig, problems = training.fig8(results, "mnist", 32, 0)
    assert problems == [] and len(fig.axes) == 3
    assert list(fig.axes[0].lines[0].get_ydata()) == pytest.approx(metrics["omega"].tolist())
    assert "m_A stays at 5 from step 250" in texts(fig) and "reconstruction (bce)" in texts(fig)
    with pytest.raises(Unavailable, match="metrics.csv has no omega column"):
        training.training_curves(metrics.drop(columns="omega"))


# ---------------------------------------------------------------- NAC heatmaps


def test_heatmaps_share_one_colour_scale(results: Results) -> None:
    assert heatmaps.shared_range([np.array([[np.nan, 0.2]]), np.array([[0.9]])]) == (0.2, 0.9)
    fig, problems = heatmaps.heatmaps(results, "synthetic8", None, 0)  # default m: capacity 16
    assert problems == []
    images = [ax.images[0] for ax in fig.axes if ax.images]
    assert len(images) == 2 and {im.get_clim() for im in images} == {(0.0, 1.0)}
    assert np.ma.getmaskarray(images[1].get_array())[0, 1]  # MAAE's null entry, not drawn
    text = texts(fig)
    assert "MAAE: NAC = 0.250 over its 3 active dims" in text and "WAE: NAC = 0.250 over all 16 dims" in text
    assert "m = 16" in text and "200 test codes" in text
    fig, problems = heatmaps.heatmaps(results, "synthetic8", 8, 0)
    assert "run folder runs/synthetic8/wae/m8/seed0 is missing" in problems[0]


# ---------------------------------------------------------------- Figure 6 from real tiny runs


@pytest.fixture(scope="module")
def image_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two 2-step MNIST runs (MAAE, WAE; m = 6) on fake digits, in a results root of their own."""
    base = tmp_path_factory.mktemp("image_results")
    data = write_fake_mnist(base / "data")
    overrides = {**tiny_overrides(base), "data.name": "mnist", "data.root": str(data), "model.m": 6}
    for model in ("maae", "wae"):
        cfg = RunConfig().replace(**{**overrides, "train.steps": 2, "train.checkpoint_every": 2,
                                     "model.kind": model})  # fmt: skip
        train(cfg, run_dir(base, "mnist", model, 6, 0))
    info = {"data": "mnist", "status": "ok", "reason": None, "models": ["maae", "wae"], "m": [6],
            "seeds": [0], "capacity": 6, "metric": "fd_lenet", "steps": 2}  # fmt: skip
    (base / "datasets.json").write_text(json.dumps({"scale": SCALE, "datasets": {"mnist": info}}))
    pd.DataFrame(columns=list(COLUMN_NAMES)).to_csv(base / "runs.csv", index=False)
    return base


def test_sample_images_are_min_max_scaled_images(image_root: Path) -> None:
    images, active = samples.sample_images(run_dir(image_root, "mnist", "maae", 6, 0), 5, 0)
    assert images.shape == (5, 1, 28, 28) and 0 <= active <= 6
    flat = images.flatten(1)
    assert flat.min(1).values.tolist() == [0.0] * 5 and flat.max(1).values.tolist() == pytest.approx(
        [1.0] * 5
    )
    assert samples.grid(images).shape == (2 + 2 * 30, 2 + 3 * 30, 3)  # 2 rows, 3 columns, 2-pixel padding


def test_fig6_cli(image_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stem = tmp_path / "fig6"
    assert main(["fig6", "--dataset", "mnist", "--results", str(image_root), "--out", str(stem)]) == 0
    assert capsys.readouterr().err == ""
    assert_figure_files(stem)
    fig, problems = samples.fig6(Results.load(image_root), "mnist", None, 0, 4, 0)
    assert problems == [] and "4 draws from N(0, I_m), prior seed 0" in texts(fig)
    assert sum(bool(ax.images) for ax in fig.axes) == 2


def test_fig6_without_weights_says_so_and_still_gives_the_steps(image_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "kept"  # a committed reference keeps run folders without model.pt
    shutil.copytree(image_root, root)
    for weights in root.rglob("model.pt"):
        weights.unlink()
    fig, problems = samples.fig6(Results.load(root), "mnist", None, 0, 4, 0)
    assert len(problems) == 2 and all("model.pt" in p for p in problems)
    assert "2 steps" in texts(fig) and not any(ax.images for ax in fig.axes)


# ---------------------------------------------------------------- command line


def assert_figure_files(stem: Path) -> None:
    pdf, png = Path(f"{stem}.pdf"), Path(f"{stem}.png")
    assert pdf.read_bytes().startswith(b"%PDF") and png.read_bytes().startswith(b"\x89PNG")
    assert not list(stem.parent.glob(".*.tmp"))  # the temporary files were renamed over


@pytest.mark.parametrize(
    "argv",
    [
        ["fig1", "--datasets", "synthetic8", "mnist"],
        ["fig4", "--dataset", "synthetic8"],
        ["fig5", "--dataset", "mnist", "--m", "8", "32"],
        ["fig8", "--dataset", "mnist", "--m", "32"],
        ["heatmaps", "--dataset", "synthetic8", "--m", "16"],
    ],
)
def test_cli_writes_pdf_and_png(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    stem = tmp_path / argv[0]
    assert main([*argv, "--results", str(root), "--out", str(stem)]) == 0
    assert capsys.readouterr().err == ""
    assert_figure_files(stem)


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["fig6", "--dataset", "synthetic8"], "synthetic8: sample grids are for image data"),
        (["fig4", "--dataset", "cifar10"], f"cifar10: {CIFAR_REASON}"),
        (["fig8", "--dataset", "synthetic16", "--m", "32"], "synthetic16: not in the smoke scale"),
        (["fig8", "--dataset", "mnist", "--m", "64"], "mnist: m = 64 was not run in the smoke scale"),
    ],
)
def test_cli_placeholder_with_reason(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    stem = tmp_path / "placeholder"
    assert main([*argv, "--results", str(root), "--out", str(stem)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"warning: {argv[0]}: {reason}")
    assert_figure_files(stem)


def test_placeholder_reason_for_unlisted_and_missing_data(root: Path) -> None:
    info = manifest()
    info["datasets"]["cifar10"]["reason"] = "no batches found"
    results = Results(root, info, pd.DataFrame(columns=list(COLUMN_NAMES)))
    with pytest.raises(Unavailable, match="^cifar10: data set missing: no batches found$"):
        results.dataset("cifar10")
    fig, problems = scores.fig1(results, ["synthetic8"])
    assert problems == ["synthetic8: no WAE runs in runs.csv"] and problems[0] in texts(fig)


def test_cli_without_aggregated_results_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fig4", "--dataset", "mnist", "--results", str(tmp_path), "--out", str(tmp_path / "f")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "datasets.json not found" in err[0]
    assert not list(tmp_path.iterdir())


def test_count_text() -> None:
    assert count_text([2000, 2000], "steps") == "2,000 steps"
    assert count_text([500, 2000, float("nan")], "steps") == "500–2,000 steps"


def test_seeds_text_counts_seeds_per_point_not_in_all() -> None:
    """Five seeds in the window and two at the far points is '2–5 seeds per point', never '5 seeds'."""
    window = [("wae", 8, s) for s in range(5)]
    far = [("wae", 2, s) for s in range(2)] + [("maae", 8, s) for s in range(2)]
    rows = pd.DataFrame(window + far, columns=["model", "m", "seed"])
    assert seeds_text(rows) == "2–5 seeds per point"
    assert seeds_text(rows[rows["m"] == 8].query("model == 'wae'")) == "5 seeds"


def test_cli_bad_sample_count_is_one_error_line(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["fig6", "--dataset", "mnist", "--n", "0", "--results", str(root), "--out", str(tmp_path / "f")]
    assert main(argv) == 2
    assert capsys.readouterr().err == "error: --n must be at least 1, got 0\n"
