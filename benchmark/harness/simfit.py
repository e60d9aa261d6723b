"""Fit the simulator to unlabelled real eyes by how a CNN that learns its renders reads them (`bench sim fit`).

Why not image statistics: on p00 dev a logistic discriminator over structure features (where each image's darkest
and brightest pixels lie) told renders from real eyes 99.5% of the time for every placement tried, and the energy
distance between the two clouds moved by 2% between the default and the earlier fit whose pitch bias differed by
7 deg (results/simulator/README.md). Appearance swamps the geometry in any statistic of the pixels, so the eyeball's
placement is not identifiable that way (the 144 mixed eyes showed the same).

What is identifiable: people's average gaze. In MPIIGaze the per-person mean gaze of p01-p14 varies by only 1.0 deg
in pitch and 0.2 deg in yaw (POPULATION_MEAN_SPREAD_DEG), because everyone looks at the same laptop screen from its
camera. So a person's unlabelled eyes, read by an estimator that is right about the geometry, average close to the
population prior's mean. A CNN learns the renders; its mean reading of the real eyes minus the prior mean is the
residual; how far that reading moves per mm of eyeball placement (metrics/sensitivity.py: the CNN reads pitch mostly
from where the eyeball sits, -3.9 deg per mm) turns the residual into a shift of the placement's range (a Newton step
per angle); new CNNs (--cnns, their readings averaged) on the shifted renders check it, until the residual is inside the
tolerance.
Only range centres move; widths and everything physiology fixes stay. No label of the real set is read.

Optionally, before that, the shape step (`fit_shape`) sets the eye's size in the crop and how far the lids cover the
iris from a statistic that the eye's place in the crop does not move: where the dark pixels lie in a window centred on the iris
(data/simulator/measure.py, iris_centred_dark_map). Centred on the iris, the map shows the lids and corners around it
wherever the eye sits; a darkness mask, it hardly sees the sclera's or skin's brightness. It is a choice (`--shape`):
on p00 it brought the map and the mean reading in line without moving the eyeball, but not a CNN's error on real eyes
(results/simulator/README.md).
"""

from __future__ import annotations

import itertools

import numpy as np
import torch
from tqdm.auto import tqdm

from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.data.sim import render_batched
from gazebench.data.simulator.measure import iris_centred_dark_map
from gazebench.data.simulator.params import (
    APPEARANCE_CHOICES,
    EYEBALL_CHOICES,
    FREE_GEOMETRY,
    FREE_GROUPS,
    GAZE_PRIORS,
    STYLES,
    scene_ranges,
)
from gazebench.metrics.diagnostics import CPU, train_cnn
from gazebench.metrics.sensitivity import parameter_sensitivity

#: What moves each angle's mean reading: where the eyeball sits behind the eye corners (mm; y down, x right).
LEVERS = {"pitch": "eyeball_y", "yaw": "eyeball_x"}
#: Standard deviation of the per-person mean gaze of p01-p14 (deg, pitch / yaw; 3000 labels each): how far one
#: person's mean may sit from the prior's, so the tolerance a fit cannot beat.
POPULATION_MEAN_SPREAD_DEG = {"pitch": 0.99, "yaw": 0.22}
#: A residual this small ends the fit: the population spread above, but not under 0.5 deg, about what the mean
#: reading moves between CNN seeds.
TOLERANCE_DEG = {"pitch": 1.0, "yaw": 0.5}
#: The largest placement shift of one step, mm: a step is a linearisation, and retraining can move the slope.
MAX_STEP_MM = 2.0
TRAIN_SEED = 3  # the renders the fit's CNNs learn, as in the learnt-CNN diagnostic (results/simulator/measure.py)
#: Range centres the shape step tries, every combination (widths kept): the eye's size in the crop (scale), the lids'
#: margins from the corner line (mm) and how far the lower lid follows the eye (per mm the cornea rises).
SHAPE_GRID = {"scale": (0.75, 0.9, 1.05), "upper_opening": (4.5, 3.5, 2.5), "lower_opening": (6.0, 4.5, 3.0, 2.5),
              "lower_follow": (0.3, 0.9)}
SHAPE_RENDERS, SHAPE_SEED = 2000, 9


def _shifted(ranges: dict, centres: dict) -> dict:
    """ranges with some centres moved, widths kept, each range kept within its physical bounds."""
    out = dict(ranges)
    for name, centre in centres.items():
        half = (ranges[name][1] - ranges[name][0]) / 2
        lowest, highest = FREE_GEOMETRY[name]
        low = float(np.clip(centre - half, lowest, highest - 2 * half))
        out[name] = (low, low + 2 * half)
    return out


def fit_shape(real_images: np.ndarray, ranges: dict, style: str = "default", grid: dict = SHAPE_GRID,
              n: int = SHAPE_RENDERS, progress: bool = True) -> tuple[dict, dict]:
    """The candidate of `grid` whose renders' iris-centred dark map is nearest the real eyes' (mean |difference|);
    returns its ranges and a record of the search."""
    real_map = iris_centred_dark_map(to_uint8(to_model_tensor(real_images)))
    distances = []
    for centres in tqdm(list(itertools.product(*grid.values())), desc="shape (iris-centred dark map)", unit="candidate",
                        disable=not progress):
        candidate = _shifted(ranges, dict(zip(grid, centres)))
        renders = render_batched(np.arange(n), SHAPE_SEED, style, ranges=candidate).images
        distance = float(np.nanmean(np.abs(iris_centred_dark_map(to_uint8(to_model_tensor(renders))) - real_map)))
        distances.append((distance, dict(zip(grid, centres))))
    best_distance, best = min(distances, key=lambda row: row[0])
    start = {name: (ranges[name][0] + ranges[name][1]) / 2 for name in grid}
    start_distance = next((d for d, c in distances if c == start), None)  # the start, where it is on the grid
    return _shifted(ranges, best), {"grid": {k: list(v) for k, v in grid.items()}, "renders": n,
                                    "centres": best, "map_l1": round(best_distance, 4),
                                    "map_l1_at_start": None if start_distance is None else round(start_distance, 4)}


def _readings(ranges: dict, style: str, real: torch.Tensor, *, n_train: int, epochs: int, seeds: range) -> list[tuple[np.ndarray, dict]]:
    """Per CNN seed, train the cpu-width CNN on renders under `ranges`: its readings of the real eyes (deg) and the
    slopes of its reading on the levers."""
    train = render_batched(np.arange(n_train), TRAIN_SEED, style, ranges=ranges)
    images = to_model_tensor(train.images)
    out = []
    for seed in seeds:
        cnn, _ = train_cnn(images, train.gaze, seed, epochs=epochs)
        slopes = parameter_sensitivity(lambda x, cnn=cnn: cnn.predict(x, device=CPU), n=500, style=style, ranges=ranges,
                                       steps=3, names=tuple(LEVERS.values()))["parameters"]
        out.append((np.degrees(cnn.predict(real, device=CPU)), slopes))
    return out


def fit_by_reading(real_images: np.ndarray, *, style: str = "default", randomise: float = 1.0,
                   randomise_only: tuple[str, ...] = tuple(FREE_GROUPS), angles: tuple[str, ...] = tuple(LEVERS),
                   eyeball: str = EYEBALL_CHOICES[0], appearance: str = APPEARANCE_CHOICES[0], n_train: int = 30000, epochs: int = 6,
                   iterations: int = 3, seed: int = 0,
                   cnns: int = 3, shape: bool = False, progress: bool = True) -> dict:
    """Ranges for every FREE_GEOMETRY parameter of `style` (after domain randomisation by `randomise` of the groups
    `randomise_only`; with the eyeball's position one point if `eyeball` is point, for one person's eyes; with every
    look's appearance ranges, FREE_APPEARANCE, if `appearance` is wide), with the eye's
    size and the lids set by `fit_shape` first if `shape`, and then the eyeball's placement moved until a CNN that
    learns the renders reads the real eyes at the prior's mean gaze.
    angles: which angles' means to match; pitch alone for a set of left and unmirrored right eyes (mirroring an eye
    negates its yaw, so their mean yaw says nothing). cnns: CNNs (seeds seed, seed + 1, ...) per step, whose mean
    readings and slopes are averaged: one CNN's mean reading moves by 1-3 deg from seed to seed."""
    real = to_model_tensor(real_images)
    prior = GAZE_PRIORS["mpiigaze"]
    target = {"pitch": prior["pitch_mean"], "yaw": prior["yaw_mean"]}
    ranges = scene_ranges({name: STYLES[style][name] for name in FREE_GEOMETRY}, randomise=randomise, groups=randomise_only,
                          eyeball=eyeball, appearance=appearance)
    shape_record = None
    if shape:
        ranges, shape_record = fit_shape(real_images, ranges, style, progress=progress)
    history = []
    for _ in tqdm(range(iterations), desc=f"fit ({cnns} CNN{'s' * (cnns > 1)} each)", unit="step", disable=not progress):
        readings = _readings(ranges, style, real, n_train=n_train, epochs=epochs, seeds=range(seed, seed + cnns))
        step = {"ranges": {k: list(ranges[k]) for k in LEVERS.values()}, "shift_mm": {}}
        for column, (angle, lever) in enumerate(LEVERS.items()):
            if angle not in angles:
                continue
            means = [float(reading[:, column].mean()) for reading, _ in readings]
            residual = float(np.mean(means) - target[angle])
            slope = float(np.mean([slopes[lever][f"{angle}_deg_per_unit"] for _, slopes in readings]))
            step[angle] = {"mean_reading_deg": round(float(np.mean(means)), 3), "residual_deg": round(residual, 3),
                           "per_cnn_mean_reading_deg": [round(m, 3) for m in means],
                           "spread_deg": round(float(np.mean([reading[:, column].std() for reading, _ in readings])), 3),
                           "slope_deg_per_mm": round(slope, 3)}
            if abs(residual) > TOLERANCE_DEG[angle] and abs(slope) > 0.1:
                shift = float(np.clip(residual / slope, -MAX_STEP_MM, MAX_STEP_MM))
                lowest, highest = FREE_GEOMETRY[lever]
                low, high = ranges[lever]
                shift = float(np.clip(shift, lowest - low, highest - high))  # keep the whole range within its bounds
                step["shift_mm"][lever] = round(shift, 3)
        history.append(step)
        if not step["shift_mm"]:
            break
        for lever, shift in step["shift_mm"].items():
            ranges[lever] = (ranges[lever][0] + shift, ranges[lever][1] + shift)
    last = history[-1]
    converged = all(abs(last[angle]["residual_deg"]) <= TOLERANCE_DEG[angle] for angle in angles)  # else: a slope too flat to
    # step on (a CNN that has not learnt the renders), or the last step is not checked by a CNN of its own
    return {"style": style, "randomise": randomise, "randomise_only": list(randomise_only),
            "eyeball": eyeball, "appearance": appearance,
            "ranges": {k: [round(lo, 4), round(hi, 4)] for k, (lo, hi) in ranges.items()},
            "shape": shape_record,
            "method": {"name": "shape by the iris-centred dark map, then the mean reading against the population prior "
                               "(harness/simfit.py)" if shape else "mean reading against the population prior (harness/simfit.py)",
                       "levers": {angle: LEVERS[angle] for angle in angles},
                       "target_deg": target, "population_mean_spread_deg": POPULATION_MEAN_SPREAD_DEG,
                       "tolerance_deg": TOLERANCE_DEG, "n_train": n_train, "epochs": epochs, "cnn_seed": seed, "cnns_per_step": cnns,
                       "iterations": len(history), "converged": converged},
            "history": history}
