"""SimGAN with a global adversarial loss and no history buffer (the paper's ablation)."""

from __future__ import annotations

from torch import nn

from gazebench.refiners.base import REFINERS
from gazebench.refiners.networks import GlobalDiscriminator
from gazebench.refiners.simgan import SimGANRefiner


@REFINERS.register
class SimGANGlobalRefiner(SimGANRefiner):
    name = "simgan_global"
    TINY_SETTINGS = dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                         pretrain_discriminator_steps=1, adversarial_steps=2)
    # simgan_local's sizes, no history buffer, lambda scaled to one output position: gazebench/presets/paper.toml
    PRESET_SECTION = "simgan_global"

    def make_discriminator(self) -> nn.Module:
        return GlobalDiscriminator(tuple(self._config.image_size))
