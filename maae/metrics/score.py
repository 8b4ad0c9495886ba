"""Every score of one trained run, written to ``scores.json`` in its folder (atomically).

Each score carries its sample counts, splits and network names; the file also records the seeds, the
options, package versions and the code version. Image runs get FID (pytorch-fid's Inception) and the
offline fd_lenet (a different metric, never comparable to the paper's FID); synthetic runs get the
Fréchet distance on the raw data (fd_raw) and the KDE log-likelihood; every run gets m_A and NAC.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from maae import io, provenance
from maae.config import ConfigError, RunConfig
from maae.data import load_split
from maae.metrics import fid, kde, offline
from maae.metrics.frechet import frechet_distance_between
from maae.metrics.images import Backbone, image_fd, minmax_per_image, real_statistics
from maae.metrics.nac import nac
from maae.metrics.options import IMAGE_METRICS, LABELLED, SYNTHETIC_METRICS, ScoreOptions, default_metrics
from maae.model import MaskAAE, load_trained
from maae.sample import encode, sample

SCORES_FILE = "scores.json"


def _check(cfg: RunConfig, opts: ScoreOptions) -> tuple[str, ...]:
    metrics = default_metrics(cfg.data.name) if opts.metrics is None else opts.metrics
    known = SYNTHETIC_METRICS if cfg.data.name == "synthetic" else IMAGE_METRICS
    for name in metrics:
        if name not in known:
            raise ConfigError(
                f"--metrics: {name!r} does not apply to {cfg.data.name} (use {', '.join(known)})"
            )
    if "fd_lenet" in metrics and cfg.data.name not in LABELLED:
        raise ConfigError(
            f"--metrics: fd_lenet needs class labels, which this suite does not read for {cfg.data.name}"
        )
    for key in ("n_samples", "n_real", "n_codes", "kde_n_fit", "kde_n_val"):
        if getattr(opts, key) < 2:
            raise ConfigError(f"--{key.replace('_', '-')}: must be at least 2, got {getattr(opts, key)}")
    if opts.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device: cuda requested but no CUDA device is available")
    return tuple(metrics)


def _rows(data: torch.Tensor, n: int, what: str) -> torch.Tensor:
    if n > data.shape[0]:
        raise ConfigError(f"{what}: {n} requested but the split has only {data.shape[0]} rows")
    return data[:n]


def cache_dir(cfg: RunConfig, given: str | Path | None) -> Path:
    """Where real statistics and classifiers are cached: as given, else <data.root>/metrics_cache."""
    return Path(given) if given else Path(cfg.data.root).expanduser() / "metrics_cache"


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None  # JSON has no NaN


def _image_scores(
    cfg: RunConfig, generated: torch.Tensor, test: torch.Tensor, metrics: tuple[str, ...],
    opts: ScoreOptions, backbones: dict[str, Backbone], classifier: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    real_images = _rows(test, opts.n_real, "--n-real")
    out = {}
    for name in ("fid", "fd_lenet"):
        if name not in metrics:
            continue
        real = real_statistics(
            backbones[name], real_images, cfg.data.name, "test", cache_dir(cfg, opts.cache_dir)
        )
        out[name] = {
            "value": image_fd(backbones[name], generated, real),
            "backbone": backbones[name].name,
            "n_generated": generated.shape[0],
            "n_real": real.n,
            "real_split": real.split,
            "real_stats_from_cache": real.from_cache,
            "generated_minmax": opts.minmax_generated,
        }
    if "fid" in out:
        out["fid"]["channels_last"] = opts.channels_last
    if "fd_lenet" in out:
        out["fd_lenet"]["classifier"] = classifier
        out["fd_lenet"]["note"] = "offline metric, not FID: never compare with the paper's FID values"
    return out


def _synthetic_scores(
    cfg: RunConfig,
    generated: np.ndarray,
    test: torch.Tensor | None,
    metrics: tuple[str, ...],
    opts: ScoreOptions,
) -> dict:
    out: dict[str, Any] = {}
    if "fd_raw" in metrics:
        real = _rows(test, opts.n_real, "--n-real").numpy()
        out["fd_raw"] = {
            "value": frechet_distance_between(generated, real),
            "n_generated": len(generated),
            "n_real": len(real),
            "real_split": "test",
        }
    if {"kde", "kde_sklearn"} & set(metrics):
        fit = _rows(load_split(cfg.data, "train"), opts.kde_n_fit, "--kde-n-fit").numpy()
        val = _rows(load_split(cfg.data, "val"), opts.kde_n_val, "--kde-n-val").numpy()
        for name, method in (("kde", "exact"), ("kde_sklearn", "sklearn")):
            if name not in metrics:
                continue
            s = kde.kde_log_likelihood(generated, fit, val, method)
            out[name] = {
                "value": s.value, "method": s.method, "bandwidth": s.bandwidth,
                "n_fit": s.n_fit, "n_val": s.n_val, "n_generated": s.n_generated,
                "fit_split": "train", "val_split": "val",
                "search": {"bandwidths": list(s.search.tried), "val_mean_ll": list(s.search.tried.values())},
            }  # fmt: skip
            if method == "sklearn":
                out[name]["disagreement_with_exact"] = kde.disagreement(s, fit, val)
    return out


def _nac_score(cfg: RunConfig, model: MaskAAE, test: torch.Tensor, opts: ScoreOptions) -> dict[str, Any]:
    codes = encode(model, _rows(test, opts.n_codes, "--n-codes"))
    result = nac(codes.numpy(), model.mu().detach().cpu().numpy(), cfg.model.active_threshold)
    return {
        "value": _finite(result.value),
        "abs_corr": _finite(result.abs_corr),
        "n_codes": result.n_codes,
        "split": "test",
        "active": result.active,
        "matrix": [[_finite(round(float(v), 6)) for v in row] for row in result.matrix],
    }


@contextlib.contextmanager
def float32_kernels() -> Iterator[None]:
    """No TF32 while scoring: torch lets cuDNN convolutions use it by default on a GPU, which would give a
    GPU's features less precision than a CPU's, against real statistics that may come from either. Restored
    after, so a caller's own choice stands."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def score_run(
    run_dir: str | Path, opts: ScoreOptions | None = None, inception: Backbone | None = None
) -> dict:
    """Score a finished run and write ``scores.json``; ``inception`` replaces the FID network (tests)."""
    with float32_kernels():
        return _score_run(run_dir, opts, inception)


def _score_run(run_dir: str | Path, opts: ScoreOptions | None, inception: Backbone | None) -> dict:
    opts = opts or ScoreOptions()
    start = time.perf_counter()
    run_dir = Path(run_dir)
    cfg, model = load_trained(run_dir)
    metrics = _check(cfg, opts)
    cuda = opts.device == "cuda" or (opts.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    model = model.to(device)
    backbones: dict[str, Backbone] = {}
    classifier: dict[str, Any] = {}
    if "fid" in metrics:  # first: a missing weights file fails before any long computation
        try:
            backbones["fid"] = inception or fid.fid_backbone(
                device, opts.fid_precision, opts.channels_last, opts.download
            )
        except fid.WeightsUnavailableError as err:
            raise fid.WeightsUnavailableError(f"{err}; or leave fid out of --metrics") from err
    if "fd_lenet" in metrics:
        backbones["fd_lenet"], classifier = offline.lenet_backbone(
            cfg.data, cache_dir(cfg, opts.cache_dir), device, opts.lenet_epochs
        )

    scores: dict[str, Any] = {}
    # Read the test split once: every score but the KDE's needs it.
    test = load_split(cfg.data, "test") if set(metrics) - {"kde", "kde_sklearn"} else None
    if set(metrics) - {"nac"}:
        generated = sample(model, opts.n_samples, torch.Generator().manual_seed(opts.seed))
        if cfg.data.name == "synthetic":
            scores.update(_synthetic_scores(cfg, generated.numpy(), test, metrics, opts))
        else:
            if opts.minmax_generated:
                generated = minmax_per_image(generated)
            scores.update(_image_scores(cfg, generated, test, metrics, opts, backbones, classifier))
    if "nac" in metrics:
        scores["nac"] = _nac_score(cfg, model, test, opts)

    result = {
        "run": str(run_dir.absolute()),
        "data": cfg.data.name,
        "model": cfg.model.kind,
        "m": cfg.model.m,
        "m_active": model.active_dimensions(),
        "active_threshold": cfg.model.active_threshold,
        "mu": model.mu().detach().cpu().tolist(),
        "metrics": list(metrics),
        "scores": scores,
        "seeds": {"sample": opts.seed, "train": cfg.train.seed, "data_generator": cfg.data.generator_seed},
        "options": dataclasses.asdict(opts),
        "device": provenance.device_name(device),
        "versions": provenance.package_versions(),
        "code_version": provenance.code_version(),
        "score_seconds": round(time.perf_counter() - start, 3),
    }
    io.write_json(run_dir / SCORES_FILE, result)
    return result
