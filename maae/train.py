"""Algorithm 2 of the supplement: the training loop, its schedules, checkpoints and resume.

One iteration = 1 auto-encoder step (L_ae), ``critic_steps`` critic steps (L_dm), 1 generator step
(L_gen) and, for MAAE, 1 mask step (L_mask), each on a fresh batch and each with its own RMSProp,
as in the authors' script; the WAE-GAN's is Tolstikhin et al.'s (``iteration``). The schedules are
pure functions of the iteration (maae.schedules). All randomness after initialisation (batches,
prior draws, GP interpolation weights) comes from one CPU generator whose state is checkpointed, so
a killed run that is started again ends with the same weights as one that never stopped.

Four parts with one job each: ``TrainingState`` (model, optimisers, generator, step; save and restore),
``iteration`` (Algorithm 2, once), ``maae.run_folder.RunFolder`` (the folder contract) and ``train_loop``
(iterations until the end, logging, checkpoints, the summaries); ``train`` puts them together for one run.
The same iteration and loop train a pack of runs in one process (maae.pack.PackedState, ``train_pack``):
there is one Algorithm 2.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from maae import provenance
from maae.config import ConfigError, RunConfig, resolve
from maae.data import data_shape, load_split, to_model_input
from maae.kinds import kind
from maae.losses import (
    Weight,
    ae_loss,
    critic_loss,
    gan_adversary_loss,
    gan_penalty,
    generator_loss,
    mask_loss,
    masked,
    reconstruction,
    wasserstein_estimate,
)
from maae.model import MaskAAE, build_model
from maae.optim import Adam, RMSProp
from maae.run_folder import RunFolder
from maae.schedules import lambda3_at, loss_scale_at, lr_factor_at, make_schedule

log = logging.getLogger("maae.train")

LOSS_NAMES = ("loss_ae", "loss_dm", "loss_gen", "loss_mask")


class NonFiniteLossError(RuntimeError):
    """A loss, or after a step the weights, became NaN or inf; the last good checkpoint is kept."""


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("train.device: cuda requested but no CUDA device is available")
    return torch.device(name)


def _has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(x, nn.modules.batchnorm._BatchNorm) for x in module.modules())


Optimiser = RMSProp | Adam
# The config option holding each optimiser's base learning rate.
BASE_LR = {"ae": "lr_ae", "critic": "lr_critic", "gen": "lr_gen", "mask": "lr_mask"}


def make_optimisers(model: MaskAAE, cfg: RunConfig) -> dict[str, Optimiser]:
    """One optimiser per loss, as in Algorithm 2 (the generator's separate from the AE's): ae, critic,
    gen (WGAN-GP models) and mask (MAAE)."""
    tc, mk = cfg.train, kind(cfg.model.kind)

    def new(params: list[nn.Parameter], lr: float) -> Optimiser:
        if tc.optimiser == "adam":
            return Adam(params, lr, tc.adam_beta1, tc.adam_beta2, tc.adam_eps)
        return RMSProp(params, lr, tc.rmsprop_decay, tc.rmsprop_eps, tc.rmsprop_init)

    opts = {
        "ae": new([*model.encoder.parameters(), *model.decoder.parameters()], tc.lr_ae),
        "critic": new(list(model.critic.parameters()), tc.lr_critic),
    }
    if mk.generator_step:
        opts["gen"] = new(list(model.encoder.parameters()), tc.lr_gen)
    if mk.mask:
        opts["mask"] = new([model.mask.theta], tc.lr_mask)
    return opts


def _descend(opt: Optimiser, loss: torch.Tensor) -> None:
    """One update of the optimiser's parameters on ``loss`` (one per member of a pack: their sum has
    each member's gradient, members sharing no parameter); autograd computes only these gradients."""
    opt.step(list(torch.autograd.grad(loss.sum(), opt.params)))


@dataclass
class IterationInputs:
    """The randomness of one iteration; Algorithm 2 draws afresh for every sub-step."""

    # [batches, B, *shape]: the batches of the AE, k critic (WGAN-GP; the GAN's adversary reuses the AE
    # step's), generator (WGAN-GP) and mask (MAAE) steps
    x: torch.Tensor
    prior: torch.Tensor  # [k (+1), B, m]: z ~ N(0, I) for each critic step (and the mask step)
    beta: torch.Tensor  # [k, B]: the gradient penalty's interpolation weight on the prior side


# observe(kind, loss) is called after each sub-step's update; kind is ae, critic, gen or mask.
Observer = Callable[[str, torch.Tensor], None]


@dataclass
class Scalars:
    """The numbers one iteration uses, at its step: floats for one run; for a pack (maae.pack) one value
    per member ([K] tensors), so that members may differ in any of them."""

    lr: dict[str, Weight]  # per optimiser, after the schedule's drops
    loss_scale: Weight
    alpha1: Weight
    alpha2: Weight  # 0 for a WAE, which has no variance penalty
    gamma: Weight
    gp_weight: Weight
    gan_lambda: Weight
    lambda1: Weight
    lambda2: Weight
    lambda3: Weight


class TrainingState:
    """A run at one iteration: the networks, their optimisers, the random stream and the count.

    Networks are initialised from torch's global RNG seeded with the run's seed, theta and every
    later draw from the state's own CPU generator, so the state alone decides what comes next.
    ``iteration`` also takes a pack of runs (maae.pack.PackedState), whose tensors carry a leading
    member axis; ``batch_dims`` and ``live_dims`` say how the losses reduce them.
    """

    batch_dims = 1  # leading axes of a batch: [B, ...]
    live_dims = None  # codes are not padded

    def __init__(self, cfg: RunConfig, shape: tuple[int, ...], device: torch.device):
        self.cfg = cfg  # resolved
        self.shape = shape
        self.device = device
        self.schedule = make_schedule(cfg)
        torch.manual_seed(cfg.train.seed)
        self.gen = torch.Generator().manual_seed(cfg.train.seed)
        self.model = build_model(cfg, shape, self.gen).to(device)
        self.encoder_has_bn = _has_batchnorm(self.model.encoder)
        self.kind = kind(cfg.model.kind)
        self.opts = make_optimisers(self.model, cfg)
        self.step = 0
        self.train_seconds = 0.0

    @property
    def lambda3(self) -> float:
        """lambda3 of the last mask update (the one of iteration ``step``)."""
        mc = self.cfg.model
        return lambda3_at(self.step, self.schedule, mc.lambda3, mc.lambda3_cap)

    def scalars(self) -> Scalars:
        """The options and schedules at iteration ``step``."""
        tc, mc, step = self.cfg.train, self.cfg.model, self.step
        return Scalars(
            lr={
                name: getattr(tc, BASE_LR[name]) * lr_factor_at(step, self.cfg, self.schedule, name)
                for name in self.opts
            },
            loss_scale=loss_scale_at(step, self.cfg, self.schedule),
            alpha1=mc.alpha1,
            alpha2=mc.alpha2 if self.kind.mask else 0.0,
            gamma=mc.gamma,
            gp_weight=mc.gp_weight,
            gan_lambda=mc.gan_lambda,
            lambda1=mc.lambda1,
            lambda2=mc.lambda2,
            lambda3=self.lambda3,
        )

    @property
    def batches(self) -> int:
        """Batches per iteration: AE, k critic (unless the adversary reuses the AE's), generator, mask."""
        mk, k = self.kind, self.cfg.train.critic_steps
        return 1 + (0 if mk.adversary_reuses_ae_batch else k) + mk.generator_step + mk.mask

    def draw_random(self, rows: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The next iteration's random numbers from the state's generator, on the CPU: indices into
        ``rows`` data rows [batches * B], prior draws [k + 1, B, m] and penalty weights [k, B]."""
        b, k = self.cfg.train.batch_size, self.cfg.train.critic_steps
        idx = torch.randint(rows, (self.batches * b,), generator=self.gen)
        prior = torch.randn((k + 1, b, self.model.m), generator=self.gen)
        beta = torch.rand((k, b), generator=self.gen)
        return idx, prior, beta

    def draw(self, data: torch.Tensor) -> IterationInputs:
        """The next iteration's batches, prior draws and penalty weights, from the state's generator."""
        idx, prior, beta = self.draw_random(data.shape[0])
        x = to_model_input(data[idx.to(data.device)]).view(self.batches, -1, *self.shape)
        prior, k = prior.to(self.device), self.cfg.train.critic_steps
        return IterationInputs(x, prior if self.kind.mask else prior[:k], beta.to(self.device))

    # One run is a pack of one: the loop (train_loop) asks these of a pack too (maae.pack.PackedState).

    def members(self) -> list[TrainingState]:
        """The runs this state trains, each with its own weights, optimisers and generator up to date."""
        return [self]

    def split(self, out: dict[str, torch.Tensor]) -> list[dict[str, torch.Tensor]]:
        """An iteration's losses, one dict per member."""
        return [out]

    def add_seconds(self, seconds: float) -> None:
        self.train_seconds += seconds

    @property
    def packing(self) -> dict[str, Any]:
        """What a run's summary records about the pack it was trained in (nothing for a solo run)."""
        return {}

    def state_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "model": self.model.state_dict(),
            "optimisers": {k: o.state_dict() for k, o in self.opts.items()},
            "generator": self.gen.get_state(),
            "train_seconds": self.train_seconds,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        for name, opt in self.opts.items():
            opt.load_state_dict(state["optimisers"][name])
        self.gen.set_state(state["generator"])
        self.step = state["step"]
        self.train_seconds = state["train_seconds"]


# ---- Algorithm 2 ------------------------------------------------------------------------------


def iteration(
    state: TrainingState, inputs: IterationInputs, observe: Observer | None = None
) -> dict[str, torch.Tensor]:
    """Algorithm 2's loop body for iteration ``state.step + 1`` (which it advances to); returns the
    last value of each loss (detached, before its update) for the log.

    MAAE and WAE: AE, k critic, generator (and mask) steps, each on a fresh batch. WAE-GAN
    (Tolstikhin et al.'s Algorithm 1): the AE step with the adversary's penalty, then the adversary
    on the same batch, re-encoded."""
    state.step += 1
    model, mk, k = state.model, state.kind, state.cfg.train.critic_steps
    scalars = state.scalars()
    for name, opt in state.opts.items():
        opt.lr = scalars.lr[name]
    note = observe or (lambda kind, loss: None)

    mu = model.mu().detach()
    out = _ae_step(state, scalars, inputs.x[0], mu)
    note("ae", out["loss_ae"])
    if mk.adversary_reuses_ae_batch:
        critic_x, rest = inputs.x[:1].expand(k, *inputs.x.shape[1:]), inputs.x[1:]
    else:
        critic_x, rest = inputs.x[1 : k + 1], inputs.x[k + 1 :]
    out |= _critic_steps(state, scalars, critic_x, inputs.prior[:k], inputs.beta, mu, note)
    if mk.generator_step:
        out |= _generator_step(state, rest[0], mu)
        note("gen", out["loss_gen"])
    if mk.mask:
        out |= _mask_step(state, scalars, rest[-1], inputs.prior[k])
        note("mask", out["loss_mask"])
    return out


def _ae_step(
    state: TrainingState, scalars: Scalars, x: torch.Tensor, mu: torch.Tensor
) -> dict[str, torch.Tensor]:
    """L_ae (Eq. 15): encoder and decoder, with the mask held fixed."""
    model, mc = state.model, state.cfg.model
    z_hat = model.encoder(x)
    loss, rec = ae_loss(
        x,
        model.decoder(masked(mu, z_hat)),
        z_hat,
        mu if model.mask is not None else None,
        activation=model.output_activation,
        recon=mc.recon,
        alpha1=scalars.alpha1,
        alpha2=scalars.alpha2,
        gamma=scalars.gamma,
        var_form=mc.var_penalty,
        batch_dims=state.batch_dims,
        live_dims=state.live_dims,
    )
    if state.kind.adversary == "gan":  # WAE-GAN: + lambda D_GAN, the encoder's non-saturating penalty
        loss = loss + scalars.gan_lambda * gan_penalty(model.critic, masked(mu, z_hat))
    _descend(state.opts["ae"], loss * scalars.loss_scale)
    return {"loss_ae": loss.detach(), "recon": rec.detach()}


def _critic_steps(
    state: TrainingState,
    scalars: Scalars,
    xs: torch.Tensor,
    prior: torch.Tensor,
    beta: torch.Tensor,
    mu: torch.Tensor,
    note: Observer,
) -> dict[str, torch.Tensor]:
    """L_dm (Eq. 17), once per batch of ``xs``. The encoder does not change during these steps,
    so without batch norm all batches are encoded in one pass."""
    model, mc = state.model, state.cfg.model
    with torch.no_grad():
        if state.encoder_has_bn:
            codes = torch.stack([model.encoder(x) for x in xs])
        else:
            codes = _encode_batches(model.encoder, xs, state.batch_dims)
    for z, z_hat, b in zip(prior, codes, beta, strict=True):
        if state.kind.adversary == "gan":
            loss, omega = gan_adversary_loss(
                model.critic, masked(mu, z), masked(mu, z_hat), scalars.gan_lambda
            )
        else:
            loss, omega = critic_loss(
                model.critic,
                z,
                z_hat,
                mu,
                b,
                gp_weight=scalars.gp_weight,
                gp_point=mc.gp_point,
                gp_gradient=mc.gp_gradient,
            )
        _descend(state.opts["critic"], loss)
        note("critic", loss.detach())
    return {"loss_dm": loss.detach(), "omega": omega.detach()}


def _encode_batches(encoder: nn.Module, xs: torch.Tensor, batch_dims: int) -> torch.Tensor:
    """E of k batches [k, *pack, B, ...] in one pass, as codes [k, *pack, B, m]: the k batches are
    joined along the batch axis (an encoder without batch norm codes each sample alone)."""
    k, b, batch_axis = xs.shape[0], xs.shape[batch_dims], batch_dims - 1
    joined = xs.movedim(0, batch_axis).flatten(batch_axis, batch_axis + 1)
    return encoder(joined).unflatten(batch_axis, (k, b)).movedim(batch_axis, 0)


def _generator_step(state: TrainingState, x: torch.Tensor, mu: torch.Tensor) -> dict[str, torch.Tensor]:
    """L_gen (Eq. 16): the encoder alone moves its codes towards the prior."""
    loss = generator_loss(state.model.critic, masked(mu, state.model.encoder(x)))
    _descend(state.opts["gen"], loss)
    return {"loss_gen": loss.detach()}


def _mask_step(
    state: TrainingState, scalars: Scalars, x: torch.Tensor, z: torch.Tensor
) -> dict[str, torch.Tensor]:
    """L_mask (Eq. 18): theta alone, with lambda3 as the schedule gives it for this iteration."""
    model, mc = state.model, state.cfg.model
    with torch.no_grad():
        z_hat = model.encoder(x)
    mu = model.mu()
    logits = model.decoder(masked(mu, z_hat))
    rec = reconstruction(x, logits, model.output_activation, mc.recon, state.batch_dims)
    omega = wasserstein_estimate(model.critic, masked(mu, z), masked(mu, z_hat))
    loss = mask_loss(rec, omega, mu, scalars.lambda1, scalars.lambda2, scalars.lambda3)
    _descend(state.opts["mask"], loss * scalars.loss_scale)
    model.mask.project_()
    return {"loss_mask": loss.detach()}


# ---- the loop ---------------------------------------------------------------------------------------


def train_loop(state: TrainingState, folders: list[RunFolder], data: torch.Tensor) -> list[dict[str, Any]]:
    """Algorithm 2 from the state's step to ``train.steps``: log, checkpoint and finish each member into its
    folder; returns their summaries. ``state`` is one run with its folder, or a pack (maae.pack) with one
    folder per member. A member whose loss or weights turn non-finite stops at the next log or checkpoint
    (the weights are checked before every checkpoint, so none holds NaN), its last good checkpoint kept and
    ``failure.json`` saying why; the others go on, and NonFiniteLossError then names the stopped ones."""
    cfg = state.cfg
    code_version = provenance.code_version()  # at the start: the code that runs, not what came after
    schedule = make_schedule(cfg)
    metrics = [folder.metrics(keep_until=state.step) for folder in folders]
    steps = cfg.train.steps
    names = loss_names(cfg)
    member_names = [loss_names(member.cfg) for member in state.members()]
    bad = torch.zeros((), dtype=torch.bool, device=state.device)  # [loss (, member)] once a step ran
    last_good, failures = state.step, []
    bar = _progress(cfg.train.progress, steps, state.step)
    autocast = (
        torch.autocast(state.device.type, dtype=torch.bfloat16)
        if cfg.train.bf16
        else contextlib.nullcontext()
    )
    state.model.train()
    tick = time.perf_counter()
    try:
        while state.step < steps and folders:
            with autocast:
                out = iteration(state, state.draw(data))
            bad = bad | ~torch.isfinite(torch.stack([out[k] for k in names]).float())
            if bar is not None:
                bar.update(1)
            at_log = state.step % schedule.log_every == 0 or state.step == steps
            at_ckpt = state.step % schedule.checkpoint_every == 0 or state.step == steps
            if not (at_log or at_ckpt):
                continue
            now = time.perf_counter()
            state.add_seconds(now - tick)
            tick = now
            outs = state.split(out)
            members = state.members()
            # each loss is taken before its own update, so no loss sees a step's last one: the weights do
            weights_bad = [not _finite(member.model) for member in members]
            stopped = _stopped(names, member_names, bad, weights_bad, last_good, state.step, folders)
            if stopped:
                for i, why in stopped.items():
                    folders[i].fail(why)
                    metrics[i].close()
                    failures.append(why if len(folders) == 1 else f"{folders[i].out}: {why}")
                keep = [i for i in range(len(folders)) if i not in stopped]
                if not keep:
                    folders = []
                    break
                state = state.without(list(stopped))
                folders, metrics, outs = ([xs[i] for i in keep] for xs in (folders, metrics, outs))
                # the pack's losses are its members': without its mask members it has no loss_mask
                kept_names = loss_names(state.cfg)
                rows = [names.index(name) for name in kept_names]
                member_names, bad, names = [member_names[i] for i in keep], bad[rows][:, keep], kept_names
                members = state.members()
            if at_log:
                for member, log, member_out in zip(members, metrics, outs, strict=True):
                    row = _log_row(member, member_out)
                    log.append(row)
                    if bar is None and cfg.train.progress != "none":
                        where = f"{log.path.parent}: " if len(members) > 1 else ""
                        print(where + _format_row(row, steps), file=sys.stderr, flush=True)
                if bar is not None and len(members) == 1:
                    bar.set_postfix(m_A=row["m_active"], omega=f"{row['omega']:.3g}")
            if at_ckpt:
                for member, folder in zip(members, folders, strict=True):
                    folder.save_checkpoint(state.step, member.state_dict())
                last_good = state.step
    finally:
        if bar is not None:
            bar.close()
        for log in metrics:
            log.close()
    summaries = []
    if folders and state.step >= steps:
        for member, folder in zip(state.members(), folders, strict=True):
            summary = _summary(member, member.schedule, code_version) | state.packing
            summaries.append(folder.finish(member.model, summary))
    if failures:
        raise NonFiniteLossError("; ".join(failures))
    return summaries


def _summary(state: TrainingState, schedule: Any, code_version: str) -> dict[str, Any]:
    cfg = state.cfg
    mu = state.model.mu().detach().float().cpu()
    return {
        "steps": state.step,
        "train_seconds": round(state.train_seconds, 3),
        "iterations_per_second": (
            round(state.step / state.train_seconds, 3) if state.train_seconds else None
        ),
        "device": provenance.device_name(state.device),
        "code_version": code_version,
        "model": cfg.model.kind,
        "m": cfg.model.m,
        "m_active": state.model.active_dimensions(),
        "mu": [round(float(v), 6) for v in mu],
        "seed": cfg.train.seed,
        "schedule": dataclasses.asdict(schedule),
    }


def loss_names(cfg: RunConfig) -> tuple[str, ...]:
    """The losses a model kind has: a WAE has no L_mask."""
    mk = kind(cfg.model.kind)
    return ("loss_ae", "loss_dm") + ("loss_gen",) * mk.generator_step + ("loss_mask",) * mk.mask


def _finite(model: torch.nn.Module) -> bool:
    return all(bool(torch.isfinite(p).all()) for p in model.parameters())


def _stopped(
    names: tuple[str, ...],
    member_names: list[tuple[str, ...]],
    bad: torch.Tensor,
    weights_bad: list[bool],
    last_good: int,
    step: int,
    folders: list[RunFolder],
) -> dict[int, str]:
    """The members whose own losses, or weights, went non-finite since the last check, each with why."""
    flags = bad.view(len(names), -1).T.tolist()  # [member][loss]
    stopped = {}
    for i, (own, folder) in enumerate(zip(member_names, folders, strict=True)):
        which = [n for n, b in zip(names, flags[i], strict=True) if b and n in own]
        which += ["weights"] if weights_bad[i] else []
        if which:
            kept = (
                f"the last good checkpoint (step {last_good}) is kept in {folder.checkpoints}"
                if last_good
                else "no checkpoint had been written yet"
            )
            stopped[i] = f"non-finite {', '.join(which)} between steps {last_good} and {step}; {kept}"
    return stopped


def _log_row(state: TrainingState, out: dict[str, torch.Tensor]) -> dict[str, Any]:
    mu = state.model.mu().detach().float().cpu()
    row: dict[str, Any] = {"step": state.step, "train_seconds": round(state.train_seconds, 3)}
    row.update({k: float(v) for k, v in out.items()})
    row["lambda3"] = state.lambda3 if state.model.mask is not None else float("nan")
    row["m_active"] = state.model.active_dimensions()
    row.update({f"mu_{j}": float(v) for j, v in enumerate(mu)})
    return row


def _progress(mode: str, total: int, initial: int):
    if mode == "bar" or (mode == "auto" and sys.stderr.isatty()):
        from tqdm import tqdm

        return tqdm(total=total, initial=initial, unit="it", dynamic_ncols=True)
    return None


def _format_row(row: dict[str, Any], steps: int) -> str:
    parts = [f"step {row['step']}/{steps}"]
    for key in ("recon", "omega", "loss_gen", "loss_mask"):
        if key in row:
            parts.append(f"{key} {row[key]:.4g}")
    parts.append(f"m_A {row['m_active']}")
    if row["train_seconds"]:
        parts.append(f"{row['step'] / row['train_seconds']:.1f} it/s")
    return "  ".join(parts)


def open_run(cfg: RunConfig, out_dir: str | Path, device: torch.device) -> tuple[TrainingState, RunFolder]:
    """A run's state and folder: the folder claimed, the state at its newest checkpoint (or new)."""
    state = TrainingState(cfg, data_shape(cfg.data), device)
    folder = RunFolder(out_dir, cfg)
    folder.claim()
    saved = folder.latest_checkpoint()
    if saved is not None:
        state.load_state_dict(saved)
        log.info("resuming %s from step %d", folder.out, state.step)
    return state, folder


def setup(cfg: RunConfig) -> torch.device:
    """The device a resolved config asks for, with torch's CPU threads, TF32 and determinism set as it
    says (process-wide switches: one run, or one pack, per process)."""
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    torch.backends.cuda.matmul.allow_tf32 = cfg.train.tf32
    torch.backends.cudnn.allow_tf32 = cfg.train.tf32
    if cfg.train.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS starts
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    return pick_device(cfg.train.device)


def train(cfg: RunConfig, out_dir: str | Path, train_data: torch.Tensor | None = None) -> dict[str, Any]:
    """Train one run into ``out_dir`` (resuming from its newest checkpoint); returns its summary (also in
    summary.json). The state, the folder and the loop are separate (TrainingState, RunFolder, train_loop)."""
    cfg = resolve(cfg)
    device = setup(cfg)
    data = train_data if train_data is not None else load_split(cfg.data, "train")
    state, folder = open_run(cfg, out_dir, device)
    return train_loop(state, [folder], data.to(device))[0]
