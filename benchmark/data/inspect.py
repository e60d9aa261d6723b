"""What a data source holds (`bench data info`) and a labelled sample grid of it (`bench data grid`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gazebench.core.errors import UserInputError
from gazebench.core.geometry import degrees
from gazebench.core.grids import save_eye_grid
from gazebench.data.base import EyeSource

READ_CHUNK = 4096  # images per read while scanning a whole source: bounded memory for any size


@dataclass
class SourceInfo:
    """A summary of one source; label ranges in degrees, None where the source has no labels."""

    spec: str
    count: int
    image_height: int
    image_width: int
    has_labels: bool
    mean_grey: float
    std_grey: float
    pitch_deg: tuple[float, float] | None = None
    yaw_deg: tuple[float, float] | None = None
    mean_pitch_deg: float | None = None
    mean_yaw_deg: float | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        lines = [
            f"source:  {self.spec}",
            f"images:  {self.count} grey {self.image_height}x{self.image_width}",
            f"grey:    mean {self.mean_grey:.1f}, std {self.std_grey:.1f}",
            f"labels:  {'yes' if self.has_labels else 'no'}",
        ]
        if self.has_labels:
            lines.append(f"pitch:   {self.pitch_deg[0]:.1f} .. {self.pitch_deg[1]:.1f} deg (mean {self.mean_pitch_deg:.1f})")
            lines.append(f"yaw:     {self.yaw_deg[0]:.1f} .. {self.yaw_deg[1]:.1f} deg (mean {self.mean_yaw_deg:.1f})")
        return "\n".join(lines)


def in_chunks(indices: np.ndarray, size: int = READ_CHUNK) -> list[np.ndarray]:
    """The indices in consecutive pieces of at most `size`, so a whole source is read in bounded memory."""
    return [indices[start : start + size] for start in range(0, len(indices), size)]


def describe_source(source: EyeSource, progress: bool = True) -> SourceInfo:
    """Count, size, grey level and label ranges; reads every image (in chunks) so bad files surface here."""
    pixel_sum = pixel_square_sum = 0.0
    low, high, total = np.full(2, np.inf), np.full(2, -np.inf), np.zeros(2)
    for indices in tqdm(in_chunks(np.arange(len(source))), desc="reading", unit="chunk", disable=not progress):
        data = source.read(indices)
        flat = data.images.reshape(-1)  # sums without a float copy of the chunk: memory stays one chunk
        pixel_sum += float(flat.sum(dtype=np.int64))
        pixel_square_sum += float(np.einsum("i,i->", flat, flat, dtype=np.float64))
        if data.gaze is not None:
            gaze = degrees(data.gaze.astype(np.float64))
            low, high, total = np.minimum(low, gaze.min(0)), np.maximum(high, gaze.max(0)), total + gaze.sum(0)
    height, width = source.image_shape
    pixel_count = len(source) * height * width
    mean = pixel_sum / pixel_count
    info = SourceInfo(
        source.name, len(source), int(height), int(width), source.has_labels,
        mean_grey=float(mean), std_grey=float(np.sqrt(max(pixel_square_sum / pixel_count - mean**2, 0.0))),
    )
    if source.has_labels:
        info.pitch_deg, info.yaw_deg = (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))
        info.mean_pitch_deg, info.mean_yaw_deg = (float(v) for v in total / len(source))
    return info


def save_source_grid(source: EyeSource, out: str | Path, n: int = 32, seed: int = 0) -> Path:
    """A PNG of n random eyes (seeded) from the source, each captioned and with its gaze arrow."""
    if n < 1:
        raise UserInputError(f"--n {n}: expected at least one image for the grid.")
    if Path(out).suffix.lower() != ".png":
        raise UserInputError(f"{out}: expected an output file ending in .png.")
    indices, data = source.sample(min(n, len(source)), seed)
    if data.gaze is None:
        labels = [f"#{i}" for i in indices]
    else:
        labels = [f"#{i} p{p:+.0f} y{y:+.0f}" for i, (p, y) in zip(indices, degrees(data.gaze.astype(np.float64)))]
    title = f"{source.name}: {len(indices)} of {len(source)} (seed {seed}); arrow = gaze label"
    return save_eye_grid(out, data.images, data.gaze, labels=labels, title=title)
