"""fd_lenet: an offline image metric for machines without the Inception weights.

The Fréchet distance in the 128-d penultimate feature space of a LeNet-style classifier that the suite
trains itself, deterministically (fixed seed, CPU; other CPUs or thread counts may round differently) and
once per data set on its train split, then caches.
It is a different metric from FID: values are on another scale, never comparable to the paper's Table 1,
and reported under their own name. CelebA is unsupported: this suite reads no CelebA class labels (the
identity and attribute files), so there is nothing to train the classifier on.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from maae.config import DataConfig
from maae.data import load_split, to_model_input
from maae.io import read_cache, torch_save
from maae.metrics.images import Backbone, fingerprint
from maae.metrics.labels import LABELLED, load_labels

METRIC = "fd_lenet"
FEATURES = 128
FORMAT = 1  # bump when the network or its training changes, so cached classifiers are retrained


class LeNet(nn.Module):
    """conv5(16)-pool-conv5(32)-pool-FC128-FC10, ReLU; ``features`` is the FC128 activation."""

    def __init__(self, shape: tuple[int, int, int], classes: int = 10):
        super().__init__()
        c, h, w = shape
        self.conv1 = nn.Conv2d(c, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.fc = nn.Linear(32 * (h // 4) * (w // 4), FEATURES)
        self.head = nn.Linear(FEATURES, classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc(x.flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def train_lenet(
    images: torch.Tensor, labels: torch.Tensor, epochs: int, seed: int, batch_size: int = 128
) -> LeNet:
    """Adam (lr 1e-3) on the CPU, initialisation and batch order from ``seed`` alone."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = LeNet(tuple(images.shape[1:]), int(labels.max()) + 1)
    order = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for _ in range(epochs):
        for idx in torch.randperm(images.shape[0], generator=order).split(batch_size):
            loss = F.cross_entropy(net(to_model_input(images[idx])), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return net.eval()


@torch.no_grad()
def accuracy(net: LeNet, images: torch.Tensor, labels: torch.Tensor) -> float:
    correct = sum(
        int((net(to_model_input(x)).argmax(1) == y).sum())
        for x, y in zip(images.split(1000), labels.split(1000), strict=True)
    )
    return correct / images.shape[0]


def load_or_train(
    data: DataConfig, cache_dir: Path, epochs: int = 3, seed: int = 0
) -> tuple[LeNet, dict[str, Any]]:
    """The data set's classifier and its record (test accuracy, training set hash), trained on first use."""
    if data.name not in LABELLED:
        raise ValueError(
            f"{METRIC}: {data.name} has no class labels in this suite to train its classifier on "
            f"(supported: {', '.join(LABELLED)}); use fid"
        )
    images, labels = load_split(data, "train"), load_labels(data, "train")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"{data.name} train: {images.shape[0]} images but {labels.shape[0]} labels")
    record = {
        "format": FORMAT, "data": data.name, "epochs": epochs, "seed": seed,
        "train_images": fingerprint(images), "train_labels": fingerprint(labels),
    }  # fmt: skip
    path = cache_dir / f"lenet_{data.name}_e{epochs}_s{seed}.pt"
    state = _read_cache(path)
    if state is not None and {k: state["record"].get(k) for k in record} == record:
        net = LeNet(tuple(images.shape[1:]), state["classes"])
        net.load_state_dict(state["model"])
        return net.eval(), state["record"]
    net = train_lenet(images, labels, epochs, seed)
    record["test_accuracy"] = accuracy(net, load_split(data, "test"), load_labels(data, "test"))
    try:
        torch_save(path, {"model": net.state_dict(), "classes": net.head.out_features, "record": record})
    except OSError as err:  # e.g. a read-only data folder: the classifier is still right, just not cached
        warnings.warn(f"could not write classifier cache {path} ({err})", stacklevel=2)
    return net, record


def _read_cache(path: Path) -> dict[str, Any] | None:
    state = read_cache(path, "classifier cache", map_location="cpu")
    if state is None:
        return None
    if (
        isinstance(state, dict)
        and {"model", "classes", "record"} <= state.keys()
        and isinstance(state["record"], dict)
    ):
        return state
    warnings.warn(f"classifier cache {path} does not hold a classifier; retraining", stacklevel=3)
    return None


def lenet_backbone(
    data: DataConfig, cache_dir: Path, device: torch.device | str = "cpu", epochs: int = 3, seed: int = 0
) -> tuple[Backbone, dict[str, Any]]:
    net, record = load_or_train(data, cache_dir, epochs, seed)
    device = torch.device(device)
    net = net.to(device)
    # the weights themselves in the name (Backbone: the name says everything that changes the features),
    # so a classifier retrained (a new FORMAT, a lost cache rebuilt on another CPU) never meets the real
    # statistics cached for the one before
    weights = fingerprint(torch.cat([t.detach().flatten().float().cpu() for t in net.state_dict().values()]))
    name = f"lenet-{data.name}-e{epochs}-s{seed}-{record['train_images'][:8]}-w{weights[:8]}"
    return Backbone(name, net.features, device, batch_size=500), record
