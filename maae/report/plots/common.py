"""What every figure shares: the results root it reads, the facts its titles state, placeholders, saving."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import EngFormatter, MaxNLocator

from maae import io
from maae.kinds import MODEL_KINDS
from maae.report import fmt, reference, stats
from maae.report.aggregate import capacity, planned_runs, read_results, unavailable_reason
from maae.scales import run_dir

MODEL_LABELS = {name: k.label for name, k in MODEL_KINDS.items()}
COLORS = {name: k.colour for name, k in MODEL_KINDS.items()} | {"m_active": "tab:green"}
# Axis labels: the offline metric must never read as FID.
METRIC_LABELS = {
    "fid": "FID (Inception-v3)",
    "fd_lenet": "Fréchet distance, LeNet features (not FID)",
    "fd_raw": "Fréchet distance, raw data",
}
FORMATS = ("pdf", "png")
DPI = 150


class Unavailable(Exception):
    """A figure or panel that cannot be drawn; the message says why and is what the placeholder shows."""


@dataclass(frozen=True)
class Results:
    """One scale's results root: datasets.json, runs.csv and the run folders (see maae.report)."""

    root: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame

    @classmethod
    def load(cls, root: str | Path, runs: list[str] | None = None) -> Results:
        """``runs``: per-data-set runs.csv files to read instead of the scale's runs.csv (see load_runs)."""
        manifest, frame = read_results(root, runs)
        return cls(Path(root), manifest, frame)

    def per_m(self, rows: pd.DataFrame, column: str = "score") -> pd.DataFrame:
        """Mean with its interval over seeds, seed count and per-seed values at each m (maae.report.stats,
        with the reference's pre-registered bootstrap settings, as the tables and claims use); Unavailable
        where no run has a value, so the panel says so."""
        table = stats.per_m(rows, column, **stats.settings(reference.load()))
        if table.empty:
            models = ", ".join(MODEL_LABELS.get(m, m) for m in sorted(rows["model"].unique())) or "no model"
            raise Unavailable(
                f"{', '.join(sorted(rows['dataset'].unique()))}: no {column} values for {models}"
            )
        return table

    @property
    def scale(self) -> str:
        return str(self.manifest.get("scale", "unknown"))

    def dataset(self, name: str) -> dict[str, Any]:
        """datasets.json's entry for a data set that ran; Unavailable saying why it did not."""
        reason = unavailable_reason(self.manifest, name)
        if reason is not None:
            raise Unavailable(f"{name}: {reason}")
        return self.manifest["datasets"][name]

    def runs_of(self, dataset: str, model: str) -> pd.DataFrame:
        """runs.csv rows of one data set and model; Unavailable when there are none."""
        self.dataset(dataset)
        rows = self.runs[(self.runs["dataset"] == dataset) & (self.runs["model"] == model)]
        if rows.empty:
            raise Unavailable(f"{dataset}: no {MODEL_LABELS[model]} runs in runs.csv")
        return rows

    def capacity(self, dataset: str) -> int:
        self.dataset(dataset)
        return capacity(self.manifest, dataset)

    def run_folder(self, dataset: str, model: str, m: int, seed: int) -> Path:
        """The folder of one run the scale made; Unavailable naming what was not run."""
        info = self.dataset(dataset)
        for what, value, grid in (
            ("model", model, info["models"]),
            ("m", m, info["m"]),
            ("seed", seed, info["seeds"]),
        ):
            if value not in grid:
                ran = ", ".join(str(v) for v in grid)
                raise Unavailable(
                    f"{dataset}: {what} = {value} was not run in the {self.scale} scale ({what} run: {ran})"
                )
        if (model, m, seed) not in planned_runs(info):  # more_seeds: a seed trained at some m only
            ran = sorted(pm for pmodel, pm, ps in planned_runs(info) if (pmodel, ps) == (model, seed))
            raise Unavailable(
                f"{dataset}: {MODEL_LABELS.get(model, model)} seed {seed} was not run at m = {m} in the "
                f"{self.scale} scale (seed {seed} runs at m = {', '.join(map(str, ran))})"
            )
        folder = run_dir(self.root, dataset, model, m, seed)
        if not folder.is_dir():
            raise Unavailable(f"{dataset}: run folder {folder.relative_to(self.root)} is missing")
        return folder


def require_file(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise Unavailable(f"{path} is missing")
    return path


def read_json(folder: Path, name: str) -> dict[str, Any]:
    return json.loads(require_file(folder, name).read_text())


def count_text(values: Iterable[Any], unit: str) -> str:
    """'2,000 steps', or the range when runs differ: a title must not hide that they did."""
    found = fmt.span(values, thousands=True)
    return f"unknown {unit}" if found == fmt.MISSING else f"{found} {unit}"


def seeds_text(rows: pd.DataFrame, column: str = "score") -> str:
    """Seeds behind each plotted point (model, m), '2–5 seeds per point' where points differ: a
    scale gives more seeds where claims need them, and a title must not lend every point the most. Seeds
    without a value are not drawn, so not counted."""
    if column in rows:
        rows = rows.dropna(subset=[column])
    per_point = rows.groupby(["model", "m"])["seed"].nunique()
    if per_point.empty:
        return "no seeds"
    if per_point.nunique() == 1:
        return fmt.count(int(per_point.iloc[0]), "seeds")
    return f"{fmt.span(per_point.tolist())} seeds per point"


def score_text(rows: pd.DataFrame) -> str:
    """The metric and its sample counts, e.g. 'fd_raw, 10,000 generated vs 10,000 real'."""
    metric = " / ".join(sorted(rows["score_metric"].dropna().unique()))
    return f"{metric}, {count_text(rows['n_generated'], 'generated')} vs {count_text(rows['n_real'], 'real')}"


def metric_label(rows: pd.DataFrame) -> str:
    metrics = sorted(rows["score_metric"].dropna().unique())
    return " / ".join(METRIC_LABELS.get(m, m) for m in metrics) + "\n(lower is better)"


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure on the Agg canvas, laid out so that titles and labels are never cut off."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def wrap(text: str, width: int = 60) -> str:
    """Wrapped at spaces only, so that paths and names in a reason stay whole."""
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
        for line in text.splitlines()
    )


def placeholder_axes(ax: Axes, reason: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, wrap(reason, 40), ha="center", va="center", transform=ax.transAxes, fontsize=10)


def placeholder_figure(title: str, reason: str) -> Figure:
    fig = new_figure(7, 3)
    fig.suptitle(title)
    placeholder_axes(fig.add_subplot(), reason)
    return fig


def spread_text() -> str:
    """What a band means, for a figure's title."""
    confidence = reference.load()["statistics"]["confidence"]
    return f"line: mean over seeds; band: its {round(confidence * 100)}% interval over seeds; dots: each seed"


def band(ax: Axes, stats: pd.DataFrame, color: str, label: str, marker: str = "o", ls: str = "-") -> None:
    """Mean over seeds as a line, its interval over seeds as a shaded band (none where one seed gives
    none), and every seed's own value as a dot: a reader sees how many seeds and how far apart."""
    m = stats.index.to_numpy(dtype=float)
    low, high = stats["low"].to_numpy(dtype=float), stats["high"].to_numpy(dtype=float)
    ax.plot(m, stats["mean"].to_numpy(dtype=float), color=color, marker=marker, ms=4, ls=ls, label=label)
    ax.fill_between(m, low, high, color=color, alpha=0.2, lw=0)
    finite = ~np.isnan(low) & ~np.isnan(high)
    # a band is drawn between neighbours: an interval with none beside it (an m run alone) is a bar
    alone = finite & ~np.r_[False, finite[:-1]] & ~np.r_[finite[1:], False]
    if alone.any():
        ax.vlines(m[alone], low[alone], high[alone], color=color, alpha=0.5, lw=4)
    dots = [(x, v) for x, values in zip(m, stats["values"], strict=True) for v in values]
    if dots:
        xs, ys = zip(*dots, strict=True)
        ax.scatter(xs, ys, color=color, s=8, alpha=0.5, marker=marker, lw=0)


def step_axis(ax: Axes) -> None:
    """Training steps as 5k, 500k: full numbers run into each other in a narrow panel."""
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(EngFormatter(sep=""))
    ax.set_xlabel("training step")


def save(fig: Figure, stem: str | Path) -> list[Path]:
    """STEM.pdf and STEM.png, each written to a temporary name in the same folder and renamed over."""

    def writer(fmt: str):
        def write(f: IO[bytes]) -> None:
            fig.savefig(f, format=fmt, dpi=DPI)

        return write

    return [io.atomic_write(Path(f"{stem}.{fmt}"), writer(fmt)) for fmt in FORMATS]
