"""FID as pytorch-fid computes it: pool3 (2048-d) features of pytorch-fid's InceptionV3 (the port of the TF
graph the paper used), images in [0, 1] resized to 299x299 inside the network, grayscale repeated to RGB.

The weights come only from pytorch-fid's file, ``$TORCH_HOME/hub/checkpoints/pt_inception-2015-12-05-
6726825d.pth``, checked against the hash in its name; where it is missing and cannot be downloaded the
error says where to put it. Nothing ever falls back to other weights.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from unittest import mock

import torch
import torchvision
from pytorch_fid import inception as pfid

from maae.metrics import WeightsUnavailableError
from maae.metrics.images import Backbone

METRIC = "fid"
WEIGHTS_URL = pfid.FID_WEIGHTS_URL
WEIGHTS_FILE = WEIGHTS_URL.rsplit("/", 1)[-1]
_HASH_PREFIX = WEIGHTS_FILE.rsplit("-", 1)[-1].split(".")[0]  # torch.hub's convention: sha256 prefix


def weights_path() -> Path:
    """Where pytorch-fid (through torch.hub) keeps the weights: $TORCH_HOME/hub/checkpoints/."""
    return Path(torch.hub.get_dir()) / "checkpoints" / WEIGHTS_FILE


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_weights(path: Path | None = None, download: bool = True) -> dict[str, torch.Tensor]:
    """pytorch-fid's Inception state dict, downloaded into ``path`` first if allowed and needed."""
    path = weights_path() if path is None else Path(path)
    how = (
        f"download {WEIGHTS_URL} on a machine with internet and copy it to {path} "
        "(the folder is $TORCH_HOME/hub/checkpoints; TORCH_HOME defaults to ~/.cache/torch)"
    )
    if not path.is_file():
        if not download:
            raise WeightsUnavailableError(f"{path}: Inception weights missing; {how}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(WEIGHTS_URL, str(path), hash_prefix=_HASH_PREFIX, progress=False)
        except (OSError, RuntimeError) as err:  # no network (URLError is an OSError), or a bad download
            raise WeightsUnavailableError(
                f"{path}: Inception weights missing and the download failed ({err}); {how}"
            ) from err
    try:
        digest = _sha256(path)
    except OSError as err:
        raise WeightsUnavailableError(f"{path}: unreadable ({err}); {how}") from err
    if not digest.startswith(_HASH_PREFIX):
        raise WeightsUnavailableError(
            f"{path}: not pytorch-fid's weights (sha256 differs); replace it: {how}"
        )
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise WeightsUnavailableError(f"{path}: unreadable ({err}); replace it: {how}") from err


def build_inception(state_dict: Mapping[str, torch.Tensor]) -> pfid.InceptionV3:
    """pytorch-fid's InceptionV3 (FID variant, pool3 output, eval mode) holding ``state_dict``.

    pytorch-fid fetches its weights inside ``fid_inception_v3`` through ``load_state_dict_from_url``; the
    given weights are handed over at exactly that call (a strict load), so no other file is ever read.
    """

    def hand_over(url: str, *args: object, **kwargs: object) -> Mapping[str, torch.Tensor]:
        if url != WEIGHTS_URL:
            raise RuntimeError(f"pytorch-fid asked for unexpected weights {url}")
        return state_dict

    with mock.patch.object(pfid, "load_state_dict_from_url", hand_over):
        model = pfid.InceptionV3([pfid.InceptionV3.BLOCK_INDEX_BY_DIM[2048]], use_fid_inception=True)
    return model.eval()


def random_state_dict(seed: int = 0) -> dict[str, torch.Tensor]:
    """Random weights of the same network, for tests and speed measurements without the download.

    pytorch-fid's FID blocks subclass torchvision's and change only ``forward``, so torchvision's
    Inception3 with 1008 classes and no aux head has the same parameter names and shapes. He-initialised
    convolutions keep the activations of order 1 through the ~90 layers (torchvision's own init makes
    pool3 features ~1e10).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torchvision.models.inception_v3(
            weights=None, aux_logits=False, num_classes=1008, init_weights=False
        )
        for p in net.parameters():
            if p.dim() == 4:
                torch.nn.init.kaiming_normal_(p, nonlinearity="relu")
    return net.state_dict()


def inception_backbone(
    model: pfid.InceptionV3,
    weights_name: str,
    device: torch.device | str = "cpu",
    precision: Literal["fp32", "bf16"] = "fp32",
    channels_last: bool = True,
    batch_size: int = 50,
) -> Backbone:
    """The pool3 feature extractor. channels_last is ~1.6x faster on CPU with features equal to ~5e-7;
    bf16 (opt-in) is ~4x faster but moves features by up to ~2%, so it is part of the backbone's name."""
    if precision not in ("fp32", "bf16"):
        raise ValueError(f"precision {precision!r} is not one of fp32, bf16")
    device = torch.device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format).eval()

    def features(x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = x.contiguous(memory_format=memory_format)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16"):
            return model(x)[0].flatten(1).float()

    return Backbone(f"inception-pool3-{weights_name}-{precision}", features, device, batch_size)


def fid_backbone(
    device: torch.device | str = "cpu",
    precision: Literal["fp32", "bf16"] = "fp32",
    channels_last: bool = True,
    download: bool = True,
) -> Backbone:
    """The real FID network, from pytorch-fid's weights file (see load_weights)."""
    model = build_inception(load_weights(download=download))
    return inception_backbone(model, WEIGHTS_FILE.removesuffix(".pth"), device, precision, channels_last)
