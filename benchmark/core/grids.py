"""Image grids for eyes with their gaze drawn as arrows: the quickest way to see that labels are right.

An arrow starts at the image centre and points along the gaze vector projected into the image
(x right, y down): for pitch/yaw that is (v_x, v_y) of geometry.pitchyaw_to_vector, so a gaze to
the image's left (positive yaw) points left and an upward gaze (positive pitch) points up.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

from gazebench.core.atomic import write_atomic  # noqa: E402
from gazebench.core.geometry import pitchyaw_to_vector  # noqa: E402

LABEL_COLOUR = "#00e676"
PREDICTED_COLOUR = "#ff1744"
CELL_INCHES = 1.6  # width of one eye in the figure
ARROW_LENGTH = 1.0  # in image widths for a gaze at 90 degrees; 15 degrees is about a quarter width


def _draw_arrow(axis, shape: tuple[int, int], pitchyaw: np.ndarray, colour: str) -> None:
    height, width = shape
    vector = pitchyaw_to_vector(np.asarray(pitchyaw, dtype=np.float64))
    dx, dy = ARROW_LENGTH * width * vector[0], ARROW_LENGTH * width * vector[1]
    axis.annotate(
        "",
        xy=((width - 1) / 2 + dx, (height - 1) / 2 + dy),
        xytext=((width - 1) / 2, (height - 1) / 2),
        arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.5, "mutation_scale": 8},
        annotation_clip=False,  # a steep gaze may reach past the eye's edge; still draw it
    )


def _show_eye(axis, image: np.ndarray) -> None:
    axis.imshow(image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])


def _save_atomically(figure, path: str | os.PathLike) -> Path:
    try:
        return write_atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=100), suffix=".png")
    finally:
        plt.close(figure)


def save_eye_grid(
    path,
    images: np.ndarray,
    gaze: np.ndarray | None = None,
    *,
    labels: list[str] | None = None,
    ncols: int = 8,
    title: str | None = None,
    predicted: np.ndarray | None = None,
) -> Path:
    """PNG of uint8 eyes (N, H, W), each with its gaze (green) and optional predicted gaze (red) as arrows."""
    images = np.asarray(images)
    count = len(images)
    if count == 0:
        raise ValueError("save_eye_grid needs at least one image")
    ncols = max(1, min(ncols, count))
    nrows = -(-count // ncols)
    height, width = images.shape[1:3]
    label_inches = 0.25 if labels else 0.0
    figure, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * CELL_INCHES, nrows * (CELL_INCHES * height / width + label_inches) + (0.4 if title else 0.1)),
        squeeze=False,
    )
    for index, axis in enumerate(axes.flat):
        if index >= count:
            axis.axis("off")
            continue
        _show_eye(axis, images[index])
        if gaze is not None:
            _draw_arrow(axis, (height, width), gaze[index], LABEL_COLOUR)
        if predicted is not None:
            _draw_arrow(axis, (height, width), predicted[index], PREDICTED_COLOUR)
        if labels:
            axis.set_title(labels[index], fontsize=7)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save_atomically(figure, path)


def save_comparison_grid(
    path,
    rows: dict[str, np.ndarray],
    gaze: np.ndarray | None = None,
    *,
    title: str | None = None,
) -> Path:
    """PNG with one row per named set of eyes, columns aligned (before/after); gaze drawn on every row."""
    if not rows:
        raise ValueError("save_comparison_grid needs at least one row")
    counts = {name: len(images) for name, images in rows.items()}
    if len(set(counts.values())) != 1 or 0 in counts.values():
        raise ValueError(f"every row needs the same, non-zero number of images; got {counts}")
    ncols = next(iter(counts.values()))
    first_height, first_width = next(iter(rows.values())).shape[1:3]
    figure, axes = plt.subplots(
        len(rows),
        ncols,
        figsize=(ncols * CELL_INCHES + 0.8, len(rows) * CELL_INCHES * first_height / first_width + (0.4 if title else 0.1)),
        squeeze=False,
    )
    for row_axes, (name, images) in zip(axes, rows.items()):
        images = np.asarray(images)
        for column, axis in enumerate(row_axes):
            _show_eye(axis, images[column])
            if gaze is not None:
                _draw_arrow(axis, images.shape[1:3], gaze[column], LABEL_COLOUR)
        row_axes[0].set_ylabel(name, fontsize=9)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save_atomically(figure, path)
