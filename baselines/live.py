"""Live: train what a search asks for, in the grid's own run folders, so that nothing is trained twice.

A run lives at ``maae.scales.run_dir(results, dataset, model, m, seed)``, the folder the grid
uses: a folder with summary.json and scores.json is a cache hit, whether the grid or an earlier search
made it; one with summary.json only is scored; any other is trained (resuming from its newest
checkpoint, if a killed job left one) and scored, with the scale's own run config and score options.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from baselines.source import LOWER_IS_BETTER, BaselineError, DatasetUnavailable, Run
from maae import scales
from maae.config import RunConfig
from maae.metrics.options import ScoreOptions
from maae.metrics.score import SCORES_FILE, score_run
from maae.report.aggregate import run_row
from maae.scales import run_dir
from maae.train import train

TrainFn = Callable[[RunConfig, Path], Any]
ScoreFn = Callable[[Path, ScoreOptions], Any]


@dataclass
class LiveSource:
    results: Path
    scale: str
    dataset: str
    metric: str
    make_config: Callable[[str, int, int], RunConfig]  # (model, m, seed) -> the grid's config for that run
    score_options: ScoreOptions
    train_fn: TrainFn = train
    score_fn: ScoreFn = score_run
    trained: list[tuple[str, int, int]] = field(default_factory=list)  # (model, m, seed) trained here
    mode: str = "live"

    def run(self, model: str, m: int, seed: int) -> Run:
        folder = run_dir(self.results, self.dataset, model, m, seed)
        if not (folder / "summary.json").is_file():
            self.train_fn(self.make_config(model, m, seed), folder)
            self.trained.append((model, m, seed))
        if not (folder / SCORES_FILE).is_file():
            self.score_fn(folder, self.score_options)
        try:
            return Run.from_row(run_row(self.results, folder, self.scale, self.dataset, self.metric))
        except ValueError as err:  # scores.json scored without the primary metric
            raise BaselineError(str(err)) from err


def from_scale(
    scale_cfg: dict[str, Any], dataset: str, train_fn: TrainFn = train, score_fn: ScoreFn = score_run
) -> LiveSource:
    """A LiveSource for one data set of a loaded scale (maae.scales.load): the grid's results root,
    primary metric, run configs and score options; DatasetUnavailable when its data files are missing."""
    if dataset not in scale_cfg["datasets"]:
        known = ", ".join(scale_cfg["datasets"])
        raise BaselineError(f"{dataset!r} is not in the {scale_cfg['scale']} scale ({known})")
    reason = scales.missing_reason(scale_cfg, dataset)
    if reason:
        raise DatasetUnavailable(f"{dataset}: data set missing: {reason}", scale_cfg["scale"])
    metric = scales.metric(scale_cfg, dataset)
    if metric not in LOWER_IS_BETTER:
        raise BaselineError(f"{dataset}: primary metric {metric} is not one of {', '.join(LOWER_IS_BETTER)}")
    return LiveSource(
        results=scales.results_root(scale_cfg),
        scale=scale_cfg["scale"],
        dataset=dataset,
        metric=metric,
        make_config=lambda model, m, seed: scales.run_config(scale_cfg, dataset, model, m, seed),
        score_options=scales.score_options(scale_cfg, dataset),
        train_fn=train_fn,
        score_fn=score_fn,
    )
