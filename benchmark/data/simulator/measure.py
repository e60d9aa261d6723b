"""Image statistics that compare renders with real eyes: where the dark pixels sit, mean profiles, eye opening.

Kept beside the simulator because they are how its free geometry was fitted (calibrate.py) and checked
(results/simulator); they read uint8 (N, H, W) eyes and need no model.
"""

from __future__ import annotations

import numpy as np
import torch

from gazebench.data.simulator.eye3d import eye_geometry
from gazebench.data.simulator.params import LabelRange, draw_params


def dark_centroids(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image, x and y of the centroid of its darkest 10% of pixels, weighted by darkness (iris, pupil, lashes)."""
    flat = images.reshape(len(images), -1).astype(np.float64)
    dark = flat <= np.percentile(flat, 10, axis=1, keepdims=True)
    weight = dark * (255.0 - flat)
    ys, xs = np.divmod(np.arange(flat.shape[1]), images.shape[2])
    return (weight @ xs) / weight.sum(1), (weight @ ys) / weight.sum(1)


def dark_centroid_slopes(images: np.ndarray, gaze: np.ndarray) -> dict[str, float]:
    """px per degree: centroid x of the darkest 10% against yaw, centroid y against pitch."""
    cx, cy = dark_centroids(images)
    pitch, yaw = np.degrees(gaze).T
    return {"x_per_yaw_deg": float(np.polyfit(yaw, cx, 1)[0]), "y_per_pitch_deg": float(np.polyfit(pitch, cy, 1)[0])}


def profile_distance(images: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Mean |difference| of the mean row / column intensity profiles, grey levels."""
    mean, real_mean = images.astype(np.float64).mean(0), real.astype(np.float64).mean(0)
    return {"rows_l1": float(np.abs(mean.mean(1) - real_mean.mean(1)).mean()),
            "cols_l1": float(np.abs(mean.mean(0) - real_mean.mean(0)).mean())}


def _iris_widths(images: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> list[int]:
    """The run of dark pixels (darkest 20%) along the row through each image's dark centroid."""
    flat = images.reshape(len(images), -1)
    rows = images[np.arange(len(images)), np.clip(np.round(cy).astype(int), 0, images.shape[1] - 1)]
    is_dark = rows <= np.percentile(flat, 20, axis=1, keepdims=True)
    column = np.clip(np.round(cx).astype(int), 0, images.shape[2] - 1)
    widths = []
    for row_dark, start in zip(is_dark, column):
        left = right = start
        while left > 0 and row_dark[left - 1]:
            left -= 1
        while right < len(row_dark) - 1 and row_dark[right + 1]:
            right += 1
        widths.append(right - left + 1 if row_dark[start] else 0)
    return widths


def eye_statistics(images: np.ndarray) -> dict[str, float]:
    """Statistics of uint8 (N, 35, 55) eyes that do not depend on which eye (left or right) they show."""
    cx, cy = dark_centroids(images)
    widths = _iris_widths(images, cx, cy)
    profile = images[:, :, images.shape[2] // 4 : 3 * images.shape[2] // 4].astype(np.float64).mean((0, 2))
    mid = 0.5 * (profile.min() + profile.max())
    return {"iris_y_mean": float(cy.mean()), "iris_y_std": float(cy.std()),
            "iris_x_offset_mean": float(np.abs(cx - (images.shape[2] - 1) / 2).mean()),
            "iris_width_median": float(np.median(widths)), "opening_rows": float((profile < mid).sum()),
            "profile": profile.round(1).tolist()}


def symmetric_mean(images: np.ndarray) -> np.ndarray:
    """The mean image averaged with its mirror image: left and right eyes of the real sets are not mirrored."""
    mean = images.astype(np.float64).mean(0)
    return 0.5 * (mean + mean[:, ::-1])


def dark_map(images: np.ndarray) -> np.ndarray:
    """How often each pixel is among its image's darkest 10% (iris, pupil, lashes), averaged and made
    left-right symmetric: where the eye sits, whatever its skin and sclera look like."""
    flat = images.reshape(len(images), -1)
    dark = (flat <= np.percentile(flat, 10, axis=1, keepdims=True)).reshape(images.shape)
    return symmetric_mean(dark)


def iris_centred_dark_map(images: np.ndarray, half: tuple[int, int] = (14, 24), quantile: float = 25) -> np.ndarray:
    """How often each pixel of a window centred on the iris (the dark centroid) is among its image's darkest
    `quantile`%, made left-right symmetric. Centred on the iris, it shows where the lids and the eye's corners sit
    around it (how much of the iris the lids cover, how wide the eye is), whatever the eye's place in the crop; a
    darkness mask, not intensities, so the sclera's and skin's brightness (appearance) hardly enter."""
    flat = images.reshape(len(images), -1)
    dark = (flat <= np.percentile(flat, quantile, axis=1, keepdims=True)).reshape(images.shape).astype(np.float64)
    h, w = half
    padded = np.pad(dark, ((0, 0), (h, h), (w, w)), constant_values=np.nan)
    cx, cy = dark_centroids(images)
    top, left = np.round(cy).astype(int), np.round(cx).astype(int)  # the window's corner in padded coordinates
    windows = np.stack([padded[i, t : t + 2 * h + 1, c : c + 2 * w + 1] for i, (t, c) in enumerate(zip(top, left))])
    mean = np.nanmean(windows, 0)
    return 0.5 * (mean + mean[:, ::-1])


def compare(renders: np.ndarray, real: np.ndarray, real_stats: dict) -> dict[str, float]:
    """Distances of renders to real eyes (dark map, mean image, central profile) and the renders' statistics."""
    stats = eye_statistics(renders)
    return {"dark_map_l1": float(np.abs(dark_map(renders) - dark_map(real)).mean()),
            "mean_image_l1": float(np.abs(symmetric_mean(renders) - symmetric_mean(real)).mean()),
            **{k: round(v, 3) for k, v in stats.items() if k != "profile"},
            "profile_l1": float(np.abs(np.array(stats["profile"]) - np.array(real_stats["profile"])).mean())}


def geometry_table(seed: int, n: int, labels: LabelRange | None = None,
                   ranges: dict[str, tuple[float, float]] | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Pixel-space geometry of renders (seed, 0..n-1) as named float columns, and their (n, 2) labels: what
    an estimator could at best read off the images, positions relative to the lid centre (the crop's anchor).
    labels and ranges as `draw_params` takes them (a gaze box, a head bound; a fit's or a variant's ranges)."""
    params = draw_params(seed, torch.arange(n), "default", labels or LabelRange(), ranges=ranges)
    g = {k: v.flatten().double().numpy() for k, v in eye_geometry(params).items()}
    g.update(iris_dx=g["ix"] - g["lx"], iris_dy=g["iy"] - g["ly"], eyeball_dx=g["ex"] - g["lx"],
             eyeball_dy=g["ey"] - g["ly"], glint_dx=g["glint_x"] - g["lx"], glint_dy=g["glint_y"] - g["ly"])
    return g, params["gaze"].numpy()
