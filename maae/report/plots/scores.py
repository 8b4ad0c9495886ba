"""Figures 1 and 4: the primary score and m_A against the latent size m, over seeds (from runs.csv)."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from maae.report.plots.common import (
    COLORS,
    MODEL_LABELS,
    Results,
    Unavailable,
    band,
    count_text,
    metric_label,
    new_figure,
    placeholder_axes,
    score_text,
    seeds_text,
    spread_text,
)


def best_m(stats: pd.DataFrame) -> int:
    """The m of the lowest mean score (every primary score is lower-is-better)."""
    return int(stats["mean"].idxmin())


def run_facts(rows: pd.DataFrame) -> str:
    return f"{count_text(rows['steps'], 'steps')}, {seeds_text(rows)}"


def _wae_panel(ax: Axes, results: Results, dataset: str) -> list[str]:
    """The WAE's curve and, where the scale trained it, the WAE-GAN's; what could not be drawn beside it
    is returned, not drawn over the panel."""
    info = results.dataset(dataset)
    problems = []
    rows = results.runs_of(dataset, "wae")
    stats = results.per_m(rows)
    band(ax, stats, COLORS["wae"], "WAE")
    best = best_m(stats)
    ax.plot(best, stats.loc[best, "mean"], "k*", ms=14, zorder=3, label=f"minimum at m = {best}")
    if info.get("n"):
        ax.axvline(info["n"], color="grey", ls="--", lw=1, label=f"n = {info['n']}")
    if "wae_gan" in info["models"]:  # Tolstikhin et al.'s WAE-GAN, where the scale trained it
        try:
            gan = results.per_m(results.runs_of(dataset, "wae_gan"))
            band(ax, gan, COLORS["wae_gan"], MODEL_LABELS["wae_gan"], marker="D")
        except Unavailable as err:
            problems.append(str(err))
    ax.set_xlabel("latent size m")
    ax.set_ylabel(metric_label(rows))
    ax.set_title(f"{dataset}\n{score_text(rows)}\n{run_facts(rows)}", fontsize=9)
    ax.legend(fontsize=8)
    return problems


def fig1(results: Results, datasets: list[str]) -> tuple[Figure, list[str]]:
    """The WAE's score against m, one panel (own axis, own metric) per data set."""
    fig = new_figure(max(4.3 * len(datasets), 7.5), 4.4)  # one panel still holds the figure's title
    problems = []
    for ax, dataset in zip(fig.subplots(1, len(datasets), squeeze=False)[0], datasets, strict=True):
        try:
            problems += _wae_panel(ax, results, dataset)
        except Unavailable as err:
            placeholder_axes(ax, str(err))
            problems.append(str(err))
    fig.suptitle(
        f"Figure 1: WAE score against latent size m ({results.scale} scale)\n{spread_text()}", fontsize=11
    )
    return fig, problems


def fig4(results: Results, dataset: str) -> tuple[Figure, list[str]]:
    """Each model's score (left axis; MAAE, WAE and, where trained, WAE-GAN) and MAAE's m_A (right axis)
    against m, with m_A = n and m_A = m."""
    info = results.dataset(dataset)
    rows, problems = {}, []
    for model in [k for k in MODEL_LABELS if k in ("maae", "wae") or k in info["models"]]:
        try:
            rows[model] = results.runs_of(dataset, model)
        except Unavailable as err:
            problems.append(str(err))
    if not rows:
        raise Unavailable("; ".join(problems))
    both = pd.concat(rows.values())

    fig = new_figure(7.5, 5.6)
    ax = fig.add_subplot()
    for model, model_rows in rows.items():
        try:
            band(ax, results.per_m(model_rows), COLORS[model], f"{MODEL_LABELS[model]} score")
        except Unavailable as err:
            problems.append(str(err))
    ax.set_xlabel("latent size m")
    ax.set_ylabel(metric_label(both))

    right = ax.twinx()
    if "maae" in rows:
        try:
            m_active = results.per_m(rows["maae"], "m_active")
            band(right, m_active, COLORS["m_active"], "MAAE m_A", marker="s", ls="--")
        except Unavailable as err:
            problems.append(str(err))
    lo, hi = both["m"].min(), both["m"].max()
    right.plot([lo, hi], [lo, hi], color="grey", ls=":", label="m_A = m")
    if info.get("n"):
        right.axhline(info["n"], color="k", ls="-.", lw=1, label=f"m_A = n = {info['n']}")
    right.set_ylabel("MAAE m_A (active dimensions)")
    right.set_ylim(bottom=0)

    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = right.get_legend_handles_labels()
    fig.legend(handles + more_handles, labels + more_labels, loc="outside lower center", ncols=3, fontsize=9)
    fig.suptitle(
        f"Figure 4: {dataset}, score and m_A against latent size m\n"
        f"{results.scale} scale · {score_text(both)} · {run_facts(both)}\n{spread_text()}",
        fontsize=10,
    )
    return fig, problems
