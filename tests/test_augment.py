"""Photometric augmentation (estimators/augment.py) changes appearance, never where the iris is."""

import pytest
import torch

from gazebench.estimators.augment import augment


def _eyes(n=64):
    """Bright frames with a dark disc (an iris) at a different place in each image."""
    y, x = torch.meshgrid(torch.arange(35.0), torch.arange(55.0), indexing="ij")
    centres = torch.stack([torch.linspace(12, 22, n), torch.linspace(15, 40, n)], 1)
    dist = ((y[None] - centres[:, 0, None, None]) ** 2 + (x[None] - centres[:, 1, None, None]) ** 2).sqrt()
    return torch.where(dist < 6, -0.8, 0.6)[:, None]


def _dark_centroid(images):
    """Centre of each image's pixels darker than halfway between its 5th and 95th percentile."""
    flat = images.flatten(1)
    low, high = flat.quantile(0.05, dim=1), flat.quantile(0.95, dim=1)
    weight = (images[:, 0] < ((low + high) / 2)[:, None, None]).float()
    y, x = torch.meshgrid(torch.arange(35.0), torch.arange(55.0), indexing="ij")
    total = weight.sum((1, 2))
    return torch.stack([(weight * y).sum((1, 2)) / total, (weight * x).sum((1, 2)) / total], 1)


def test_photometric_changes_pixels_in_range_and_keeps_the_iris_in_place():
    eyes = _eyes()
    out = augment(eyes, "photometric", torch.Generator().manual_seed(0))
    assert out.shape == eyes.shape and out.dtype == eyes.dtype
    assert out.min() >= -1 and out.max() <= 1
    assert (out - eyes).abs().mean() > 0.05  # it did change the look
    shift = (_dark_centroid(out) - _dark_centroid(eyes)).abs().max()
    assert shift < 0.5  # px; 2 px would be about 11 degrees of apparent gaze


def test_augmentation_is_seeded_and_none_is_the_identity():
    eyes = _eyes(8)
    first = augment(eyes, "photometric", torch.Generator().manual_seed(3))
    again = augment(eyes, "photometric", torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    assert augment(eyes, "none", torch.Generator()) is eyes
    with pytest.raises(ValueError, match="unknown augmentation"):
        augment(eyes, "mirror", torch.Generator())
