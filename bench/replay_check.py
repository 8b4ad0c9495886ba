"""Does a recorded run reproduce bit for bit on this machine? Retrains the first logged interval of each run
folder from its config.json (schedules resolved as the whole run had them) and compares that metrics.csv
row, every loss and mask value, with the recorded one.

Same code, config and seed give the same bits on the same kind of CPU; another kind of CPU rounds its kernels
differently and the run drifts from the first steps on, as far in the end as another seed would. Runs record
their CPU model from 2026-12-07 on (summary.json, "device"); this check tells older ones apart.

    .venv/bin/python bench/replay_check.py results/reference/cpu/runs/synthetic8/maae/m32/seed0
    .venv/bin/python bench/replay_check.py --data-root ../shared/data results/cpu/runs/mnist/maae/m8/seed0
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from maae import provenance
from maae.config import RunConfig, from_dict
from maae.schedules import make_schedule
from maae.train import pick_device, train

# Metrics that are not a function of the run's arithmetic.
UNCOMPARED = ("train_seconds",)


def replay_config(cfg: RunConfig, data_root: Path) -> RunConfig | str:
    """The run cut to its first logged interval with every schedule as the whole run had it, or why it
    cannot be cut (a schedule that follows the run's length within that interval)."""
    if cfg.train.lr_drop == "milestones":
        return "its learning-rate milestones follow the run's length: only a whole replay would compare"
    schedule = make_schedule(cfg)
    return cfg.replace(
        **{
            "data.root": str(data_root),
            "train.steps": schedule.log_every,
            "train.log_every": schedule.log_every,
            "train.checkpoint_every": schedule.log_every,
            "train.lambda3_interval": schedule.lambda3_interval,
            "train.schedule_reference_steps": None,
            "train.progress": "none",
        }
        | ({"train.lr_drop_step": schedule.lr_drop_step} if schedule.lr_drop_step is not None else {})
    )


def first_row(metrics: Path) -> dict[str, str]:
    with metrics.open(newline="") as f:
        return next(csv.DictReader(f))


def compare(recorded: dict[str, str], replayed: dict[str, str]) -> dict[str, Any]:
    """Same bits, or the largest relative gap and where."""
    keys = [k for k in recorded if k not in UNCOMPARED]
    if [k for k in replayed if k not in UNCOMPARED] != keys or recorded["step"] != replayed["step"]:
        return {"same": False, "why": "the metrics' columns or logged step differ"}
    differing = [k for k in keys if recorded[k] != replayed[k]]
    if not differing:
        return {"same": True}

    def gap(k: str) -> float:
        a, b = float(recorded[k]), float(replayed[k])
        return abs(a - b) / max(abs(a), abs(b), 1e-12)

    worst = max(differing, key=gap)
    return {"same": False, "columns_differing": len(differing), "largest_gap": gap(worst), "at": worst}


def check(run: Path, data_root: Path | None, work: Path) -> dict[str, Any]:
    summary = json.loads((run / "summary.json").read_text())
    cfg = from_dict(json.loads((run / "config.json").read_text()))
    out: dict[str, Any] = {
        "run": str(run),
        "code_version": summary.get("code_version"),
        "trained_on": summary.get("device"),
    }
    replay = replay_config(cfg, data_root if data_root is not None else work / "data")
    if isinstance(replay, str):
        return out | {"result": f"not compared: {replay}"}
    train(replay, work / "replay")
    out["replayed_by"] = json.loads((work / "replay" / "summary.json").read_text())["code_version"]
    out["here"] = provenance.device_name(pick_device(cfg.train.device))  # after train() set its threads
    recorded, replayed = first_row(run / "metrics.csv"), first_row(work / "replay" / "metrics.csv")
    verdict = compare(recorded, replayed)
    if verdict["same"]:
        result = f"same bits at step {recorded['step']}"
    elif "why" in verdict:
        result = f"differs: {verdict['why']}"
    else:
        result = (
            f"differs at step {recorded['step']}: {verdict['columns_differing']} values, the largest by "
            f"{verdict['largest_gap']:.2e} (relative) in {verdict['at']}; loss_ae {recorded['loss_ae']} "
            f"recorded, {replayed['loss_ae']} here"
        )
    return out | verdict | {"result": result}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog="Exit status 1 if a run differs.")
    p.add_argument("runs", nargs="+", type=Path, help="run folders (config.json, summary.json, metrics.csv)")
    p.add_argument(
        "--data-root", type=Path, help="where the image data sets are (synthetic data is made anew)"
    )
    p.add_argument("--json", type=Path, help="write the results here as well")
    args = p.parse_args(argv)
    results = []
    for run in args.runs:
        missing = [f for f in ("config.json", "summary.json", "metrics.csv") if not (run / f).is_file()]
        if missing:
            print(f"{run}: not a run folder (no {', '.join(missing)})", file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory() as tmp:
            res = check(run, args.data_root, Path(tmp))
        results.append(res)
        here = f"; here {res['here']}" if "here" in res else ""
        print(f"{run}: {res['result']} (trained by {res['code_version']} on {res['trained_on']}{here})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0 if all(r.get("same", True) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
