"""What ``score`` computes and with how many samples; light to import, so the CLI can show defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

IMAGE_METRICS = ("fid", "fd_lenet", "nac")
SYNTHETIC_METRICS = ("fd_raw", "kde", "kde_sklearn", "nac")
LABELLED = ("mnist", "fashion_mnist", "cifar10")  # data sets whose class labels the suite reads


@dataclass(frozen=True)
class ScoreOptions:
    metrics: tuple[str, ...] | None = None  # None: default_metrics(data set)
    n_samples: int = 10_000  # generated samples, for every sample-based score
    n_real: int = 10_000  # real test samples for fid, fd_lenet and fd_raw
    n_codes: int = 5_000  # test codes for NAC (supp. §10.4)
    kde_n_fit: int = 10_000  # train rows the KDE is fitted on
    kde_n_val: int = 10_000  # val rows its bandwidth is chosen on
    seed: int = 0  # seed of the prior draws z ~ N(0, I)
    minmax_generated: bool = True  # the authors' per-image min-max of generated images (image metrics)
    fid_precision: Literal["fp32", "bf16"] = "fp32"
    channels_last: bool = True
    download: bool = True  # may fetch the Inception weights where they are missing
    lenet_epochs: int = 3
    cache_dir: str | None = None  # None: <data.root>/metrics_cache
    device: Literal["auto", "cpu", "cuda"] = "auto"


def default_metrics(data: str) -> tuple[str, ...]:
    if data == "synthetic":
        return ("fd_raw", "kde", "nac")
    return ("fid", "fd_lenet", "nac") if data in LABELLED else ("fid", "nac")
