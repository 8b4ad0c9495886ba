"""The scale files and their schema: defaults, the grid, run configs, and bad input named by its key."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from maae import scales
from maae.config import ConfigError

pytest.importorskip("jsonschema")
CONFIGS = Path(__file__).resolve().parents[1] / "config"


def minimal(**datasets: dict) -> dict:
    return {
        "scale": "smoke",
        "datasets": datasets
        or {"synthetic8": {"data": {"name": "synthetic", "n": 8}, "m": [4, 8], "steps": 10}},
    }


@pytest.mark.parametrize("name", ["smoke", "cpu", "paper"])
def test_shipped_scales_load(name: str) -> None:
    cfg = scales.load(CONFIGS / f"{name}.yaml")
    assert cfg["scale"] == name
    for dataset in cfg["datasets"]:
        assert scales.capacity(cfg, dataset) in scales.grid(cfg, dataset)


def test_paper_grids_are_the_papers() -> None:
    cfg = scales.load(CONFIGS / "paper.yaml")
    assert scales.grid(cfg, "synthetic8") == list(range(2, 33, 2))
    assert scales.grid(cfg, "synthetic16") == [*range(2, 79, 2), 80]  # Table 3 has m = 80
    assert scales.grid(cfg, "mnist")[0] == 10 and scales.grid(cfg, "mnist")[-1] == 110
    assert {d: scales.capacity(cfg, d) for d in cfg["datasets"]} == {
        "synthetic8": 16, "synthetic16": 32, "mnist": 64, "fashion_mnist": 128, "cifar10": 256, "celeba": 256,
    }  # fmt: skip
    assert all(info["steps"] == 500_000 for info in cfg["datasets"].values())


def test_defaults_filled() -> None:
    cfg = scales.validate(minimal())
    info = cfg["datasets"]["synthetic8"]
    assert info["models"] == ["maae", "wae"] and info["seeds"] == [0] and info["score"]["n_samples"] == 10_000
    assert cfg["threads"] == 1 and cfg["results"] is None
    assert scales.results_root(cfg) == Path("results/smoke")
    assert scales.metric(cfg, "synthetic8") == "fd_raw"
    assert scales.metrics(cfg, "synthetic8") == ("fd_raw", "kde", "nac")


def test_range_grid_with_extra() -> None:
    cfg = minimal()
    cfg["datasets"]["synthetic8"]["m"] = {"start": 2, "stop": 9, "step": 3, "extra": [20]}
    assert scales.grid(scales.validate(cfg), "synthetic8") == [2, 5, 8, 20]


def test_run_config_composes_scale_dataset_and_run() -> None:
    cfg = minimal()
    cfg["run"] = {"train.log_every": 7, "model.lambda1": 5.0}
    cfg["datasets"]["synthetic8"]["run"] = {"model.lambda1": 30.0}
    cfg = scales.validate(cfg)
    run = scales.run_config(cfg, "synthetic8", "wae", 8, 3)
    assert (run.model.m, run.model.kind, run.train.seed, run.train.steps) == (8, "wae", 3, 10)
    assert run.model.lambda1 == 30.0 and run.train.log_every == 7  # the data set's value wins
    assert run.data.root == str(Path("results/smoke/data"))  # synthetic data never go into data_root
    assert scales.run_config(cfg, "synthetic8", "maae", 4, 0).model.kind == "maae"


def test_image_data_read_from_data_root(tmp_path: Path) -> None:
    mnist = {"data": {"name": "mnist"}, "m": [8], "steps": 5}
    cfg = scales.validate(minimal(mnist=mnist) | {"data_root": "d"})
    assert scales.run_config(cfg, "mnist", "maae", 8, 0).data.root == "d"
    manifest = scales.manifest(cfg)["datasets"]["mnist"]
    assert manifest["status"] == "missing" and manifest["reason"].startswith("data set missing: ")
    assert str(Path("d").absolute() / "MNIST" / "raw") in manifest["reason"]
    assert scales.metric(cfg, "mnist") == "fid"


def test_only_skips_with_reason() -> None:
    cfg = minimal(
        synthetic8={"data": {"name": "synthetic", "n": 8}, "m": [4], "steps": 5},
        synthetic4={"data": {"name": "synthetic", "n": 4}, "m": [4], "steps": 5},
    )
    cfg["only"] = ["synthetic4"]
    datasets = scales.manifest(scales.validate(cfg))["datasets"]
    assert datasets["synthetic4"]["status"] == "ok"
    assert datasets["synthetic8"]["status"] == "skipped" and "only" in datasets["synthetic8"]["reason"]


def bad(path: str, value: object) -> dict:
    cfg = copy.deepcopy(minimal())
    *keys, leaf = path.split(".")
    node = cfg
    for key in keys:
        node = node.setdefault(key, {})
    node[leaf] = value
    return cfg


def no_wae_to_search() -> dict:
    cfg = bad("baselines", {"datasets": ["synthetic8"]})
    cfg["datasets"]["synthetic8"]["models"] = ["maae"]
    return cfg


@pytest.mark.parametrize(
    ("cfg", "named"),
    [
        (bad("scale", "huge"), "scale"),
        (bad("thread", 2), "thread"),  # a typo of threads
        (bad("datasets.synthetic8.steps", 0), "datasets.synthetic8.steps"),
        (bad("datasets.synthetic8.models", ["maae", "vae"]), "datasets.synthetic8.models.1"),
        (bad("datasets.synthetic8.m", []), "datasets.synthetic8.m"),
        (bad("datasets.synthetic8.seeds", [0, 0]), "datasets.synthetic8.seeds"),
        (bad("datasets.synthetic8.score", {"n_sample": 5}), "n_sample"),
        (bad("datasets.synthetic8.data", {"name": "imagenet"}), "datasets.synthetic8.data.name"),
        (bad("datasets.synthetic8.run", {"model.lambda9": 1.0}), "model.lambda9"),
        (bad("datasets.synthetic8.run", {"model.lambda1": -1.0}), "model.lambda1"),
        (bad("datasets.synthetic8.run", {"lambda1": 1.0}), "datasets.synthetic8.run.lambda1"),
        (bad("datasets.synthetic8.capacity", 5), "datasets.synthetic8.capacity"),
        (bad("datasets.synthetic8.score", {"metric": "fid"}), "datasets.synthetic8.score.metric"),
        (bad("figures", {"fig4a": "synthetic9"}), "figures.fig4a"),
        (bad("figures", {"fig5": {"dataset": "synthetic8", "m": [6]}}), "figures.fig5.m"),
        (bad("only", ["mnist"]), "only"),
        # a run's identity (its folder: data set, model, m, seed) is the grid's, never a run: section's
        (
            bad("datasets.synthetic8.run", {"model.kind": "wae"}),
            "model.kind: a run's data, model, m and seed",
        ),
        (bad("datasets.synthetic8.run", {"model.m": 5}), "datasets.synthetic8: model.m: a run's data"),
        (bad("run", {"train.seed": 3}), "train.seed: a run's data"),
        (bad("datasets.synthetic8.run", {"data.n": 16}), "data.n: a run's data"),
        (
            bad("datasets.synthetic8.m", {"start": 10, "stop": 2, "step": 2}),
            "datasets.synthetic8.m: the grid is",
        ),
        (bad("datasets.synthetic8.data", {"name": "synthetic"}), "datasets.synthetic8.data.n"),
        (
            minimal(**{"synthetic-8": {"data": {"name": "synthetic", "n": 8}, "m": [4], "steps": 10}}),
            "synthetic-8",
        ),
        (no_wae_to_search(), "baselines.datasets.0: synthetic8 trains no wae"),
    ],
)
def test_bad_config_names_the_key(cfg: dict, named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        scales.validate(cfg)


def test_load_reads_yaml_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(minimal()))
    assert scales.load(path, {"threads": 2})["threads"] == 2
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="expected a mapping"):
        scales.load(path)


def test_capacity_models_run_at_the_capacity_alone() -> None:
    cfg = minimal()
    cfg["datasets"]["synthetic8"] |= {"capacity_models": ["wae_gan"], "seeds": [0, 1], "capacity": 8}
    cfg = scales.validate(cfg)
    runs = scales.runs(cfg, "synthetic8")
    assert [r for r in runs if r[0] == "wae_gan"] == [("wae_gan", 8, 0), ("wae_gan", 8, 1)]
    assert len(runs) == 2 * 2 * 2 + 2
    assert scales.run_config(cfg, "synthetic8", "wae_gan", 8, 0).model.kind == "wae_gan"
    assert scales.manifest(cfg)["datasets"]["synthetic8"]["models"] == ["maae", "wae", "wae_gan"]
    for models, capacity_models, named in (
        (["maae", "wae"], ["wae"], "capacity_models: wae already in models"),
        (["maae"], ["gan"], "capacity_models.0: 'gan' is not one of"),
    ):
        bad = minimal()
        bad["datasets"]["synthetic8"] |= {"models": models, "capacity_models": capacity_models}
        with pytest.raises(ConfigError, match=named):
            scales.validate(bad)


def test_more_seeds_add_seeds_where_a_claim_needs_them() -> None:
    cfg = minimal()
    cfg["datasets"]["synthetic8"] |= {
        "m": [2, 4, 8, 16],
        "seeds": [0, 1],
        "capacity": 16,
        "capacity_models": ["wae_gan"],
        "more_seeds": [{"seeds": [2, 3], "m": [4, 8, 16]}, {"seeds": [4], "m": [8], "models": ["wae"]}],
    }
    cfg = scales.validate(cfg)
    runs = scales.runs(cfg, "synthetic8")
    seeds_at = {(model, m): sorted(s for mo, mm, s in runs if (mo, mm) == (model, m)) for model, m, _ in runs}
    assert seeds_at[("maae", 2)] == [0, 1] and seeds_at[("wae", 2)] == [0, 1]
    assert seeds_at[("maae", 8)] == [0, 1, 2, 3] and seeds_at[("wae", 8)] == [0, 1, 2, 3, 4]
    assert seeds_at[("wae_gan", 16)] == [
        0,
        1,
        2,
        3,
    ]  # a capacity model takes an entry's seeds at the capacity
    assert len(runs) == len(set(runs)) == 2 * 4 * 2 + 2 + 2 * 3 * 2 + 2 + 1
    assert runs == sorted(runs, key=lambda r: (["maae", "wae", "wae_gan"].index(r[0]), r[1], r[2]))
    info = scales.manifest(cfg)["datasets"]["synthetic8"]
    assert info["seeds"] == [0, 1, 2, 3, 4] and [tuple(r) for r in info["runs"]] == runs


def test_seeds_added_at_a_later_look_are_named_in_the_manifest() -> None:
    """A more_seeds entry with look: 2 plans its runs as any other; the manifest lists them with their look
    (so the verdict can judge without them); a run an earlier entry plans too keeps the earlier look."""
    cfg = minimal()
    cfg["datasets"]["synthetic8"] |= {
        "m": [2, 4, 8, 16],
        "seeds": [0, 1],
        "more_seeds": [
            {"seeds": [2], "m": [8]},
            {"seeds": [2, 3], "m": [8, 16], "models": ["wae"], "look": 2},
        ],
    }
    cfg = scales.validate(cfg)
    looks = scales.looks(cfg, "synthetic8")
    assert list(looks) == scales.runs(cfg, "synthetic8")
    assert {run for run, look in looks.items() if look == 2} == {
        ("wae", 16, 2),
        ("wae", 8, 3),
        ("wae", 16, 3),
    }
    info = scales.manifest(cfg)["datasets"]["synthetic8"]
    assert info["later_looks"] == [["wae", 8, 3, 2], ["wae", 16, 2, 2], ["wae", 16, 3, 2]]
    cfg["datasets"]["synthetic8"]["more_seeds"][1]["look"] = 0
    with pytest.raises(ConfigError, match=r"more_seeds\.1\.look: 0 is less than the minimum of 1"):
        scales.validate(cfg)


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"seeds": [2], "m": [6]}, r"more_seeds\.0\.m: \[6\] not on the m grid"),
        ({"seeds": [2], "m": [4], "models": ["vae"]}, r"more_seeds\.0\.models\.0: 'vae' is not trained"),
        (
            {"seeds": [2], "m": [4], "models": ["wae_gan"]},
            r"more_seeds\.0\.models\.0: wae_gan runs at the capacity",
        ),
        ({"seeds": [1, 2], "m": [4]}, r"more_seeds\.0\.seeds: \[1\] already run at every m"),
        ({"seeds": [2]}, r"more_seeds\.0: 'm' is a required property"),
    ],
)
def test_bad_more_seeds_named(block: dict, named: str) -> None:
    cfg = minimal()
    cfg["datasets"]["synthetic8"] |= {"seeds": [0, 1], "capacity_models": ["wae_gan"], "more_seeds": [block]}
    with pytest.raises(ConfigError, match=named):
        scales.validate(cfg)


def test_run_dir_keeps_grid_runs_in_place_and_gives_a_variant_its_segment() -> None:
    assert scales.run_dir("res", "synthetic8", "maae", 16, 0) == Path("res/runs/synthetic8/maae/m16/seed0")
    assert scales.run_dir("res", "synthetic8", "maae", 16, 0, "sensitivity~base") == Path(
        "res/runs/synthetic8/sensitivity~base/maae/m16/seed0"
    )
    assert scales.run_dir("res", "{dataset}", "{model}", "{m}", "{seed}").as_posix() == (
        "res/runs/{dataset}/{model}/m{m}/seed{seed}"
    )


def test_a_step_count_as_a_fraction_of_the_run() -> None:
    """The recipe's lambda3 doubling every 5% of the run: 500 of cpu's 10,000 steps, 15 of smoke's 300."""
    for name, interval in (("cpu", 500), ("smoke", 15)):
        cfg = scales.load(Path("config") / f"{name}.yaml")
        assert scales.run_config(cfg, "synthetic8", "maae", 16, 0).train.lambda3_interval == interval


@pytest.mark.parametrize(
    ("value", "named"),
    [({"of_steps": 0}, "of_steps must be in (0, 1]"), ({"of_steps": 0.1, "x": 1}, "expected a value or")],
)
def test_bad_fraction_of_steps_named(value: dict, named: str) -> None:
    cfg = scales.load(Path("config/smoke.yaml"))
    cfg["datasets"]["synthetic8"]["run"]["train.lambda3_interval"] = value
    where = r"datasets\.synthetic8: train\.lambda3_interval: "
    with pytest.raises(ConfigError, match=where + re.escape(named)):
        scales.check(cfg)


def test_a_step_count_that_is_not_a_number_is_named() -> None:
    cfg = scales.load(Path("config/smoke.yaml"))
    cfg["run"]["train.steps"] = "fifty"
    with pytest.raises(
        ConfigError, match=r"train\.steps: expected a whole number of iterations, got 'fifty'"
    ):
        scales.check(cfg)


def test_nested_cli_config_values_are_typed_as_in_a_scale_file() -> None:
    """What Snakemake's --config hands over for 'run={train.steps: 50, model.lambda1: 30.0}' and the
    like (YAML's BaseLoader: nested leaves are strings) comes out as the scale file would give it."""
    given = {
        "threads": 2,
        "data_root": "/data/123",
        "run": {"train.steps": "50", "model.lambda1": "30.0", "train.lambda3_interval": {"of_steps": "0.05"}},
        "only": ["synthetic8", "mnist"],
        "studies": {"capacity": {"n": ["4", "8"], "base": {"model.width": "null", "note": "@x"}}},
    }
    assert scales.typed_cli_config(given) == {
        "threads": 2,
        "data_root": "/data/123",  # top level: as Snakemake read it
        "run": {"train.steps": 50, "model.lambda1": 30.0, "train.lambda3_interval": {"of_steps": 0.05}},
        "only": ["synthetic8", "mnist"],
        "studies": {"capacity": {"n": [4, 8], "base": {"model.width": None, "note": "@x"}}},
    }


def test_packs_group_runs_that_can_share_one() -> None:
    """pack: K chunks each adversary's runs in grid order; all, one chunk each; a chunk of one is left to
    the solo rule; 1 (the default) packs nothing."""
    cfg = minimal()
    cfg["datasets"]["synthetic8"] |= {"capacity_models": ["wae_gan"], "seeds": [0, 1], "capacity": 8}
    cfg = scales.validate(cfg)
    assert scales.packs(cfg, "synthetic8") == []
    cfg["datasets"]["synthetic8"]["pack"] = 3
    assert scales.packs(cfg, "synthetic8") == [
        [("maae", 4, 0), ("maae", 4, 1), ("maae", 8, 0)],
        [("maae", 8, 1), ("wae", 4, 0), ("wae", 4, 1)],
        [("wae", 8, 0), ("wae", 8, 1)],
        [("wae_gan", 8, 0), ("wae_gan", 8, 1)],  # apart: another adversary
    ]
    cfg["datasets"]["synthetic8"]["pack"] = "all"
    assert [len(p) for p in scales.packs(cfg, "synthetic8")] == [8, 2]
    cfg["datasets"]["synthetic8"] |= {"capacity_models": [], "pack": 7}
    assert [len(p) for p in scales.packs(cfg, "synthetic8")] == [7]  # the eighth run trains alone


def test_a_pack_of_convolutional_networks_is_refused_before_any_job() -> None:
    cfg = minimal(cifar10={"data": {"name": "cifar10"}, "m": [32, 64], "steps": 10, "pack": "all"})
    with pytest.raises(ConfigError, match=r"datasets.cifar10.pack: model.arch 'cifar_res' is not packed"):
        scales.validate(cfg)
