"""A scale file (config/smoke.yaml, cpu.yaml, paper.yaml): the grid of runs and how each is made and scored.

The workflow and the live baselines both turn a (data set, model, m, seed) into a run through this module,
so a run trained by either is the same run, in the same folder. Structure and defaults come from the JSON
schema in workflow/schemas/config.schema.yaml (the one Snakemake validates against); ``check`` adds what a
schema cannot say: every ``run:`` override is a real maae.config key with a valid value, figures and tables
name data sets the scale has, and figure m values are on the grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from maae.config import ConfigError, DataConfig, RunConfig
from maae.kinds import MODEL_KINDS, kind
from maae.metrics.options import ScoreOptions

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
PRIMARY = {"synthetic": "fd_raw"}  # image data sets: fid


def validate(cfg: dict[str, Any]) -> dict[str, Any]:
    """Fill the schema's defaults into cfg (in place, as Snakemake's validate does), then check it."""
    import jsonschema  # a Snakemake dependency; imported here so the model library does not need it

    schema = yaml.safe_load(SCHEMA.read_text())
    validator_class = jsonschema.validators.validator_for(schema)

    def set_defaults(validator, properties, instance, schema):
        for name, sub in properties.items():
            if isinstance(instance, dict) and "default" in sub:
                instance.setdefault(name, sub["default"])
        yield from validator_class.VALIDATORS["properties"](validator, properties, instance, schema)

    filling = jsonschema.validators.extend(validator_class, {"properties": set_defaults})
    error = jsonschema.exceptions.best_match(filling(schema).iter_errors(cfg))
    if error is not None:
        where = ".".join(map(str, error.absolute_path)) or "config"
        raise ConfigError(f"{where}: {error.message}")
    for info in cfg["datasets"].values():  # defaults inside oneOf / additionalProperties branches
        if isinstance(info["m"], dict):
            info["m"].setdefault("step", 1)
            info["m"].setdefault("extra", [])
    check(cfg)
    from maae import studies  # studies composes runs with this module

    studies.check(cfg)
    return cfg


def typed_cli_config(entries: Mapping[str, Any]) -> dict[str, Any]:
    """``--config`` entries typed as a scale file's would be. Snakemake reads a top-level value as a
    number, a boolean or text, but parses a nested one (``'run={train.steps: 50}'``) with YAML's
    BaseLoader, which leaves every leaf a string; each nested leaf is read again as YAML here, so the
    schema and the run checks see 50, not '50'. Top-level values are returned as Snakemake read them."""

    def typed(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: typed(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [typed(item) for item in value]
        if not isinstance(value, str):
            return value
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:  # e.g. '@x': text YAML cannot read as a value stays text
            return value

    return {key: value if isinstance(value, str) else typed(value) for key, value in entries.items()}


def load(path: str | Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Read, validate and default a scale file; ``overrides`` replace top-level keys (like --config)."""
    path = Path(path)
    try:
        cfg = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"{path}: cannot read the scale file ({err})") from err
    if not isinstance(cfg, dict):
        raise ConfigError(f"{path}: expected a mapping of options")
    cfg.update(overrides or {})
    return validate(cfg)


def grid(cfg: dict[str, Any], dataset: str) -> list[int]:
    """The m values of a data set, sorted: a list as given, or start..stop by step plus extra values."""
    m = cfg["datasets"][dataset]["m"]
    if isinstance(m, list):
        return sorted(m)
    return sorted(set(range(m["start"], m["stop"] + 1, m["step"])) | set(m["extra"]))


def runs(cfg: dict[str, Any], dataset: str) -> list[tuple[str, int, int]]:
    """(model, m, seed) of every run of a data set: ``seeds`` over the whole m grid for ``models`` and at
    the Table 1/2 capacity alone for ``capacity_models`` (e.g. WAE-GAN beside the grid), plus each
    ``more_seeds`` entry's seeds at its m values; ordered by model, m, seed."""
    return list(looks(cfg, dataset))


def looks(cfg: dict[str, Any], dataset: str) -> dict[tuple[str, int, int], int]:
    """Every run of a data set (ordered as ``runs``) with the look at the claims that planned it: 1 for the
    grid and ``more_seeds`` entries without ``look``, an entry's ``look`` for seeds added after a verdict
    was seen (a run two entries plan keeps the earlier look)."""
    info = cfg["datasets"][dataset]
    models = [*info["models"], *info["capacity_models"]]
    planned = {
        (model, m, seed): 1
        for model in models
        for m in model_grid(cfg, dataset, model)
        for seed in info["seeds"]
    }
    for block in info["more_seeds"]:
        look = block.get("look", 1)
        for model in block.get("models") or models:
            for m in set(block["m"]) & set(model_grid(cfg, dataset, model)):
                for seed in block["seeds"]:
                    planned[model, m, seed] = min(look, planned.get((model, m, seed), look))
    order = sorted(planned, key=lambda run: (models.index(run[0]), run[1], run[2]))
    return {run: planned[run] for run in order}


def model_grid(cfg: dict[str, Any], dataset: str, model: str) -> list[int]:
    """The m values a model is trained at: the whole grid, or the capacity alone for a capacity model."""
    return grid(cfg, dataset) if model in cfg["datasets"][dataset]["models"] else [capacity(cfg, dataset)]


def packs(cfg: dict[str, Any], dataset: str) -> list[list[tuple[str, int, int]]]:
    """The data set's runs trained together in one job (maae.pack), as its ``pack`` says: runs that can
    share a pack (one adversary kind: MAAE with WAE, WAE-GAN apart) in grid order, in chunks of ``pack``
    (``all``: one chunk each). A chunk of one is no pack: the solo rule trains it, as every run at pack 1."""
    size = cfg["datasets"][dataset]["pack"]
    if size == 1:
        return []
    by_adversary: dict[str, list[tuple[str, int, int]]] = {}
    for run in runs(cfg, dataset):
        by_adversary.setdefault(kind(run[0]).adversary, []).append(run)
    chunks = []
    for group in by_adversary.values():
        step = len(group) if size == "all" else size
        chunks += [group[i : i + step] for i in range(0, len(group), step)]
    return [chunk for chunk in chunks if len(chunk) > 1]


def seeds(cfg: dict[str, Any], dataset: str) -> list[int]:
    """Every seed a data set trains somewhere: ``seeds`` (at every m) and those of ``more_seeds``."""
    info = cfg["datasets"][dataset]
    return sorted({*info["seeds"], *(seed for block in info["more_seeds"] for seed in block["seeds"])})


def run_dir(
    results: str | Path, dataset: str, model: str, m: int | str, seed: int | str, variant: str | None = None
) -> Path:
    """The one folder of a run, the address the rules, the aggregation, the figures and the live searches
    agree on: results/runs/<dataset>/<model>/m<m>/seed<seed>, or with a study's variant
    results/runs/<dataset>/<variant>/<model>/m<m>/seed<seed> (grid runs have none, so their folders do
    not move). Wildcards pass through, so the rules spell their patterns with it too."""
    where = Path(results) / "runs" / dataset
    if variant is not None:
        where /= variant
    return where / model / f"m{m}" / f"seed{seed}"


def results_root(cfg: dict[str, Any]) -> Path:
    return Path(cfg["results"] or f"results/{cfg['scale']}")


def capacity(cfg: dict[str, Any], dataset: str) -> int:
    """The m of Tables 1 and 2 for a data set: as configured, else its largest m."""
    return cfg["datasets"][dataset]["capacity"] or grid(cfg, dataset)[-1]


def metric(cfg: dict[str, Any], dataset: str) -> str:
    """The data set's primary score (lower is better), the one its figures and searches use."""
    info = cfg["datasets"][dataset]
    return info["score"]["metric"] or PRIMARY.get(info["data"]["name"], "fid")


def metrics(cfg: dict[str, Any], dataset: str) -> tuple[str, ...]:
    info = cfg["datasets"][dataset]
    if info["score"]["metrics"]:
        return tuple(info["score"]["metrics"])
    extra = ("kde",) if info["data"]["name"] == "synthetic" else ()
    return (metric(cfg, dataset), *extra, "nac")


def data_config(cfg: dict[str, Any], dataset: str) -> dict[str, Any]:
    """The data section of a data set's runs. Synthetic data are generated under the results root, so a
    read-only data folder (e.g. a shared MNIST copy) is never written to."""
    data = dict(cfg["datasets"][dataset]["data"])
    synthetic = data["name"] == "synthetic"
    data.setdefault("root", str(results_root(cfg) / "data" if synthetic else Path(cfg["data_root"])))
    return data


def run_overrides(cfg: dict[str, Any], dataset: str, model: str, m: int, seed: int) -> dict[str, Any]:
    """Every maae.config value the scale sets for one run, as dotted keys (later entries win)."""
    info = cfg["datasets"][dataset]
    return compose(cfg, data_config(cfg, dataset), info["steps"], [cfg["run"], info["run"]], model, m, seed)


IDENTITY_KEYS = ("model.kind", "model.m", "train.seed")


def compose(
    cfg: dict[str, Any],
    data: dict[str, Any],
    steps: int,
    sections: list[dict[str, Any]],
    model: str,
    m: int,
    seed: int,
) -> dict[str, Any]:
    """One run's dotted maae.config values: its data, identity and length, then each ``run:``-style
    section in turn (later wins); ``{of_steps: f}`` values resolve against the run's final length."""
    for section in sections:  # the folder's name says what it holds: its data set, model, m and seed
        if taken := sorted(k for k in section if k in IDENTITY_KEYS or k.startswith("data.")):
            raise ConfigError(
                f"{', '.join(taken)}: a run's data, model, m and seed come from its data set (or study) and "
                "the grid, which name its folder; a run: section, base, axis or setting may not set them"
            )
    values: dict[str, Any] = {f"data.{k}": v for k, v in data.items()}
    values.update(
        {
            "model.m": m,
            "model.kind": model,
            "train.steps": steps,
            "train.seed": seed,
            "train.threads": cfg["threads"],
            "train.device": cfg["device"],
            "train.progress": "log",
        }
    )
    for section in sections:
        values.update(section)
    steps = values["train.steps"]
    if isinstance(steps, bool) or not isinstance(steps, int):  # the fractions below need it
        raise ConfigError(f"train.steps: expected a whole number of iterations, got {steps!r}")
    return {key: _of_steps(key, value, steps) for key, value in values.items()}


def _of_steps(key: str, value: Any, steps: int) -> Any:
    """A ``run:`` value ``{of_steps: f}``: f of the run's steps, rounded (at least 1), so a schedule
    written once (the recipe's lambda3 doubling every 5% of the run) scales with the run's length."""
    if not isinstance(value, dict):
        return value
    fraction = value.get("of_steps")
    if set(value) != {"of_steps"} or isinstance(fraction, bool) or not isinstance(fraction, int | float):
        raise ConfigError(f"{key}: expected a value or {{of_steps: a fraction of the steps}}, got {value}")
    if not 0 < fraction <= 1:
        raise ConfigError(f"{key}: of_steps must be in (0, 1], got {fraction}")
    return max(1, round(fraction * steps))


def run_config(cfg: dict[str, Any], dataset: str, model: str, m: int, seed: int) -> RunConfig:
    return RunConfig().replace(**run_overrides(cfg, dataset, model, m, seed))


def score_options(cfg: dict[str, Any], dataset: str) -> ScoreOptions:
    score = cfg["datasets"][dataset]["score"]
    return ScoreOptions(
        metrics=metrics(cfg, dataset),
        n_samples=score["n_samples"],
        n_real=score["n_real"],
        n_codes=score["n_codes"],
        kde_n_fit=score["kde_n_fit"],
        kde_n_val=score["kde_n_val"],
        lenet_epochs=score["lenet_epochs"],
        cache_dir=str(cache_dir(cfg)),
        device=cfg["device"],
    )


def cache_dir(cfg: dict[str, Any]) -> Path:
    return Path(cfg["cache_dir"] or results_root(cfg) / "metrics_cache")


def missing_reason(cfg: dict[str, Any], dataset: str) -> str | None:
    """Why a data set's files are not there (one line naming the path), or None."""
    from maae.data import missing  # imports torch: only when a workflow is planned

    return missing(DataConfig(**data_config(cfg, dataset)))


def manifest(cfg: dict[str, Any], config_file: str | None = None) -> dict[str, Any]:
    """datasets.json: what the scale asked for and, per data set, whether it could run (see maae.report)."""
    datasets = {}
    for name, info in cfg["datasets"].items():
        if cfg["only"] is not None and name not in cfg["only"]:
            status, reason = "skipped", f"left out of this run (only: {', '.join(cfg['only'])})"
        else:
            reason = missing_reason(cfg, name)
            status, reason = ("missing", f"data set missing: {reason}") if reason else ("ok", None)
        datasets[name] = {
            "data": info["data"]["name"],
            "n": info["data"].get("n", DataConfig.n) if info["data"]["name"] == "synthetic" else None,
            "status": status,
            "reason": reason,
            "models": list(info["models"]) + list(info["capacity_models"]),
            "runs": [list(run) for run in runs(cfg, name)],
            "later_looks": [[*run, look] for run, look in looks(cfg, name).items() if look > 1],
            "m": grid(cfg, name),
            "seeds": seeds(cfg, name),
            "capacity": capacity(cfg, name),
            "metric": metric(cfg, name),
            "steps": info["steps"],
        }
    from maae.provenance import code_version

    return {
        "scale": cfg["scale"],
        "config": config_file,
        "code_version": code_version(),
        "datasets": datasets,
        "studies": sorted(cfg.get("studies") or {}),  # their own targets, never part of `all`
    }


def check(cfg: dict[str, Any]) -> None:
    """What the schema cannot express; each error names the key."""
    for name in cfg["datasets"]:
        where = f"datasets.{name}"
        for dotted in cfg["datasets"][name]["run"]:
            if "." not in dotted:
                raise ConfigError(f"{where}.run.{dotted}: expected section.option, e.g. model.lambda1")
        values = grid(cfg, name)
        if not values:
            raise ConfigError(f"{where}.m: the grid is empty (start above stop?)")
        data_name = cfg["datasets"][name]["data"]["name"]
        if data_name == "synthetic" and cfg["datasets"][name]["data"].get("n") is None:
            raise ConfigError(f"{where}.data.n: synthetic data need their latent size n, e.g. n: 8")
        for key in ("models", "capacity_models"):
            for i, model in enumerate(cfg["datasets"][name][key]):
                if model not in MODEL_KINDS:
                    raise ConfigError(f"{where}.{key}.{i}: {model!r} is not one of {', '.join(MODEL_KINDS)}")
        grid_models, capacity_models = (cfg["datasets"][name][key] for key in ("models", "capacity_models"))
        if both := sorted(set(grid_models) & set(capacity_models)):
            raise ConfigError(f"{where}.capacity_models: {', '.join(both)} already in models (the grid)")
        try:
            for model in [*grid_models, *capacity_models]:
                run_config(cfg, name, model, values[-1], cfg["datasets"][name]["seeds"][0])
        except ConfigError as err:
            raise ConfigError(f"{where}: {err}") from None
        if metric(cfg, name) == "fd_raw" and data_name != "synthetic":
            raise ConfigError(f"{where}.score.metric: fd_raw is for synthetic data, not {data_name}")
        if metric(cfg, name) in ("fid", "fd_lenet") and data_name == "synthetic":
            raise ConfigError(f"{where}.score.metric: {metric(cfg, name)} needs images; use fd_raw")
        if metric(cfg, name) not in metrics(cfg, name):
            raise ConfigError(f"{where}.score.metrics: must include the primary metric {metric(cfg, name)}")
        if cfg["datasets"][name]["capacity"] and cfg["datasets"][name]["capacity"] not in values:
            raise ConfigError(f"{where}.capacity: {cfg['datasets'][name]['capacity']} is not on the m grid")
        _check_more_seeds(cfg, name)
        _check_packs(cfg, name)
    for dataset in cfg["only"] or []:
        if dataset not in cfg["datasets"]:
            raise ConfigError(f"only: {dataset!r} is not a data set of this scale")
    for key, names in _named_datasets(cfg):
        for dataset in names:
            if dataset not in cfg["datasets"] and key not in ("tables.table1", "tables.table2"):
                raise ConfigError(f"{key}: {dataset!r} is not a data set of this scale")
    for i, dataset in enumerate(cfg["baselines"]["datasets"]):  # a search trains WAEs against one MAAE
        if lacking := [m for m in ("maae", "wae") if m not in cfg["datasets"][dataset]["models"]]:
            raise ConfigError(
                f"baselines.datasets.{i}: {dataset} trains no {' and no '.join(lacking)} over its grid, "
                "which a naive search compares"
            )
    for key in ("fig5", "fig8"):
        fig = cfg["figures"].get(key)
        if fig:
            values = fig["m"] if isinstance(fig["m"], list) else [fig["m"]]
            wrong = sorted(set(values) - set(grid(cfg, fig["dataset"])))
            if wrong:
                raise ConfigError(f"figures.{key}.m: {wrong} not on the m grid of {fig['dataset']}")
            if "maae" not in cfg["datasets"][fig["dataset"]]["models"]:
                raise ConfigError(f"figures.{key}.dataset: {fig['dataset']} trains no maae model")


def _check_more_seeds(cfg: dict[str, Any], name: str) -> None:
    """Each more_seeds entry adds runs: its m on the grid, its models the data set's, none of it idle."""
    info = cfg["datasets"][name]
    models = [*info["models"], *info["capacity_models"]]
    for i, block in enumerate(info["more_seeds"]):
        where = f"datasets.{name}.more_seeds.{i}"
        if off := sorted(set(block["m"]) - set(grid(cfg, name))):
            raise ConfigError(f"{where}.m: {off} not on the m grid of {name}")
        for j, model in enumerate(block.get("models") or []):
            if model not in models:
                raise ConfigError(
                    f"{where}.models.{j}: {model!r} is not trained on {name} ({', '.join(models)})"
                )
            if not set(block["m"]) & set(model_grid(cfg, name, model)):
                raise ConfigError(
                    f"{where}.models.{j}: {model} runs at the capacity m = {capacity(cfg, name)} alone, "
                    f"which this entry's m does not include"
                )
        if again := sorted(set(block["seeds"]) & set(info["seeds"])):
            raise ConfigError(f"{where}.seeds: {again} already run at every m (seeds)")


def _check_packs(cfg: dict[str, Any], name: str) -> None:
    """Every pack can be trained as one (maae.pack.pack_conflict): e.g. no convolutional networks."""
    chunks = packs(cfg, name)
    if not chunks:
        return
    from maae.pack import pack_conflict  # imports torch: only for a scale that packs

    for chunk in chunks:
        conflict = pack_conflict([run_config(cfg, name, *run) for run in chunk])
        if conflict:
            raise ConfigError(f"datasets.{name}.pack: {conflict}")


def _named_datasets(cfg: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(key, data sets) for every figure, table and baseline entry that names data sets."""
    named = []
    for section in ("figures", "tables"):
        for key, value in cfg[section].items():
            if isinstance(value, dict):
                value = [value["dataset"]]
            named.append((f"{section}.{key}", [value] if isinstance(value, str) else list(value)))
    named.append(("baselines.datasets", list(cfg["baselines"]["datasets"])))
    return named
