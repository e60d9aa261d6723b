"""Shared test fixtures: where ../shared/data lives, and skipping cleanly without it."""

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
P00_DEV = SHARED_DATA / "mpiigaze_p00" / "dev.npz"

# Two cores: keep each test process from oversubscribing them.
torch.set_num_threads(min(2, torch.get_num_threads()))


@pytest.fixture
def p00_dev() -> Path:
    """Path of the real MPIIGaze p00 dev set; skips the test where ../shared/data is absent."""
    if not P00_DEV.is_file():
        pytest.skip(f"real MPIIGaze dev data not found at {P00_DEV} (../shared/data is absent on a fresh clone)")
    return P00_DEV
