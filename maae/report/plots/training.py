"""Figures 5 and 8: one MAAE run's training log (metrics.csv) over the training steps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from maae.report import reference
from maae.report.plots.common import (
    COLORS,
    Results,
    Unavailable,
    count_text,
    new_figure,
    placeholder_axes,
    read_json,
    require_file,
    step_axis,
)

# Figure 5 of the paper is MNIST (paper_reference.yaml figures.fig5.claim): its m_A are shown only there.
PAPER_FIG5_DATASET = "mnist"
CURVES = ("omega", "recon", "m_active")


def read_metrics(folder: Path) -> pd.DataFrame:
    return pd.read_csv(require_file(folder, "metrics.csv"))


def mu_history(metrics: pd.DataFrame, m: int) -> pd.DataFrame:
    """mu_0..mu_{m-1} indexed by step, in dimension order; a log with another number of mu is refused."""
    columns = [f"mu_{j}" for j in range(m)]
    found = [c for c in metrics.columns if c.startswith("mu_")]
    if sorted(found) != sorted(columns):
        raise Unavailable(f"metrics.csv has {len(found)} mu columns, expected mu_0..mu_{m - 1} for m = {m}")
    return metrics.set_index("step")[columns]


def training_curves(metrics: pd.DataFrame) -> pd.DataFrame:
    """omega, recon and m_active indexed by step."""
    absent = [c for c in ("step", *CURVES) if c not in metrics.columns]
    if absent:
        raise Unavailable(f"metrics.csv has no {', '.join(absent)} column")
    return metrics.set_index("step")[list(CURVES)]


def settle_step(m_active: pd.Series) -> int:
    """The first logged step from which m_A stays at its final value (where the paper reads Figure 8)."""
    differs = np.flatnonzero(m_active.to_numpy() != m_active.iloc[-1])
    return int(m_active.index[differs[-1] + 1 if differs.size else 0])


def _mu_panel(ax: Axes, results: Results, dataset: str, m: int, seed: int, paper_m_active: int | None) -> int:
    """Draw one run's mu over steps; returns the run's last logged step."""
    folder = results.run_folder(dataset, "maae", m, seed)
    metrics = read_metrics(folder)
    mu = mu_history(metrics, m)
    threshold = read_json(folder, "config.json")["model"]["active_threshold"]
    active = (mu.iloc[-1] >= threshold).to_numpy()
    if (~active).any():
        ax.plot(mu.index, mu.loc[:, ~active], color="grey", lw=0.6, alpha=0.6)
    if active.any():
        ax.plot(mu.index, mu.loc[:, active], color=COLORS["maae"], lw=0.9)
    ax.axhline(threshold, color="k", ls=":", lw=1)
    ax.legend(
        handles=[
            Line2D([], [], color=COLORS["maae"], label=f"active at the end ({active.sum()})"),
            Line2D([], [], color="grey", label=f"masked at the end ({(~active).sum()})"),
            Line2D([], [], color="k", ls=":", label=f"threshold {threshold:g}"),
        ],
        fontsize=8,
    )
    title = f"m = {m}: final m_A = {int(metrics['m_active'].iloc[-1])}"
    if paper_m_active is not None:
        title += f"\npaper (Figure 5): m_A = {paper_m_active}"
    ax.set_title(title, fontsize=10)
    step_axis(ax)
    ax.set_ylabel("mask value μ_j")
    return int(metrics["step"].iloc[-1])


def fig5(results: Results, dataset: str, ms: list[int], seed: int) -> tuple[Figure, list[str]]:
    """Each mu_j of the MAAE run over training, one panel per m."""
    cited = reference.load()["figures"]["fig5"]
    paper = dict(zip(cited["m"], cited["m_active"], strict=True)) if dataset == PAPER_FIG5_DATASET else {}
    fig = new_figure(max(4.3 * len(ms), 7.5), 4.6)  # one panel still holds the figure's title
    problems, steps = [], []
    for ax, m in zip(fig.subplots(1, len(ms), squeeze=False)[0], ms, strict=True):
        try:
            steps.append(_mu_panel(ax, results, dataset, m, seed, paper.get(m)))
        except Unavailable as err:
            placeholder_axes(ax, str(err))
            problems.append(str(err))
    fig.suptitle(
        f"Figure 5: {dataset}, MAAE mask values μ_j over training (training seed {seed})\n"
        f"{results.scale} scale · {count_text(steps, 'steps')} · 1 seed",
        fontsize=11,
    )
    return fig, problems


def fig8(results: Results, dataset: str, m: int, seed: int) -> tuple[Figure, list[str]]:
    """omega, reconstruction and m_A of one MAAE run over training, stacked on one step axis."""
    info = results.dataset(dataset)
    folder = results.run_folder(dataset, "maae", m, seed)
    curves = training_curves(read_metrics(folder))
    recon = read_json(folder, "config.json")["model"]["recon"]
    settle, final = settle_step(curves["m_active"]), int(curves["m_active"].iloc[-1])
    labels = {"omega": "ω (Wasserstein estimate)", "recon": f"reconstruction ({recon})", "m_active": "m_A"}

    fig = new_figure(7.5, 7.5)
    axes = fig.subplots(len(CURVES), 1, sharex=True)
    for ax, column in zip(axes, CURVES, strict=True):
        ax.plot(curves.index, curves[column], color=COLORS["m_active" if column == "m_active" else "maae"])
        ax.axvline(settle, color="grey", ls=":", label=f"m_A stays at {final} from step {settle:,}")
        ax.set_ylabel(labels[column])
    axes[0].axhline(0, color="k", lw=0.6)
    if info.get("n"):
        axes[-1].axhline(info["n"], color="k", ls="-.", lw=1, label=f"n = {info['n']}")
    axes[0].legend(fontsize=8)
    axes[-1].legend(fontsize=8)
    step_axis(axes[-1])
    fig.suptitle(
        f"Figure 8: {dataset}, MAAE training curves, m = {m}, training seed {seed}\n"
        f"{results.scale} scale · {count_text([curves.index[-1]], 'steps')} · 1 seed",
        fontsize=11,
    )
    return fig, []
