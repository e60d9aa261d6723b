"""The SimGAN settings and losses (Shrivastava et al. 2017), apart from the training loop that uses them.

Losses, written once so every number means one thing:
- adversarial: cross-entropy of each (real, refined) logit pair, SUMMED over the discriminator's output
  positions (9 x 14 patches for the local discriminator, 1 for the global one), then AVERAGED over the batch;
- self-regularisation: L1 between refined and synthetic, MEAN PER PIXEL (over batch, channel, height, width),
  times `self_reg_lambda` (so lambda is in units of "adversarial loss per unit of mean absolute pixel change",
  pixels in [-1, 1]).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gazebench.core.images import CANONICAL_SIZE

REAL, REFINED = 0, 1  # class index of each logit pair

# Settings that may change between an interrupted run and its resumption without changing what is trained.
RESUMABLE_CHANGES = {"adversarial_steps", "checkpoint_every", "grid_every", "compile"}


@dataclass(kw_only=True)
class SimGANConfig:
    """Every number a SimGAN run uses; written to config.json and into run records. The numbers come from the
    presets (gazebench/presets/paper.toml holds the paper's, with why); defaults only for what is not sized there."""

    preset: str
    seed: int = 0
    image_size: tuple[int, int] = CANONICAL_SIZE
    refiner_channels: int
    refiner_blocks: int
    batch_size: int
    pretrain_refiner_steps: int
    pretrain_discriminator_steps: int
    adversarial_steps: int
    k_g: int
    k_d: int
    optimizer: str
    lr: float
    adam_betas: tuple[float, float]
    self_reg_lambda: float
    self_reg_reduction: str = "L1, mean per pixel"
    adversarial_reduction: str = "cross-entropy per output position, summed over positions, mean over batch"
    history_size: int
    checkpoint_every: int
    grid_every: int
    compile: bool = False  # checkpoints from before the setting did not compile (it changes speed, no number)
    # Weight of the tone discriminator's image-level loss beside the patch discriminator's (refiners/tone.py; not in
    # the paper, 0 leaves it out); checkpoints from before it had none.
    tone_weight: float = 0.0
    rank_input: bool = False  # the refiner also sees each pixel's rank in its image (networks.rank_channel)
    coord_input: bool = False  # the refiner also sees each pixel's row and column (networks.coordinate_channels)
    cpu_bf16: bool = False  # bf16 autocast on a CPU with native bf16 (core/device.bf16); checkpoints before it: fp32


def adversarial_loss(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Cross-entropy of logit pairs N x 2 [x h x w] against one class, summed over positions, mean over batch."""
    labels = torch.full((logits.shape[0], *logits.shape[2:]), target, dtype=torch.long, device=logits.device)
    per_position = F.cross_entropy(logits.float(), labels, reduction="none")
    return per_position.reshape(logits.shape[0], -1).sum(dim=1).mean()


def self_regularisation(refined: torch.Tensor, synthetic: torch.Tensor) -> torch.Tensor:
    """L1 distance, mean per pixel."""
    return (refined.float() - synthetic.float()).abs().mean()


def accuracy(logits: torch.Tensor, target: int) -> float:
    """Fraction of output positions the discriminator assigns to `target`."""
    return (logits.argmax(dim=1) == target).float().mean().item()
