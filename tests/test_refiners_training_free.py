"""FDA and histogram matching: the training-free baselines do what their papers say, and keep the layout."""

import pytest
import torch

from gazebench.refiners import fda as fda_module
from gazebench.refiners.fda import low_frequency_amplitude, window_half_size
from gazebench.refiners.registry import create_refiner

CPU = torch.device("cpu")


def _smooth_images(seed: int, n: int, scale: float = 0.3) -> torch.Tensor:
    """Small-amplitude images (no clipping) with structure at every frequency."""
    gen = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, 1, 35, 55, generator=gen).clamp(-2, 2) / 2


def test_fda_window_sizes_on_35x55_eyes():
    assert [window_half_size(b, 35, 55) for b in (0.01, 0.05, 0.09)] == [0, 1, 3]  # mean, 3x3, 7x7


@pytest.mark.parametrize("synthetic_mean, real_mean", [(0.2, 0.4), (-0.3, 0.1), (0.1, -0.2)])
def test_fda_at_beta_001_swaps_the_mean_only_whatever_its_sign(synthetic_mean, real_mean):
    synthetic = _smooth_images(0, 6) + synthetic_mean
    real = torch.full((3, 1, 35, 55), real_mean)
    refiner = create_refiner("fda", betas=[0.01])
    refiner.fit(synthetic, real, device=CPU)
    refined = refiner.refine(synthetic, device=CPU)
    expected = synthetic - synthetic.mean((2, 3), keepdim=True) + real_mean
    assert torch.allclose(refined, expected, atol=1e-5)


def test_fda_takes_the_donors_low_amplitudes_and_keeps_the_rest():
    synthetic, real = _smooth_images(1, 8), _smooth_images(2, 1) + 0.1
    refiner = create_refiner("fda", betas=[0.09])
    refiner.fit(synthetic, real, device=CPU)
    refined = refiner.refine(synthetic, device=CPU)
    assert torch.allclose(low_frequency_amplitude(refined, 3), low_frequency_amplitude(real, 3).expand(8, -1, -1, -1), rtol=1e-3, atol=1e-3)
    # Outside the 7x7 window the amplitude is the synthetic image's own, and so is the phase everywhere.
    spectrum = fda_module._centred_spectrum
    outside = torch.ones(35, 55, dtype=torch.bool)
    outside[17 - 3 : 17 + 4, 27 - 3 : 27 + 4] = False
    assert torch.allclose(spectrum(refined).abs()[..., outside], spectrum(synthetic).abs()[..., outside], atol=1e-3)
    assert torch.allclose(torch.cos(spectrum(refined).angle() - spectrum(synthetic).angle()), torch.ones(1), atol=1e-3)


def test_fda_multi_band_draws_one_beta_per_image_and_differs_by_seed():
    synthetic, real = _smooth_images(3, 64), _smooth_images(4, 16) + 0.2
    refiner = create_refiner("fda", betas=[0.01, 0.09], seed=0)
    refiner.fit(synthetic, real, device=CPU)
    refined = refiner.refine(synthetic, device=CPU)
    changed_outside_mean = (refined - refined.mean((2, 3), keepdim=True) - synthetic + synthetic.mean((2, 3), keepdim=True)).abs().amax((1, 2, 3)) > 1e-4
    assert 0 < changed_outside_mean.sum() < 64  # some images got the 7x7 window, some the mean only
    other = create_refiner("fda", betas=[0.01, 0.09], seed=1)
    other.fit(synthetic, real, device=CPU)
    assert not torch.equal(other.refine(synthetic, device=CPU), refined)


def test_histogram_pooled_maps_onto_the_real_distribution_and_keeps_the_order():
    gen = torch.Generator().manual_seed(5)
    synthetic = torch.rand(4, 1, 35, 55, generator=gen) * 0.5  # bright half missing
    real = torch.rand(16, 1, 35, 55, generator=gen) * 2 - 1  # uniform over [-1, 1]
    refiner = create_refiner("histogram")
    refiner.fit(synthetic, real, device=CPU)
    refined = refiner.refine(synthetic, device=CPU)
    assert abs(refined.min().item() + 1) < 0.02 and abs(refined.max().item() - 1) < 0.02
    assert abs(refined.mean().item()) < 0.02  # the real mean, not the synthetic 0.25
    flat_in, flat_out = synthetic.reshape(4, -1), refined.reshape(4, -1)
    assert torch.equal(flat_in.argsort(1), flat_out.argsort(1))  # grey-level order kept: nothing moves


def test_histogram_keeps_equal_grey_levels_equal():
    synthetic = torch.full((2, 1, 35, 55), -0.5)
    synthetic[:, :, :10] = 0.5  # two flat regions, as on an 8-bit image with saturated parts
    real = torch.rand(8, 1, 35, 55, generator=torch.Generator().manual_seed(1)) * 2 - 1
    refiner = create_refiner("histogram")
    refiner.fit(synthetic, real, device=CPU)
    refined = refiner.refine(synthetic, device=CPU)
    assert refined[:, :, 10:].unique().numel() == 1 and refined[:, :, :10].unique().numel() == 1
    assert refined[0, 0, 0, 0] > refined[0, 0, 20, 0]


def test_histogram_random_target_follows_each_donor():
    synthetic = _smooth_images(6, 32)
    dark = torch.full((1, 1, 35, 55), -0.8) + 0.01 * _smooth_images(7, 1)
    bright = torch.full((1, 1, 35, 55), 0.8) + 0.01 * _smooth_images(8, 1)
    refiner = create_refiner("histogram", target="random")
    refiner.fit(synthetic, torch.cat([dark, bright]), device=CPU)
    means = refiner.refine(synthetic, device=CPU).mean((1, 2, 3))
    assert ((means - 0.8).abs() < 0.05).any() and ((means + 0.8).abs() < 0.05).any()
