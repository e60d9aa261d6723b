"""SimGAN with a global adversarial loss and no history buffer (the paper's ablation)."""

from __future__ import annotations

from torch import nn

from gazebench.refiners.networks import GlobalDiscriminator
from gazebench.refiners.base import REFINERS
from gazebench.refiners.simgan import SimGANRefiner
from gazebench.refiners.simgan_local import PRESETS as LOCAL_PRESETS

# Same sizes as simgan_local (see there), minus the history buffer. Its adversarial loss has one output position
# per image instead of 9 x 14 = 126, so lambda is scaled by about 1/126 (2000 -> 16) to keep the same balance per position.
PRESETS = {
    name: {**sizes, "self_reg_lambda": 16.0, "history_size": 0} for name, sizes in LOCAL_PRESETS.items()
}


@REFINERS.register
class SimGANGlobalRefiner(SimGANRefiner):
    name = "simgan_global"
    TINY_SETTINGS = dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                         pretrain_discriminator_steps=1, adversarial_steps=2)
    PRESETS = PRESETS

    def make_discriminator(self) -> nn.Module:
        return GlobalDiscriminator(tuple(self._config.image_size))
