"""The SimGAN settings and losses (Shrivastava et al. 2017), apart from the training loop that uses them.

Losses, written once so every number means one thing:
- adversarial: cross-entropy of each (real, refined) logit pair, SUMMED over the discriminator's output
  positions (9 x 14 patches for the local discriminator, 1 for the global one), then AVERAGED over the batch;
- self-regularisation, times `self_reg_lambda`, of one of two kinds (`self_reg_kind`):
  - "pixels" (the paper's): L1 between refined and synthetic, MEAN PER PIXEL (over batch, channel, height, width),
    so lambda is in units of "adversarial loss per unit of mean absolute pixel change", pixels in [-1, 1];
  - "structure" (not in the paper): `structure_change`, the squared change of each 3 x 3 pattern less its brightness
    and polarity, MEAN PER WINDOW, in squared pixel units (one balance takes a lambda 10 to 30 times the pixels').
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gazebench.core.images import CANONICAL_SIZE

REAL, REFINED = 0, 1  # class index of each logit pair
STRUCTURE_WINDOW = 3  # px: the smallest window with structure; 5 told a 1-px iris move from a retoned eye less well

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
    self_reg_kind: str = "pixels"  # SELF_REG_KINDS; checkpoints from before it: pixels
    self_reg_reduction: str = ""  # a description of the kind for the records, always set from it (SELF_REG_TERMS)
    adversarial_reduction: str = "cross-entropy per output position, summed over positions, mean over batch"
    history_size: int
    checkpoint_every: int
    grid_every: int
    compile: bool = False  # checkpoints from before the setting did not compile (it changes speed, no number)
    # Weight of the tone discriminator's image-level loss beside the patch discriminator's (refiners/tone.py; not in
    # the paper, 0 leaves it out); checkpoints from before it had none.
    tone_weight: float = 0.0
    # Weight of a whole-image discriminator's loss beside the patch one (refiners/critic.py, networks.GlobalDiscriminator;
    # not in the paper, 0 leaves it out).
    whole_image_weight: float = 0.0
    rank_input: bool = False  # the refiner also sees each pixel's rank in its image (networks.rank_channel)
    coord_input: bool = False  # the refiner also sees each pixel's row and column (networks.coordinate_channels)
    refiner_dilation: int = 1  # dilation of the refiner blocks' convolutions (networks.RefinerNet); 1: the paper's
    cpu_bf16: bool = False  # bf16 autocast on a CPU with native bf16 (core/device.bf16); checkpoints before it: fp32

    def __post_init__(self):
        self.self_reg_reduction = SELF_REG_TERMS[self.self_reg_kind][1]


def adversarial_loss(logits: torch.Tensor, target: int) -> torch.Tensor:
    """Cross-entropy of logit pairs N x 2 [x h x w] against one class, summed over positions, mean over batch."""
    labels = torch.full((logits.shape[0], *logits.shape[2:]), target, dtype=torch.long, device=logits.device)
    per_position = F.cross_entropy(logits.float(), labels, reduction="none")
    return per_position.reshape(logits.shape[0], -1).sum(dim=1).mean()


def self_regularisation(refined: torch.Tensor, synthetic: torch.Tensor, kind: str = "pixels") -> torch.Tensor:
    """The self-regularisation term of `kind` (SELF_REG_KINDS), before lambda."""
    return SELF_REG_TERMS[kind][0](refined, synthetic)


def pixel_change(refined: torch.Tensor, synthetic: torch.Tensor) -> torch.Tensor:
    """The paper's term: L1 distance, mean per pixel."""
    return (refined.float() - synthetic.float()).abs().mean()


def structure_change(refined: torch.Tensor, synthetic: torch.Tensor) -> torch.Tensor:
    """The squared change of each 3 x 3 pattern, less its brightness and its polarity.

    Why: L1 on pixels charges a refiner for every tone it changes, so where the target's tones differ (a light iris on
    a dark sclera) the change that the gap needs costs nearly as much as one that moves the iris: on the appearance
    gap, the L1 between a render and its own eye in the target's look is 0.35 per pixel, and 1.06 times that with
    the target image 1 px to the side; this term charges the move 1.33 times the look (results/controlled/
    self_reg_costs.py). It ignores each window's mean and lets its pattern flip sign (a dark iris on white
    becomes a light one on grey), so it charges for moved, drawn and erased edges and for changed contrast only.

    Per window: min over the sign s of the mean squared difference of the two mean-removed patches,
    var_r + var_s - 2 |cov(r, s)|. Contrast stays charged: a term free of it too (1 - correlation^2) let the refiner
    fade every pattern to nothing at no cost, and it collapsed into a black image (results/controlled/README.md).
    """
    x, y = refined.float(), synthetic.float()

    def mean(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, STRUCTURE_WINDOW, stride=1)

    mean_x, mean_y = mean(x), mean(y)
    var_x, var_y = mean(x * x) - mean_x * mean_x, mean(y * y) - mean_y * mean_y
    cov = mean(x * y) - mean_x * mean_y
    return (var_x + var_y - 2 * cov.abs()).clamp_min(0).mean()


# Each kind of self-regularisation: its term, and the description its runs record as `self_reg_reduction`.
SELF_REG_TERMS = {"pixels": (pixel_change, "L1, mean per pixel"),
                  "structure": (structure_change, "L2 of 3 x 3 patterns less mean and sign, mean per window")}
SELF_REG_KINDS = tuple(SELF_REG_TERMS)


def accuracy(logits: torch.Tensor, target: int) -> float:
    """Fraction of output positions the discriminator assigns to `target`."""
    return (logits.argmax(dim=1) == target).float().mean().item()
