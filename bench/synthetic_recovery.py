"""Does the mask find the true latent size? MAAE and WAE on synthetic data, on a CPU budget.

Trains MAAE and its mask-off WAE twin on Synthetic-n for each m and seed, then prints m_A, the
Fréchet distance between 10,000 generated and the 10,000 test points (paper footnote 5: on the
raw d-dim data) and the wall time of each run. ``make demo`` runs the default: n = 8, m = 16 and
24, seeds 0-2, 20,000 iterations per run, two runs at a time on one thread each.

The hyper-parameters are the cpu scale's synthetic recipe, read from config/cpu.yaml (one recipe, one
place): the library defaults (the authors' script) except four, changed so that a 20,000-iteration CPU
run can do what a 500,000-iteration one does (README, "Synthetic data"):
- lambda1 = 30 (not 1000): with the reconstruction averaged over the 128 data dimensions, 1000
  lets the reconstruction term drown the Wasserstein term of L_mask and the mask stops at m_A 11-13
  (Synthetic8, m = 24); 100 suffices at n = 8 and 16 but stalls at m_A 6-7 at n = 4, where 30
  reaches n in one seed of three (5 and 6 in the others);
- lr_mask = 5e-3 (not 5e-4): under RMSProp theta moves about lr per step, so a 25x shorter run
  needs a larger step to travel as far;
- lambda3 doubles every steps/20 iterations (the authors' 4R is 300 for m <= 20), so the
  binarising pressure grows over the run instead of freezing the random initial mask;
- RMSProp's squared-gradient average starts at 0 (the authors' tf.train starts it at 1, maae's default
  since 2026-12): the recipe was found with 0, and with 1 it still finds n = 8 (m = 16, 24: m_A 8 in
  all six runs) but leaves n = 16 at m_A 13, 15, 12 (m = 32), where 0 gives 16, 16, 16.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from maae import scales
from maae.config import RunConfig, parse_override
from maae.data import load_split
from maae.kinds import MODEL_KINDS
from maae.metrics.frechet import frechet_distance_between
from maae.model import load_trained
from maae.sample import sample
from maae.scales import run_dir
from maae.train import train

REPO = Path(__file__).resolve().parents[1]
RECIPE = REPO / "config" / "cpu.yaml"  # the recipe's one home: the run: section of its synthetic8


def run_config(
    n: int,
    m: int,
    model: str,
    seed: int,
    steps: int,
    root: str,
    bf16: bool = False,
    lambda1: float | None = None,
) -> RunConfig:
    """The cpu scale's synthetic run (its recipe, schedules as fractions of the run) at this n and length."""
    scale = scales.load(RECIPE)
    entry = scale["datasets"]["synthetic8"]
    entry["data"], entry["steps"] = {"name": "synthetic", "n": n, "root": root}, steps
    values = scales.run_overrides(scale, "synthetic8", model, m, seed) | {
        "train.bf16": bf16,
        "train.progress": "none",
        "train.log_every": max(1, steps // 100),
        "train.checkpoint_every": max(1, steps // 10),
    }
    if lambda1 is not None:
        values["model.lambda1"] = lambda1
    return RunConfig().replace(**values)


def one_run(args: tuple[RunConfig, str, int]) -> dict:
    cfg, out, n_samples = args
    torch.set_num_threads(1)
    start = time.perf_counter()
    summary = train(cfg, out)
    wall = time.perf_counter() - start
    _, model = load_trained(out)
    generated = sample(model, n_samples, torch.Generator().manual_seed(10_000 + cfg.train.seed)).numpy()
    test = load_split(cfg.data, "test")[:n_samples].numpy()
    result = {
        "n": cfg.data.n,
        "m": cfg.model.m,
        "model": summary["model"],
        "seed": cfg.train.seed,
        "steps": summary["steps"],
        "m_active": summary["m_active"],
        "fd_raw": frechet_distance_between(generated, test),
        "fd_samples": n_samples,
        "wall_seconds": round(wall, 1),
        "train_seconds": summary["train_seconds"],
        "iterations_per_second": summary["iterations_per_second"],
        "code_version": summary["code_version"],
        "run_dir": out,
    }
    Path(out, "recovery.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=8, help="true latent size (default 8)")
    p.add_argument("--m", type=int, nargs="+", default=[16, 24], help="model capacities (default 16 24)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=20_000, help="iterations per run (default 20000)")
    p.add_argument("--models", nargs="+", default=["maae", "wae"], choices=list(MODEL_KINDS))
    p.add_argument("--jobs", type=int, default=2, help="runs in parallel, one thread each (default 2)")
    p.add_argument("--samples", type=int, default=10_000, help="generated and test points for FD")
    p.add_argument("--out", type=Path, default=REPO / "results" / "synthetic_recovery")
    p.add_argument("--data-root", default=str(REPO / "data"))
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast (runs go under OUT/bf16/)")
    p.add_argument("--lambda1", type=float, help="lambda1 of L_mask (default: the recipe's)")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="another maae.config override"
    )
    args = p.parse_args(argv)

    load_split(run_config(args.n, args.m[0], "maae", 0, 1, args.data_root).data, "train")  # cache once
    jobs = []
    for m in args.m:
        for model in args.models:
            for seed in args.seeds:
                cfg = run_config(args.n, m, model, seed, args.steps, args.data_root, args.bf16, args.lambda1)
                cfg = cfg.replace(**dict(parse_override(text) for text in args.set))
                out = run_dir(args.out / ("bf16" if args.bf16 else ""), f"synthetic{args.n}", model, m, seed)
                jobs.append((cfg, str(out), args.samples))
    print(f"{len(jobs)} runs of {args.steps} iterations, {args.jobs} at a time", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one_run, jobs))

    print(
        f"\nSynthetic{args.n}{' (bf16 autocast)' if args.bf16 else ''}: {args.steps} iterations per run; "
        f"FD on the raw data, {args.samples} generated vs {args.samples} test points"
    )
    print(f"{'model':<8}{'m':>4}{'seed':>6}{'m_A':>6}{'FD':>10}{'wall s':>9}{'it/s':>8}")
    for r in results:
        print(
            f"{r['model']:<8}{r['m']:>4}{r['seed']:>6}{r['m_active']:>6}{r['fd_raw']:>10.4f}"
            f"{r['wall_seconds']:>9.1f}{r['iterations_per_second']:>8.1f}"
        )
    for m in args.m:
        maae = [r for r in results if r["m"] == m and r["model"] == "maae"]
        line = f"m={m}:"
        if maae:
            hits = sum(abs(r["m_active"] - args.n) <= 2 and r["m_active"] >= args.n - 1 for r in maae)
            line += f" MAAE m_A within [n-1, n+2] for {hits}/{len(maae)} seeds;"
        fds = {
            MODEL_KINDS[model].label: [r["fd_raw"] for r in results if r["m"] == m and r["model"] == model]
            for model in args.models
        }
        print(line + " median FD " + ", ".join(f"{k} {np.median(v):.4f}" for k, v in fds.items() if v))
    (args.out / f"synthetic{args.n}{'_bf16' if args.bf16 else ''}_summary.json").write_text(
        json.dumps(results, indent=2) + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
