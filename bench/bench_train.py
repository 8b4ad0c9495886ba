"""Training-throughput benchmark: iterations per second, FLOPs and fraction of matmul peak.

Times the library's own training iteration (``maae.train.iteration`` on a ``TrainingState``), driven
the way ``maae.train.train_loop`` drives it (fresh draws, optional bf16 autocast), so it measures
whatever the trainer currently does. Nothing is written to disk except the optional ``--json`` file.

    .venv/bin/python bench/bench_train.py                 # synthetic + mnist, 10 s each, 2 threads
    .venv/bin/python bench/bench_train.py --quick         # ~15 s smoke run
    .venv/bin/python bench/bench_train.py --settings synthetic --bf16 --json bench.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

from maae import provenance
from maae.config import RunConfig, resolve
from maae.data import data_shape
from maae.train import TrainingState, iteration, pick_device

# Targets from the issue (2 CPU threads) and what a plain PyTorch loop reaches there.
TARGETS_IT_S = {"synthetic": 150.0, "mnist": 4.0}
BASELINE_IT_S = {"synthetic": 80.0, "mnist": 2.5}
TARGET_THREADS = 2

SETTINGS: dict[str, dict[str, Any]] = {
    # data values do not matter for speed; passing train_data means no cache is read or written
    "synthetic": {
        "overrides": {"data.name": "synthetic", "data.n": 8, "data.d": 128, "model.m": 32},
        "data": lambda: torch.randn(60_000, 128),
        "models": ("maae", "wae"),
    },
    "mnist": {
        "overrides": {"data.name": "mnist", "model.m": 48},
        "data": lambda: torch.randint(0, 256, (60_000, 1, 28, 28), dtype=torch.uint8),
        "models": ("maae",),
    },
}


@dataclass
class Row:
    setting: str
    model: str
    precision: str
    arch: str
    m: int
    batch_size: int
    it_s: float = float("nan")
    it_s_windows: list[float] = field(default_factory=list)
    iterations_timed: int = 0
    flops_per_it: float = float("nan")
    gflop_s: float = float("nan")
    fraction_of_peak: float = float("nan")
    target_it_s: float | None = None
    baseline_it_s: float | None = None
    meets_target: bool | None = None
    finite: bool = True


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_peak(device: torch.device, sizes: tuple[int, ...], reps: int, dtype=torch.float32) -> dict:
    """Best-of-``reps`` GFLOP/s of an n x n @ n x n ``torch.mm`` for each size; peak = the best."""
    per_size = {}
    for n in sizes:
        a = torch.randn(n, n, device=device).to(dtype)
        b = torch.randn(n, n, device=device).to(dtype)
        c = torch.empty(n, n, device=device, dtype=dtype)
        torch.mm(a, b, out=c)  # warm-up (thread pool, cuBLAS handle)
        sync(device)
        best = float("inf")
        for _ in range(reps):
            t0 = time.perf_counter()
            torch.mm(a, b, out=c)
            sync(device)
            best = min(best, time.perf_counter() - t0)
        per_size[n] = 2.0 * n**3 / best / 1e9
        del a, b, c
    return {"gflop_s": max(per_size.values()), "per_size": per_size}


class _GlobalOnly:
    """Stand-in for FlopCounterMode's ModuleTracker: totals only, no per-module attribution.

    ModuleTracker puts multi-grad hooks on module inputs, and those raise "A leaf node was passed to
    _will_engine_execute_node ..." inside the gradient penalty's ``torch.autograd.grad(...,
    create_graph=True)`` (torch 2.x). We only need the "Global" total, so module tracking is off.
    """

    parents = frozenset({"Global"})

    def __enter__(self) -> _GlobalOnly:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def flop_counter() -> FlopCounterMode:
    counter = FlopCounterMode(display=False)
    if hasattr(counter, "mod_tracker"):
        counter.mod_tracker = _GlobalOnly()
    return counter


def make_state(cfg: RunConfig, data: torch.Tensor) -> tuple[TrainingState, torch.Tensor]:
    cfg = resolve(cfg)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    state = TrainingState(cfg, data_shape(cfg.data), pick_device(cfg.train.device))
    state.model.train()
    return state, data.to(state.device)


def one_iteration(state: TrainingState, data: torch.Tensor, autocast) -> dict[str, torch.Tensor]:
    """One step exactly as ``maae.train.train_loop`` takes it (minus logging and checkpoints)."""
    with autocast():
        return iteration(state, state.draw(data))


def bench_row(row: Row, cfg: RunConfig, data: torch.Tensor, args, peak: float) -> Row:
    state, data = make_state(cfg, data)
    device = state.device

    def autocast():
        if cfg.train.bf16:
            return torch.autocast(device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    # warm-up: at least args.warmup_its iterations and args.warmup seconds
    sync(device)
    t0 = time.perf_counter()
    n = 0
    while n < args.warmup_its or time.perf_counter() - t0 < args.warmup:
        one_iteration(state, data, autocast)
        n += 1
        if n % 8 == 0:
            sync(device)
    sync(device)

    # FLOPs of one iteration (matmul/conv incl. backward and the GP's double backward)
    counter = flop_counter()
    with counter:
        one_iteration(state, data, autocast)
    sync(device)
    row.flops_per_it = float(counter.get_total_flops())

    # timed windows
    window = args.seconds / args.windows
    rates, total, out = [], 0, {}
    for _ in range(args.windows):
        sync(device)
        t0 = time.perf_counter()
        n = 0
        while True:
            out = one_iteration(state, data, autocast)
            n += 1
            if device.type == "cuda" and n % 16:
                continue  # check the clock (and so synchronise) only every 16 iterations
            sync(device)
            elapsed = time.perf_counter() - t0
            if elapsed >= window:
                break
        rates.append(n / elapsed)
        total += n
    row.finite = all(bool(torch.isfinite(v).all()) for v in out.values())

    row.it_s_windows = [round(r, 3) for r in rates]
    row.iterations_timed = total
    row.it_s = statistics.median(rates)
    if row.flops_per_it > 0:
        row.gflop_s = row.flops_per_it * row.it_s / 1e9
        row.fraction_of_peak = row.gflop_s / peak
    if row.model == "maae" and row.precision == "fp32" and row.setting in TARGETS_IT_S:
        row.target_it_s = TARGETS_IT_S[row.setting]
        row.baseline_it_s = BASELINE_IT_S[row.setting]
        if device.type == "cpu" and torch.get_num_threads() == TARGET_THREADS:
            row.meets_target = row.it_s >= row.target_it_s
    return row


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default="synthetic,mnist", help="comma-separated: synthetic, mnist")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=TARGET_THREADS, help="torch CPU threads (default 2)")
    p.add_argument("--seconds", type=float, default=10.0, help="timed seconds per row (default 10)")
    p.add_argument("--windows", type=int, default=3, help="timed windows per row; the median is reported")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per row (default 2)")
    p.add_argument("--warmup-its", type=int, default=3, help="minimum warm-up iterations per row")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--bf16", action="store_true", help="add rows with train.bf16=true (autocast)")
    p.add_argument("--quick", action="store_true", help="~15 s smoke run (short windows, small peak test)")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.windows, args.warmup, args.warmup_its = 2.0, 2, 0.5, 2
    args.settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [s for s in args.settings if s not in SETTINGS]
    if unknown or not args.settings:
        p.error(f"--settings: unknown {unknown or 'empty'} (known: {', '.join(SETTINGS)})")
    if args.threads < 1 or args.seconds <= 0 or args.windows < 1:
        p.error("--threads and --windows must be >= 1, --seconds > 0")
    return args


def _no_nan(d: dict[str, Any]) -> dict[str, Any]:
    """NaN (not measured) -> null, so the file is strict JSON."""
    return {k: None if isinstance(v, float) and v != v else v for k, v in d.items()}


def fmt(x: float | None, spec: str) -> str:
    if x is None or x != x:  # None or NaN
        return "-"
    return format(x, spec)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)

    sizes = (1024, 2048) if device.type == "cpu" else (2048, 4096, 8192)
    reps = (3 if args.quick else 8) if device.type == "cpu" else (5 if args.quick else 20)
    if args.quick and device.type == "cpu":
        sizes = (1024, 1536)
    peak = matmul_peak(device, sizes, reps)
    peak_bf16 = matmul_peak(device, sizes, reps, torch.bfloat16) if args.bf16 else None

    header = {
        "torch": torch.__version__,
        "device": provenance.device_name(device),
        "threads": torch.get_num_threads(),
        "cpu": provenance.cpu_model(),
        "code_version": provenance.code_version(),
        "seconds_per_row": args.seconds,
        "windows": args.windows,
        "peak_fp32_gflop_s": round(peak["gflop_s"], 2),
        "peak_fp32_per_size": {str(k): round(v, 2) for k, v in peak["per_size"].items()},
    }
    if peak_bf16 is not None:
        header["peak_bf16_gflop_s"] = round(peak_bf16["gflop_s"], 2)
    print(f"torch {header['torch']} | device {header['device']} | threads {header['threads']}")
    print(f"cpu: {header['cpu']}")
    print(f"code: {header['code_version']}")
    sizes_text = ", ".join(f"{k}: {v:.1f}" for k, v in peak["per_size"].items())
    print(f"fp32 matmul peak: {peak['gflop_s']:.1f} GFLOP/s (best torch.mm per size n: {sizes_text})")
    if peak_bf16 is not None:
        print(f"bf16 matmul peak: {peak_bf16['gflop_s']:.1f} GFLOP/s (fraction below is vs fp32 peak)")
    print(
        f"timing: {args.seconds:g} s per row in {args.windows} windows (median), "
        f"after >= {args.warmup:g} s / {args.warmup_its} its warm-up"
    )
    print(flush=True)

    rows: list[Row] = []
    precisions = ("fp32", "bf16") if args.bf16 else ("fp32",)
    for name in args.settings:
        spec = SETTINGS[name]
        data = spec["data"]()
        for model in spec["models"]:
            for precision in precisions:
                cfg = RunConfig().replace(
                    **spec["overrides"],
                    **{
                        "model.kind": model,
                        "train.batch_size": args.batch_size,
                        "train.device": device.type,
                        "train.threads": args.threads,
                        "train.bf16": precision == "bf16",
                        "train.progress": "none",
                    },
                )
                row = Row(name, model, precision, "", cfg.model.m, args.batch_size)
                row.arch = resolve(cfg).model.arch
                print(f"  running {name}/{model}/{precision} ...", file=sys.stderr, flush=True)
                rows.append(bench_row(row, cfg, data, args, peak["gflop_s"]))

    cols = (
        "setting",
        "model",
        "prec",
        "arch",
        "it/s",
        "MFLOP/it",
        "GFLOP/s",
        "%peak",
        "target",
        "baseline",
        "meets",
    )
    table = [cols]
    for r in rows:
        meets = (
            "-"
            if r.target_it_s is None
            else ("n/a" if r.meets_target is None else ("yes" if r.meets_target else "NO"))
        )
        table.append(
            (
                r.setting,
                r.model,
                r.precision,
                r.arch,
                fmt(r.it_s, ".1f"),
                fmt(r.flops_per_it / 1e6, ".1f"),
                fmt(r.gflop_s, ".2f"),
                fmt(100 * r.fraction_of_peak, ".1f"),
                fmt(r.target_it_s, "g"),
                fmt(r.baseline_it_s, "g"),
                meets,
            )
        )
    widths = [max(len(str(t[i])) for t in table) for i in range(len(cols))]
    for i, t in enumerate(table):
        print(
            "  ".join(
                str(c).rjust(w) if j >= 4 else str(c).ljust(w)
                for j, (c, w) in enumerate(zip(t, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\ntargets/baselines are for {TARGET_THREADS} CPU threads, fp32 MAAE; "
        "'n/a' = not measured in that configuration"
    )
    for r in rows:
        if not r.finite:
            print(f"WARNING: non-finite loss in {r.setting}/{r.model}/{r.precision}", file=sys.stderr)

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"header": header, "rows": [_no_nan(asdict(r)) for r in rows]}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
