"""Write any source (or a seeded sample of it) in the suite's own format (`bench data export`).

`.npz` needs every image in memory (numpy writes it in one go); `.h5` is filled chunk by chunk,
so exporting a large source to `.h5` needs only one chunk in memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np
from tqdm import tqdm

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError
from gazebench.data.base import EyeSource
from gazebench.data.inspect import in_chunks
from gazebench.data.own_format import write_own_format


def export_indices(source: EyeSource, n: int | None, seed: int) -> np.ndarray:
    """All indices, or n of them drawn at random (seeded) and kept in source order."""
    if n is None:
        return np.arange(len(source))
    if not 1 <= n <= len(source):
        raise UserInputError(f"--n {n}: expected 1..{len(source)}, the size of {source.name}.")
    return np.sort(np.random.default_rng(seed).choice(len(source), size=n, replace=False))


def export_source(source: EyeSource, out: str | os.PathLike, n: int | None = None, seed: int = 0, progress: bool = True) -> Path:
    """Write the source's images (+ gaze) to out (.npz or .h5), atomically; returns the path."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".npz", ".h5", ".hdf5"):
        raise UserInputError(f"{out}: expected an output file ending in .npz or .h5.")
    indices = export_indices(source, n, seed)
    pieces = tqdm(in_chunks(indices), desc=f"exporting {len(indices)} images", unit="chunk", disable=not progress)
    if suffix == ".npz":
        parts = [source.read(piece) for piece in pieces]
        gaze = np.concatenate([p.gaze for p in parts]) if source.has_labels else None
        return write_own_format(out, np.concatenate([p.images for p in parts]), gaze)
    return _write_h5_in_chunks(source, out, indices, pieces)


def _write_h5_in_chunks(source: EyeSource, out: Path, indices: np.ndarray, pieces) -> Path:
    height, width = source.image_shape

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            images = f.create_dataset(
                "images", shape=(len(indices), height, width), dtype=np.uint8,
                chunks=(min(len(indices), 1024), height, width),
            )
            gaze = f.create_dataset("gaze", shape=(len(indices), 2), dtype=np.float32) if source.has_labels else None
            start = 0
            for piece in pieces:
                data = source.read(piece)
                images[start : start + len(piece)] = data.images
                if gaze is not None:
                    gaze[start : start + len(piece)] = data.gaze
                start += len(piece)

    return write_atomic(out, write, suffix=out.suffix)
