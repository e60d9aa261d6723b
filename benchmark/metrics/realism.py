"""Realism metrics of refined images: can a classifier tell them from real, how far apart are the feature
distributions, and did refining change the gaze. All are measured on images the models did not train on."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from gazebench.core.device import autocast, memory_format, seed_everything
from gazebench.core.geometry import mirror_images
from gazebench.estimators.base import GazeEstimator
from gazebench.metrics.accuracy import angular_errors


def _domain_classifier(image_size: tuple[int, int]) -> nn.Module:
    """Three stride-2 convolutions and a linear real-vs-refined logit: small, so it reads texture and layout."""
    trunk = nn.Sequential(
        nn.Conv2d(1, 16, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Flatten(),
    )  # fmt: skip
    with torch.no_grad():
        width = trunk(torch.zeros(1, 1, *image_size)).shape[1]
    return nn.Sequential(trunk, nn.Linear(width, 1))


def domain_classifier_accuracy(
    real: torch.Tensor,
    refined: torch.Tensor,
    *,
    seed: int = 0,
    device: torch.device,
    max_per_class: int = 2000,
    test_fraction: float = 0.3,
    steps: int = 300,
    lr: float = 2e-3,
    batch_size: int = 64,
    progress: bool = False,
) -> float:
    """Held-out accuracy (%) of a small CNN trained to tell real from refined images; 50 = indistinguishable.

    Both classes are cut to the same size (at most max_per_class, drawn with the seed) and split the same way,
    so the held-out set is balanced and chance is exactly 50%. Training is a fixed number of steps on batches
    drawn with replacement, so its cost does not grow with the number of images.
    """
    per_class = min(len(real), len(refined), max_per_class)
    n_test = int(round(per_class * test_fraction))
    if n_test < 1 or per_class - n_test < 1:
        raise ValueError(f"need at least 2 real and 2 refined images for a held-out split, got {len(real)}, {len(refined)}")
    generator = seed_everything(seed)
    picks = [torch.randperm(len(images), generator=generator)[:per_class] for images in (real, refined)]
    train_x = torch.cat([real[picks[0][n_test:]], refined[picks[1][n_test:]]])
    test_x = torch.cat([real[picks[0][:n_test]], refined[picks[1][:n_test]]])
    train_y = torch.cat([torch.ones(per_class - n_test), torch.zeros(per_class - n_test)])
    test_y = torch.cat([torch.ones(n_test), torch.zeros(n_test)])

    net = _domain_classifier(tuple(real.shape[-2:])).to(device, memory_format=memory_format(device))
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in tqdm(range(steps), desc="domain classifier", unit="step", disable=not progress):
        batch = torch.randint(len(train_x), (min(batch_size, len(train_x)),), generator=generator)
        x = train_x[batch].to(device).contiguous(memory_format=memory_format(device))
        with autocast(device):
            logits = net(x).squeeze(1)
        loss = loss_fn(logits.float(), train_y[batch].to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad(), autocast(device):
        logits = torch.cat([net(chunk.to(device)).float().cpu() for chunk in test_x.split(1024)]).squeeze(1)
    return float(100.0 * ((logits > 0).float() == test_y).float().mean())


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two (N, D) feature sets (as FID, in any feature space).

    ||mu_a - mu_b||^2 + Tr(Ca) + Tr(Cb) - 2 Tr((Ca Cb)^1/2), with the last trace computed as the sum of
    square roots of the eigenvalues of the symmetric Ca^1/2 Cb Ca^1/2: symmetric eigendecompositions stay real
    and stable where a general matrix square root of Ca Cb can turn complex on rank-deficient covariances.
    """
    a = np.asarray(features_a, dtype=np.float64)
    b = np.asarray(features_b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or len(a) < 2 or len(b) < 2:
        raise ValueError(f"expected two (N >= 2, D) feature arrays of one width, got {a.shape} and {b.shape}")
    mean_term = float(np.sum((a.mean(0) - b.mean(0)) ** 2))
    cov_a = np.atleast_2d(np.cov(a, rowvar=False))
    cov_b = np.atleast_2d(np.cov(b, rowvar=False))
    eigval_a, eigvec_a = np.linalg.eigh(cov_a)
    sqrt_a = (eigvec_a * np.sqrt(np.clip(eigval_a, 0.0, None))) @ eigvec_a.T
    middle = sqrt_a @ cov_b @ sqrt_a
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)))
    return max(0.0, mean_term + float(np.trace(cov_a) + np.trace(cov_b) - 2.0 * cross))


def gaze_drift_deg(
    estimator: GazeEstimator, synthetic_gaze: np.ndarray, refined_images: torch.Tensor, *, device: torch.device
) -> np.ndarray:
    """Per-image angle (deg) between each synthetic label and the estimator's prediction on its refined image.

    The caller passes an estimator trained on UNREFINED synthetic images; a refiner that keeps the gaze leaves
    this near that estimator's own error on synthetic images.
    """
    return angular_errors(estimator.predict(refined_images, device=device), synthetic_gaze)


def randomly_mirrored(images: torch.Tensor, seed: int) -> torch.Tensor:
    """Each image mirrored or not by a seeded coin, so which eye (left or right) it shows tells a classifier nothing."""
    flip = torch.rand(len(images), generator=torch.Generator().manual_seed(seed)) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), mirror_images(images), images)
