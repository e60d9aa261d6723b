"""A second discriminator that judges each image's tonal distribution (its sorted pixel values), not in the paper.

Why: on the known appearance gap the held-out realism classifier told refined from target images 96.8% of the time,
and 95.7% with every image's pixels shuffled (results/controlled/realism_cues.py): what gave the refined images away
was each image's distribution of values, which the local discriminator, judging 9 x 14 patches one at a time, never
sees whole. This critic sees exactly that and nothing else, so the refiner is also held to the real images'
per-image tonal distribution. Weight 0 (the paper, and every preset) leaves it out: on that gap it halved how much
the refined images' tones vary but left the classifier at 95% (results/controlled/README.md).
"""

from __future__ import annotations

import torch
from torch import nn

from gazebench.core.device import optimizer_to
from gazebench.refiners.simgan_losses import REAL, REFINED, accuracy, adversarial_loss

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


class ToneCritic:
    """The tone discriminator with its optimiser; its refiner loss counts `weight` times one image-level loss."""

    def __init__(self, weight: float, make_optimizer):
        self.weight = weight
        self.net = ToneDiscriminator()
        self.optimizer = make_optimizer(self.net)

    def refiner_loss(self, refined: torch.Tensor) -> torch.Tensor:
        """weight x cross-entropy of the refined images against 'real', mean over the batch."""
        return self.weight * adversarial_loss(self.net(refined), REAL)

    def update(self, real: torch.Tensor, refined: torch.Tensor) -> dict[str, float]:
        """One update on the same real and refined images as the patch discriminator's."""
        logits_real, logits_refined = self.net(real), self.net(refined.detach())
        loss = adversarial_loss(logits_real, REAL) + adversarial_loss(logits_refined, REFINED)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"L_tone": loss.item(), "tone_acc_refined": accuracy(logits_refined, REFINED)}

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])

    def to(self, device: torch.device) -> None:
        self.net.to(device)
        optimizer_to(self.optimizer, device)
