"""The simulator fit file: what `bench sim fit` writes and `sim?fit=FIT.json` reads.

It holds ranges for some FREE_GEOMETRY parameters (params.py), and FREE_APPEARANCE's where the fit drew every look
(`--appearance wide`), how they were fitted (harness/simfit.py), and the
fingerprints of every real image the fit saw, so that a run can refuse to test on them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gazebench.core.atomic import write_bytes_atomic
from gazebench.core.errors import UserInputError
from gazebench.data.simulator.params import FREE_APPEARANCE, FREE_GEOMETRY

FIT_KIND = "gazebench simulator fit"
FIT_VERSION = 1


def save_fit(path: Path, fit: dict, *, real_spec: str, n_real: int, fingerprints: np.ndarray, provenance: dict) -> None:
    """Write a fit file: the ranges, how they were fitted, and the fingerprints of every real image it saw."""
    record = {"kind": FIT_KIND, "version": FIT_VERSION, "real": real_spec, "n_real": n_real, **fit, **provenance,
              "real_fingerprints": [f"{int(v):016x}" for v in np.unique(fingerprints)]}
    write_bytes_atomic(path, (json.dumps(record, indent=1) + "\n").encode())


@dataclass(frozen=True)
class SimulatorFit:
    """A fit file as `sim?fit=` reads it: the ranges, a digest that names them, the real images it saw."""

    path: str
    ranges: dict[str, tuple[float, float]]
    digest: str
    real_fingerprints: np.ndarray

    @classmethod
    def load(cls, path: str) -> SimulatorFit:
        try:
            record = json.loads(Path(path).read_text())
        except FileNotFoundError:
            raise UserInputError(f"fit={path}: no such file; expected a `bench sim fit` output.") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise UserInputError(f"fit={path}: not a readable JSON fit file ({exc}).") from None
        if not isinstance(record, dict) or record.get("kind") != FIT_KIND or record.get("version") != FIT_VERSION:
            raise UserInputError(f"fit={path}: not a version {FIT_VERSION} `bench sim fit` file.")
        ranges = {name: tuple(float(v) for v in bounds) for name, bounds in record.get("ranges", {}).items()}
        bounds = {**FREE_APPEARANCE, **FREE_GEOMETRY}
        for name, (low, high) in ranges.items():
            if name not in bounds or not bounds[name][0] <= low <= high <= bounds[name][1]:
                raise UserInputError(f"fit={path}: range {name}={[low, high]} is not a free parameter within its bounds.")
        digest = hashlib.sha1(json.dumps(sorted(ranges.items())).encode()).hexdigest()[:8]
        prints = np.array([int(v, 16) for v in record.get("real_fingerprints", [])], dtype=np.uint64)
        return cls(path, ranges, digest, prints)
