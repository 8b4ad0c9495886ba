"""bench/gpu_check.py's checks run, on a CPU, and report what they should there: a GPU is lent rarely and
briefly, so a script broken since it was written would waste the one chance to run it."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import gpu_check


def test_the_checks_pass_on_a_cpu(tmp_path: Path) -> None:
    training = gpu_check.check_training(tmp_path, "cpu", 20)
    assert training["device"].startswith("cpu") and training["finite"]
    assert 1 <= training["m_active"] <= gpu_check.TINY["model.m"]
    determinism = gpu_check.check_determinism(tmp_path, "cpu", 20)
    assert determinism == {f"deterministic={d}": {"largest_gap": 0.0} for d in (False, True)}  # CPU: bitwise
    resume = gpu_check.check_resume(tmp_path, "cpu", 20)
    assert resume == {"resumed_from": 10, "steps": 20, "largest_gap": 0.0}
    pack = gpu_check.check_pack(tmp_path, "cpu", 20)
    assert pack["members"] == 4 and all(0 <= gap < 1e-5 for gap in pack["largest_gap_each"])
    closed = gpu_check.check_closed_form(tmp_path, "cpu", 20)
    assert 0 <= closed["largest_gap"] < 1e-5
    assert all(math.isfinite(closed[how]["iterations_per_second"]) for how in ("autograd", "closed_form"))
