"""A second discriminator that judges each image's tonal distribution (its sorted pixel values), not in the paper.

Why: on the known appearance gap the held-out realism classifier told refined from target images 96.8% of the time,
and 95.7% with every image's pixels shuffled (results/controlled/realism_cues.py): what gave the refined images away
was each image's distribution of values, which the local discriminator, judging 9 x 14 patches one at a time, never
sees whole. This discriminator (trained as an ImageCritic, refiners/critic.py) sees exactly that and nothing else, so
the refiner is also held to the real images' per-image tonal distribution. Weight 0 (the paper, and every preset)
leaves it out: on that gap it halved how much the refined images' tones vary but left the classifier at 95%
(results/controlled/README.md).
"""

from __future__ import annotations

import torch
from torch import nn

QUANTILES = 64  # evenly spaced order statistics per image: a 64-bin description of its value distribution


class ToneDiscriminator(nn.Module):
    """Each image's QUANTILES order statistics -> an MLP -> one (real, refined) logit pair, N x 2.

    Sorting is differentiable in the values, so the refiner's gradient reaches the pixels that hold each quantile.
    """

    def __init__(self, hidden: int = 64):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(QUANTILES, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                                 nn.LeakyReLU(0.2), nn.Linear(hidden, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):  # tiny: fp32 always, so bf16 runs sort exact values
            values = x.float().flatten(1).sort(dim=1).values
            picks = torch.linspace(0, values.shape[1] - 1, QUANTILES, device=x.device).round().long()
            return self.mlp(values[:, picks])
