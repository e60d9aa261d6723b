"""SimGAN as published: local (per-patch) adversarial loss and a history buffer of refined images."""

from __future__ import annotations

from torch import nn

from gazebench.refiners.networks import LocalDiscriminator
from gazebench.refiners.base import REFINERS
from gazebench.refiners.simgan import SimGANRefiner

# cpu: a 32-channel refiner with 2 ResNet blocks (the paper's: 64 channels, 4 blocks), batch 32 instead of 512,
# and 100 + 20 + 60 steps (refiner pretraining, discriminator pretraining, adversarial): training took
# 51-54 s on the 2-core CPU in the p00 sweep (results/p00_cpu, `refiner_seconds`).
# paper: the paper's sizes; its history buffer size is not published, 12800 refined images (25 batches) here.
PRESETS = {
    "cpu": dict(refiner_channels=32, refiner_blocks=2, batch_size=32, pretrain_refiner_steps=100,
                pretrain_discriminator_steps=20, adversarial_steps=60, self_reg_lambda=2000.0, history_size=640,
                checkpoint_every=50, grid_every=100),
    "standard": dict(refiner_channels=32, refiner_blocks=2, batch_size=32, pretrain_refiner_steps=100,
                     pretrain_discriminator_steps=20, adversarial_steps=600, self_reg_lambda=2000.0, history_size=640,
                     checkpoint_every=100, grid_every=100),
    "paper": dict(refiner_channels=64, refiner_blocks=4, batch_size=512, pretrain_refiner_steps=1000,
                  pretrain_discriminator_steps=200, adversarial_steps=10000, self_reg_lambda=2000.0, history_size=12800,
                  checkpoint_every=500, grid_every=500, compile=True),
}


@REFINERS.register
class SimGANLocalRefiner(SimGANRefiner):
    name = "simgan_local"
    TINY_SETTINGS = dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                         pretrain_discriminator_steps=1, adversarial_steps=2)
    PRESETS = PRESETS

    def make_discriminator(self) -> nn.Module:
        return LocalDiscriminator()
