"""Image fingerprints: which real images a refiner saw, compared by content rather than by spec text.

A refiner checkpoint keeps the fingerprints of the real images it learnt from; `bench run` refuses a test set
that shares any of them, whatever path, container or option order names it (a copied file, a .mat root against
the same eyes in an .h5). An image's fingerprint is a 64-bit BLAKE2b hash of its canonical 35 x 55 uint8 form
(gazebench.core.images), so the same eye read from any source gives the same fingerprint.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import torch

from gazebench.core.images import to_uint8

FINGERPRINT_FILE = "real_fingerprints.npy"


def fingerprints(images: torch.Tensor) -> np.ndarray:
    """uint64 (N,) fingerprints of model tensors N x 1 x 35 x 55 in [-1, 1]."""
    pixels = to_uint8(images)
    return np.array([int.from_bytes(hashlib.blake2b(image.tobytes(), digest_size=8).digest(), "little")
                     for image in pixels], dtype=np.uint64)


def save(folder: Path, values: np.ndarray) -> None:
    np.save(Path(folder) / FINGERPRINT_FILE, np.unique(values))


def load(folder: Path) -> np.ndarray | None:
    path = Path(folder) / FINGERPRINT_FILE
    return np.load(path) if path.is_file() else None


def shared(a: np.ndarray, b: np.ndarray) -> int:
    """How many distinct images two fingerprint sets share."""
    return int(np.intersect1d(a, b).size)
