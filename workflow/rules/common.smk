# Helpers shared by the rules: the grid, paths, shell prefixes and resources. The logic lives in
# maae.scales (tested without Snakemake); this file only maps it onto the DAG.
import json
import os
import shlex
import sys
from pathlib import Path

import yaml

from snakemake_interface_executor_plugins.settings import DeploymentMethod

ROOT = Path(workflow.basedir)
sys.path.insert(0, str(ROOT))  # maae importable here and (through PYTHONPATH) in every job, installed or not
os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))

from maae import scales  # noqa: E402
from maae.config import ConfigError  # noqa: E402

try:
    scales.validate(config)  # what the schema cannot say: run overrides, figure m values, data set names
except ConfigError as err:
    raise WorkflowError(f"config error: {err}") from None

SCALE = config["scale"]
RESULTS = scales.results_root(config)
MANIFEST = scales.manifest(config, workflow.overwrite_configfiles and str(workflow.overwrite_configfiles[-1]))
READY = [name for name, info in MANIFEST["datasets"].items() if info["status"] == "ok"]
for _name, _info in MANIFEST["datasets"].items():
    if _info["status"] != "ok":
        logger.warning(f"{_name}: not run, {_info['reason']}")

# Jobs call $MAAE_PYTHON: in a conda environment that environment's python, otherwise the interpreter running
# Snakemake (a venv's). An environment variable, not a rule parameter, so switching venvs reruns nothing.
CONDA = DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
os.environ["MAAE_PYTHON"] = "python" if CONDA else sys.executable
ENV = "../../envs/maae.yaml"

wildcard_constraints:
    dataset=r"[A-Za-z0-9_]+",
    model="maae|wae",
    m=r"\d+",
    seed=r"\d+",


def res(kind):
    """Cluster resources of one kind of job (train, score, light) from the scale file."""
    return config["resources"].get(kind, {})


def run_folder(dataset, model, m, seed):
    return RESULTS / "runs" / dataset / model / f"m{m}" / f"seed{seed}"


def runs_of(dataset, filename, models=None):
    """One file of every run of a data set (all models unless given)."""
    info = MANIFEST["datasets"][dataset]
    return [
        run_folder(dataset, model, m, seed) / filename
        for model in (models or info["models"])
        for m in info["m"]
        for seed in info["seeds"]
    ]


def set_args(values):
    """--set key=value arguments for `python -m maae`, each value as JSON (which the CLI reads as YAML)."""
    return " ".join(shlex.quote(f"--set={key}={json.dumps(value)}") for key, value in values.items())


def dataset_runs_csv(names):
    """The per-data-set runs tables a target needs: only data sets that can run (others: a reason)."""
    return [RESULTS / "runs" / name / "runs.csv" for name in names if name in READY]


def write_atomic(path, text):
    """Write a small file from the Snakemake process, never leaving a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)
