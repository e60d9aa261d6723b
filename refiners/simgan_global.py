"""SimGAN with a global adversarial loss and no history buffer (the paper's ablation)."""

from __future__ import annotations

from torch import nn

from refiners.networks import GlobalDiscriminator
from refiners.simgan import SimGANRefiner

# Same sizes as simgan_local (see there), minus the history buffer. Its adversarial loss has one output position
# per image instead of 9 x 14 = 126, so lambda is scaled by about 1/126 (2000 -> 16) to keep the same balance per position.
PRESETS = {
    "cpu": dict(refiner_channels=32, refiner_blocks=2, batch_size=32, pretrain_refiner_steps=100,
                pretrain_discriminator_steps=20, adversarial_steps=60, self_reg_lambda=16.0, history_size=0,
                checkpoint_every=50, grid_every=100),
    "paper": dict(refiner_channels=64, refiner_blocks=4, batch_size=512, pretrain_refiner_steps=1000,
                  pretrain_discriminator_steps=200, adversarial_steps=10000, self_reg_lambda=16.0, history_size=0,
                  checkpoint_every=500, grid_every=500, compile=True),
}


class SimGANGlobalRefiner(SimGANRefiner):
    name = "simgan_global"
    PRESETS = PRESETS

    def make_discriminator(self) -> nn.Module:
        return GlobalDiscriminator(tuple(self._config.image_size))
