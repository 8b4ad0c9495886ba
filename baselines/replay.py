"""Replay: a search as a sequence of look-ups in a finished grid's runs.csv (nothing is trained).

A grid holds a sorted list of m values, not every integer, so a replayed search runs over the *index*
of that list: ternary search on the list [4, 8, 16, 24, 32] probes indices, i.e. grid points, and can
only choose a grid point. Its cost is the sum of the measured train times of the distinct runs it looked
at, which is what the search would have spent had it trained them itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from baselines.source import LOWER_IS_BETTER, BaselineError, DatasetUnavailable, MissingRun, Run
from maae.report.aggregate import load_runs


class ReplaySource:
    """One data set's rows of runs.csv; ``run`` is a look-up."""

    mode = "replay"

    def __init__(self, runs: pd.DataFrame, dataset: str, where: str):
        self.dataset = dataset
        self.where = where
        self.rows = runs[runs["dataset"] == dataset]
        if self.rows.empty:
            known = ", ".join(sorted(runs["dataset"].unique()))
            raise BaselineError(f"no runs of {dataset!r} in {where} (data sets: {known})")
        self.scale = _single(self.rows, "scale", where)
        self.metric = _single(self.rows, "score_metric", where)
        if self.metric not in LOWER_IS_BETTER:
            raise BaselineError(f"{where}: {dataset} is scored by {self.metric}, not a lower-is-better score")
        duplicated = self.rows.duplicated(["model", "m", "seed"])
        if duplicated.any():
            first = self.rows[duplicated].iloc[0]
            raise BaselineError(f"{where}: two rows for {first['model']} m={first['m']} seed {first['seed']}")

    def run(self, model: str, m: int, seed: int) -> Run:
        hit = self.rows[(self.rows["model"] == model) & (self.rows["m"] == m) & (self.rows["seed"] == seed)]
        if hit.empty:
            raise MissingRun(f"no {model} run at m={m}, seed {seed} in {self.where}")
        return Run.from_row(hit.iloc[0].to_dict())

    def wae_grid(self) -> tuple[list[int], list[int]]:
        """The sorted m values and seeds of the data set's WAE runs."""
        wae = self.rows[self.rows["model"] == "wae"]
        if wae.empty:
            raise BaselineError(f"{self.where}: {self.dataset} has no WAE runs to search over")
        return sorted(int(m) for m in wae["m"].unique()), sorted(int(s) for s in wae["seed"].unique())

    def gaps(self, candidates: list[int]) -> dict[int, list[int]]:
        """Per seed of the WAE runs, the candidate m it has no WAE run at (a seed trained only on part of
        the grid, e.g. a scale's more_seeds, cannot replay a search over the rest)."""
        wae = self.rows[self.rows["model"] == "wae"]
        return {
            int(seed): sorted(set(candidates) - {int(m) for m in group["m"]})
            for seed, group in wae.groupby("seed")
        }


def _single(rows: pd.DataFrame, column: str, where: str) -> str:
    values = rows[column].dropna().unique()
    if len(values) != 1:
        raise BaselineError(f"{where}: expected one {column} per data set, found {list(values)}")
    return str(values[0])


def open_results(results: str | Path, dataset: str) -> ReplaySource:
    """The data set's runs under one results root: ``runs/<dataset>/runs.csv`` where the workflow wrote one
    (the file its baseline rule waits for), else the scale's ``runs.csv``. DatasetUnavailable when
    datasets.json says the data set did not run (missing data, or skipped)."""
    results = Path(results)
    manifest_path = results / "datasets.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        info = manifest["datasets"].get(dataset)
        if info is not None and info["status"] != "ok":
            raise DatasetUnavailable(f"{dataset}: {info.get('reason') or info['status']}", manifest["scale"])
    own = results / "runs" / dataset / "runs.csv"
    path = own if own.is_file() else results / "runs.csv"
    if not path.is_file():
        raise BaselineError(f"no runs.csv under {results} nor {own} (aggregate the grid first)")
    return ReplaySource(load_runs(results, [path]), dataset, str(path))
