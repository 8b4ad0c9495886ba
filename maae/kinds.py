"""The models the suite trains, one entry each: what the config, the workflow, the trainer, the tables
and the plots need to know about a model, so that a new model is one entry here and its losses.

``model.kind`` in maae.config names the entry; run folders, runs.csv and the workflow's ``model``
wildcard use the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelKind:
    name: str
    label: str  # tables, legends
    colour: str  # matplotlib colour of its curves
    mask: bool  # MAAE's mask: theta, mu and the L_mask step
    description: str


MODEL_KINDS: dict[str, ModelKind] = {
    kind.name: kind
    for kind in (
        ModelKind("maae", "MAAE", "tab:blue", True, "MaskAAE: the mask, WGAN-GP latent critic (Algorithm 2)"),
        ModelKind(
            "wae",
            "WAE",
            "tab:orange",
            False,
            "MAAE with the mask off (the paper's WAE curves): WGAN-GP latent critic",
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
