"""maae replayed against the golden record of the authors' TensorFlow graph, without TensorFlow.

bench/lockstep_authors.py ran the authors' MaskAAE_MNIST.py and maae side by side and wrote what
their graph did on a fixed case (3 iterations of dense1024, m = 16, batch 64): the batches, prior
samples and penalty weights their loop fed, each sub-step's loss and checksums of every parameter
after it, and the small tensors whole after each iteration. Here maae, with its defaults, takes the
same sub-steps from the same initial weights (redrawn from the record's seed) and must land where
their graph did, so a change that breaks agreement with the authors fails here.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import torch

from maae import lockstep, train
from maae.losses import critic_loss
from maae.train import TrainingState

RECORD = Path(__file__).parent / "data" / "authors_lockstep.npz"
# Each parameter within 1e-6 of the authors' (the lock-step bound; the check measured about 1e-8):
# small tensors are compared whole; for the large ones the checksums of a tensor of n entries may
# move by 1e-6 sqrt(n), as independent per-entry differences of that size would move them.
PARAM_TOLERANCE = 1e-6
LOSS_RELATIVE_TOLERANCE = 1e-5
# A critic sub-step's loss may also equal the authors' with one ReLU, or all, whose pre-activation at
# a penalty point lies within float32's rounding bound of 0 taken the other way (lockstep.KinkFlipped):
# which side such a unit falls on depends on the machine's summation order, not on the method. Seen on
# CI's machine and this one: the WAE's sub-step 11 has a unit at exactly 0.0 here; taken as on, maae's
# loss is the authors' 8.9252892 to the last digit, while float64 puts it at maae's 8.9251404.
CriticCall = tuple[torch.nn.Sequential, tuple[torch.Tensor, ...], dict]


def kink_alternatives(call: CriticCall) -> list[float]:
    """The critic loss with each undecided ReLU taken the other way, then with all of them."""
    critic, tensors, options = call

    def loss(flip: int | None) -> tuple[float, int]:
        flipped = lockstep.KinkFlipped(critic, flip)
        value, _ = critic_loss(flipped, *tensors, **options)
        return float(value.detach()), flipped.undecided

    _, undecided = loss(-1)
    return [loss(flip)[0] for flip in [*range(undecided), None]]


def recording_critic_loss(calls: list[CriticCall]) -> Callable:
    """train.critic_loss that keeps each call's critic (as it was before the step) and inputs."""

    def record(critic: torch.nn.Sequential, *tensors: torch.Tensor, **options: object) -> tuple:
        calls.append((copy.deepcopy(critic), tuple(t.detach().clone() for t in tensors), options))
        return critic_loss(critic, *tensors, **options)

    return record


def load_record() -> tuple[dict, dict[str, np.ndarray]]:
    with np.load(RECORD) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(str(arrays.pop("meta"))), arrays


def substeps(model: str, meta: dict, arrays: dict[str, np.ndarray]) -> list[lockstep.SubStep]:
    info = meta["models"][model]
    return [
        lockstep.SubStep(
            kind,
            step,
            arrays[f"{model}/image_idx"][i].astype(np.int64),
            arrays[f"{model}/prior"][i],
            None if kind != "critic" else arrays[f"{model}/gp_weight"][i],
        )
        for i, (kind, step) in enumerate(zip(info["kinds"], info["steps"], strict=True))
    ]


def disagreements(model: str, overrides: dict | None = None) -> list[str]:
    """Replay maae on the record's sub-steps; every place it parts from the authors' graph."""
    meta, arrays = load_record()
    mask = model == "maae"
    state = lockstep.new_state(mask, meta["m"], meta["batch_size"], meta["steps"])
    if overrides:
        cfg = state.cfg.replace(**overrides)
        state = TrainingState(cfg, state.shape, state.device)
    case = lockstep.make_case(state, meta["seed"])
    if lockstep.weights_digest(case.weights) != meta["models"][model]["weights_digest"]:
        pytest.fail(
            "numpy redrew other initial weights from the record's seed: rerun bench/lockstep_authors.py"
        )
    lockstep.load_weights(state, case.weights)
    names = lockstep.parameter_names(state)
    assert sorted(names) == meta["models"][model]["tensor_names"]
    losses, checksums = arrays[f"{model}/loss"], arrays[f"{model}/checksums"]
    last_kind = "mask" if mask else "gen"
    problems: list[str] = []
    seen = {"subs": 0, "iterations": 0}
    calls: list[CriticCall] = []

    def loss_agrees(ours: float, theirs: float, sub: lockstep.SubStep) -> bool:
        tolerance = LOSS_RELATIVE_TOLERANCE * max(1.0, abs(theirs))
        if abs(ours - theirs) <= tolerance:
            return True
        if sub.kind != "critic" or problems:  # once departed, explaining a loss by kinks is moot
            return False
        return any(abs(x - theirs) <= tolerance for x in kink_alternatives(calls[-1]))

    def observe(sub: lockstep.SubStep, loss: torch.Tensor) -> None:
        i = seen["subs"]
        seen["subs"] += 1
        where = f"sub-step {i} ({sub.kind}, step {sub.step})"
        if not loss_agrees(float(loss), float(losses[i]), sub):
            problems.append(f"{where}: loss {float(loss):.8g}, the authors' {losses[i]:.8g}")
        values = lockstep.tf_values(state)
        for j, name in enumerate(sorted(names)):
            ours = lockstep.checksums(values[name])
            bound = PARAM_TOLERANCE * math.sqrt(values[name].size)
            if np.abs(ours - checksums[i, j]).max() > bound:
                problems.append(f"{where}: {name} checksums {ours} vs {checksums[i, j]}")
        if sub.kind == last_kind:
            it = seen["iterations"]
            seen["iterations"] += 1
            for name, value in values.items():
                key = f"{model}/small/{name}"
                if key in arrays:
                    diff = np.abs(value - arrays[key][it]).max()
                    if diff > PARAM_TOLERANCE:
                        problems.append(f"{where}: {name} differs by up to {diff:.2e}")

    with mock.patch.object(train, "critic_loss", recording_critic_loss(calls)):
        lockstep.replay(state, case.images, substeps(model, meta, arrays), observe)
    assert seen["subs"] == len(losses)
    return problems


def test_record_names_its_source() -> None:
    meta, _ = load_record()
    for info in meta["models"].values():
        assert len(info["authors_sha256"]) == 64 and info["tf_version"]
        assert any("fid_score" in p for p in info["patches"])
        assert info["max_param_diff"] <= PARAM_TOLERANCE


@pytest.mark.parametrize("model", ["maae", "wae"])
def test_maae_follows_the_authors_graph(model: str) -> None:
    problems = disagreements(model)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize(
    ("model", "override"),
    [
        ("maae", {"train.rmsprop_init": 0.0}),  # the default before the lock-step check
        ("wae", {"train.lr_drop_step": 375}),  # the WAE's drop where the MAAE's falls
        ("maae", {"model.var_penalty": "paper"}),  # the paper's side of a paper-vs-authors choice
    ],
)
def test_the_replay_notices_a_departure(model: str, override: dict) -> None:
    """The check can fail: each former default parts from the authors' graph within 3 iterations."""
    assert disagreements(model, override)


def test_kink_flipping_changes_only_undecided_units() -> None:
    """Unflipped, KinkFlipped is the critic; flipping moves the input gradient only through a unit
    whose pre-activation is within rounding of 0 (here exactly 0), by that unit's weights."""
    critic = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        critic[0].weight.copy_(torch.tensor([[1.0, -1.0], [2.0, 0.5], [-1.0, -1.0]]))
        critic[0].bias.zero_()
        critic[2].weight.copy_(torch.tensor([[1.0, 2.0, 3.0]]))
    x = torch.tensor([[1.0, 1.0]], requires_grad=True)  # unit 0 at exactly 0, unit 1 on, unit 2 off

    def grad(net: torch.nn.Module) -> torch.Tensor:
        (g,) = torch.autograd.grad(net(x).sum(), x)
        return g

    unflipped = lockstep.KinkFlipped(critic, -1)
    assert torch.equal(grad(unflipped), grad(critic)) and unflipped.undecided == 1
    assert torch.allclose(grad(lockstep.KinkFlipped(critic, 0)) - grad(critic), torch.tensor([[1.0, -1.0]]))
    assert torch.equal(grad(lockstep.KinkFlipped(critic, 1)), grad(critic))  # no second undecided unit
