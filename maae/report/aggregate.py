"""Collect every run folder of one scale into the tidy ``runs.csv`` (one row per run)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from maae import io
from maae.kinds import kind_of
from maae.report import reference
from maae.report.stats import final_change, stable_since
from maae.scales import run_dir

# (column, meaning); the order of runs.csv. Every score is "lower is better" except kde.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("scale", "smoke, cpu or paper: the config scale that produced the run"),
    ("dataset", "the workflow's data set key, e.g. synthetic8 or mnist"),
    ("data", "maae data set name: synthetic, mnist, fashion_mnist, cifar10, celeba"),
    ("n", "true latent size (synthetic data only)"),
    ("model", "the model kind (maae.kinds): maae, wae (mask off) or wae_gan"),
    ("m", "latent size (model capacity)"),
    ("seed", "training seed"),
    ("steps", "training iterations run"),
    ("m_active", "active dimensions after training (mu_j >= active_threshold); m for the WAE"),
    ("m_active_since", "the first logged step from which m_A stayed as it ended (metrics.csv)"),
    (
        "recon_final_change",
        "relative change of the logged training reconstruction loss over the final settled_fraction of "
        "training (paper_reference.yaml statistics; mean of the window's second half over its first, minus "
        "1): whether the score's training had levelled off (shown, never judged)",
    ),
    (
        "train_seconds",
        "measured training wall time in seconds (resumed runs: summed; a packed run: its share, the pack's "
        "time over its members)",
    ),
    ("iterations_per_second", "training speed"),
    ("device", "training device"),
    ("score_metric", "the data set's primary score: fid, fd_lenet or fd_raw (lower is better)"),
    ("score", "value of score_metric"),
    ("metric_backbone", "what the primary score's features come from"),
    ("fid", "Frechet Inception distance (pytorch-fid weights)"),
    ("fd_lenet", "Frechet distance in the features of a LeNet trained here (offline stand-in for FID)"),
    ("fd_raw", "Frechet distance on the raw data (synthetic data, the paper's score)"),
    ("kde", "mean KDE log-likelihood of generated samples (higher is better; Table 3)"),
    ("kde_bandwidth", "bandwidth chosen on the validation split"),
    ("nac", "the paper's NAC: mean off-diagonal min-max normalised |covariance| (Table 2)"),
    ("nac_abs_corr", "mean off-diagonal |correlation| of the same codes"),
    ("n_generated", "generated samples behind the primary score"),
    ("n_real", "real test samples behind the primary score"),
    ("n_codes", "encoded test samples behind NAC"),
    ("kde_n_fit", "train rows the KDE was fitted on"),
    ("sample_seed", "seed of the prior draws used for scoring"),
    ("code_version", "git commit of the code that trained the run"),
    ("torch_version", "torch version that trained the run"),
    ("score_device", "scoring device"),
    ("run_dir", "run folder, relative to the results root"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)

BACKBONES = {
    "fid": "Inception-v3 pool3 (pytorch-fid port of the TF graph)",
    "fd_lenet": "LeNet trained here on the data set's train split",
    "fd_raw": "raw data (no network)",
}


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}", inner, out)
    else:
        out[prefix] = value


def run_row(results: Path, folder: Path, scale: str, dataset: str, metric: str) -> dict[str, Any]:
    """One runs.csv row from a run folder's summary.json, scores.json and config.json."""
    summary = json.loads((folder / "summary.json").read_text())
    scores = json.loads((folder / "scores.json").read_text())
    config = json.loads((folder / "config.json").read_text())
    values = scores["scores"]
    if metric not in values or values[metric].get("value") is None:
        raise ValueError(f"{folder}: scores.json has no {metric} (scored: {', '.join(values)})")

    def value(name: str, key: str = "value") -> Any:
        return values.get(name, {}).get(key)

    row: dict[str, Any] = {
        "scale": scale,
        "dataset": dataset,
        "data": config["data"]["name"],
        "n": config["data"]["n"] if config["data"]["name"] == "synthetic" else None,
        "model": kind_of(config["model"]),
        "m": config["model"]["m"],
        "seed": config["train"]["seed"],
        "steps": summary["steps"],
        "m_active": scores["m_active"],
        **_training_log_facts(folder),
        "train_seconds": summary["train_seconds"],
        "iterations_per_second": summary["iterations_per_second"],
        "device": summary["device"],
        "score_metric": metric,
        "score": value(metric),
        "metric_backbone": BACKBONES[metric],
        "fid": value("fid"),
        "fd_lenet": value("fd_lenet"),
        "fd_raw": value("fd_raw"),
        "kde": value("kde"),
        "kde_bandwidth": value("kde", "bandwidth"),
        "nac": value("nac"),
        "nac_abs_corr": value("nac", "abs_corr"),
        "n_generated": value(metric, "n_generated"),
        "n_real": value(metric, "n_real"),
        "n_codes": value("nac", "n_codes"),
        "kde_n_fit": value("kde", "n_fit"),
        "sample_seed": scores["seeds"]["sample"],
        "code_version": summary["code_version"],
        "torch_version": summary["versions"].get("torch"),
        "score_device": scores["device"],
        "run_dir": folder.relative_to(results).as_posix(),
    }
    _flatten("cfg", config, row)
    return row


def _training_log_facts(folder: Path) -> dict[str, Any]:
    """What runs.csv reads from a run's metrics.csv (read once): when m_A settled, how far the
    reconstruction loss still moved at the end. Empty cells without a log."""
    log = folder / "metrics.csv"
    if not log.is_file():
        return {"m_active_since": None, "recon_final_change": None}
    frame = pd.read_csv(log, usecols=["step", "m_active", "recon"])
    steps = frame["step"].tolist()
    return {
        "m_active_since": stable_since(steps, frame["m_active"].tolist()),
        "recon_final_change": final_change(steps, frame["recon"].tolist(), _final_fraction()),
    }


@functools.cache
def _final_fraction() -> float:
    return float(reference.load()["statistics"]["settled_fraction"])


def aggregate_dataset(results: str | Path, manifest: dict[str, Any], dataset: str) -> pd.DataFrame:
    """The rows of one data set, written to ``runs/<dataset>/runs.csv``.

    Every run the manifest lists must be there: the workflow calls this once they are all scored, so a
    table never silently drops a run.
    """
    results = Path(results)
    info = manifest["datasets"][dataset]
    if info["status"] != "ok":
        raise ValueError(f"{dataset}: not aggregated, {info['reason']}")
    rows = [
        run_row(
            results, run_dir(results, dataset, model, m, seed), manifest["scale"], dataset, info["metric"]
        )
        for model, m, seed in planned_runs(info)
    ]
    frame = _ordered(pd.DataFrame(rows))
    io.write_text(results / "runs" / dataset / "runs.csv", frame.to_csv(index=False))
    return frame


def planned_runs(info: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(model, m, seed) of a data set's runs from datasets.json; one written before the ``runs`` entry
    (e.g. a committed reference run) had every model over the whole grid."""
    if "runs" in info:
        return [tuple(run) for run in info["runs"]]
    return [(model, m, seed) for model in info["models"] for m in info["m"] for seed in info["seeds"]]


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=list(COLUMN_NAMES))
    cfg_columns = sorted(c for c in frame.columns if c.startswith("cfg."))
    return frame[list(COLUMN_NAMES) + cfg_columns]


def combine(results: str | Path, files: list[str | Path]) -> pd.DataFrame:
    """The tidy ``runs.csv`` of the scale: every data set's rows (a data set with missing data has none)."""
    frames = [pd.read_csv(f) for f in files]
    frame = _ordered(pd.concat(frames, ignore_index=True) if frames else pd.DataFrame())
    io.write_text(Path(results) / "runs.csv", frame.to_csv(index=False))
    return frame


def load_runs(results: str | Path, files: list[str | Path] | None = None) -> pd.DataFrame:
    """runs.csv of a results root, or the concatenation of the given per-data-set files (empty cells: NaN).

    ``files=[]`` means no data set of the target could run: an empty table, not the whole scale's.
    """
    if files is None:
        return pd.read_csv(Path(results) / "runs.csv")
    if not files:
        return pd.DataFrame(columns=list(COLUMN_NAMES))
    return _ordered(pd.concat([pd.read_csv(f) for f in files], ignore_index=True))


def load_manifest(results: str | Path) -> dict[str, Any]:
    return json.loads((Path(results) / "datasets.json").read_text())


class ResultsError(ValueError):
    """A results root a report cannot read (wrong folder, not aggregated, damaged files): one line a user
    can act on."""


# What every report (tables, figures, verdict) reads from runs.csv; older tables may lack the other columns.
NEEDED_COLUMNS = (
    "scale", "dataset", "model", "m", "seed", "steps", "m_active", "train_seconds", "device", "score_metric",
    "score", "metric_backbone", "kde", "nac", "nac_abs_corr", "n_generated", "n_real", "n_codes",
    "kde_n_fit", "code_version", "torch_version",
)  # fmt: skip


def read_results(
    results: str | Path, files: list[str | Path] | None = None
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The one loader of every report: datasets.json and runs.csv (or the given per-data-set tables, as
    ``load_runs``), checked, or ResultsError naming the file and what is wrong with it."""
    results = Path(results)
    if not results.is_dir():
        raise ResultsError(f"{results}: no such results folder")
    needed = [results / "datasets.json", *(map(Path, files) if files is not None else [results / "runs.csv"])]
    for path in needed:
        if not path.is_file():
            raise ResultsError(f"{path} not found: run the workflow's manifest and aggregation steps first")
    try:
        manifest = load_manifest(results)
        runs = load_runs(results, files)
    except (json.JSONDecodeError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ResultsError(f"{results}: unreadable runs table or datasets.json ({err})") from err
    if (
        not isinstance(manifest, dict)
        or not isinstance(manifest.get("datasets"), dict)
        or "scale" not in manifest
    ):
        raise ResultsError(f"{results / 'datasets.json'}: needs the keys scale and datasets (a mapping)")
    absent = [c for c in NEEDED_COLUMNS if c not in runs.columns]
    if absent:
        raise ResultsError(f"{needed[-1]}: no column {', '.join(absent)}")
    return manifest, runs


def unavailable_reason(manifest: dict[str, Any], dataset: str) -> str | None:
    """Why a data set has no runs in this scale (shown in place of its values), or None when it ran."""
    info = manifest["datasets"].get(dataset)
    if info is None:
        return f"not in the {manifest.get('scale', 'unknown')} scale"
    if info["status"] == "ok":
        return None
    reason = info.get("reason") or f"{info['status']}, no reason recorded"
    if info["status"] == "missing" and not reason.startswith("data set missing"):
        reason = f"data set missing: {reason}"
    return reason


def capacity(manifest: dict[str, Any], dataset: str) -> int | None:
    """The Table 1/2 capacity m of a data set; as in the workflow, its largest m when not recorded."""
    info = manifest["datasets"].get(dataset)
    if info is None:
        return None
    value = info.get("capacity") or max(info["m"], default=None)
    return None if value is None else int(value)


def table2_m(manifest: dict[str, Any], dataset: str, paper_m: int | None) -> int | None:
    """The m of a data set's Table 2 (m_A, NAC): the paper's where the scale's grid has it (then the two may
    be compared), else the capacity. The table and the NAC claim both read it, so they show one m."""
    grid = manifest["datasets"].get(dataset, {}).get("m", [])
    return paper_m if paper_m is not None and paper_m in grid else capacity(manifest, dataset)


def later_looks(manifest: dict[str, Any], dataset: str) -> dict[tuple[str, int, int], int]:
    """(model, m, seed) of each run a scale added after a verdict was seen (more_seeds ``look:``), with its
    look: the runs a reader must be able to tell apart, since two looks at a claim err more often than one."""
    info = manifest["datasets"].get(dataset, {})
    return {(model, int(m), int(seed)): int(look) for model, m, seed, look in info.get("later_looks", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m maae.report.aggregate", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("dataset", help="one data set's runs into runs/<dataset>/runs.csv")
    p.add_argument("--results", type=Path, required=True, help="results root holding datasets.json")
    p.add_argument("--dataset", required=True)
    p = sub.add_parser("combine", help="per-data-set tables into <results>/runs.csv")
    p.add_argument("--results", type=Path, required=True)
    p.add_argument("files", nargs="*", type=Path, help="runs/<dataset>/runs.csv files")
    args = parser.parse_args(argv)
    try:
        if args.command == "dataset":
            frame = aggregate_dataset(args.results, load_manifest(args.results), args.dataset)
            print(f"{args.dataset}: {len(frame)} runs -> {args.results / 'runs' / args.dataset / 'runs.csv'}")
        else:
            frame = combine(args.results, args.files)
            print(f"{len(frame)} runs -> {args.results / 'runs.csv'}")
    except KeyError as err:
        print(f"error: --dataset: {err} is not in {args.results / 'datasets.json'}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
