"""The SimGAN refiner and discriminators (Shrivastava et al. 2017, appendix), sized by their config."""

from __future__ import annotations

import torch
from torch import nn

# The refiner pads by reflection: zero padding let it paint a bright frame along the image border
# (seen in the first p00 sweep's before/after grids), which a discriminator then learns to use.
REFINER_PADDING = "reflect"


class ResidualBlock(nn.Module):
    """Two 3x3 convolutions with a skip connection, as in the paper's refiner (dilation 1)."""

    def __init__(self, channels: int, dilation: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, padding_mode=REFINER_PADDING),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, padding=dilation, dilation=dilation, padding_mode=REFINER_PADDING),
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(x + self.body(x))


def rank_channel(x: torch.Tensor) -> torch.Tensor:
    """Each pixel's rank among its image's pixels, scaled to [-1, 1]: the image's own CDF at that pixel."""
    flat = x.flatten(1)
    ranks = flat.argsort(dim=1).argsort(dim=1).to(x.dtype)
    return (ranks * (2 / max(flat.shape[1] - 1, 1)) - 1).reshape(x.shape)


def coordinate_channels(x: torch.Tensor) -> torch.Tensor:
    """Each pixel's row and column, scaled to [-1, 1] (top, left = -1), for every image of the batch."""
    n, _, height, width = x.shape
    rows = torch.linspace(-1, 1, height, device=x.device, dtype=x.dtype).view(1, 1, height, 1).expand(n, 1, height, width)
    cols = torch.linspace(-1, 1, width, device=x.device, dtype=x.dtype).view(1, 1, 1, width).expand(n, 1, height, width)
    return torch.cat([rows, cols], dim=1)


class RefinerNet(nn.Module):
    """conv3x3(C) -> `blocks` ResNet blocks (two conv3x3(C)) -> conv1x1(1) -> tanh; keeps the image size.

    Not in the paper, all off by default:
    - `dilation` > 1: the blocks' convolutions are dilated, so the receptive field is 4 * blocks * dilation + 3
      pixels wide at the same cost (the first dense 3 x 3 fills the holes for a dilation up to 3). At the standard
      preset's 2 blocks it is 11 px, about an iris's width, so few pixels of the iris see the whole iris, which
      drawing the appearance gap's light ring around a dark pupil needs. Tried there (dilation 2), it closed less of
      the gap and left the refined images as easy to tell from the target (benchmark/presets/paper.toml).
    - `rank_input`: it also sees `rank_channel`. Its receptive field is 4 * blocks + 3 pixels wide, too small to know
      where a pixel stands in its whole image's tones, which a target whose every image is histogram-equalised
      (MPIIGaze's normalised eyes are) needs per image.
    - `coord_input`: it also sees `coordinate_channels` (CoordConv, Liu et al. 2018). With reflection padding it
      cannot otherwise tell where in the crop a pixel is, so it must treat the skin above the eye (a brow's shadow) and
      below it (a lit cheek) alike wherever the target's tones differ by position. Tried on the appearance gap, it
      made the refined images easier to tell from the target, not harder (benchmark/presets/paper.toml).
    """

    def __init__(self, channels: int = 64, blocks: int = 4, rank_input: bool = False, coord_input: bool = False,
                 dilation: int = 1):
        super().__init__()
        self.rank_input, self.coord_input = rank_input, coord_input
        self.net = nn.Sequential(
            nn.Conv2d(1 + rank_input + 2 * coord_input, channels, 3, padding=1, padding_mode=REFINER_PADDING),
            nn.ReLU(inplace=True),
            *[ResidualBlock(channels, dilation) for _ in range(blocks)],
            nn.Conv2d(channels, 1, 1),
            nn.Tanh(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        extra = ([rank_channel(x)] if self.rank_input else []) + ([coordinate_channels(x)] if self.coord_input else [])
        return self.net(torch.cat([x, *extra], dim=1) if extra else x)


def discriminator_trunk() -> nn.Sequential:
    """conv3x3 s2 (96) -> conv3x3 s2 (64) -> maxpool3x3 s1 -> conv3x3 (32) -> conv1x1 (32).

    Padding 1 on every 3x3 layer is what turns 35 x 55 into the paper's 9 x 14 map
    (35x55 -> 18x28 -> 9x14, then size-preserving layers); without padding it would be 6 x 11.
    """
    return nn.Sequential(
        nn.Conv2d(1, 96, 3, stride=2, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(96, 64, 3, stride=2, padding=1),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(3, stride=1, padding=1),
        nn.Conv2d(64, 32, 3, padding=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 1),
        nn.ReLU(inplace=True),
    )


class LocalDiscriminator(nn.Module):
    """Fully convolutional: one (real, refined) logit pair per local patch, output N x 2 x h x w."""

    def __init__(self):
        super().__init__()
        self.trunk = discriminator_trunk()
        self.head = nn.Conv2d(32, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))


class GlobalDiscriminator(nn.Module):
    """Same trunk, then a linear layer over the whole feature map: one logit pair per image, N x 2.

    The linear layer sees every patch's features at once, so it judges the image as a whole
    (the paper's "global adversarial loss" ablation).
    """

    def __init__(self, image_size: tuple[int, int]):
        super().__init__()
        self.trunk = discriminator_trunk()
        with torch.no_grad():
            features = self.trunk(torch.zeros(1, 1, *image_size)).numel()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(features, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.trunk(x))
