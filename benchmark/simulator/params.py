"""Per-image scene parameters of the eye simulator, drawn by a counter-based hash of (seed, image index).

Hashing instead of a stateful generator makes image i a pure function of (seed, i): any subset of
indices renders lazily, in any batch, on any device, with the same labels and the same appearance.
Every draw is uniform in a range that a style sets; the two styles differ in appearance ranges only,
so labels do not depend on the style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from benchmark.geometry import pitchyaw_to_vector, vector_to_pitchyaw

_MASK32 = 0xFFFFFFFF


def mix32(x: torch.Tensor) -> torch.Tensor:
    """A strong 32-bit integer mixer (Wellons' lowbias32) on int64 tensors holding 32-bit values."""
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & _MASK32
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & _MASK32
    return x ^ (x >> 16)


def image_keys(seed: int, indices: torch.Tensor) -> torch.Tensor:
    """One 32-bit key per image from (seed, index); indices up to 2**32 are told apart."""
    seed_key = mix32(torch.tensor(seed & _MASK32, dtype=torch.int64) ^ 0x5BD1E995)
    return mix32(mix32((indices & _MASK32) ^ seed_key) ^ (seed >> 32 & _MASK32))


def uniform(keys: torch.Tensor, streams: int | torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) float64 draws: one per key for an int stream, (N, S) for a tensor of S streams."""
    if isinstance(streams, torch.Tensor):
        keys = keys.unsqueeze(-1)
    bits = mix32(keys ^ ((streams * 0x9E3779B9 + 0x632BE5AB) & _MASK32))
    return (bits.to(torch.float64) + 0.5) / 2.0**32


# Appearance ranges per style: name -> (low, high), drawn uniformly per image. Intensities are in [0, 1].
# `default` is a clean, textured, synthetic look; `target` stands in for real eyes in the embedded demo
# (near-black, larger irises under narrower lids, heavy lash band, wide bright lid fold, dark sclera and
# brow, blurrier and noisier camera). A cpu CNN trained on `default` loses about 1.2 deg on it and PCA +
# ridge 2.4 deg (results/simulator/checks.json); wide default randomisation makes a CNN robust to most
# single changes, so the stand-in differs in all of them at once.
# Default sclera and brow shadow follow real p00's mean rows: real crops are bright above the lid and
# their sclera is no brighter than skin (a darker brow and a white sclera cost the cpu CNN ~3.7 deg there).
STYLES: dict[str, dict[str, tuple[float, float]]] = {
    "default": {
        "eye_dx": (-2.5, 2.5), "eye_dy": (-2.5, 1.0),  # eyeball centre offset from the crop centre, px
        "rotation_radius": (10.5, 13.0),  # eyeball centre to iris centre, px
        "iris_radius": (7.0, 9.0), "pupil_fraction": (0.3, 0.5),
        "lid_half_width": (21.0, 25.0), "lid_dx": (-1.5, 1.5), "lid_dy": (-1.0, 1.5),
        "upper_opening": (6.0, 9.5), "lower_opening": (4.0, 6.5), "lid_follow": (9.0, 14.0),
        "canthal_tilt": (-0.05, 0.15), "upper_skew": (-0.25, 0.05), "lower_skew": (-0.05, 0.25),
        "sclera": (0.5, 0.8), "sclera_shade": (0.15, 0.4), "lid_shadow": (0.1, 0.35),
        "iris": (0.2, 0.5), "iris_texture": (0.05, 0.2), "iris_spokes": (9.0, 25.0), "iris_gradient": (-0.3, 0.3),
        "pupil": (0.02, 0.1), "limbus": (0.2, 0.5), "glint": (0.3, 0.8), "glint_dx": (-3.0, 3.0),
        "glint_dy": (-3.0, 1.0), "caruncle": (0.45, 0.7),
        "skin": (0.55, 0.85), "skin_gradient_x": (-0.25, 0.25), "skin_gradient_y": (-0.2, 0.2),
        "skin_texture": (0.02, 0.06), "brow_shadow": (0.0, 0.1), "lid_fold": (0.0, 0.1), "fold_height": (3.0, 5.0),
        "crease": (0.1, 0.3), "lash": (0.3, 0.6), "lash_width": (0.8, 1.8), "lower_margin": (0.0, 0.15),
        "blur": (0.0, 0.6), "noise": (0.003, 0.015), "gain": (0.9, 1.1), "gamma": (0.85, 1.15),
    },
    "target": {
        "eye_dx": (-2.0, 2.0), "eye_dy": (-3.0, 0.0),
        "rotation_radius": (10.5, 13.0),
        "iris_radius": (9.0, 11.0), "pupil_fraction": (0.35, 0.55),
        "lid_half_width": (22.0, 26.0), "lid_dx": (-2.0, 2.0), "lid_dy": (-1.0, 2.0),
        "upper_opening": (3.5, 6.0), "lower_opening": (3.0, 4.5), "lid_follow": (9.0, 14.0),
        "canthal_tilt": (0.0, 0.2), "upper_skew": (-0.35, -0.05), "lower_skew": (0.05, 0.35),
        "sclera": (0.4, 0.6), "sclera_shade": (0.3, 0.55), "lid_shadow": (0.3, 0.55),
        "iris": (0.04, 0.14), "iris_texture": (0.0, 0.05), "iris_spokes": (9.0, 25.0), "iris_gradient": (-0.1, 0.1),
        "pupil": (0.0, 0.05), "limbus": (0.0, 0.2), "glint": (0.6, 1.0), "glint_dx": (-2.0, 3.0),
        "glint_dy": (-3.0, 0.0), "caruncle": (0.3, 0.5),
        "skin": (0.55, 0.8), "skin_gradient_x": (-0.4, 0.4), "skin_gradient_y": (-0.1, 0.3),
        "skin_texture": (0.03, 0.08), "brow_shadow": (0.2, 0.45), "lid_fold": (0.3, 0.5), "fold_height": (6.0, 9.0),
        "crease": (0.2, 0.5), "lash": (0.8, 0.95), "lash_width": (2.5, 4.0), "lower_margin": (0.2, 0.45),
        "blur": (1.0, 1.0), "noise": (0.02, 0.035), "gain": (0.8, 1.1), "gamma": (0.7, 1.3),
    },
}

# Skin texture: a coarse random grid per image, upsampled bilinearly (low-frequency blotches).
TEXTURE_GRID = (5, 8)


# Gaze priors inside the label box. `uniform` spends most renders on gazes real people rarely show; a model
# trained on it spreads its yaw predictions about twice as wide as real MPIIGaze labels (results/simulator).
# `mpiigaze` is a normal distribution per angle with the moments of the 42,000 MPIIGaze evaluation-subset
# labels of p01-p14 (pitch -8.8 +- 5.2 deg, yaw 0.1 +- 8.7 deg; p00, the suite's test person, is not among
# them), mixed with a uniform share over the whole box so that every gaze in range still gets rendered.
GAZE_PRIORS: dict[str, dict[str, float]] = {
    "uniform": {"uniform_share": 1.0},
    "mpiigaze": {"pitch_mean": -8.8, "pitch_std": 5.2, "yaw_mean": 0.1, "yaw_std": 8.7, "uniform_share": 0.2},
}


@dataclass(frozen=True)
class LabelRange:
    """Gaze label box, prior inside it and head-pose bound, degrees. The box covers real MPIIGaze and beyond."""

    pitch: tuple[float, float] = (-40.0, 20.0)
    yaw: tuple[float, float] = (-45.0, 45.0)
    head: float = 20.0
    prior: str = "mpiigaze"


def _draw_angle(u: torch.Tensor, pick: torch.Tensor, box: tuple[float, float], prior: dict[str, float], angle: str) -> torch.Tensor:
    """Degrees from uniform draws u: uniform over the box where pick < uniform_share, else the prior's normal
    truncated to the box (inverse CDF over the box's share of it, so every draw lands inside)."""
    low, high = box
    uniform_deg = low + (high - low) * u
    if prior["uniform_share"] >= 1.0:
        return uniform_deg
    mean, std = prior[f"{angle}_mean"], prior[f"{angle}_std"]
    cdf_low, cdf_high = (0.5 * math.erfc((mean - edge) / (std * math.sqrt(2.0))) for edge in box)
    if cdf_high - cdf_low < 1e-9:  # a box far out in the tail: the normal has no resolvable mass there
        return uniform_deg
    normal_deg = mean + std * torch.special.ndtri(cdf_low + (cdf_high - cdf_low) * u)
    return torch.where(pick < prior["uniform_share"], uniform_deg, normal_deg.clamp(low, high))


def head_rotation(head_pitchyaw: torch.Tensor) -> torch.Tensor:
    """(N, 2) head pitch/yaw -> (N, 3, 3) rotations R with R @ (0, 0, -1) = pitchyaw_to_vector(head)."""
    pitch, yaw = head_pitchyaw[:, 0], head_pitchyaw[:, 1]
    cp, sp, cy, sy = torch.cos(pitch), torch.sin(pitch), torch.cos(yaw), torch.sin(yaw)
    zero, one = torch.zeros_like(pitch), torch.ones_like(pitch)
    yaw_rot = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).reshape(-1, 3, 3)
    pitch_rot = torch.stack([one, zero, zero, zero, cp, sp, zero, -sp, cp], -1).reshape(-1, 3, 3)  # Rx(-pitch)
    return yaw_rot @ pitch_rot


def draw_params(
    seed: int, indices: torch.Tensor, style: str, labels: LabelRange, people: int = 0
) -> dict[str, torch.Tensor]:
    """All scene parameters of the images at `indices` (int64, any device): float64 tensors of shape (N,).

    Also returns `gaze` (N, 2) float64 label, `head` (N, 2), `eye_pitch` (eye-in-head pitch, radians),
    `texture` (N, *TEXTURE_GRID) in [-1, 1] and `keys` (per-image hash keys, for pixel noise).
    people = 0 gives every image its own appearance; people = K > 0 gives image i the appearance of
    person i % K (one face, eye, light and camera per person; gaze, head pose and noise per image).
    """
    keys = image_keys(seed, indices)
    look_keys = keys if people == 0 else mix32(image_keys(seed, indices % people) ^ 0x3C6EF372)
    ranges = STYLES[style]
    # Streams 0-9 are the labels; appearance streams follow in a fixed order.
    rad = math.pi / 180.0
    prior, pick = GAZE_PRIORS[labels.prior], uniform(keys, 4)
    pitch = _draw_angle(uniform(keys, 0), pick, labels.pitch, prior, "pitch") * rad
    yaw = _draw_angle(uniform(keys, 1), pick, labels.yaw, prior, "yaw") * rad
    gaze = torch.stack([pitch, yaw], -1)
    # People turn their heads part of the way towards what they look at.
    head_bound = labels.head * rad
    head = (0.3 * gaze + (2.0 * torch.stack([uniform(keys, 2), uniform(keys, 3)], -1) - 1.0) * 0.75 * head_bound)
    head = head.clamp(-head_bound, head_bound)
    gaze_vector = pitchyaw_to_vector(gaze)
    eye_in_head = (head_rotation(head).transpose(1, 2) @ gaze_vector.unsqueeze(-1)).squeeze(-1)
    params = {"gaze": gaze, "head": head, "eye_pitch": vector_to_pitchyaw(eye_in_head)[:, 0]}
    names = sorted(ranges)
    draws = uniform(look_keys, torch.arange(10, 10 + len(names), device=keys.device))
    for column, name in enumerate(names):
        low, high = ranges[name]
        params[name] = low + (high - low) * draws[:, column]
    grid_cells = TEXTURE_GRID[0] * TEXTURE_GRID[1]
    cells = uniform(look_keys, torch.arange(1000, 1000 + grid_cells, device=keys.device))
    params["texture"] = (2.0 * cells - 1.0).reshape(-1, *TEXTURE_GRID)
    params["keys"] = keys
    return params
