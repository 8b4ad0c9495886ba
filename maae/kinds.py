"""The models the suite trains, one entry each: what the config, the workflow, the trainer, the tables
and the plots need to know about a model, so that a new model is one entry here and its losses.

``model.kind`` in maae.config names the entry; run folders, runs.csv and the workflow's ``model``
wildcard use the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The authors' MaskAAE_MNIST.py: 5 critic steps, RMSProp, AE lr 5 x 1e-4, critic 1e-4, the loss drop.
_AUTHORS = {
    "train.critic_steps": 5,
    "train.lr_ae": 5e-4,
    "train.lr_critic": 1e-4,
    "train.optimiser": "rmsprop",
    "train.lr_drop": "loss_scale",
    "model.alpha1": 1.0,
}
# Tolstikhin et al.'s WAE-GAN (tolstikhin/wae, configs.py mnist config and wae.py): one adversary step
# after each AE step on the same batch; Adam (beta1 0.5) at 1e-3 (AE) and 5e-4 (adversary), both halved
# after 30 of 100 epochs and divided by 5 more after 50 ("milestones": 30% and 50% of the run); cost
# 0.05 * sum over pixels of (x - y)^2 ("l2sq"); lambda = 10 (model.gan_lambda).
_TOLSTIKHIN = {
    "train.critic_steps": 1,
    "train.lr_ae": 1e-3,
    "train.lr_critic": 5e-4,
    "train.optimiser": "adam",
    "train.lr_drop": "milestones",
    "model.alpha1": 0.05,
    "model.recon": "l2sq",
}


@dataclass(frozen=True)
class ModelKind:
    name: str
    label: str  # tables, legends
    colour: str  # matplotlib colour of its curves
    mask: bool  # MAAE's mask: theta, mu and the L_mask step
    adversary: str  # "wgan_gp" (critic + separate generator step) or "gan" (JS adversary, penalty in L_ae)
    defaults: dict[str, Any]  # dotted maae.config values its runs take where the config says None/auto
    description: str

    @property
    def generator_step(self) -> bool:
        """A separate L_gen step (WGAN-GP); the GAN's encoder penalty sits in the AE step instead."""
        return self.adversary == "wgan_gp"

    @property
    def adversary_reuses_ae_batch(self) -> bool:
        """Tolstikhin et al.'s adversary step takes the AE step's batch; the authors' critic steps draw
        fresh ones."""
        return self.adversary == "gan"


MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind(
            "maae", "MAAE", "tab:blue", True, "wgan_gp", _AUTHORS, "MaskAAE: the mask, WGAN-GP latent critic"
        ),
        ModelKind(
            "wae",
            "WAE",
            "tab:orange",
            False,
            "wgan_gp",
            _AUTHORS,
            "MAAE with the mask off (the paper's WAE curves): WGAN-GP latent critic",
        ),
        ModelKind(
            "wae_gan",
            "WAE-GAN",
            "tab:red",
            False,
            "gan",
            _TOLSTIKHIN,
            "Tolstikhin et al.'s WAE-GAN (Table 1's row): Jensen-Shannon latent adversary, Adam",
        ),
    )
}


def kind(name: str) -> ModelKind:
    if name not in MODEL_KINDS:
        raise ValueError(f"unknown model {name!r} (known: {', '.join(MODEL_KINDS)})")
    return MODEL_KINDS[name]


def kind_of(model_section: dict[str, Any]) -> str:
    """The model kind of a written config's model section; run folders from before model.kind say
    ``mask: true/false`` instead (MAAE or its mask-off WAE)."""
    if "kind" in model_section:
        return model_section["kind"]
    return "maae" if model_section["mask"] else "wae"
