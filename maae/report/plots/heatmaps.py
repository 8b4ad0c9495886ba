"""The NAC covariance heatmaps (supplement §10.4): WAE and MAAE codes' normalised |covariance| at one m."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from maae.report.plots.common import (
    MODEL_LABELS,
    Results,
    Unavailable,
    count_text,
    new_figure,
    placeholder_axes,
    read_json,
)

MAX_TICKS = 16  # tick labels of active dimensions; at 28 of 64 (MNIST's MAAE) neighbours overlapped


@dataclass(frozen=True)
class NacMatrix:
    matrix: np.ndarray  # over all m dimensions, min-max normalised; undefined entries NaN
    active: list[int]  # the dimensions NAC is computed over
    value: float | None
    n_codes: int
    steps: int


def read_nac(folder: Path) -> NacMatrix:
    """scores.json's NAC matrix (null entries, written for undefined values, become NaN)."""
    nac = read_json(folder, "scores.json")["scores"].get("nac") or {}
    if "matrix" not in nac:
        raise Unavailable(f"{folder / 'scores.json'} has no NAC matrix: score the run with nac")
    matrix = np.array(nac["matrix"], dtype=float)
    steps = read_json(folder, "summary.json")["steps"]
    return NacMatrix(matrix, list(nac["active"]), nac.get("value"), int(nac["n_codes"]), int(steps))


def shared_range(matrices: list[np.ndarray]) -> tuple[float, float]:
    """One colour scale for every matrix, so equal colours mean equal values across panels."""
    values = np.concatenate([m.ravel() for m in matrices])
    values = values[np.isfinite(values)]
    return (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)


def _draw(ax: Axes, model: str, nac: NacMatrix, vmin: float, vmax: float):
    image = ax.imshow(nac.matrix, vmin=vmin, vmax=vmax, cmap="viridis", interpolation="nearest")
    value = "undefined" if nac.value is None else f"{nac.value:.3f}"
    k, m = len(nac.active), nac.matrix.shape[0]
    marked = k < m and k <= MAX_TICKS  # more tick labels than that would overlap
    over = f"all {m} dims" if k == m else f"its {k} active dims{' (ticks)' if marked else ''}"
    ax.set_title(f"{MODEL_LABELS[model]}: NAC = {value} over {over}", fontsize=10)
    if marked:
        ax.set_xticks(nac.active, labels=[str(j) for j in nac.active], rotation=90)
        ax.set_yticks(nac.active)
        ax.tick_params(labelsize=7)
    else:  # whole dimensions only (at small m the default ticks fall at -0.5, 0.25, ...)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("latent dimension")
    return image


def heatmaps(results: Results, dataset: str, m: int | None, seed: int) -> tuple[Figure, list[str]]:
    """The WAE's and MAAE's NAC matrices at one m (default: the scale's capacity) on one colour scale."""
    m = results.capacity(dataset) if m is None else m
    fig = new_figure(11, 5.6)
    axes = dict(zip(("wae", "maae"), fig.subplots(1, 2), strict=True))
    loaded, problems = {}, []
    for model, ax in axes.items():
        try:
            loaded[model] = read_nac(results.run_folder(dataset, model, m, seed))
        except Unavailable as err:
            placeholder_axes(ax, str(err))
            problems.append(str(err))
    if loaded:
        vmin, vmax = shared_range([nac.matrix for nac in loaded.values()])
        for model, nac in loaded.items():
            image = _draw(axes[model], model, nac, vmin, vmax)
        fig.colorbar(
            image, ax=list(axes.values()), shrink=0.85, label="normalised |covariance| (shared scale)"
        )
    fig.suptitle(
        f"NAC covariance matrices: {dataset}, m = {m}, training seed {seed}\n"
        f"{results.scale} scale · {count_text([v.n_codes for v in loaded.values()], 'test codes')} · "
        f"{count_text([v.steps for v in loaded.values()], 'steps')} · 1 seed",
        fontsize=11,
    )
    return fig, problems
