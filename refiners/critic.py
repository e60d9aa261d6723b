"""A second discriminator beside the patch one, judging each image as a whole (not in the paper).

The refiner's loss adds `weight` times its image-level loss; it is trained on the same real and refined images as the
patch discriminator, one update per discriminator update. Which network judges is the caller's choice: each image's
sorted values (refiners/tone.py) or the whole image (networks.GlobalDiscriminator).
"""

from __future__ import annotations

import torch
from torch import nn

from gazebench.core.device import optimizer_to
from gazebench.refiners.simgan_losses import REAL, REFINED, accuracy, adversarial_loss


class ImageCritic:
    """A discriminator with one (real, refined) logit pair per image, its optimiser and its weight in the refiner's loss."""

    def __init__(self, name: str, net: nn.Module, weight: float, make_optimizer):
        self.name, self.net, self.weight = name, net, weight
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
        return {f"L_{self.name}": loss.item(), f"{self.name}_acc_refined": accuracy(logits_refined, REFINED)}

    def state_dict(self) -> dict:
        return {"net": self.net.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["net"])
        self.optimizer.load_state_dict(state["optimizer"])

    def to(self, device: torch.device) -> None:
        self.net.to(device)
        optimizer_to(self.optimizer, device)
