"""Shared test fixtures: where ../shared/data lives, and skipping cleanly without it."""

from pathlib import Path

import pytest
import torch
from threadpoolctl import threadpool_limits

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
P00_DEV = SHARED_DATA / "mpiigaze_p00" / "dev.npz"


@pytest.fixture(autouse=True)
def _one_thread():
    """Test models and PCAs are tiny: extra threads only add synchronisation (slow on a shared 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture
def p00_dev() -> Path:
    """Path of the real MPIIGaze p00 dev set; skips the test where ../shared/data is absent."""
    if not P00_DEV.is_file():
        pytest.skip(f"real MPIIGaze dev data not found at {P00_DEV} (../shared/data is absent on a fresh clone)")
    return P00_DEV
