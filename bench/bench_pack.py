"""Packed-training benchmark: model-iterations per second of one run alone and of packs (maae.pack), the
operations one iteration dispatches, and what they project for the paper's synthetic grids.

A pack of K runs takes one iteration for all K; its model-iterations/s is K times its iterations/s. Rows:
solo and packs of 8, 32 and 96 synthetic members (MAAE and WAE alternating, m cycling over Synthetic8's
paper grid 2..32, so members are padded as in the paper's packs), and MNIST's dense1024 solo and in a pack
of 17 (Figure 4c's m values). The timed loop is ``maae.train.iteration`` on the state the trainer builds
(fresh draws from each member's generator, as ``train_loop`` runs it), without logging or checkpoints.

    .venv/bin/python bench/bench_pack.py                   # CPU or the GPU if there is one
    .venv/bin/python bench/bench_pack.py --quick           # a few seconds per row
    .venv/bin/python bench/bench_pack.py --device cuda --json pack.json

"Launches" counts what one iteration asks of the device: CUDA kernels (from the profiler) on a GPU; on a
CPU the ATen operations dispatched (views included), an upper bound on the kernels a GPU would launch.
"draw ms/it" is the time per iteration of the members' draws (each from its own CPU generator, then padded
and stacked), the gather of their batches (on the device) and their per-member numbers (schedules): the
part of an iteration that grows with the pack. On this CPU the gather dominates it; on a GPU it is the
host's share that counts (about 20 us per member for the draws here).
The projection divides the paper grids' iterations (500,000 per run; Synthetic8's 96 MAAE and WAE runs,
Synthetic16's 240) by the measured rates, packing as config/paper.yaml does (96 per job), on one device.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_train import sync

from maae import provenance
from maae.config import RunConfig, resolve
from maae.data import data_shape
from maae.pack import PackedState
from maae.train import TrainingState, iteration, pick_device, setup

PAPER_STEPS = 500_000
SYNTHETIC8_M = list(range(2, 33, 2))
MNIST_M = [10, 13, 16, 20, 24, 28, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 110]
# Paper grids' MAAE and WAE runs (config/paper.yaml), in packs of at most 96
PAPER_GRIDS = {"synthetic8": 2 * 16 * 3, "synthetic16": 2 * 40 * 3}
PAPER_PACK = 96

SETTINGS: dict[str, dict[str, Any]] = {
    "synthetic": {
        "overrides": {"data.name": "synthetic", "data.n": 8, "data.d": 128},
        "data": lambda: torch.randn(60_000, 128),
        "m": SYNTHETIC8_M,
        "packs": (1, 8, 32, 96),
    },
    "mnist": {
        "overrides": {"data.name": "mnist"},
        "data": lambda: torch.randint(0, 256, (60_000, 1, 28, 28), dtype=torch.uint8),
        "m": MNIST_M,
        "packs": (1, 17),
    },
}


@dataclass
class Row:
    setting: str
    members: int  # 1: a solo run (TrainingState), else a pack (PackedState)
    it_s: float = float("nan")  # the state's iterations per second
    model_it_s: float = float("nan")  # members x it_s
    speedup: float = float("nan")  # model_it_s over the solo row's
    launches: int = 0
    host_ms: float = float("nan")  # drawing and per-member numbers on the host, per iteration
    iterations_timed: int = 0


class _CountOps(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.count += 1
        return func(*args, **(kwargs or {}))


def members(
    setting: str, k: int, device: torch.device, threads: int, gp_gradient: str = "autograd"
) -> list[RunConfig]:
    spec = SETTINGS[setting]
    cfgs = []
    for i in range(k):
        m = spec["m"][i % len(spec["m"])]
        model = "maae" if setting == "mnist" else ("maae", "wae")[i % 2]
        overrides = {"model.m": m, "model.kind": model, "train.seed": i, "train.device": device.type}
        overrides |= {"train.threads": threads, "train.progress": "none", "model.gp_gradient": gp_gradient}
        cfgs.append(resolve(RunConfig().replace(**spec["overrides"], **overrides)))
    return cfgs


def make_state(cfgs: list[RunConfig], device: torch.device) -> TrainingState | PackedState:
    states = [TrainingState(c, data_shape(c.data), device) for c in cfgs]
    state = states[0] if len(states) == 1 else PackedState(states)
    state.model.train()
    return state


def launches(state: TrainingState | PackedState, data: torch.Tensor, device: torch.device) -> int:
    """Kernels (GPU) or ATen operations (CPU) of one iteration."""
    if device.type == "cuda":
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            iteration(state, state.draw(data))
            sync(device)
        return sum(1 for e in prof.events() if e.device_type == torch.autograd.DeviceType.CUDA)
    with _CountOps() as counter:
        iteration(state, state.draw(data))
    return counter.count


def bench(row: Row, cfgs: list[RunConfig], data: torch.Tensor, device: torch.device, args) -> Row:
    state = make_state(cfgs, device)
    for _ in range(args.warmup_its):
        iteration(state, state.draw(data))
    sync(device)
    row.launches = launches(state, data, device)
    t0, n = time.perf_counter(), 0
    while n < 20 or time.perf_counter() - t0 < 0.5:
        state.draw(data)
        state.scalars()
        n += 1
    sync(device)
    row.host_ms = 1000 * (time.perf_counter() - t0) / n
    rates = []
    for _ in range(args.windows):
        sync(device)
        t0, n = time.perf_counter(), 0
        while True:
            iteration(state, state.draw(data))
            n += 1
            sync(device)
            elapsed = time.perf_counter() - t0
            if elapsed >= args.seconds / args.windows and n >= args.min_its:
                break
        rates.append(n / elapsed)
        row.iterations_timed += n
    row.it_s = statistics.median(rates)
    row.model_it_s = row.it_s * row.members
    return row


def projection(rows: list[Row]) -> dict[str, dict[str, float]]:
    """Hours on one device for the paper's synthetic grids: one run at a time, and in packs of 96 (a
    smaller last pack costs as a pack of 96: an upper bound, iterations of small packs cost the same)."""
    synthetic = {r.members: r for r in rows if r.setting == "synthetic"}
    if 1 not in synthetic or PAPER_PACK not in synthetic:
        return {}
    out = {}
    for grid, runs in PAPER_GRIDS.items():
        packs = -(-runs // PAPER_PACK)
        out[grid] = {
            "runs": runs,
            "solo_hours": runs * PAPER_STEPS / synthetic[1].it_s / 3600,
            "packed_hours": packs * PAPER_STEPS / synthetic[PAPER_PACK].it_s / 3600,
            "packs": packs,
        }
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--settings", default="synthetic,mnist", help="comma-separated: synthetic, mnist")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1, as a workflow job)")
    p.add_argument("--seconds", type=float, default=10.0, help="timed seconds per row (default 10)")
    p.add_argument("--windows", type=int, default=3, help="timed windows per row; the median is reported")
    p.add_argument("--min-its", type=int, default=2, help="at least this many iterations per window")
    p.add_argument("--warmup-its", type=int, default=3)
    p.add_argument("--packs", help="override the pack sizes of every setting, e.g. 1,8")
    p.add_argument(
        "--gp-gradient",
        choices=("autograd", "closed_form"),
        default="autograd",
        help="the gradient penalty's input gradient (model.gp_gradient; default autograd)",
    )
    p.add_argument(
        "--quick", action="store_true", help="short windows: a rough figure in a few seconds a row"
    )
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.windows, args.warmup_its, args.min_its = 2.0, 1, 1, 1
    args.settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    if not args.settings or any(s not in SETTINGS for s in args.settings):
        p.error(f"--settings: expected names from {', '.join(SETTINGS)}")
    args.packs = [int(k) for k in args.packs.split(",")] if args.packs else None
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    device = pick_device(args.device)
    setup(members("synthetic", 1, device, args.threads)[0])  # threads, TF32 off, as a training job
    print(
        f"torch {torch.__version__} | device {provenance.device_name(device)} | threads {args.threads} | "
        f"gradient penalty: {args.gp_gradient}"
    )
    print(f"cpu: {provenance.cpu_model()} | code: {provenance.code_version()}", flush=True)
    rows: list[Row] = []
    for setting in args.settings:
        data = SETTINGS[setting]["data"]().to(device)
        for k in args.packs or SETTINGS[setting]["packs"]:
            print(f"  running {setting} x {k} ...", file=sys.stderr, flush=True)
            cfgs = members(setting, k, device, args.threads, args.gp_gradient)
            rows.append(bench(Row(setting, k), cfgs, data, device, args))
        solo = next((r for r in rows if r.setting == setting and r.members == 1), None)
        for r in rows:
            if solo is not None and r.setting == setting:
                r.speedup = r.model_it_s / solo.model_it_s
    launch_name = "kernels/it" if device.type == "cuda" else "aten ops/it"
    cols = ("setting", "members", "it/s", "model-it/s", "x solo", launch_name, "draw ms/it", "its timed")
    table = [cols] + [
        (
            r.setting,
            str(r.members),
            f"{r.it_s:.2f}",
            f"{r.model_it_s:.1f}",
            f"{r.speedup:.2f}",
            str(r.launches),
            f"{r.host_ms:.2f}",
            str(r.iterations_timed),
        )
        for r in rows
    ]
    widths = [max(len(t[i]) for t in table) for i in range(len(cols))]
    for i, t in enumerate(table):
        print(
            "  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(t, widths, strict=True)))
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    projected = projection(rows)
    for grid, p in projected.items():
        print(
            f"paper {grid} ({p['runs']} MAAE/WAE runs x {PAPER_STEPS:,} its) on this device: "
            f"{p['solo_hours']:,.0f} h one run at a time, {p['packed_hours']:,.1f} h in {p['packs']} packs"
        )
    if args.json is not None:
        header = {
            "torch": torch.__version__,
            "device": provenance.device_name(device),
            "threads": args.threads,
            "cpu": provenance.cpu_model(),
            "code_version": provenance.code_version(),
            "seconds_per_row": args.seconds,
            "gp_gradient": args.gp_gradient,
        }
        payload = {"header": header, "rows": [asdict(r) for r in rows], "projection": projected}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
