"""Figure 6: sample grids of MAAE and the WAE from their final weights (image data sets only)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from maae.data import data_shape
from maae.metrics.images import minmax_per_image
from maae.model import load_trained
from maae.report.plots.common import (
    MODEL_LABELS,
    Results,
    Unavailable,
    count_text,
    new_figure,
    placeholder_axes,
    read_json,
    require_file,
)
from maae.sample import sample


def sample_images(folder: Path, n: int, sample_seed: int) -> tuple[torch.Tensor, int]:
    """n decoded prior draws as (n, C, H, W) images, each min-max scaled on its own (the authors'
    preprocessing of generated images), and the run's m_A."""
    require_file(folder, "model.pt")
    cfg, model = load_trained(folder)
    images = sample(model, n, torch.Generator().manual_seed(sample_seed))
    return minmax_per_image(images.reshape(n, *data_shape(cfg.data))), model.active_dimensions()


def grid(images: torch.Tensor) -> np.ndarray:
    """A near-square grid of (n, C, H, W) images as one (H, W, 3) array."""
    tiles = make_grid(images, nrow=math.ceil(math.sqrt(len(images))), padding=2, pad_value=1.0)
    return tiles.permute(1, 2, 0).numpy()


def fig6(
    results: Results, dataset: str, m: int | None, seed: int, n: int, sample_seed: int
) -> tuple[Figure, list[str]]:
    """MAAE's and the WAE's samples at one m (default: the scale's capacity), side by side."""
    info = results.dataset(dataset)
    if info["data"] == "synthetic":
        raise Unavailable(f"{dataset}: sample grids are for image data, and {dataset} is synthetic")
    m = results.capacity(dataset) if m is None else m
    fig = new_figure(10, 5.8)
    problems, steps = [], []
    for ax, model in zip(fig.subplots(1, 2), ("maae", "wae"), strict=True):
        try:
            folder = results.run_folder(dataset, model, m, seed)
            steps.append(read_json(folder, "summary.json")["steps"])  # known even where weights were not kept
            images, m_active = sample_images(folder, n, sample_seed)
        except Unavailable as err:
            placeholder_axes(ax, str(err))
            problems.append(str(err))
            continue
        ax.imshow(grid(images), interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(f"{MODEL_LABELS[model]}: m = {m}, m_A = {m_active}", fontsize=11)
    fig.suptitle(
        f"Figure 6: {dataset}, samples at m = {m} (training seed {seed})\n"
        f"{results.scale} scale · {count_text(steps, 'steps')} · 1 seed · {n} draws from N(0, I_m), "
        f"prior seed {sample_seed} · each image min-max scaled",
        fontsize=10,
    )
    return fig, problems
