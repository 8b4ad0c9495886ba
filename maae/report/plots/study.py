"""A sensitivity study's figures: the map (setting × n -> share of runs finding n) and one panel per axis."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from maae.report import fmt
from maae.report.plots.common import new_figure
from maae.studies import positive_number

N_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def n_colors(count: int) -> list[Any]:
    """One colour per n: the six distinct ones, or a longer qualitative map where a study has more n (none
    may be dropped)."""
    if count <= len(N_COLORS):
        return list(N_COLORS[:count])
    return [colormaps["tab20"](i % 20) for i in range(count)]


def heatmap(cells: pd.DataFrame, title: str, within: int) -> Figure:
    """Rows: settings in the study's order; columns: n. Colour: the share of runs finding n ± ``within``;
    each cell also says found/runs, each seed's m_A (how far a miss is, and on which side), the mean
    Fréchet distance, so a setting that finds n with worse samples shows, and how many masks were still
    moving."""
    settings = list(dict.fromkeys(cells["setting"]))
    ns = sorted(cells["n"].unique())
    share = np.full((len(settings), len(ns)), np.nan)
    height = max(3.8, 1.2 + 0.55 * len(settings))  # at least 3.8 in, so the colour bar's label fits
    fig = new_figure(2.2 + 1.9 * len(ns), height)
    ax = fig.add_subplot()
    for c in cells.itertuples():
        i, j = settings.index(c.setting), ns.index(c.n)
        share[i, j] = c.share
        dark = c.share < 0.5  # viridis: dark purple at 0, yellow at 1
        ax.text(
            j,
            i,
            f"{c.found}/{c.runs}  m_A {c.m_active}\nFD {fmt.num(c.fd_raw)}"
            + (f"  ({c.runs - c.settled} still moving)" if c.settled < c.runs else ""),
            ha="center",
            va="center",
            fontsize=7,
            color="white" if dark else "black",
        )
    image = ax.imshow(share, vmin=0, vmax=1, cmap="viridis", aspect="auto", interpolation="nearest")
    ax.set_xticks(
        range(len(ns)), labels=[f"n = {n} (m = {int(cells[cells['n'] == n]['m'].iloc[0])})" for n in ns]
    )
    ax.set_yticks(range(len(settings)), labels=settings, fontsize=8)
    fig.colorbar(image, ax=ax, label=f"share of runs with settled m_A within n ± {within}")
    ax.set_title(title, fontsize=10)
    return fig


def _ordered(values: list[dict]) -> list[dict]:
    """An axis's values left to right: numbers ascending, then the rest (e.g. the authors' 4R) in the
    study's order."""
    numbers = [
        v for v in values if isinstance(v["resolved"], int | float) and not isinstance(v["resolved"], bool)
    ]
    return sorted(numbers, key=lambda v: v["resolved"]) + [v for v in values if v not in numbers]


def _position(values: list[object]) -> tuple[list[float], bool]:
    """x positions of an axis's resolved values: on a log scale where all are positive numbers (the base
    included), else evenly spaced categories."""
    if all(positive_number(x) for x in values):
        return [float(x) for x in values], True
    return [float(i) for i in range(len(values))], False


def _shifted(x: float, numeric: bool, step: float) -> float:
    """A point set ``step`` places beside its value's position, so equal offsets stay visible."""
    return x * 1.03**step if numeric else x + 0.03 * step


def axes(runs: pd.DataFrame, verdicts: list[dict], within: int, title: str) -> Figure:
    """One panel per axis: each MAAE run's final m_A − n at each value (resolved), one colour per n (hollow:
    mask still moving), a line through each n's mean, the band n ± ``within`` that counts as finding n
    shaded, the base dotted, the pooled runs finding n above each value ("shown" where the rule does not
    judge it), the panel titled with the axis's verdict. The share alone saturates at 1 wherever the rule
    is met; the offsets show how close each value came and on which side a miss lies."""
    masked = runs[runs["model"] != "wae"]
    ns = sorted(masked["n"].unique())
    seeds = sorted(masked["seed"].unique())
    cols = min(3, max(1, len(verdicts)))
    rows = max(1, math.ceil(len(verdicts) / cols))
    fig = new_figure(4.2 * cols, 3.2 * rows)
    fig.suptitle(title, fontsize=10)
    if not verdicts:  # a study of whole settings only: nothing varies one at a time
        fig.text(
            0.5, 0.5, "no axes in this study:\nits settings are in the heatmap", ha="center", va="center"
        )
    for k, v in enumerate(verdicts):
        ax = fig.add_subplot(rows, cols, k + 1)
        values = _ordered(v["values"])
        xs, numeric = _position([r["resolved"] for r in values])
        ax.axhspan(-within, within, color="0.92", zorder=0, label=f"n ± {within}")
        ax.axhline(0, color="grey", lw=0.8, zorder=0)
        for i, (color, n) in enumerate(zip(n_colors(len(ns)), ns, strict=True)):
            at_n = masked[masked["n"] == n]
            centre = (i - (len(ns) - 1) / 2) * (len(seeds) + 1)  # each n's seeds side by side
            means = []
            for x, r in zip(xs, values, strict=True):
                at = at_n[at_n["setting"] == r["setting"]]
                for run in at.itertuples():
                    ax.scatter(
                        _shifted(x, numeric, centre + seeds.index(run.seed) - (len(seeds) - 1) / 2),
                        run.offset,
                        s=16,
                        facecolors=color if run.settled else "none",
                        edgecolors=color,
                        zorder=3,
                    )
                means.append(float(at["offset"].mean()) if len(at) else math.nan)
            shifted = [_shifted(x, numeric, centre) for x in xs]
            ax.plot(shifted, means, "-", color=color, lw=1.2, label=f"n = {n}", zorder=2)
        for x, r in zip(xs, values, strict=True):
            share = r["share"]
            text = f"{round(share.estimate * share.seeds)}/{share.seeds}" + (
                "" if r["judged"] else " (shown)"
            )
            ax.annotate(
                text, (x, 1.0), xycoords=("data", "axes fraction"), ha="center", va="bottom", fontsize=7
            )
        ax.axvline(
            next(x for x, r in zip(xs, values, strict=True) if r["value"] == "base"),
            color="grey",
            ls=":",
            lw=1,
        )
        if numeric:
            ax.set_xscale("log")
            ax.minorticks_off()
        ax.set_xticks(xs, labels=[f"{r['value']}\n({fmt.value(r['resolved'])})" for r in values], fontsize=7)
        if not numeric:
            ax.set_xlim(xs[0] - 0.5, xs[-1] + 0.5)
        low, high = ax.get_ylim()
        ax.set_ylim(min(low, -within - 0.5), max(high, within + 0.5))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("final m_A − n")
        ax.set_title(f"{v['axis']} ({v['key']}): {v['verdict']}", fontsize=9, pad=12)
        if k == 0:
            ax.legend(fontsize=7)
    return fig
