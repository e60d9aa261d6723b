"""The simulator fit file: what `bench sim fit` writes and `sim?fit=FIT.json` reads.

It holds ranges for some FREE_GEOMETRY parameters (params.py), and FREE_APPEARANCE's where the fit drew every look
(`--appearance wide`), the style and options the fit rendered with, how they were fitted (harness/simfit.py), and the
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
from gazebench.data.simulator.params import APPEARANCE_CHOICES, EYEBALL_CHOICES, FREE_APPEARANCE, FREE_GEOMETRY, STYLES

FIT_KIND = "gazebench simulator fit"
FIT_VERSION = 1


def save_fit(path: Path, fit: dict, *, real_spec: str, n_real: int, fingerprints: np.ndarray, provenance: dict) -> None:
    """Write a fit file: the ranges, how they were fitted, and the fingerprints of every real image it saw."""
    record = {"kind": FIT_KIND, "version": FIT_VERSION, "real": real_spec, "n_real": n_real, **fit, **provenance,
              "real_fingerprints": [f"{int(v):016x}" for v in np.unique(fingerprints)]}
    write_bytes_atomic(path, (json.dumps(record, indent=1) + "\n").encode())


@dataclass(frozen=True)
class SimulatorFit:
    """A fit file as `sim?fit=` reads it: the ranges, the options the fit rendered with (so that reading it back draws
    what the fit's CNNs learnt), a digest that names them, and the real images it saw."""

    path: str
    ranges: dict[str, tuple[float, float]]
    digest: str
    real_fingerprints: np.ndarray
    style: str = "default"
    eyeball: str = EYEBALL_CHOICES[0]
    appearance: str = APPEARANCE_CHOICES[0]

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
        try:
            ranges = {name: (float(low), float(high)) for name, (low, high) in record.get("ranges", {}).items()}
            prints = np.array([int(v, 16) for v in record.get("real_fingerprints", [])], dtype=np.uint64)
            n_real = int(record.get("n_real", 0))
        except (TypeError, ValueError, AttributeError) as exc:
            raise UserInputError(f"fit={path}: its ranges, n_real or real_fingerprints do not parse ({exc}).") from None
        bounds = {**FREE_APPEARANCE, **FREE_GEOMETRY}
        for name, (low, high) in ranges.items():
            if name not in bounds or not bounds[name][0] <= low <= high <= bounds[name][1]:
                raise UserInputError(f"fit={path}: range {name}={[low, high]} is not a free parameter within its bounds.")
        # The leakage guard compares a run's test images with these; a fit that names none could hide any.
        if not 0 < len(prints) <= n_real:
            raise UserInputError(f"fit={path}: it records {len(prints)} real image fingerprints for n_real={n_real}; a fit "
                                 "file names every real image it saw (at least one), so that a run can refuse to test on them.")
        options = {"style": record.get("style", "default"), "eyeball": record.get("eyeball") or EYEBALL_CHOICES[0],
                   "appearance": record.get("appearance") or APPEARANCE_CHOICES[0]}
        for key, allowed in (("style", STYLES), ("eyeball", EYEBALL_CHOICES), ("appearance", APPEARANCE_CHOICES)):
            if options[key] not in allowed:
                raise UserInputError(f"fit={path}: {key}={options[key]!r} is not one of {', '.join(allowed)}.")
        # Ranges alone name a default-style fit (the digests of earlier files stay); another style is part of the name.
        named = sorted(ranges.items()) + ([("style", options["style"])] if options["style"] != "default" else [])
        digest = hashlib.sha1(json.dumps(named).encode()).hexdigest()[:8]
        return cls(path, ranges, digest, prints, **options)
