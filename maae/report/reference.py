"""The paper's numbers and claim tolerances: paper_reference.yaml, the one place they live, and its loader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

PATH = Path(__file__).with_name("paper_reference.yaml")


def load(path: str | Path = PATH) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text())
