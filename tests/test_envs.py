"""envs/maae.yaml, every rule's conda environment (`snakemake --use-conda`), as Snakemake and conda use it.

Snakemake copies the env file to .snakemake/conda/<hash>_.yaml and runs `conda env create --file` on the copy;
conda writes the file's pip lines to a temporary requirements file in the env file's folder and runs
`pip install -U -r <that file> --exists-action=b` there (conda/env/installers/pip.py). So the env file must
stand alone: no line may point at another file. Its package list is not written by hand: it must be
pyproject.toml's dependencies plus the `workflow` extra, with torch and torchvision pinned as the Makefile's
TORCH_SPEC pins them for the venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / "envs" / "maae.yaml"


def env_spec() -> dict:
    return yaml.safe_load(ENV_FILE.read_text())


def pip_lines(spec: dict) -> list[str]:
    """The env file's `pip:` list, as conda hands it to pip."""
    found = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(found) == 1, "one `- pip:` list under dependencies"
    return [str(line) for line in found[0]]


def expected_pip_lines() -> list[str]:
    """pyproject's dependencies + the workflow extra, in order; torch/torchvision pinned as in TORCH_SPEC."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["workflow"]
    torch_spec = re.search(r"^TORCH_SPEC \?= (.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert torch_spec, "Makefile: TORCH_SPEC ?= ..."
    pins = {Requirement(s).name: s for s in torch_spec[1].split()}
    assert set(pins) == {"torch", "torchvision"}, torch_spec[1]
    lines = []
    for spec in declared:
        requirement = Requirement(spec)
        if requirement.name in pins:
            pinned = Requirement(pins[requirement.name])
            version = next(iter(pinned.specifier)).version
            assert requirement.specifier.contains(version), f"TORCH_SPEC's {pinned} is outside {spec}"
            lines.append(pins[requirement.name])
        else:
            lines.append(spec)
    return lines


def test_env_file_is_a_conda_env_spec() -> None:
    """What `conda env create --file` needs: channels, dependencies with python and pip, then a pip list."""
    spec = env_spec()
    assert set(spec) <= {"name", "channels", "dependencies"}, set(spec)
    assert spec["channels"] == ["conda-forge"]
    conda = [d for d in spec["dependencies"] if isinstance(d, str)]
    python = [d for d in conda if re.fullmatch(r"python\b.*", d)]
    assert len(python) == 1 and "pip" in conda, conda
    version = re.fullmatch(r"python=(\d+\.\d+)", python[0])
    assert version, f"{python[0]}: pin a minor version, python=X.Y"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert SpecifierSet(requires).contains(version[1]), f"{python[0]} against requires-python {requires}"
    for line in pip_lines(spec):
        try:  # a plain requirement: no -r/-c/-e, no path, nothing that needs a file beside the env file
            Requirement(line)
        except InvalidRequirement as error:
            pytest.fail(f"pip line {line!r} is not a plain requirement; conda runs it beside a copy: {error}")


def test_env_file_lists_what_the_venv_installs() -> None:
    """The pip list is generated from pyproject.toml and the Makefile's TORCH_SPEC, never edited alone."""
    expected = expected_pip_lines()
    block = "\n".join(f"      - {line}" for line in expected)
    assert pip_lines(env_spec()) == expected, f"envs/maae.yaml's `- pip:` list should read:\n{block}"


def registry_reachable() -> bool:
    index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple/").rstrip("/") + "/pip/"
    try:
        with urllib.request.urlopen(index, timeout=10):
            return True
    except (urllib.error.URLError, OSError):
        return False


def test_env_file_alone_resolves_like_conda_does(tmp_path: Path) -> None:
    """Copy envs/maae.yaml alone into an empty folder and run pip on its pip lines as conda does.

    conda writes the lines to condaenv.*.requirements.txt beside the env file and runs pip with that folder as
    its working directory; here the same, with `--dry-run --ignore-installed`: pip resolves every line and
    all their dependencies (torch's CUDA ones included) for this interpreter without installing anything.
    pip reads wheel metadata from the index (PEP 658) instead of downloading the wheels, so this takes about
    half a minute without a pip cache; hence no --no-deps. A line that points at a missing file fails with
    "Could not open requirements file"; a version that does not exist fails to resolve.
    """
    if not registry_reachable():
        pytest.skip("package registry unreachable (no network): pip cannot resolve the env file's packages")
    copy = tmp_path / "conda" / "0123abcd_.yaml"  # as Snakemake names its copy in .snakemake/conda/
    copy.parent.mkdir()
    shutil.copyfile(ENV_FILE, copy)
    requirements = copy.parent / "condaenv.test.requirements.txt"
    requirements.write_text("\n".join(pip_lines(yaml.safe_load(copy.read_text()))))
    command = [sys.executable, "-m", "pip", "install", "-U", "-r", requirements.name, "--exists-action=b"]
    command += ["--dry-run", "--ignore-installed", "--quiet"]
    done = subprocess.run(command, cwd=copy.parent, capture_output=True, text=True, timeout=600)
    errors = "\n".join(line for line in done.stderr.splitlines() if not line.startswith("WARNING:"))
    assert done.returncode == 0, errors[-3000:]
