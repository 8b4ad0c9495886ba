"""Scoring benchmark: Fréchet distance, KDE log-likelihood and Inception feature extraction on the CPU.

Prints, beside the issue's targets (2 cores):
- the Fréchet distance on 2048-d statistics, ours (eigendecompositions) vs pytorch-fid's (scipy sqrtm);
- KDE scoring of 10k generated x 10k real x 128-d and a 20-bandwidth search, exact vs scikit-learn, with
  the validation log-likelihood of both at every bandwidth (scikit-learn issue #25799) and each one's pick;
- Inception pool3 extraction in images/s for fp32, channels_last and bf16 (with bf16's feature change),
  and the projected time of the default 10k + 10k FID.
The Inception rows use pytorch-fid's weights where they are installed, else a random-weight stand-in of
the same network (same speed; bf16's feature change is then only indicative). Writes nothing unless
``--json``.

    .venv/bin/python bench/bench_metrics.py            # full sizes: several minutes (scikit-learn ~80 s)
    .venv/bin/python bench/bench_metrics.py --quick    # small sizes, a smoke run
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from pytorch_fid.fid_score import calculate_frechet_distance
from threadpoolctl import threadpool_limits

from maae import provenance
from maae.config import DataConfig
from maae.data import load_split
from maae.metrics import fid, kde
from maae.metrics.frechet import frechet_distance
from maae.metrics.images import extract

TARGETS = {"frechet_s": 1.0, "kde_speedup": 10.0}
FULL = {"d": 2048, "kde_n": 10_000, "images": 200}
QUICK = {"d": 256, "kde_n": 1_000, "images": 8}
BANDWIDTHS = np.geomspace(0.2, 1.2, 20)  # around the picks measured on Synthetic8 (0.42 and 0.57)


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, Any]:
    """Median wall time of ``repeats`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def bench_frechet(d: int, repeats: int) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((d, d + 16)), rng.standard_normal((d, d + 16)) * 0.9
    stats = (rng.standard_normal(d), a @ a.T / d, rng.standard_normal(d), b @ b.T / d)
    ours_s, ours = timed(lambda: frechet_distance(*stats), repeats)
    scipy_s, ref = timed(lambda: calculate_frechet_distance(*stats))
    row = {"d": d, "ours_s": ours_s, "scipy_sqrtm_s": scipy_s, "rel_diff": abs(ours - ref) / abs(ref)}
    print(
        f"Fréchet distance, {d}-d statistics: ours {ours_s:.2f} s (target < {TARGETS['frechet_s']:.0f} s), "
        f"pytorch-fid/scipy sqrtm {scipy_s:.2f} s, values differ by {row['rel_diff']:.1e} relative"
    )
    return row


def bench_kde(n: int, data_root: str) -> dict[str, Any]:
    cfg = DataConfig(root=data_root)  # Synthetic8, 128-d: the data of the measurement
    fit, val, gen = (load_split(cfg, s)[:n].double().numpy() for s in ("train", "val", "test"))
    h0 = float(BANDWIDTHS[len(BANDWIDTHS) // 2])
    ours_score_s, _ = timed(lambda: kde.log_density(gen, fit, h0).mean())
    ours_search_s, exact = timed(lambda: kde.log_density(val, fit, BANDWIDTHS).mean(1))
    sk_score_s, _ = timed(lambda: kde.sklearn_log_density(gen, fit, h0).mean())
    sk_search_s, sk = timed(
        lambda: np.array([kde.sklearn_log_density(val, fit, h).mean() for h in BANDWIDTHS])
    )
    score_x, search_x, target = sk_score_s / ours_score_s, sk_search_s / ours_search_s, TARGETS["kde_speedup"]
    print(
        f"KDE, {n} generated x {n} real x {fit.shape[1]}-d: scoring ours {ours_score_s:.2f} s vs "
        f"scikit-learn {sk_score_s:.2f} s ({score_x:.0f}x); 20-bandwidth search on {n} val rows ours "
        f"{ours_search_s:.2f} s vs {sk_search_s:.2f} s ({search_x:.0f}x; target >= {target:.0f}x)"
    )
    print("  bandwidth  exact val LL  scikit-learn  difference")
    for h, e, s in zip(BANDWIDTHS, exact, sk, strict=True):
        print(f"  {h:9.3f}  {e:12.2f}  {s:12.2f}  {s - e:10.2f}")
    picks = {"exact": float(BANDWIDTHS[np.argmax(exact)]), "sklearn": float(BANDWIDTHS[np.argmax(sk)])}
    print(f"  picked bandwidth: exact {picks['exact']:.3f}, scikit-learn {picks['sklearn']:.3f}")
    return {
        "n": n, "d": fit.shape[1], "ours_score_s": ours_score_s, "sklearn_score_s": sk_score_s,
        "ours_search_s": ours_search_s, "sklearn_search_s": sk_search_s, "bandwidths": BANDWIDTHS.tolist(),
        "exact_val_ll": exact.tolist(), "sklearn_val_ll": sk.tolist(), "picked": picks,
    }  # fmt: skip


def bench_inception(n: int, fd_seconds: float) -> dict[str, Any]:
    try:
        state, weights = fid.load_weights(download=False), "pytorch-fid weights"
    except fid.WeightsUnavailableError:
        state, weights = fid.random_state_dict(0), "random-weight stand-in (weights not installed)"
    model = fid.build_inception(state)
    images = torch.randint(
        0, 256, (n, 1, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0)
    )
    variants = {
        "fp32": {"channels_last": False},
        "fp32 channels_last": {"channels_last": True},
        "bf16 channels_last": {"channels_last": True, "precision": "bf16"},
    }
    rows, reference = {}, None
    print(f"Inception pool3 on the CPU, {n} 28x28 images, {weights}:")
    for name, kwargs in variants.items():
        backbone = fid.inception_backbone(model, "bench", **kwargs)
        extract(backbone, images[:2])  # warm-up
        seconds, feats = timed(lambda b=backbone: extract(b, images))
        reference = feats if reference is None else reference
        change = np.abs(feats - reference).max() / np.abs(reference).max()
        rows[name] = {"images_per_s": n / seconds, "max_feature_change": float(change)}
        print(f"  {name:20s} {n / seconds:7.1f} img/s   max |feature change| / max |feature| {change:.1e}")
    default = rows["fp32 channels_last"]["images_per_s"]
    projected = 20_000 / default + fd_seconds
    print(
        f"  projected default FID (10k generated + 10k real, fp32 channels_last): {projected / 60:.1f} min "
        f"({10_000 / default / 60:.1f} min once the real statistics are cached)"
    )
    return {"weights": weights, "variants": rows, "projected_fid_s": projected}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    p.add_argument("--threads", type=int, default=2, help="torch and BLAS threads (default 2)")
    p.add_argument("--data-root", default="data", help="where the synthetic data cache lives (default data)")
    p.add_argument("--only", default="frechet,kde,inception", help="comma-separated sections to run")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    torch.set_num_threads(args.threads)
    print(f"{provenance.device_name(torch.device('cpu'))}; sizes: {sizes}")
    out: dict[str, Any] = {"sizes": sizes, "threads": args.threads, "versions": provenance.package_versions()}
    with threadpool_limits(limits=args.threads):
        if "frechet" in only:
            out["frechet"] = bench_frechet(sizes["d"], repeats=1 if args.quick else 3)
        if "kde" in only:
            out["kde"] = bench_kde(sizes["kde_n"], args.data_root)
        if "inception" in only:
            fd_seconds = out.get("frechet", {}).get("ours_s", 1.0) if sizes["d"] == 2048 else 1.0
            out["inception"] = bench_inception(sizes["images"], fd_seconds)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
