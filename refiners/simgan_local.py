"""SimGAN as published: local (per-patch) adversarial loss and a history buffer of refined images."""

from __future__ import annotations

from torch import nn

from gazebench.refiners.base import REFINERS
from gazebench.refiners.networks import LocalDiscriminator
from gazebench.refiners.simgan import SimGANRefiner


@REFINERS.register
class SimGANLocalRefiner(SimGANRefiner):
    name = "simgan_local"
    TINY_SETTINGS = dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                         pretrain_discriminator_steps=1, adversarial_steps=2)
    PRESET_SECTION = "simgan_local"  # sizes and why: gazebench/presets/*.toml

    def make_discriminator(self) -> nn.Module:
        return LocalDiscriminator()
