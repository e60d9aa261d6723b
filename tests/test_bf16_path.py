"""The GPU fast path's bf16 autocast, run on the CPU: training and inference stay float32, finite, in range.

The same bf16 autocast context the CUDA path uses runs here on the CPU, so a dtype slip (bf16 reaching the
history buffer, a loss, numpy or a checkpoint) fails on a machine without a GPU before it fails on one.
"""

import numpy as np
import pytest
import torch

from gazebench.core import device
from gazebench.estimators import cnn as gaze_cnn
from gazebench.refiners import simgan
from gazebench.refiners.registry import create_refiner, load_refiner

CPU = torch.device("cpu")


class CpuBf16:
    """Stands in for gazebench.core.device.autocast: bf16 autocast on the CPU, counting its uses."""

    def __init__(self):
        self.uses = 0

    def __call__(self, device: torch.device, cpu_bf16: bool = False):
        self.uses += 1
        return torch.autocast("cpu", dtype=torch.bfloat16)


@pytest.mark.slow
def test_simgan_trains_saves_and_refines_under_bf16_autocast(monkeypatch, tmp_path):
    cpu_bf16 = CpuBf16()
    monkeypatch.setattr(simgan, "autocast", cpu_bf16)
    gen = torch.Generator().manual_seed(0)
    synthetic = torch.rand(32, 1, 35, 55, generator=gen) * 2 - 1
    real = (synthetic.roll(3, dims=3) * 0.8).clamp(-1, 1)
    refiner = create_refiner("simgan_local", refiner_channels=8, refiner_blocks=1, batch_size=8, lr=3e-3,
                             pretrain_refiner_steps=4, pretrain_discriminator_steps=2, adversarial_steps=4,
                             checkpoint_every=2, grid_every=1000)
    refiner.fit(synthetic, real, device=CPU, out_dir=tmp_path, progress=False)
    assert refiner.history is not None and len(refiner.history) > 0
    assert refiner.history.images.dtype == torch.float32
    assert all(p.dtype == torch.float32 for p in refiner.refiner_net.parameters())
    refined = refiner.refine(synthetic, device=CPU)
    assert refined.dtype == torch.float32 and torch.isfinite(refined).all()
    assert refined.min() >= -1 and refined.max() <= 1
    assert load_refiner(tmp_path).refine(synthetic, device=CPU).dtype == torch.float32
    assert cpu_bf16.uses > 10  # the bf16 context really wrapped training and refinement


def test_gaze_cnn_fits_and_predicts_under_bf16_autocast(monkeypatch):
    cpu_bf16 = CpuBf16()
    monkeypatch.setattr(gaze_cnn, "autocast", cpu_bf16)
    gen = torch.Generator().manual_seed(1)
    images = torch.rand(128, 1, 35, 55, generator=gen) * 2 - 1
    gaze = np.random.default_rng(1).uniform(-0.3, 0.3, size=(128, 2)).astype(np.float32)
    cnn = gaze_cnn.GazeCNN(preset="cpu", seed=0, epochs=1, batch_size=32)
    cnn.fit(images, gaze, device=CPU, progress=False)
    predicted = cnn.predict(images, device=CPU)
    assert predicted.dtype == np.float32 and predicted.shape == (128, 2) and np.isfinite(predicted).all()
    assert cnn.features(images, device=CPU).dtype == np.float32
    assert cpu_bf16.uses > 4


@pytest.mark.parametrize("native", [True, False])
def test_cpu_bf16_is_asked_for_per_component_and_needs_a_bf16_cpu(monkeypatch, native):
    monkeypatch.setattr(device, "cpu_bf16_native", lambda: native)
    assert device.bf16(torch.device("cuda")) and device.bf16(torch.device("cuda"), cpu_bf16=False)
    assert not device.bf16(CPU) and device.bf16(CPU, cpu_bf16=True) is native
    x = torch.ones(2, 3)
    with device.autocast(CPU, cpu_bf16=True):
        assert (x @ x.T).dtype == (torch.bfloat16 if native else torch.float32)
    with device.autocast(CPU):
        assert (x @ x.T).dtype == torch.float32
    assert device.memory_format(CPU, cpu_bf16=True) == (torch.channels_last if native else torch.contiguous_format)


def test_a_cpu_bf16_cnn_and_refiner_really_run_in_bf16(monkeypatch):
    """The setting reaches the networks: on a bf16 CPU (pretended where there is none) their layers compute in bf16."""
    monkeypatch.setattr(device, "cpu_bf16_native", lambda: True)
    gen = torch.Generator().manual_seed(2)
    images = torch.rand(64, 1, 35, 55, generator=gen) * 2 - 1
    gaze = np.random.default_rng(2).uniform(-0.3, 0.3, size=(64, 2)).astype(np.float32)
    for cpu_bf16, dtype in ((False, torch.float32), (True, torch.bfloat16)):
        seen = []
        record = seen.append
        cnn = gaze_cnn.GazeCNN(preset="cpu", seed=0, epochs=1, batch_size=32, cpu_bf16=cpu_bf16)
        cnn.fit(images, gaze, device=CPU, progress=False)
        cnn.net.head.register_forward_hook(lambda module, args, out, record=record: record(out.dtype))
        assert cnn.predict(images, device=CPU).dtype == np.float32
        refiner = create_refiner("simgan_local", refiner_channels=8, refiner_blocks=1, batch_size=8, cpu_bf16=cpu_bf16)
        refiner.refiner_net.register_forward_hook(lambda module, args, out, record=record: record(out.dtype))
        assert refiner.refine(images[:8], device=CPU).dtype == torch.float32
        assert len(seen) == 2 and set(seen) == {dtype}
