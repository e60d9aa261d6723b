"""What each self-regularisation charges for the change an appearance gap needs, against changes that move the gaze.

Image i of a seed has the same gaze and geometry in every simulator style, so the `appearance` render of eye i is the
ideal refinement of the `default` render of eye i: the target's look, the render's gaze. This prints, per kind of
self-regularisation (refiners/simgan_losses.py, before lambda), the mean cost of that ideal and, as multiples of it,
the cost of the same target image moved 1 or 2 px sideways or 1 px down, of another eye's target image, and of the
ideal faded to a tenth of its contrast. A term that holds the gaze charges the moves far more than the ideal.

    python results/controlled/self_reg_costs.py [N] [SEED]
"""

from __future__ import annotations

import sys

import torch

from gazebench.core.images import to_model_tensor
from gazebench.data import open_source
from gazebench.refiners.simgan_losses import SELF_REG_KINDS, self_regularisation


def main(n: int = 400, seed: int = 7) -> None:
    render, ideal = (to_model_tensor(open_source(f"sim?style={style}&n={n}&seed={seed}").load().images)
                     for style in ("default", "appearance"))
    changes = {"1 px sideways": torch.roll(ideal, 1, dims=3), "2 px sideways": torch.roll(ideal, 2, dims=3),
               "1 px down": torch.roll(ideal, 1, dims=2), "another eye": torch.roll(ideal, 1, dims=0),
               "faded to 1/10": ideal * 0.1}
    print(f"{n} eyes of seed {seed}: the ideal's cost, and each change's as a multiple of it")
    print("| kind | ideal | " + " | ".join(changes) + " |")
    print("|---|---|" + "---|" * len(changes))
    for kind in SELF_REG_KINDS:
        base = float(self_regularisation(ideal, render, kind))  # every image the same size: the mean of per-image means
        ratios = " | ".join(f"{float(self_regularisation(changed, render, kind)) / base:.2f}x" for changed in changes.values())
        print(f"| {kind} | {base:.4f} | {ratios} |")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
