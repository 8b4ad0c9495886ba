"""config/README.md documents every scale file and every key of the config schema, and stays in step."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "config_readme", ROOT / "workflow" / "scripts" / "config_readme.py"
)
config_readme = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config_readme)


def test_generated_blocks_are_current() -> None:
    current = config_readme.README.read_text()
    assert config_readme.render(current) == current, (
        "config/README.md is stale: run python workflow/scripts/config_readme.py"
    )


def test_every_schema_key_is_described_and_listed() -> None:
    schema = yaml.safe_load(config_readme.SCHEMA.read_text())
    rows = config_readme.schema_rows(schema)
    text = config_readme.README.read_text()
    assert len(rows) > 40
    for key, _, _, description in rows:
        assert description.strip(), f"{key}: no description in workflow/schemas/config.schema.yaml"
        assert f"| `{key}` |" in text, key
    top = set(schema["properties"])
    assert top <= {key for key, *_ in rows}


def test_every_scale_file_and_data_set_is_described() -> None:
    text = config_readme.README.read_text()
    scale_files = sorted(p.stem for p in (ROOT / "config").glob("*.yaml"))
    assert scale_files == sorted(config_readme.SCALES)
    for scale in scale_files:
        cfg = yaml.safe_load((ROOT / "config" / f"{scale}.yaml").read_text())
        section = text.split(f"### `config/{scale}.yaml`", 1)[1].split("###", 1)[0]
        for name in cfg["datasets"]:
            assert f"| `{name}` |" in section, (scale, name)


def test_workflow_catalog_settings() -> None:
    """.snakemake-workflow-catalog.yml as the catalog reads it (usage: mandatory-flags,
    software-stack-deployment, report), with the layout it asks for: workflow/Snakefile, config/README.md."""
    settings = yaml.safe_load((ROOT / ".snakemake-workflow-catalog.yml").read_text())
    usage = settings["usage"]
    assert set(usage) == {"mandatory-flags", "software-stack-deployment", "report"}
    assert usage["mandatory-flags"]["desc"].strip()
    for flag in usage["mandatory-flags"]["flags"].split():
        if flag.startswith("--configfile="):
            assert (ROOT / flag.split("=", 1)[1]).is_file(), flag
    assert usage["software-stack-deployment"] == {"conda": True, "apptainer": False, "apptainer+conda": False}
    assert usage["report"] is True
    assert (ROOT / "workflow" / "Snakefile").is_file() and not (ROOT / "Snakefile").exists()
    assert (ROOT / "config" / "README.md").is_file()


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_readme_fault_catalogue_lists_every_fault_test() -> None:
    """Each row of the README's fault catalogue names a test of tests/test_faults.py, and every test there
    has a row."""
    section = readme_section("Fault catalogue")
    named = set(re.findall(r"`(test_\w+)`", section))
    defined = set(re.findall(r"^def (test_\w+)", (ROOT / "tests" / "test_faults.py").read_text(), re.M))
    assert named == defined


def test_readme_computed_in_names_exist() -> None:
    """The "computed in" column of the README's table of what the suite reproduces names real functions."""
    section = readme_section("What the suite reproduces")
    names = {n for n in re.findall(r"`((?:maae|baselines)\.[\w.]+)`", section) if not n.endswith(".md")}
    assert len(names) >= 10
    for name in names:
        module, _, attr = name.rpartition(".")
        try:
            target = importlib.import_module(name)
        except ModuleNotFoundError:
            target = getattr(importlib.import_module(module), attr, None)
        assert target is not None, name
