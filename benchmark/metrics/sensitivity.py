"""Which scene parameters a gaze estimator reads: at fixed gaze, vary one simulator parameter at a time and see
how far the estimator's predicted pitch and yaw move.

A CNN that learns the renders reads whatever in them co-varies with gaze. Where a cue is drawn wrongly (the lids,
the eyeball's height), the CNN's reading of real eyes inherits the error in proportion to how strongly it leans on
that cue; this table says how strongly. Results: results/simulator (`bench sim sensitivity`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from gazebench.core.images import to_model_tensor
from gazebench.data.simulator.params import FREE_GEOMETRY, STYLES, LabelRange, draw_params
from gazebench.data.simulator.render import render
from gazebench.metrics.accuracy import bias_gain_corr

#: Besides the free geometry: the iris size (physiology fixes its range, but an estimator may still lean on it)
#: and the head's pose at fixed gaze (deg added to it), which turns the eyeball and the lids in the crop.
EXTRA = {"iris_radius": (5.0, 6.5), "head_pitch": (-10.0, 10.0), "head_yaw": (-10.0, 10.0)}
HEAD_COLUMNS = {"head_pitch": 0, "head_yaw": 1}  # the EXTRA entries that add degrees to the head pose


def _with_value(params: dict[str, torch.Tensor], name: str, value: float) -> dict[str, torch.Tensor]:
    """The same scenes with one parameter set to `value` for every image (head_* add degrees to the head pose)."""
    out = dict(params)
    if name in HEAD_COLUMNS:
        head = params["head"].clone()
        head[:, HEAD_COLUMNS[name]] += np.radians(value)
        out["head"] = head
    else:
        out[name] = torch.full_like(params[name], value)
    return out


def parameter_sensitivity(predict: Callable[[torch.Tensor], np.ndarray], *, seed: int = 7, n: int = 1000,
                          style: str = "default", ranges: dict[str, tuple[float, float]] | None = None,
                          steps: int = 5, names: tuple[str, ...] | None = None) -> dict:
    """Per parameter, the slope of the mean predicted pitch and yaw (deg) on its value, over the span it may take
    (FREE_GEOMETRY's bounds, or EXTRA's), and that slope times the width of the range the style draws it from.

    `predict` maps model tensors (N, 1, 35, 55) to (N, 2) radians. The renders' own gain (slope of predicted on
    true gaze) is the yardstick: a parameter whose range moves the prediction by several degrees is a cue.
    names: only these parameters (default: all of FREE_GEOMETRY and EXTRA).
    """
    style_ranges = {**STYLES[style], **(ranges or {})}
    params = draw_params(seed, torch.arange(n), style, LabelRange(), ranges=ranges)
    base = predict(to_model_tensor(render(params).numpy()))
    rows = {}
    for name, (lowest, highest) in {**FREE_GEOMETRY, **EXTRA}.items():
        if names is not None and name not in names:
            continue
        values = np.linspace(lowest, highest, steps)
        means = np.array([np.degrees(predict(to_model_tensor(render(_with_value(params, name, v)).numpy()))).mean(0)
                          for v in values])
        slopes = np.polyfit(values, means, 1)[0]
        drawn = EXTRA[name] if name in HEAD_COLUMNS else style_ranges[name]
        width = drawn[1] - drawn[0]
        rows[name] = {"span": [float(lowest), float(highest)], "drawn_range": [float(drawn[0]), float(drawn[1])],
                      "pitch_deg_per_unit": round(float(slopes[0]), 3), "yaw_deg_per_unit": round(float(slopes[1]), 3),
                      "pitch_deg_over_range": round(float(slopes[0] * width), 2),
                      "yaw_deg_over_range": round(float(slopes[1] * width), 2),
                      "mean_pitch_deg": [round(float(m), 2) for m in means[:, 0]],
                      "mean_yaw_deg": [round(float(m), 2) for m in means[:, 1]]}
    on_renders = {k: round(v, 3) for k, v in bias_gain_corr(base, params["gaze"].numpy()).items()}
    return {"style": style, "seed": seed, "n": n, "steps": steps, "on_renders": on_renders, "parameters": rows}


def sensitivity_table(result: dict) -> str:
    """The result as a markdown table, strongest pitch cue first."""
    rows = sorted(result["parameters"].items(), key=lambda item: -abs(item[1]["pitch_deg_over_range"]))
    lines = ["| parameter | span | drawn range | pitch deg/unit | yaw deg/unit | pitch deg over drawn range | yaw deg over drawn range |",
             "|---|---|---|---|---|---|---|"]
    for name, row in rows:
        lines.append(f"| {name} | {row['span'][0]:g}..{row['span'][1]:g} | {row['drawn_range'][0]:g}..{row['drawn_range'][1]:g} "
                     f"| {row['pitch_deg_per_unit']:+.2f} | {row['yaw_deg_per_unit']:+.2f} "
                     f"| {row['pitch_deg_over_range']:+.1f} | {row['yaw_deg_over_range']:+.1f} |")
    return "\n".join(lines)
