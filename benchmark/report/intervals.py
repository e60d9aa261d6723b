"""The one t interval every table uses: the mean of per-seed values (or per-seed paired differences) over seeds."""

from __future__ import annotations

import numpy as np
from scipy import stats


def t_interval(values, level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high) of a t confidence interval for the mean over the given values; low and high are NaN with
    fewer than two values (one value has no spread to build an interval from)."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return mean, mean - half, mean + half


# Two seeds give an interval on one degree of freedom: two differences that happen to agree make it narrow,
# so a difference is called resolved only from three seeds on (the reference protocol runs five).
MIN_SEEDS_TO_RESOLVE = 3


def resolved(low: float, high: float, seeds: int) -> str:
    """'yes' when the interval excludes 0 (from MIN_SEEDS_TO_RESOLVE seeds on), 'no', or 'too few seeds'."""
    if seeds < MIN_SEEDS_TO_RESOLVE:
        return "too few seeds"
    return "yes" if low > 0 or high < 0 else "no"
