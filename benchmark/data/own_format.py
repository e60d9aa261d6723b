"""The suite's own format (`npz:PATH`, `h5:PATH`): `images` uint8 (N, H, W), optional `gaze` float32 (N, 2)."""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec, check_gaze, check_images
from gazebench.data.options import require_path


@SOURCES.register("npz")
class NpzSource(EyeSource):
    """A .npz file; arrays are loaded on first use (npz members cannot be memory-mapped)."""

    TINY_SPEC = "npz:{folder}/tiny.npz"

    @classmethod
    def write_tiny(cls, folder: Path) -> None:
        write_own_format(Path(folder) / "tiny.npz", *_tiny_eyes())

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        path = require_path(spec, "a .npz file")
        try:
            archive = np.load(path, allow_pickle=False)
        except Exception as exc:  # a corrupt or non-npz file
            raise UserInputError(f"{spec.text}: cannot read {path} as .npz ({exc}).") from None
        if "images" not in archive.files:
            raise UserInputError(f"{spec.text}: {path} has no 'images' array; it holds {sorted(archive.files)}.")
        self._images = archive["images"]
        self._gaze = archive["gaze"].astype(np.float32) if "gaze" in archive.files else None
        check_images(self._images, spec.text)
        if len(self._images) == 0:
            raise UserInputError(f"{spec.text}: {path} holds no images.")
        if self._gaze is not None and len(self._gaze) != len(self._images):
            raise UserInputError(f"{spec.text}: {len(self._images)} images but {len(self._gaze)} gaze labels.")

    def __len__(self):
        return len(self._images)

    @property
    def image_shape(self):
        return tuple(self._images.shape[1:])

    @property
    def has_labels(self):
        return self._gaze is not None

    def _read(self, indices):
        return EyeData(self._images[indices], None if self._gaze is None else self._gaze[indices])


@SOURCES.register("h5")
class H5Source(EyeSource):
    """An HDF5 file read lazily: only the requested rows leave the disk."""

    TINY_SPEC = "h5:{folder}/tiny.h5"

    @classmethod
    def write_tiny(cls, folder: Path) -> None:
        write_own_format(Path(folder) / "tiny.h5", *_tiny_eyes())

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        path = require_path(spec, "an .h5 file")
        try:
            self._file = h5py.File(path, "r")
        except OSError as exc:
            raise UserInputError(f"{spec.text}: cannot read {path} as HDF5 ({exc}).") from None
        if "images" not in self._file or not isinstance(self._file["images"], h5py.Dataset):
            raise UserInputError(f"{spec.text}: {path} has no 'images' dataset; it holds {sorted(self._file.keys())}.")
        self._images = self._file["images"]
        self._gaze = self._file["gaze"] if "gaze" in self._file else None
        if self._images.dtype != np.uint8 or self._images.ndim != 3:
            raise UserInputError(
                f"{spec.text}: expected 'images' uint8 (N, H, W), got {self._images.dtype} {self._images.shape}."
            )
        if self._images.shape[0] == 0:
            raise UserInputError(f"{spec.text}: {path} holds no images.")
        if self._gaze is not None and self._gaze.shape[0] != self._images.shape[0]:
            raise UserInputError(f"{spec.text}: {self._images.shape[0]} images but {self._gaze.shape[0]} gaze labels.")

    def __len__(self):
        return self._images.shape[0]

    @property
    def image_shape(self):
        return tuple(self._images.shape[1:])

    @property
    def has_labels(self):
        return self._gaze is not None

    def _read(self, indices):
        gaze = None if self._gaze is None else np.asarray(self._gaze[indices], dtype=np.float32)
        return EyeData(np.asarray(self._images[indices]), gaze)


def _tiny_eyes() -> tuple[np.ndarray, np.ndarray]:
    """Five random eyes with small gaze labels: the contract tests' own-format files."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(5, 36, 60), dtype=np.uint8), rng.uniform(-0.3, 0.3, size=(5, 2)).astype(np.float32)


def write_own_format(path: str | os.PathLike, images: np.ndarray, gaze: np.ndarray | None) -> Path:
    """Write images (+ gaze) as .npz or .h5 by suffix, atomically (temporary name, then rename)."""
    path = Path(path)
    check_images(images, str(path))
    if gaze is not None:
        gaze = np.asarray(gaze, dtype=np.float32)
        check_gaze(gaze, str(path))
    suffix = path.suffix.lower()
    if suffix not in (".npz", ".h5", ".hdf5"):
        raise UserInputError(f"{path}: expected an output file ending in .npz or .h5.")

    def write(tmp: Path) -> None:
        if suffix == ".npz":
            arrays = {"images": images} if gaze is None else {"images": images, "gaze": gaze}
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
        else:
            with h5py.File(tmp, "w") as f:
                f.create_dataset("images", data=images, chunks=(min(len(images), 1024), *images.shape[1:]))
                if gaze is not None:
                    f.create_dataset("gaze", data=gaze)

    return write_atomic(path, write, suffix=suffix)
