"""Config validation: every bad value fails with a message that starts with its dotted key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maae.config import ConfigError, RunConfig, dumps, from_dict, load, parse_override, resolve


def test_defaults_build() -> None:
    cfg = from_dict({})
    assert cfg == RunConfig()
    assert (cfg.data.name, cfg.model.m, cfg.model.arch, cfg.train.steps) == ("synthetic", 16, "auto", 500_000)
    assert from_dict(cfg.to_dict()) == cfg
    assert json.loads(dumps(cfg)) == cfg.to_dict()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("model.m", 0),
        ("model.m", -3),
        ("train.steps", -1),
        ("data.name", "foo"),
        ("model.arch", "nope"),
        ("model.recon", "bce"),  # the default data set is synthetic
        ("model.recon", "bce_clipped"),
        ("model.init", "xavier"),  # dense1024 only; the default data set is synthetic
        ("model.m", "abc"),
        ("model.m", 2.5),
        ("model.m", True),
        ("model.kind", "vae"),
        ("model.kind", 1),
        ("train.lr_ae", float("nan")),
        ("train.lr_ae", float("inf")),
        ("train.lr_ae", -1e-4),
        ("train.lr_critic", 0.0),
        ("train.lr_mask", -1.0),
        ("train.device", "tpu"),
        ("train.batch_size", 0),
        ("model.lambda3", -1.0),
        ("model.active_threshold", 1.5),
        ("data.root", 5),
        ("data.bogus", 1),
        ("model.bogus", 1),
        ("train.bogus", 1),
    ],
)
def test_bad_value_names_its_key(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig().replace(**{key: value})
    assert str(info.value).startswith(f"{key}:")


def test_width_on_a_conv_architecture() -> None:
    with pytest.raises(ConfigError, match=r"^model\.width:"):
        RunConfig().replace(**{"data.name": "cifar10", "model.width": 32})


def test_unknown_section() -> None:
    with pytest.raises(ConfigError, match=r"^optim:"):
        from_dict({"optim": {"lr": 1.0}})


def test_section_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^model:"):
        from_dict({"model": 3})


def test_good_values_are_coerced() -> None:
    cfg = RunConfig().replace(**{"model.m": 8.0, "train.lr_ae": 1, "model.lambda3": None, "train.threads": 2})
    assert cfg.model.m == 8 and isinstance(cfg.model.m, int)
    assert cfg.train.lr_ae == 1.0 and isinstance(cfg.train.lr_ae, float)
    assert cfg.model.lambda3 is None
    assert RunConfig().replace(**{"data.name": "mnist", "model.recon": "bce"}).model.recon == "bce"


def test_parse_override_reads_yaml_scalars() -> None:
    assert parse_override("model.m=16") == ("model.m", 16)
    assert parse_override("model.lambda3=null") == ("model.lambda3", None)
    assert parse_override("model.mask=false") == ("model.mask", False)
    assert parse_override("train.lr_ae=5.0e-4") == ("train.lr_ae", 5e-4)
    assert parse_override("data.root=/x=y") == ("data.root", "/x=y")
    with pytest.raises(ConfigError, match=r"^model\.m:"):
        parse_override("model.m")


def test_exponent_without_dot_is_a_number(tmp_path: Path) -> None:
    # PyYAML (YAML 1.1) reads 5e-4 as a string
    assert load(None, ["train.lr_ae=5e-4"]).train.lr_ae == 5e-4
    path = tmp_path / "lr.yaml"
    path.write_text("train:\n  lr_mask: 1e-3\n")
    assert load(path).train.lr_mask == 1e-3
    with pytest.raises(ConfigError, match=r"^train\.lr_ae:"):
        load(None, ["train.lr_ae=fast"])


def test_load_from_yaml_with_overrides(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("data:\n  name: mnist\nmodel:\n  m: 32\n  mask: false\ntrain:\n  steps: 100\n")
    cfg = load(path, ["train.steps=7", "model.lambda3=0.5"])
    # a config written before model.kind: mask false was the WAE
    assert (cfg.data.name, cfg.model.m, cfg.model.kind) == ("mnist", 32, "wae")
    assert (cfg.train.steps, cfg.model.lambda3) == (7, 0.5)
    with pytest.raises(ConfigError, match=r"^model\.m:"):
        load(path, ["model.m=0"])


def test_load_from_json(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"model": {"m": 5}}))
    assert load(path).model.m == 5


def test_load_without_file_gives_defaults() -> None:
    assert load() == RunConfig()


def test_load_missing_file_names_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ConfigError, match=str(missing)):
        load(missing)


def test_load_bad_file_content(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match=str(path)):
        load(path)
    path.write_text("model:\n  m: 0\n")
    with pytest.raises(ConfigError, match=r"^model\.m:"):
        load(path)


@pytest.mark.parametrize(
    ("name", "m", "arch", "recon"),
    [
        ("synthetic", 8, "synthetic_mlp", "mse"),
        ("mnist", 16, "dense1024", "bce_clipped"),
        ("fashion_mnist", 16, "dense1024", "bce_clipped"),
        ("cifar10", 4, "cifar_res", "bce_clipped"),
    ],
)
def test_resolve_fills_implicit_choices(name: str, m: int, arch: str, recon: str) -> None:
    cfg = resolve(RunConfig().replace(**{"data.name": name, "model.m": m}))
    assert cfg.model.arch == arch
    assert cfg.model.recon == recon
    assert cfg.model.lambda3 == 2 / m


def test_resolve_keeps_explicit_choices() -> None:
    explicit = {
        **{"model.arch": "conv28", "model.recon": "l2", "model.lambda3": 0.3, "model.alpha1": 2.0},
        **{"train.critic_steps": 3, "train.lr_ae": 1e-3, "train.optimiser": "adam", "train.lr_drop": "none"},
    }
    cfg = RunConfig().replace(**{"data.name": "mnist", **explicit})
    resolved = resolve(cfg)
    for key, value in explicit.items():
        section, name = key.split(".")
        assert getattr(getattr(resolved, section), name) == value, key
    assert resolved.train.lr_critic == 1e-4  # left to the model kind
    assert resolve(resolved) == resolved


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("maae", {"critic_steps": 5, "optimiser": "rmsprop", "lr_ae": 5e-4, "lr_critic": 1e-4}),
        ("wae_gan", {"critic_steps": 1, "optimiser": "adam", "lr_ae": 1e-3, "lr_critic": 5e-4}),
    ],
)
def test_resolve_takes_the_model_kinds_defaults(kind: str, expected: dict) -> None:
    resolved = resolve(RunConfig().replace(**{"data.name": "mnist", "model.kind": kind}))
    assert {k: getattr(resolved.train, k) for k in expected} == expected
    assert resolved.train.lr_drop == ("loss_scale" if kind == "maae" else "milestones")
    assert (resolved.model.recon, resolved.model.alpha1) == (
        ("bce_clipped", 1.0) if kind == "maae" else ("l2sq", 0.05)
    )


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("train.seed=010", 10),  # YAML 1.1: 8
        ("train.steps=1:30", "1:30"),  # YAML 1.1: 90 (base 60); text here, refused by validation
        ("model.gamma=0x10", "0x10"),  # YAML 1.1: 16
        ("train.lr_ae=5e-4", 5e-4),
        ("train.steps=1e4", 10000.0),  # YAML 1.1: the text '1e4'
        ("train.device=null", None),
        ("train.tf32=true", True),
    ],
)
def test_a_set_value_is_a_number_only_when_written_as_one(text: str, value: object) -> None:
    assert parse_override(text)[1] == value


def test_unreadable_values_and_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"model.m: cannot read '\[1' as a value"):
        load(None, ["model.m=[1"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [1\n")
    with pytest.raises(ConfigError, match="bad.yaml: not YAML"):
        load(bad)


@pytest.mark.parametrize(
    ("sets", "named"),
    [
        (
            ["model.arch=dense1024"],
            "dense1024 is a network for mnist, fashion_mnist, cifar10, celeba, not synthetic",
        ),
        (["model.arch=conv28"], "conv28 is a network for mnist, fashion_mnist, not synthetic"),
        (
            ["data.name=mnist", "model.arch=synthetic_mlp"],
            "synthetic_mlp is a network for synthetic, not mnist",
        ),
    ],
)
def test_a_network_for_other_data_is_refused(sets: list[str], named: str) -> None:
    """These validated before: a sigmoid decoder fitting real-valued data by mse, a traceback at the first
    forward pass, or a traceback at the first loss."""
    with pytest.raises(ConfigError, match=named):
        load(None, sets)
