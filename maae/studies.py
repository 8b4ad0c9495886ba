"""Studies: one-at-a-time sweeps and named settings around a base, on Synthetic-n at spare capacity.

A scale file's ``studies:`` section (workflow/schemas/config.schema.yaml) gives, per study, the true
latent sizes n, the capacity m = m_per_n * n, seeds, length, a base setting (dotted maae.config
overrides, e.g. the cpu recipe), axes varied one at a time around it and named whole settings (the
authors' script's defaults, the paper's stated values). This module expands it into runs. A study run
has a grid run's identity (data set synthetic<n>, model, m, seed) plus a variant, ``<study>~<setting>``,
one more segment of its folder (maae.scales.run_dir), so it never collides with a grid run, and its
config is composed exactly as a grid run's is (maae.scales.compose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from maae.config import ConfigError, RunConfig
from maae.kinds import MODEL_KINDS
from maae.metrics.options import ScoreOptions
from maae.scales import cache_dir, compose, results_root, run_dir

BASE = "base"
_LABEL = re.compile(r"^[A-Za-z0-9_.+=-]+$")  # a setting's name is a path segment and a wildcard value


@dataclass(frozen=True)
class Setting:
    """One setting of a study: the base, one axis value around it, or a named whole setting."""

    name: str  # base, <axis>=<label> or the named setting's key
    axis: str | None  # the axis it varies; None for the base and named settings
    value: Any  # the axis value as written (None: maae's default)
    overrides: dict[str, Any]  # the setting's whole run: section


@dataclass(frozen=True)
class StudyRun:
    study: str
    setting: str
    n: int
    model: str
    m: int
    seed: int

    @property
    def dataset(self) -> str:
        return dataset_name(self.n)

    @property
    def variant(self) -> str:
        return variant(self.study, self.setting)

    def folder(self, results: str | Path) -> Path:
        return run_dir(results, self.dataset, self.model, self.m, self.seed, self.variant)


def label(value: Any) -> str:
    """An axis value as it appears in a setting's name: 30 -> 30, 5e-3 -> 0.005, {of_steps: 0.05} ->
    0.05ofsteps, None (maae's default) -> default."""
    if value is None:
        return "default"
    if isinstance(value, dict):
        fraction = value.get("of_steps")
        if set(value) != {"of_steps"} or isinstance(fraction, bool) or not isinstance(fraction, int | float):
            raise ConfigError(
                f"axis value {value}: expected a value or {{of_steps: a fraction of the steps}}"
            )
        return f"{fraction:g}ofsteps"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return f"{value:g}"
    return str(value)


def positive_number(value: Any) -> bool:
    """Whether an axis value has a scale: a factor of the base can be taken and a log axis drawn."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


def settings(study: dict[str, Any]) -> list[Setting]:
    """The base, then each axis's values in order, then the named settings (which replace the base)."""
    base = dict(study["base"])
    out = [Setting(BASE, None, None, base)]
    for axis, spec in study["axes"].items():
        for value in spec["values"]:
            overrides = {k: v for k, v in base.items() if k != spec["key"]}
            if value is not None:
                overrides[spec["key"]] = value
            out.append(Setting(f"{axis}={label(value)}", axis, value, overrides))
    out += [Setting(name, None, None, dict(overrides)) for name, overrides in study["settings"].items()]
    return out


def setting(study: dict[str, Any], name: str) -> Setting:
    for s in settings(study):
        if s.name == name:
            return s
    known = ", ".join(s.name for s in settings(study))
    raise ConfigError(f"no setting {name!r} in the study (settings: {known})")


def variant(study: str, setting_name: str) -> str:
    return f"{study}~{setting_name}"


def dataset_name(n: int) -> str:
    return f"synthetic{n}"


def n_of(dataset: str) -> int:
    """The n of a study's data set name (synthetic<n>)."""
    if not (dataset.startswith("synthetic") and dataset[len("synthetic") :].isdigit()):
        raise ConfigError(f"{dataset!r} is not a study's data set name (synthetic<n>)")
    return int(dataset[len("synthetic") :])


def capacity(study: dict[str, Any], n: int) -> int:
    """The study's spare capacity at n: m = m_per_n * n, rounded."""
    return max(1, round(study["m_per_n"] * n))


def runs(cfg: dict[str, Any], name: str) -> list[StudyRun]:
    """Every run of a study: each n, setting, model and seed; the yardstick models at the base alone."""
    study = cfg["studies"][name]
    return [
        StudyRun(name, s.name, n, model, capacity(study, n), seed)
        for n in study["n"]
        for s in settings(study)
        for model in dict.fromkeys([*study["models"], *(study["yardstick"] if s.name == BASE else [])])
        for seed in study["seeds"]
    ]


def study_data(cfg: dict[str, Any], name: str, n: int) -> dict[str, Any]:
    """Synthetic-n with the study's data options, generated where the grid's synthetic data are (one cache
    file per set of options, so a grid data set with other options never shares the study's)."""
    root = str(results_root(cfg) / "data")
    return {"name": "synthetic", "n": n, **cfg["studies"][name]["data"], "root": root}


def run_overrides(cfg: dict[str, Any], name: str, setting_name: str, n: int, model: str, seed: int) -> dict:
    """Every maae.config value of one study run: the scale's run: section, then the setting's."""
    study = cfg["studies"][name]
    overrides = setting(study, setting_name).overrides
    m = capacity(study, n)
    return compose(cfg, study_data(cfg, name, n), study["steps"], [cfg["run"], overrides], model, m, seed)


def run_config(cfg: dict[str, Any], name: str, setting_name: str, n: int, model: str, seed: int) -> RunConfig:
    return RunConfig().replace(**run_overrides(cfg, name, setting_name, n, model, seed))


def score_options(cfg: dict[str, Any], name: str) -> ScoreOptions:
    """The Fréchet distance on raw data alone (the study's yardstick), with the study's sample counts."""
    score = cfg["studies"][name]["score"]
    return ScoreOptions(
        metrics=("fd_raw",),
        n_samples=score["n_samples"],
        n_real=score["n_real"],
        cache_dir=str(cache_dir(cfg)),
        device=cfg["device"],
    )


def check(cfg: dict[str, Any]) -> None:
    """What the schema cannot say; each error names the key."""
    for name, study in cfg["studies"].items():
        where = f"studies.{name}"
        for key in ("models", "yardstick"):
            for i, model in enumerate(study[key]):
                if model not in MODEL_KINDS:
                    raise ConfigError(f"{where}.{key}.{i}: {model!r} is not one of {', '.join(MODEL_KINDS)}")
        for axis, spec in study["axes"].items():
            if "." not in spec["key"]:
                raise ConfigError(f"{where}.axes.{axis}.key: expected section.option, e.g. model.lambda1")
        for key in study["settings"]:
            if key == BASE or "=" in key:
                raise ConfigError(f"{where}.settings.{key}: 'base' and names with '=' belong to the axes")
        seen: set[str] = set()
        try:
            every = settings(study)
        except ConfigError as err:
            raise ConfigError(f"{where}.axes: {err}") from None
        for s in every:
            at = f"{where}.{_key_of(s)}"
            if not _LABEL.match(s.name):
                raise ConfigError(f"{at}: setting name {s.name!r} may hold letters, digits and _.+=- only")
            if s.name in seen:
                raise ConfigError(f"{at}: setting {s.name!r} appears twice")
            seen.add(s.name)
            try:
                for model in [*study["models"], *study["yardstick"]]:
                    run_config(cfg, name, s.name, study["n"][0], model, study["seeds"][0])
            except ConfigError as err:
                raise ConfigError(f"{at}: {err}") from None


def _key_of(s: Setting) -> str:
    """Where a setting is written in its study: axes.<axis>, base or settings.<name>."""
    if s.axis:
        return f"axes.{s.axis}"
    return BASE if s.name == BASE else f"settings.{s.name}"
