"""The GPU check, as one short script for a few minutes of a lent GPU: the CUDA training path, determinism,
a resume on the device, packed members against their solo runs, the closed-form gradient penalty against
autograd's, then the packed-training benchmark (bench_pack.py) and the grouped-convolution one
(bench_conv_pack.py: would packing pay for the conv families?) on the device. Prints each result and writes
them to --out.

    .venv/bin/python bench/gpu_check.py --out gpu_check          # on the GPU machine (about 6 minutes)
    .venv/bin/python bench/gpu_check.py --device cpu --quick --out /tmp/gc   # the same path on a CPU

Every check trains in a temporary folder on synthetic data made there; nothing else is read or written.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_conv_pack
import bench_pack

from maae import provenance
from maae.config import RunConfig
from maae.pack import train_pack
from maae.train import pick_device, train

# a small synthetic run: seconds on a GPU, so that the checks leave the budget to the benchmark
TINY = {
    "data.n": 4, "data.d": 32, "data.hidden": 64, "data.n_train": 4096, "data.n_val": 512, "data.n_test": 512,
    "model.m": 8, "model.width": 128, "train.steps": 200, "train.batch_size": 64,
    "train.log_every": 50, "train.checkpoint_every": 100, "train.progress": "none", "train.threads": 1,
}  # fmt: skip


def tiny(root: Path, device: str, steps: int, **overrides: Any) -> RunConfig:
    """TINY on ``device`` for ``steps`` iterations, its data under ``root``, with dotted overrides."""
    base = {**TINY, "data.root": str(root / "data"), "train.device": device, "train.steps": steps}
    return RunConfig().replace(**{**base, **overrides})


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pt", map_location="cpu", weights_only=False)["model"]


def largest_gap(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    """The largest difference relative to each tensor's scale: 0.0 is bit for bit."""
    return max(float((a[k] - b[k]).abs().max() / a[k].abs().max().clamp_min(1e-12)) for k in a)


def check_training(root: Path, device: str, steps: int) -> dict[str, Any]:
    """One run on the device: finite, where it says it ran, how fast."""
    summary = train(tiny(root, device, steps), root / "cuda_path")
    return {
        "device": summary["device"],
        "finite": all(bool(torch.isfinite(t).all()) for t in weights(root / "cuda_path").values()),
        "iterations_per_second": summary["iterations_per_second"],
        "m_active": summary["m_active"],
    }


def check_determinism(root: Path, device: str, steps: int) -> dict[str, Any]:
    """Two runs of one config, with and without train.deterministic: bit for bit equal or not."""
    out = {}
    for deterministic in (False, True):
        cfg = tiny(root, device, steps, **{"train.deterministic": deterministic})
        runs = [root / f"det{deterministic}_{i}" for i in range(2)]
        for run in runs:
            train(cfg, run)
        out[f"deterministic={deterministic}"] = {
            "largest_gap": largest_gap(weights(runs[0]), weights(runs[1]))
        }
        torch.use_deterministic_algorithms(False)
    return out


def check_resume(root: Path, device: str, steps: int) -> dict[str, Any]:
    """A run resumed on the device from its half-way checkpoint against the same run uninterrupted, with
    train.deterministic (bit for bit expected): checkpoints are read onto the CPU and copied to the device."""
    cfg = tiny(root, device, steps, **{"train.deterministic": True, "train.checkpoint_every": steps // 2})
    whole, cut = root / "resume_whole", root / "resume_cut"
    train(cfg, whole)
    train(cfg, cut)
    for done in ("model.pt", "summary.json"):
        (cut / done).unlink()
    sorted((cut / "checkpoints").glob("step_*.pt"))[-1].unlink()
    summary = train(cfg, cut)
    torch.use_deterministic_algorithms(False)
    return {
        "resumed_from": steps // 2,
        "steps": summary["steps"],
        "largest_gap": largest_gap(weights(whole), weights(cut)),
    }


def check_pack(root: Path, device: str, steps: int) -> dict[str, Any]:
    """Four mixed members (m, MAAE/WAE, lambda1) against their solo runs on the device."""
    mixed = [
        {"model.m": 8, "train.seed": 0},
        {"model.m": 6, "train.seed": 1, "model.kind": "wae"},
        {"model.m": 5, "train.seed": 2, "model.lambda1": 30.0},
        {"model.m": 3, "train.seed": 3, "train.lr_mask": 5e-3},
    ]
    cfgs = [tiny(root, device, steps, **m) for m in mixed]
    t0 = time.perf_counter()
    for i, cfg in enumerate(cfgs):
        train(cfg, root / f"solo{i}")
    solo_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    train_pack(cfgs, [root / f"member{i}" for i in range(len(cfgs))])
    pack_s = time.perf_counter() - t0
    gaps = [largest_gap(weights(root / f"solo{i}"), weights(root / f"member{i}")) for i in range(len(cfgs))]
    return {"members": len(cfgs), "largest_gap_each": gaps, "solo_seconds": solo_s, "pack_seconds": pack_s}


def check_closed_form(root: Path, device: str, steps: int) -> dict[str, Any]:
    """The same run with the gradient penalty by autograd and written out: how far apart, how fast."""
    out = {}
    for how in ("autograd", "closed_form"):
        summary = train(tiny(root, device, steps, **{"model.gp_gradient": how}), root / f"gp_{how}")
        out[how] = {"iterations_per_second": summary["iterations_per_second"]}
    out["largest_gap"] = largest_gap(weights(root / "gp_autograd"), weights(root / "gp_closed_form"))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--out", type=Path, required=True, help="folder for results.json and the benchmark's json")
    p.add_argument("--quick", action="store_true", help="short checks and benchmark rows (a CPU dry run)")
    args = p.parse_args(argv)
    device = pick_device(args.device).type
    args.out.mkdir(parents=True, exist_ok=True)
    steps = 40 if args.quick else 200
    results: dict[str, Any] = {
        "device": provenance.device_name(torch.device(device)),
        "torch": torch.__version__,
        "code_version": provenance.code_version(),
    }
    checks = {
        "training": check_training,
        "determinism": check_determinism,
        "resume": check_resume,
        "pack_vs_solo": check_pack,
        "closed_form_penalty": check_closed_form,
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, check in checks.items():
            t0 = time.perf_counter()
            try:
                results[name] = check(Path(tmp), device, steps)
            except Exception as err:  # noqa: BLE001 - a failed check is reported, the others still run
                results[name] = {"error": f"{type(err).__name__}: {err}"}
            results[name]["seconds"] = round(time.perf_counter() - t0, 1)
            print(f"{name}: {json.dumps(results[name])}", flush=True)
            (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    common = ["--device", device] + (["--quick", "--packs", "1,8"] if args.quick else ["--seconds", "6"])
    bench_pack.main([*common, "--json", str(args.out / "bench_pack.json")])
    closed = ["--settings", "synthetic", "--gp-gradient", "closed_form"]
    bench_pack.main([*common, *closed, "--json", str(args.out / "bench_pack_closed_form.json")])
    conv = ["--archs", "conv28", "--packs", "1,4", "--seconds", "0.1"] if args.quick else ["--seconds", "0.5"]
    bench_conv_pack.main(["--device", device, *conv, "--json", str(args.out / "bench_conv_pack.json")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
