"""Every registered refiner keeps the interface: fit -> save -> load -> refine keeps shape, dtype and range,
is seeded, and a checkpoint round trip refines identically. New refiners are covered by registering them;
each declares its own tiny sizes (TINY_SETTINGS), so it fits in about a second."""

import json

import pytest
import torch

from gazebench.refiners.registry import REFINERS, create_refiner, load_refiner

CPU = torch.device("cpu")


def _images(seed: int, n: int = 12) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 1, 35, 55, generator=gen) * 2 - 1).clamp(-1, 1)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFINERS))
def test_fit_save_load_refine_round_trip(name, tmp_path):
    synthetic, real = _images(0), _images(1) * 0.5
    refiner = create_refiner(name, seed=3, **REFINERS[name].TINY_SETTINGS)
    refiner.fit(synthetic, real, device=CPU, out_dir=tmp_path / "ckpt", progress=False)
    refined = refiner.refine(synthetic, device=CPU)
    assert refined.shape == synthetic.shape and refined.dtype == torch.float32
    assert refined.min() >= -1 and refined.max() <= 1 and torch.isfinite(refined).all()
    assert torch.equal(refined, refiner.refine(synthetic, device=CPU))  # seeded: same images, same output
    assert torch.allclose(refiner.refine(synthetic, device=CPU, batch_size=5), refined, atol=1e-6)  # batch-free
    loaded = load_refiner(tmp_path / "ckpt")
    assert loaded.name == name and loaded.config == refiner.config
    assert torch.equal(loaded.refine(synthetic, device=CPU), refined)

    # A checkpoint written before the gazebench namespace records refiners.MODULE:Class: still its built-in.
    config = tmp_path / "ckpt" / "config.json"
    record = json.loads(config.read_text())
    assert record["class"].startswith("gazebench.refiners.")
    config.write_text(json.dumps({**record, "class": record["class"].removeprefix("gazebench.")}))
    assert torch.equal(load_refiner(tmp_path / "ckpt").refine(synthetic, device=CPU), refined)
