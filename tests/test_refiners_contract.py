"""Every registered refiner keeps the interface: fit -> save -> load -> refine keeps shape, dtype and range,
is seeded, and a checkpoint round trip refines identically. New refiners are covered by registering them."""

import pytest
import torch

from gazebench.refiners.registry import REFINERS, create_refiner, load_refiner

# Tiny sizes for the networks, so every refiner fits in a second; refiners without these settings take none.
TINY = {"simgan_local": dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                             pretrain_discriminator_steps=1, adversarial_steps=2),
        "simgan_global": dict(batch_size=4, refiner_channels=4, refiner_blocks=1, pretrain_refiner_steps=2,
                              pretrain_discriminator_steps=1, adversarial_steps=2)}
CPU = torch.device("cpu")


def _images(seed: int, n: int = 12) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, 35, 55, generator=gen) * 2 - 1).clamp(-1, 1)


@pytest.mark.parametrize("name", sorted(REFINERS))
def test_fit_save_load_refine_round_trip(name, tmp_path):
    synthetic, real = _images(0), _images(1) * 0.5
    refiner = create_refiner(name, seed=3, **TINY.get(name, {}))
    refiner.fit(synthetic, real, device=CPU, out_dir=tmp_path / "ckpt", progress=False)
    refined = refiner.refine(synthetic, device=CPU)
    assert refined.shape == synthetic.shape and refined.dtype == torch.float32
    assert refined.min() >= -1 and refined.max() <= 1 and torch.isfinite(refined).all()
    assert torch.equal(refined, refiner.refine(synthetic, device=CPU))  # seeded: same images, same output
    assert torch.allclose(refiner.refine(synthetic, device=CPU, batch_size=5), refined, atol=1e-6)  # batch-free
    loaded = load_refiner(tmp_path / "ckpt")
    assert loaded.name == name and loaded.config == refiner.config
    assert torch.equal(loaded.refine(synthetic, device=CPU), refined)
