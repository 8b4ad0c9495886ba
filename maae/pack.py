"""Packed training: K runs of one data set trained in one process by the same Algorithm 2 iteration.

On a GPU an iteration of the small MLPs costs kernel launches and Python, about the same for one network
as for a hundred of the same shape; a pack stacks its members' weights ([K, out, in]) so that every
layer of every member is one batched matmul, and every loss returns one value per member (maae.losses).
Members may differ in model (MAAE or WAE), m, seed and any option the iteration reads as a number
(``PER_MEMBER``); everything else is shared. A member with a smaller m is zero-padded to the largest:
its padded code dimensions are exactly zero (zero encoder rows, zero prior draws), its padded decoder and
critic columns see only zeros, so they get no gradient and add nothing to any loss, penalty or count.

A member is its solo run: its networks are initialised as the solo run's, it draws from its own
generator as the solo run does, and its folder gets exactly the solo run's files (checkpoints in the solo
format, so a pack resumes from them and so could a solo run). Results agree with the solo run's to
float rounding (batched matmuls sum in another order), not bit for bit.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from maae.config import ConfigError, RunConfig, resolve
from maae.data import load_split, to_model_input
from maae.kinds import kind
from maae.model import MaskAAE
from maae.nets import MLP_ARCHITECTURES
from maae.nets.blocks import Decoder
from maae.schedules import make_schedule
from maae.train import (
    IterationInputs,
    Scalars,
    TrainingState,
    make_optimisers,
    open_run,
    setup,
    train_loop,
)

# The numbers of Scalars beside the learning rates, in the order a pack stacks them.
SCALAR_FIELDS = tuple(f.name for f in dataclasses.fields(Scalars) if f.name != "lr")

# Options members may differ in: what the iteration reads through Scalars, what only the initial state
# depends on, and the run's identity. The rest must agree (``pack_conflict``).
PER_MEMBER = {
    "model": {
        "m",
        "kind",
        "theta_init_max",
        "active_threshold",
        "alpha1",
        "alpha2",
        "gamma",
        "gp_weight",
        "lambda1",
        "lambda2",
        "lambda3",
        "lambda3_cap",
        "gan_lambda",
        "init",
    },
    "train": {
        "seed",
        "lr_ae",
        "lr_critic",
        "lr_gen",
        "lr_mask",
        "rmsprop_init",
        "lambda3_interval",
        "lr_drop",
        "lr_drop_step",
        "lr_drop_factor",
        "schedule_reference_steps",
        "checkpoint_every",
        "log_every",
        "threads",
        "progress",
    },
}


def pack_conflict(cfgs: Sequence[RunConfig]) -> str | None:
    """Why these runs cannot be trained as one pack, or None when they can."""
    cfgs = [resolve(c) for c in cfgs]
    first = cfgs[0]
    if first.model.arch not in MLP_ARCHITECTURES:
        return (
            f"model.arch {first.model.arch!r} is not packed (only the MLP architectures are: "
            f"{', '.join(MLP_ARCHITECTURES)}); train its runs one per job"
        )
    kinds = {kind(c.model.kind).adversary for c in cfgs}
    if len(kinds) > 1:
        return "a pack mixes adversaries (MAAE and WAE pack together; WAE-GAN only with WAE-GAN)"
    base = first.to_dict()
    for cfg in cfgs[1:]:
        mine = cfg.to_dict()
        for section in ("data", "model", "train"):
            for key, value in mine[section].items():
                if key not in PER_MEMBER.get(section, set()) and value != base[section][key]:
                    return (
                        f"{section}.{key} differs within a pack ({base[section][key]!r} and {value!r}); "
                        "members share everything but the options maae.pack.PER_MEMBER names"
                    )
    schedules = {(s.log_every, s.checkpoint_every) for s in map(make_schedule, cfgs)}
    if len(schedules) > 1:
        return f"a pack's members log and checkpoint at different steps ({sorted(schedules)})"
    return None


# ---- stacking and unstacking weights ------------------------------------------------------------


def _stack_padded(tensors: Sequence[torch.Tensor | None], like: torch.Tensor) -> torch.Tensor:
    """A tensor shaped as the packed ``like`` holding each member's tensor in its leading corner and
    zeros elsewhere (all zeros for a member without one: a WAE's theta)."""
    out = torch.zeros_like(like)
    for i, t in enumerate(tensors):
        if t is not None:
            out[(i, *(slice(0, n) for n in t.shape))] = t
    return out


def _corner(packed: torch.Tensor, i: int, shape: torch.Size) -> torch.Tensor:
    """Member i's tensor of ``shape`` out of a stacked one."""
    return packed[(i, *(slice(0, n) for n in shape))]


class PackedLinear(nn.Module):
    """K Linear layers as one: weight [K, out, in], bias [K, out], on inputs [K, B, in]."""

    def __init__(self, members: int, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(members, n_out, n_in))
        self.bias = nn.Parameter(torch.zeros(members, n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias.unsqueeze(-2), x, self.weight.transpose(-1, -2))


def pack_network(nets: Sequence[nn.Sequential]) -> nn.Sequential:
    """One network over a pack axis from K solo networks of one MLP layout (weights not copied: see
    ``PackedState``). Module positions match the solo networks', so do state-dict keys."""
    layers: list[nn.Module] = []
    for same in zip(*nets, strict=True):
        first = same[0]
        if isinstance(first, nn.Linear):
            n_in = max(x.in_features for x in same)
            layers.append(PackedLinear(len(nets), n_in, max(x.out_features for x in same)))
        elif isinstance(first, nn.ReLU):
            layers.append(nn.ReLU())
        elif isinstance(first, nn.Flatten):
            layers.append(nn.Flatten(first.start_dim + 1, first.end_dim))
        elif isinstance(first, nn.Unflatten):
            layers.append(nn.Unflatten(first.dim + 1, first.unflattened_size))
        else:
            raise ConfigError(
                f"{type(first).__name__} layers are not packed (only the MLP architectures are)"
            )
    if isinstance(nets[0], Decoder):
        return Decoder(*layers, output_activation=nets[0].output_activation)
    return nn.Sequential(*layers)


class PackedMask(nn.Module):
    """The members' masks, theta [K, m]; a WAE member's mu is 1 and gets no gradient, a padded
    dimension's theta stays 0 (mu = 0)."""

    def __init__(self, members: int, m: int, param: str, has_mask: Sequence[bool]):
        super().__init__()
        self.param = param
        self.theta = nn.Parameter(torch.zeros(members, m))
        self.register_buffer("has_mask", torch.tensor(has_mask).unsqueeze(-1), persistent=False)

    def forward(self) -> torch.Tensor:
        mu = 1.0 - torch.exp(-self.theta)
        mu = torch.clamp(mu, min=0.0) if self.param == "paper" else mu
        return torch.where(self.has_mask, mu, 1.0)

    @torch.no_grad()
    def project_(self) -> None:
        if self.param == "authors":
            self.theta.clamp_(min=0.0)


# ---- the pack's state -----------------------------------------------------------------------------


class PackedState:
    """K runs at one iteration, for ``maae.train.iteration`` and ``train_loop``: stacked networks and
    optimiser slots, each member's own generator and schedules. The members (``TrainingState``) keep the
    solo form of each run; ``members()`` copies the pack's weights back into them."""

    batch_dims = 2  # [K, B, ...]
    encoder_has_bn = False

    def __init__(self, members: Sequence[TrainingState]):
        if len({s.step for s in members}) > 1:
            raise ValueError("a pack's members must be at the same step")
        self._members = list(members)
        with_mask = [s for s in members if s.kind.mask]
        self.cfg = (with_mask or self._members)[0].cfg  # shared options; a mask step if any member has one
        self.kind = kind(self.cfg.model.kind)
        self.shape, self.device, self.step = members[0].shape, members[0].device, members[0].step
        ms = [s.model.m for s in members]
        self.live_dims = torch.tensor(ms, dtype=torch.float32, device=self.device)
        nets = [s.model for s in members]
        mask = None
        if with_mask:
            mask = PackedMask(len(ms), max(ms), self.cfg.model.mask_param, [s.kind.mask for s in members])
        self.model = MaskAAE(
            pack_network([n.encoder for n in nets]),
            pack_network([n.decoder for n in nets]),
            pack_network([n.critic for n in nets]),
            mask,
            max(ms),
            self.cfg.model.active_threshold,
        ).to(self.device)
        self.opts = make_optimisers(self.model, self.cfg)
        self._scalars_cache: tuple[tuple, Scalars] | None = None
        self._pack()

    @property
    def packing(self) -> dict[str, Any]:
        return {"pack_members": len(self._members)}

    # -- weights in and out

    def _pack(self) -> None:
        """Stack the members' weights and optimiser slots into the pack."""
        sds = [s.model.state_dict() for s in self._members]
        packed = self.model.state_dict()
        self.model.load_state_dict(
            {k: _stack_padded([sd.get(k) for sd in sds], v) for k, v in packed.items()}
        )
        for name, opt in self.opts.items():
            saved = [s.opts[name].state_dict() if name in s.opts else None for s in self._members]
            state = opt.state_dict()
            for slot, value in state.items():
                if isinstance(value, list):
                    state[slot] = [
                        _stack_padded([sd[slot][j] if sd else None for sd in saved], like=p)
                        for j, p in enumerate(value)
                    ]
                elif slot != "lr":
                    state[slot] = next(sd[slot] for sd in saved if sd)  # Adam's t: all at one step
            opt.load_state_dict(state)

    def members(self) -> list[TrainingState]:
        """The members in their solo form, each with its weights, optimiser slots and step copied back
        from the pack: what their logs, checkpoints and final folders are written from."""
        packed = self.model.state_dict()
        slots = {name: opt.state_dict() for name, opt in self.opts.items()}
        for i, member in enumerate(self._members):
            own = member.model.state_dict()
            member.model.load_state_dict({k: _corner(packed[k], i, v.shape) for k, v in own.items()})
            for name, opt in member.opts.items():
                state = opt.state_dict()
                for slot, mine in state.items():
                    if isinstance(mine, list):
                        state[slot] = [
                            _corner(p, i, t.shape) for p, t in zip(slots[name][slot], mine, strict=True)
                        ]
                    elif slot != "lr":
                        state[slot] = slots[name][slot]
                opt.load_state_dict(state)
            member.step = self.step
        return self._members

    def without(self, indices: Sequence[int]) -> PackedState:
        """The pack with these members left out (each kept member's weights as trained so far)."""
        left_out = set(indices)
        return PackedState([s for i, s in enumerate(self.members()) if i not in left_out])

    def split(self, out: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        return [
            {k: v[i] for k, v in out.items() if member.kind.mask or k != "loss_mask"}
            for i, member in enumerate(self._members)
        ]

    def add_seconds(self, seconds: float) -> None:
        """Each member's share of the pack's time: its cost, as a solo run's time is (so that cost
        comparisons, e.g. the naive searches', count a pack of K as K runs' worth of time)."""
        for member in self._members:
            member.train_seconds += seconds / len(self._members)

    # -- what the iteration asks

    def scalars(self) -> Scalars:
        """Each member's numbers at this step, one value per member: one [K, numbers] tensor, made anew
        only when a schedule changes some member's numbers."""
        rows = []
        for member in self._members:
            member.step = self.step
            own = member.scalars()
            rows.append((*(own.lr.get(n, 0.0) for n in self.opts), *(getattr(own, f) for f in SCALAR_FIELDS)))
        key = tuple(rows)
        if self._scalars_cache is None or self._scalars_cache[0] != key:
            columns = torch.tensor(key, dtype=torch.float32, device=self.device).T.contiguous()
            lr, rest = columns[: len(self.opts)], columns[len(self.opts) :]
            scalars = Scalars(
                lr=dict(zip(self.opts, lr, strict=True)), **dict(zip(SCALAR_FIELDS, rest, strict=True))
            )
            self._scalars_cache = (key, scalars)
        return self._scalars_cache[1]

    def draw(self, data: torch.Tensor) -> IterationInputs:
        """Each member's draws from its own generator, as its solo run makes them, stacked on the member
        axis: [batches, K, B, ...], [k (+1), K, B, m], [k, K, B]. A WAE member in a pack with a mask step
        draws no mask batch; it gets its first batch again (that step moves nothing of it)."""
        b, k, m = self.cfg.train.batch_size, self.cfg.train.critic_steps, self.model.m
        batches = max(s.batches for s in self._members)
        idx, prior, beta = [], [], []
        for member in self._members:
            i, z, u = member.draw_random(data.shape[0])
            idx.append(torch.cat([i, i[: (batches - member.batches) * b]]))
            prior.append(nn.functional.pad(z, (0, m - z.shape[-1])))
            beta.append(u)
        rows = torch.stack(idx).to(data.device)
        x = to_model_input(data[rows]).view(len(idx), batches, b, *self.shape).transpose(0, 1)
        z = torch.stack(prior, 1).to(self.device)
        return IterationInputs(x, z if self.kind.mask else z[:k], torch.stack(beta, 1).to(self.device))


def _by_step(states: list[TrainingState]) -> list[list[int]]:
    """Member indices grouped by the step they resume from (a pack killed while writing its members'
    checkpoints resumes them as two packs), lowest step first."""
    order = sorted(range(len(states)), key=lambda i: states[i].step)
    return [list(g) for _, g in itertools.groupby(order, key=lambda i: states[i].step)]


def train_pack(
    cfgs: Sequence[RunConfig], out_dirs: Sequence[str | Path], train_data: torch.Tensor | None = None
) -> list[dict[str, Any]]:
    """Train K runs of one data set as one pack, each into its own folder (resumed from its newest
    checkpoint); returns their summaries in the given order. Raises NonFiniteLossError, after the others
    finished, when a member stopped on a non-finite loss."""
    from maae.train import NonFiniteLossError

    cfgs = [resolve(c) for c in cfgs]
    if len(cfgs) != len(out_dirs) or not cfgs:
        raise ConfigError("train_pack: give one output folder per config, and at least one")
    folders = [Path(out).expanduser().resolve() for out in out_dirs]
    if twice := sorted({str(f) for f in folders if folders.count(f) > 1}):
        raise ConfigError(f"train_pack: {', '.join(twice)} given as the folder of more than one member")
    conflict = pack_conflict(cfgs)
    if conflict:
        raise ConfigError(conflict)
    device = setup(cfgs[0])
    data = (train_data if train_data is not None else load_split(cfgs[0].data, "train")).to(device)
    opened = [open_run(cfg, out, device) for cfg, out in zip(cfgs, out_dirs, strict=True)]
    states, folders = [s for s, _ in opened], [f for _, f in opened]
    summaries: dict[int, dict[str, Any]] = {}
    failures = []
    for group in _by_step(states):
        pack = PackedState([states[i] for i in group])
        try:
            summaries.update(zip(group, train_loop(pack, [folders[i] for i in group], data), strict=True))
        except NonFiniteLossError as err:  # the group's other members have finished
            failures.append(str(err))
    if failures:
        raise NonFiniteLossError("; ".join(failures))
    return [summaries[i] for i in range(len(cfgs))]
