"""Per-image scene parameters of the eye simulator, drawn by a counter-based hash of (seed, image index).

Hashing instead of a stateful generator makes image i a pure function of (seed, i): any subset of
indices renders lazily, in any batch, on any device, with the same labels and the same appearance.
Every draw is uniform in a range that a style sets; styles share the parameter names and the label draws,
so labels do not depend on the style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gazebench.core.errors import UserInputError

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


# Eye geometry per person, in mm and degrees (data/simulator/eye3d.py turns it into pixels). Sources:
# physiology for sizes (eyeball radius 11.5-12.5 mm; visible iris diameter 11.1-12.3 mm; palpebral fissure
# 27-31 mm; kappa, optical axis about 5 deg temporal and 0-3 deg below the visual axis). The vertical
# placement and lid openings ("fit") were fitted to the 144 unlabelled real eyes of mixed people by
# results/simulator/calibrate.py, never to p00. `scale` was chosen on the p00 dev diagnostic (a tuning
# decision on dev data, written down in results/simulator/README.md): at 0.95-1.15 a CNN that learns the
# renders read real yaw with a gain of 0.57-0.72; the iris moved too many px per degree.
GEOMETRY: dict[str, tuple[float, float]] = {
    "scale": (0.65, 0.85),  # dev-tuned (nominal camera: 1.0): the face model's size error, seen as a zoom
    "eyeball_radius": (11.5, 12.5), "iris_radius": (5.55, 6.15),
    "eyeball_x": (-1.0, 1.0), "eyeball_y": (-4.0, -2.0), "eyeball_depth": (3.0, 8.0),  # from the corner midpoint; y fit
    "crop_dx": (-1.5, 1.5), "crop_dy": (-1.5, 1.5),  # landmark and face-model error of the normalization; dy fit
    "kappa_yaw": (3.0, 7.0), "kappa_pitch": (0.0, 3.0),
    "half_width": (13.5, 15.5), "canthal_tilt": (-0.05, 0.15),  # rad, > 0 raises the outer corner
    "upper_opening": (3.5, 5.5), "lower_opening": (5.0, 7.0),  # fit: lid margins from the corner line, mid-lid
    "upper_follow": (0.7, 1.0), "lower_follow": (0.2, 0.4),  # lid travel per mm the cornea rises
    "light_pitch": (-10.0, 30.0), "light_yaw": (-30.0, 30.0),  # the light the glint reflects, deg
    "head_follow": (0.3, 0.3),  # share of the gaze's offset from the screen centre that the head turns
    "vertical_pivot": (0.0, 0.0),  # mm the vertical rotation axis lies in front of the horizontal one (eye3d.py)
}
# Parameters added after the first release draw from streams after all others, so that adding one leaves every
# earlier parameter's draw (and so every earlier image) as it was.
LATER_PARAMETERS = ("head_follow", "vertical_pivot")

# The geometry that physiology does not fix, with the widest values it may take: how a person sits in the crop
# (crop offset, scale: the face model's and landmarks' errors), where the eyeball sits behind the corners, the
# lids' openings and how far they follow the eye, the corner line's tilt, and how far heads follow the gaze.
# Domain randomisation widens these (`randomised`), and `bench sim fit` fits them to unlabelled real eyes
# (data/simulator/fit.py); eye sizes, kappa and the camera stay as physiology and MPIIGaze's normalization set them.
FREE_GEOMETRY: dict[str, tuple[float, float]] = {
    "scale": (0.5, 1.3), "crop_dx": (-4.0, 4.0), "crop_dy": (-4.0, 4.0),
    "eyeball_x": (-3.0, 3.0), "eyeball_y": (-7.0, 2.0), "eyeball_depth": (0.0, 12.0),
    "upper_opening": (1.5, 8.0), "lower_opening": (1.5, 9.0), "upper_follow": (0.0, 1.2), "lower_follow": (0.0, 1.0),
    "canthal_tilt": (-0.2, 0.3), "head_follow": (0.0, 0.9),
}


#: The free geometry in groups, so that domain randomisation can widen one kind of it and keep another.
FREE_GROUPS: dict[str, tuple[str, ...]] = {
    "placement": ("scale", "crop_dx", "crop_dy", "eyeball_x", "eyeball_y", "eyeball_depth"),
    "lids": ("upper_opening", "lower_opening", "upper_follow", "lower_follow", "canthal_tilt"),
    "head": ("head_follow",),
}


def parse_free_groups(text: str, where: str) -> tuple[str, ...]:
    """Comma-separated FREE_GROUPS names as a tuple; an unknown one is one sentence naming `where` it came from."""
    groups = tuple(text.split(","))
    unknown = sorted(set(groups) - set(FREE_GROUPS))
    if unknown:
        raise UserInputError(f"{where} names {', '.join(unknown)}; expected groups among {', '.join(FREE_GROUPS)}.")
    return groups


def randomised(ranges: dict[str, tuple[float, float]], factor: float,
               groups: tuple[str, ...] = tuple(FREE_GROUPS)) -> dict[str, tuple[float, float]]:
    """Domain randomisation: the FREE_GEOMETRY ranges of `groups` widened `factor` times about their centres (a
    zero-width one by factor x 10% of its bounds), clipped to their bounds; other ranges as they were."""
    out = dict(ranges)
    if factor == 1:
        return out
    for name in (name for group in groups for name in FREE_GROUPS[group]):
        (lowest, highest), (low, high) = FREE_GEOMETRY[name], ranges[name]
        centre, half = (low + high) / 2, max(high - low, 0.1 * (highest - lowest)) / 2 * factor
        out[name] = (max(lowest, centre - half), min(highest, centre + half))
    return out


#: Where the eyeball sits behind the eye corners: one person's anatomy, so one point for a one-person real set.
EYEBALL_POSITION = ("eyeball_x", "eyeball_y", "eyeball_depth")


def eyeball_at_centre(ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """The EYEBALL_POSITION ranges collapsed to their centres (the `eyeball=point` option of `sim`).

    Drawn per image, the eyeball's position moves the iris in the crop as far as gaze does, and no pixel shows
    it: an ideal reader of the exact iris and lid geometry reads pitch in the population's gaze range with a gain
    of 0.77 when it varies, 0.93 when it does not (results/simulator/README.md). A CNN trained on a population
    hedges the same way on a single person, whose eyeball does not move from image to image."""
    return {**ranges, **{name: ((ranges[name][0] + ranges[name][1]) / 2,) * 2 for name in EYEBALL_POSITION}}


# Appearance ranges per style: name -> (low, high), drawn uniformly per image. Intensities are in [0, 1].
# `default` is a clean, textured, synthetic look; `target` stands in for real eyes in the embedded demo
# (near-black, larger irises under narrower lids, heavy lash band, wide bright lid fold, dark sclera and
# brow, blurrier and noisier camera). Wide default randomisation makes a CNN robust to most single
# changes, so the stand-in differs in all of them at once (results/simulator/checks.json).
# Default brow shadow follows real p00's mean rows (real crops are bright above the lid). The default sclera
# (0.65-0.95) follows the 144 mixed real eyes, whose whites show on both sides of the iris: at the earlier
# 0.5-0.8 the sclera merged with the iris (results/simulator/calibration.json).
_APPEARANCE: dict[str, dict[str, tuple[float, float]]] = {
    "default": {
        "pupil_fraction": (0.3, 0.5), "upper_skew": (-0.25, 0.05), "lower_skew": (-0.05, 0.25),
        "sclera": (0.65, 0.95), "sclera_shade": (0.15, 0.4), "lid_shadow": (0.1, 0.35),
        "iris": (0.2, 0.5), "iris_texture": (0.05, 0.2), "iris_spokes": (9.0, 25.0), "iris_gradient": (-0.3, 0.3),
        "pupil": (0.02, 0.1), "limbus": (0.2, 0.5), "glint": (0.3, 0.8), "caruncle": (0.45, 0.7),
        "skin": (0.55, 0.85), "skin_gradient_x": (-0.25, 0.25), "skin_gradient_y": (-0.2, 0.2),
        "skin_texture": (0.02, 0.06), "brow_shadow": (0.0, 0.1), "lid_fold": (0.0, 0.1), "fold_height": (3.0, 5.0),
        "crease": (0.1, 0.3), "lash": (0.3, 0.6), "lash_width": (0.8, 1.8), "lash_phase": (0.0, 6.3),
        "lower_margin": (0.0, 0.15), "blur": (0.0, 0.6), "noise": (0.003, 0.015), "gain": (0.9, 1.1), "gamma": (0.85, 1.15),
    },
    "target": {
        "iris_radius": (6.0, 6.5), "upper_opening": (2.5, 4.0), "lower_opening": (3.0, 4.0),
        "pupil_fraction": (0.35, 0.55), "upper_skew": (-0.35, -0.05), "lower_skew": (0.05, 0.35),
        "sclera": (0.4, 0.6), "sclera_shade": (0.3, 0.55), "lid_shadow": (0.3, 0.55),
        "iris": (0.04, 0.14), "iris_texture": (0.0, 0.05), "iris_spokes": (9.0, 25.0), "iris_gradient": (-0.1, 0.1),
        "pupil": (0.0, 0.05), "limbus": (0.0, 0.2), "glint": (0.6, 1.0), "caruncle": (0.3, 0.5),
        "skin": (0.55, 0.8), "skin_gradient_x": (-0.4, 0.4), "skin_gradient_y": (-0.1, 0.3),
        "skin_texture": (0.03, 0.08), "brow_shadow": (0.2, 0.45), "lid_fold": (0.3, 0.5), "fold_height": (6.0, 9.0),
        "crease": (0.2, 0.5), "lash": (0.8, 0.95), "lash_width": (2.5, 4.0), "lash_phase": (0.0, 6.3),
        "lower_margin": (0.2, 0.45), "blur": (1.0, 1.0), "noise": (0.02, 0.035), "gain": (0.8, 1.1), "gamma": (0.7, 1.3),
    },
}
# Known-truth gaps (issue 20): stand-ins that differ from `default` in ONE kind of thing, so a refiner's effect
# can be read against a gap of known kind. Every style has the same parameter names, so image i of a seed has
# the same gaze, head pose and (outside what the style changes) the same geometry in every style.
# - appearance: the target's camera, lighting and texture (heavy lashes, bright lid fold, brow shadow, blur,
#   noise, exposure) with a LIGHT iris on a dark sclera, on the default geometry: what a refiner is built to
#   change. With the target's near-black iris alone, a CNN trained on `default` read it at 6.25 deg against 4.60
#   on its own domain (standard CNN, 30k renders): its randomisation already covers that look, so no gap.
#   With the iris lighter than the sclera it read 24.7 deg (mean-gaze reference 12.7).
# - shape: the default look on another geometry: smaller irises under wider lids, the eye 2.5-4.5 px lower in
#   the crop and zoomed in (default-trained CNN: 11.3 deg). A refiner that keeps the geometry
#   (self-regularisation) cannot close this one; a +1..3 px shift alone was 6.6 deg, inside what the
#   default's own crop jitter teaches.
# - combined: both at once.
# `target`, the first stand-in, hides much of its larger irises under narrow lids: an estimator trained on its
# own labelled renders reads it no better than one trained on `default` (issue 20), so it shows no gap.
# (Exploratory figures: one standard-preset CNN trained on 30k default renders, 1500 test renders per style.)
_TARGET_GEOMETRY = ("iris_radius", "upper_opening", "lower_opening")
_LIGHT_IRIS = {"iris": (0.6, 0.8), "pupil": (0.3, 0.45), "sclera": (0.3, 0.45), "limbus": (0.0, 0.1)}
_SHAPE = {"iris_radius": (4.8, 5.4), "upper_opening": (5.0, 6.5), "lower_opening": (6.0, 7.5),
          "crop_dy": (2.5, 4.5), "scale": (0.9, 1.05)}
_GAP_LOOK = {**{k: v for k, v in _APPEARANCE["target"].items() if k not in _TARGET_GEOMETRY}, **_LIGHT_IRIS}
_APPEARANCE["appearance"] = {**_APPEARANCE["default"], **_GAP_LOOK}
_APPEARANCE["shape"] = {**_APPEARANCE["default"], **_SHAPE}
_APPEARANCE["combined"] = {**_GAP_LOOK, **_SHAPE}
#: Styles that stand in for real eyes (not real data): a run names them as such.
STAND_IN_STYLES = ("target", "appearance", "shape", "combined")
STYLES: dict[str, dict[str, tuple[float, float]]] = {name: {**GEOMETRY, **look} for name, look in _APPEARANCE.items()}
#: Domain randomisation of appearance (`sim?appearance=wide`): each appearance parameter over the union of the default
#: look's range and the `target` stand-in's, which was drawn after real eyes' look (heavy lashes, lid folds, brow
#: shadow, dark irises, blur and noise); the known-truth gaps' light irises stay outside it. A CNN that learns renders of
#: both looks and all between cannot lean on one and reads the geometry; on p00 it lowered the learnt CNN's error
#: (results/simulator/README.md).
FREE_APPEARANCE: dict[str, tuple[float, float]] = {
    name: (min(low, _APPEARANCE["target"][name][0]), max(high, _APPEARANCE["target"][name][1]))
    for name, (low, high) in _APPEARANCE["default"].items()
}


def widen_appearance(ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
    """ranges with every appearance parameter drawn over FREE_APPEARANCE (the `appearance=wide` option of `sim`
    and of `bench sim fit`); the geometry ranges are kept."""
    return {**ranges, **FREE_APPEARANCE}


#: The choices of `sim?eyeball=` and `sim?appearance=` (and of `bench sim fit`), the first of each the default.
EYEBALL_CHOICES = ("range", "point")
APPEARANCE_CHOICES = ("style", "wide")


def scene_ranges(ranges: dict[str, tuple[float, float]], *, randomise: float = 1.0, groups: tuple[str, ...] = tuple(FREE_GROUPS),
                 eyeball: str = EYEBALL_CHOICES[0], appearance: str = APPEARANCE_CHOICES[0]) -> dict[str, tuple[float, float]]:
    """The ranges a `sim` spec renders from and a fit starts from, the options applied in one order: domain
    randomisation, then the eyeball as one point, then every look. A fit file read back with the options it was made
    with (`sim?fit=`) therefore draws what the fit's CNNs learnt."""
    out = randomised(ranges, randomise, groups)
    if eyeball == "point":
        out = eyeball_at_centre(out)
    return widen_appearance(out) if appearance == "wide" else out


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


def central_box(spread: float = 2.0) -> dict[str, tuple[float, float]]:
    """Where people's gazes lie: the mpiigaze prior's mean +- `spread` sd per angle, deg (no p00 label). A CNN's gain
    on renders there is the most its gain on real eyes of that range can be (metrics/diagnostics.learnt_cnn_runs)."""
    prior = GAZE_PRIORS["mpiigaze"]
    return {angle: (round(prior[f"{angle}_mean"] - spread * prior[f"{angle}_std"], 1),
                    round(prior[f"{angle}_mean"] + spread * prior[f"{angle}_std"], 1)) for angle in ("pitch", "yaw")}


# Where heads point on average, deg (pitch, yaw): the mean gaze of p01-p14, the direction of a laptop screen
# seen from its camera. Heads centred on the camera instead put every eye 6 deg too low in its head, and the
# lids with it.
HEAD_CENTRE_DEG = (GAZE_PRIORS["mpiigaze"]["pitch_mean"], GAZE_PRIORS["mpiigaze"]["yaw_mean"])


@dataclass(frozen=True)
class LabelRange:
    """Gaze label box, prior inside it and head-pose bound, degrees. The box covers real MPIIGaze and beyond;
    `head` bounds how far heads turn from the screen direction (HEAD_CENTRE_DEG), in pitch and in yaw."""

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
    seed: int, indices: torch.Tensor, style: str, labels: LabelRange, people: int = 0,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> dict[str, torch.Tensor]:
    """All scene parameters of the images at `indices` (int64, any device): float64 tensors of shape (N,).

    Also returns `gaze` (N, 2) float64 label (the visual axis), `head` (N, 2),
    `texture` (N, *TEXTURE_GRID) in [-1, 1] and `keys` (per-image hash keys, for pixel noise).
    people = 0 gives every image its own appearance; people = K > 0 gives image i the appearance of
    person i % K (one face, eye, light and camera per person; gaze, head pose and noise per image).
    `ranges` replaces some of the style's ranges (a fit, or domain randomisation); draws stay on the same streams.
    """
    keys = image_keys(seed, indices)
    look_keys = keys if people == 0 else mix32(image_keys(seed, indices % people) ^ 0x3C6EF372)
    ranges = {**STYLES[style], **(ranges or {})}
    # Streams 0-9 are the labels; appearance streams follow in a fixed order.
    rad = math.pi / 180.0
    prior, pick = GAZE_PRIORS[labels.prior], uniform(keys, 4)
    pitch = _draw_angle(uniform(keys, 0), pick, labels.pitch, prior, "pitch") * rad
    yaw = _draw_angle(uniform(keys, 1), pick, labels.yaw, prior, "yaw") * rad
    gaze = torch.stack([pitch, yaw], -1)
    # People face the screen they work at, below the camera (the centre of p01-p14's gazes), and turn their
    # heads part of the way towards what they look at on it.
    head_bound = labels.head * rad
    centre = torch.tensor(HEAD_CENTRE_DEG, dtype=gaze.dtype, device=gaze.device) * rad
    spread = (2.0 * torch.stack([uniform(keys, 2), uniform(keys, 3)], -1) - 1.0) * 0.75 * head_bound
    params = {"gaze": gaze}
    names = sorted(set(ranges) - set(LATER_PARAMETERS)) + [name for name in LATER_PARAMETERS if name in ranges]
    draws = uniform(look_keys, torch.arange(10, 10 + len(names), device=keys.device))
    for column, name in enumerate(names):
        low, high = ranges[name]
        params[name] = low + (high - low) * draws[:, column]
    follow = params["head_follow"].unsqueeze(-1)
    params["head"] = centre + (follow * (gaze - centre) + spread).clamp(-head_bound, head_bound)  # bounded around the screen
    grid_cells = TEXTURE_GRID[0] * TEXTURE_GRID[1]
    cells = uniform(look_keys, torch.arange(1000, 1000 + grid_cells, device=keys.device))
    params["texture"] = (2.0 * cells - 1.0).reshape(-1, *TEXTURE_GRID)
    params["keys"] = keys
    return params
