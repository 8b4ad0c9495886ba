"""A run records the kind of CPU it trained on: the same config and seed on another CPU drift apart."""

from __future__ import annotations

import platform
from pathlib import Path

import torch

from maae import provenance

CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9B14
flags\t\t: fpu sse avx2

processor\t: 1
model name\t: AMD EPYC 9B14
"""


def test_cpu_model_reads_the_model_name_line(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    assert provenance.cpu_model(tmp_path / "cpuinfo") == "AMD EPYC 9B14"


def test_cpu_model_without_cpuinfo_falls_back_to_the_platform(tmp_path: Path) -> None:
    (tmp_path / "bare").write_text("processor\t: 0\n")
    fallback = platform.processor() or platform.machine()
    assert provenance.cpu_model(tmp_path / "missing") == provenance.cpu_model(tmp_path / "bare") == fallback


def test_a_cpu_device_names_its_model_architecture_and_threads() -> None:
    name = provenance.device_name(torch.device("cpu"))
    assert name == f"cpu ({provenance.cpu_model()}, {platform.machine()}, {torch.get_num_threads()} threads)"
