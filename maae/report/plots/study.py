"""A sensitivity study's figures: the map (setting × n -> share of runs finding n) and one panel per axis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from maae.report import fmt
from maae.report.plots.common import new_figure

N_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def heatmap(cells: pd.DataFrame, title: str) -> Figure:
    """Rows: settings in the study's order; columns: n. Colour: the share of runs finding n ± 1; each cell
    also says found/runs, each seed's m_A (how far a miss is, and on which side) and the mean Fréchet
    distance, so a setting that finds n with worse samples shows."""
    settings = list(dict.fromkeys(cells["setting"]))
    ns = sorted(cells["n"].unique())
    share = np.full((len(settings), len(ns)), np.nan)
    fig = new_figure(2.2 + 1.9 * len(ns), 1.2 + 0.55 * len(settings))
    ax = fig.add_subplot()
    for c in cells.itertuples():
        i, j = settings.index(c.setting), ns.index(c.n)
        share[i, j] = c.share
        dark = c.share < 0.5  # viridis: dark purple at 0, yellow at 1
        ax.text(
            j,
            i,
            f"{c.found}/{c.runs}  m_A {c.m_active}\nFD {fmt.num(c.fd_raw)}",
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
    fig.colorbar(image, ax=ax, label="share of runs with settled m_A within n ± 1")
    ax.set_title(title, fontsize=10)
    return fig


def _position(values: list[object]) -> tuple[list[float], bool]:
    """x positions of an axis's resolved values: on a log scale where all are positive numbers (the base
    included), else evenly spaced categories."""
    if all(isinstance(x, int | float) and not isinstance(x, bool) and x > 0 for x in values):
        return [float(x) for x in values], True
    return [float(i) for i in range(len(values))], False


def axes(cells: pd.DataFrame, verdicts: list[dict], title: str) -> Figure:
    """One panel per axis: the share of runs finding n at each value (resolved), one line per n, the base
    dotted, the panel titled with the axis's verdict."""
    ns = sorted(cells["n"].unique())
    cols = min(3, max(1, len(verdicts)))
    rows = max(1, math.ceil(len(verdicts) / cols))
    fig = new_figure(4.2 * cols, 3.0 * rows)
    fig.suptitle(title, fontsize=10)
    for k, v in enumerate(verdicts):
        ax = fig.add_subplot(rows, cols, k + 1)
        settings = [r["setting"] for r in v["values"]]
        xs, numeric = _position([r["resolved"] for r in v["values"]])
        labels = [f"{r['value']}\n({fmt.value(r['resolved'])})" for r in v["values"]]
        order = np.argsort(xs)
        for i, (color, n) in enumerate(zip(N_COLORS, ns, strict=False)):
            at_n = cells[cells["n"] == n].set_index("setting")["share"]
            ys = [float(at_n.get(setting, math.nan)) for setting in settings]
            size = 9 - 2.5 * i  # nested markers: equal shares of several n stay visible
            ax.plot(np.array(xs)[order], np.array(ys)[order], "o-", ms=size, color=color, label=f"n = {n}")
        ax.axvline(xs[0], color="grey", ls=":", lw=1)
        if numeric:
            ax.set_xscale("log")
            ax.minorticks_off()
        ax.set_xticks(xs, labels=labels, fontsize=7)
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel("share finding n ± 1")
        ax.set_title(f"{v['axis']} ({v['key']}): {v['verdict']}", fontsize=9)
        if k == 0:
            ax.legend(fontsize=7)
    return fig
