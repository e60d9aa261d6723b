"""The gap table: how much of a known domain gap each refiner closes, paired by seed.

Each run with an oracle (harness/gap.py) records, per estimator, the error of the same estimator trained on the
unrefined synthetic images, on the refined ones and on labelled images of the test domain (the oracle). The
table gives their means over seeds and the mean of the per-seed gap closed (%), with a t interval over seeds:
the share of the unrefined-to-oracle gap that refining closed, 100% being as good as the test domain's labels;
and, where measured, the drift as the oracle-trained estimator reads it, of the refined and of the unrefined renders,
and as a reader trained on both looks reads it; and the gaze the refined renders lost to a reader trained on them,
beside what the target's own look costs such a reader.
"""

from __future__ import annotations

import pandas as pd

from gazebench.harness.gap import beyond_unrefined, drift_as_read
from gazebench.report.intervals import t_interval

GAP_COLUMN = "gap_closed_pct"
ERROR_COLUMNS = {"unrefined (deg)": "unrefined_error_deg", "refined (deg)": "mean_angular_error_deg",
                 "oracle (deg)": "oracle_error_deg"}
# Present where the run measured realism: drift as an estimator trained on the target's look reads it (harness/gap.py),
# of the refined renders and, beside it, of the unrefined ones. Those move no gaze: what the oracle reads there is the
# source's look alone, the scale against which to read the refined figure.
DRIFT_COLUMN = ("drift, oracle-read (deg)", "gaze_drift_oracle_read_deg")
UNREFINED_DRIFT_LABEL = "same, unrefined renders (deg)"
# Drift as a reader trained on both looks reads it (harness/gap.py): 0 for a refiner that changes nothing; beside it,
# how much worse that reader reads held-out target images than unrefined renders, what a refiner that took on the
# target's look exactly would read at.
TWO_LOOK_DRIFT_COLUMN = ("drift, two-look reader (deg)", "gaze_drift_two_look_deg")
TWO_LOOK_TARGET_LABEL = "same, target's look (deg)"
# What the refined renders no longer tell of their labels' gaze to an estimator trained on them (harness/gap.self_read):
# 0 for a refiner that only changes the look, however far from the target's.
GAZE_LOST_COLUMN = ("gaze lost, self-read (deg)", "gaze_lost_deg")
# Beside it, what the target's own look costs such a reader: the oracle on the test images against the unrefined fit on
# the unrefined renders. A refiner that took on the target's look exactly would lose that much; a heavier blur or
# noise in the target makes it positive (the cpu preset's CNN: 0.85 deg on the appearance gap), so only the excess is
# gaze the refiner took.
GAZE_LOST_TARGET_LABEL = "same, target's own look (deg)"


def has_gaps(records: pd.DataFrame) -> bool:
    return GAP_COLUMN in records and records[GAP_COLUMN].notna().any()


def gap_frame(methods: pd.DataFrame, group_keys: list[str], level: float = 0.95) -> pd.DataFrame:
    """One row per group of method records that carry a gap: seeds, mean errors, gap closed with its interval."""
    rows = []
    for group, part in methods[methods[GAP_COLUMN].notna()].groupby(group_keys, sort=True, dropna=False):
        row = dict(zip(group_keys, group if isinstance(group, tuple) else (group,)))
        row["seeds"] = int(part["seed"].nunique())
        for label, column in ERROR_COLUMNS.items():
            row[label] = float(part[column].astype(float).mean())
        label, column = DRIFT_COLUMN
        if column in part and part[column].notna().any():
            row[label] = float(part[column].astype(float).mean())
            unrefined = drift_as_read(part["oracle_read_unrefined_deg"].astype(float), part["oracle_error_deg"].astype(float))
            row[UNREFINED_DRIFT_LABEL] = float(unrefined.mean())
        label, column = TWO_LOOK_DRIFT_COLUMN
        if column in part and part[column].notna().any():
            row[label] = float(part[column].astype(float).mean())
            target = beyond_unrefined(part["two_look_read_target_deg"].astype(float), part["two_look_read_unrefined_deg"].astype(float))
            row[TWO_LOOK_TARGET_LABEL] = float(target.mean())
        label, column = GAZE_LOST_COLUMN
        if column in part and part[column].notna().any():
            row[label] = float(part[column].astype(float).mean())
            target = part["oracle_error_deg"].astype(float) - part["self_read_unrefined_deg"].astype(float)
            row[GAZE_LOST_TARGET_LABEL] = float(target.mean())
        row["gap closed (%)"], row["CI low"], row["CI high"] = t_interval(part[GAP_COLUMN], level)
        rows.append(row)
    return pd.DataFrame(rows)
