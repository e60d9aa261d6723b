"""The data-source interface: every image source is opened from one spec string and read lazily.

Spec strings look like `KIND:PATH?key=value&key=value` (for example `npz:dev.npz`,
`mpiigaze:/data/MPIIGaze?people=p00,p01`) or `KIND?key=value` for sources without a path (`sim?style=target`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qsl

import numpy as np

from gazebench.core.errors import UserInputError
from gazebench.core.registry import Registry

# Largest plausible |pitch| and |yaw| of an eye gaze, radians; larger labels mean a unit mistake (degrees?).
MAX_ABS_PITCH = np.pi / 2
MAX_ABS_YAW = np.pi


@dataclass
class EyeData:
    """Images as shipped: uint8 (N, H, W) grey; gaze float32 (N, 2) (pitch, yaw) radians, or None."""

    images: np.ndarray
    gaze: np.ndarray | None


@dataclass(frozen=True)
class SourceSpec:
    kind: str
    path: str | None
    options: dict[str, str]
    text: str


def parse_spec(spec: str) -> SourceSpec:
    """Split `KIND:PATH?opts` / `KIND?opts` / `KIND` into its parts (no file access)."""
    if not spec or not spec.strip():
        raise UserInputError("The data source spec is empty; expected KIND:PATH such as npz:dev.npz or sim.")
    head, _, query = spec.partition("?")
    kind, sep, path = head.partition(":")
    options = dict(parse_qsl(query, keep_blank_values=True))
    return SourceSpec(kind=kind.strip().lower(), path=path if sep else None, options=options, text=spec)


#: Every built-in source kind registers itself with `@SOURCES.register("KIND")` beside its class (one file each
#: in benchmark/data/); plugins join by the entry-point group gazebench.sources.
SOURCES = Registry("source", "gazebench.sources", "gazebench.data.base:EyeSource", ("gazebench.data",), ad_hoc=False)


class EyeSource(ABC):
    """A lazily read set of eye images with optional gaze labels."""

    #: True for data that only stands in for real eyes (the simulator's target style).
    is_stand_in: bool = False
    #: A spec of a tiny instance, for the contract tests (tests/test_sources_contract.py); "{folder}" stands for
    #: a folder that `write_tiny` filled. None: no tiny instance (the test says so).
    TINY_SPEC: ClassVar[str | None] = None

    @classmethod  # noqa: B027  (an optional hook: most sources need no files)
    def write_tiny(cls, folder: Path) -> None:
        """Write the files TINY_SPEC reads into folder (nothing for a source that reads no files)."""

    def __init__(self, spec: SourceSpec):
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.text

    @abstractmethod
    def __len__(self) -> int: ...

    @property
    @abstractmethod
    def image_shape(self) -> tuple[int, int]:
        """(H, W) of every image in the source."""

    @property
    @abstractmethod
    def has_labels(self) -> bool: ...

    @abstractmethod
    def _read(self, indices: np.ndarray) -> EyeData:
        """Read the given sorted, unique indices."""

    def read(self, indices) -> EyeData:
        """Read images (and labels) at `indices` (any order, repeats allowed), checked for sanity."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if idx.size and (idx.min() < 0 or idx.max() >= len(self)):
            raise UserInputError(f"{self.name}: index out of range for a source of {len(self)} images.")
        if idx.size and bool((np.diff(idx) > 0).all()):  # already sorted and unique: no reordering copy
            data = self._read(idx)
            images = np.asarray(data.images)
            gaze = None if data.gaze is None else np.asarray(data.gaze, dtype=np.float32)
        else:
            uniq, inverse = np.unique(idx, return_inverse=True)
            data = self._read(uniq)
            images = np.asarray(data.images)[inverse]
            gaze = None if data.gaze is None else np.asarray(data.gaze, dtype=np.float32)[inverse]
        check_images(images, self.name, self.image_shape)
        if gaze is not None:
            check_gaze(gaze, self.name)
        return EyeData(images=images, gaze=gaze)

    def people(self, indices) -> np.ndarray:
        """The person each image shows, as strings; a source that does not know holds one person, its own name."""
        return np.full(len(np.asarray(indices).reshape(-1)), self.name, dtype=object)

    def recordings(self, indices) -> np.ndarray | None:
        """The recording (session, day) each image comes from, where the source knows it; None otherwise."""
        return None

    def real_fingerprints_seen(self) -> np.ndarray | None:
        """Fingerprints (core/fingerprints.py) of real images this source was fitted to, if any: a run refuses a
        test set among them, as it refuses one a refiner learnt from."""
        return None

    def load(self, n: int | None = None) -> EyeData:
        """Read the first n images (all when n is None)."""
        count = len(self) if n is None else min(n, len(self))
        return self.read(np.arange(count))

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, EyeData]:
        """n distinct images drawn at random (seeded); returns (indices, data)."""
        if n > len(self):
            raise UserInputError(f"{self.name} holds {len(self)} images; {n} were asked for.")
        idx = np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False))
        return idx, self.read(idx)


def check_images(images: np.ndarray, name: str, shape: tuple[int, int] | None = None) -> None:
    """Raise UserInputError unless images are uint8 (N, H, W) of the expected shape."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise UserInputError(
            f"{name}: expected grey uint8 images of shape (N, H, W), got {images.dtype} {images.shape}."
        )
    if shape is not None and tuple(images.shape[1:]) != tuple(shape):
        raise UserInputError(f"{name}: expected images of size {shape[0]}x{shape[1]}, got {images.shape[1]}x{images.shape[2]}.")


def check_gaze(gaze: np.ndarray, name: str) -> None:
    """Raise UserInputError unless gaze is finite (N, 2) pitch/yaw radians in a plausible range."""
    if gaze.ndim != 2 or gaze.shape[1] != 2:
        raise UserInputError(f"{name}: expected gaze labels of shape (N, 2) (pitch, yaw), got {gaze.shape}.")
    if not np.isfinite(gaze).all():
        raise UserInputError(f"{name}: gaze labels contain NaN or infinite values; expected finite radians.")
    if (np.abs(gaze[:, 0]) > MAX_ABS_PITCH).any() or (np.abs(gaze[:, 1]) > MAX_ABS_YAW).any():
        raise UserInputError(
            f"{name}: gaze labels out of range; expected (pitch, yaw) in radians with |pitch| <= pi/2 and |yaw| <= pi."
        )
