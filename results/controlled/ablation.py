"""One refiner at its preset's settings against variants of them, paired by seed: what each difference from the
paper's schedule costs or buys on a known gap.

`bench table --table paired` pairs every refiner with identity; an ablation pairs a refiner with itself under other
settings. Each run of a gap records the gap it closed, its error, the drift (as the oracle and, since ab7cc22, as a
reader of both looks read it) and the held-out classifier (benchmark/harness/gap.py); this prints, per variant and
estimator, the base's and the variant's means over the seeds both have, and the variant minus the base per seed with a
95% t interval (resolved from three seeds on, as in the paired table).

    python results/controlled/ablation.py [--refiner simgan_local] BASE VARIANT [VARIANT ...]

Each argument is NAME=DIR or NAME=DIR@HASH: the runs under DIR, or only those whose settings hash (the end of a run
folder's name) is HASH, for a folder that holds several settings.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from gazebench.harness.records import read_runs
from gazebench.report.intervals import resolved, t_interval
from gazebench.report.tables import Table, to_markdown

COMPARED = {"gap closed (%)": "gap_closed_pct", "error (deg)": "mean_angular_error_deg",
            "drift, oracle-read (deg)": "gaze_drift_oracle_read_deg", "drift, two-look reader (deg)": "gaze_drift_two_look_deg",
            "gaze lost, self-read (deg)": "gaze_lost_deg",
            "classifier vs target (%)": "domain_accuracy_pct"}
PER_RUN = {"domain_accuracy_pct"}  # one value per run, copied into each estimator's record: listed once, as "run"


def runs_of(argument: str, refiner: str) -> tuple[str, pd.DataFrame]:
    """NAME and the refiner's method records (newest per estimator and seed) of one NAME=DIR[@HASH] argument."""
    name, sep, where = argument.partition("=")
    if not sep:
        raise SystemExit(f"ablation.py: '{argument}' is not NAME=DIR or NAME=DIR@HASH")
    folder, _, settings_hash = where.partition("@")
    records = read_runs(folder)
    methods = records[(records["kind"] == "method") & (records["refiner"] == refiner)]
    if settings_hash:
        methods = methods[methods["settings_hash"] == settings_hash]
    hashes = sorted(methods["settings_hash"].unique())
    if len(hashes) != 1:
        raise SystemExit(f"ablation.py: {name} needs runs of exactly one {refiner} setting under {folder}, found "
                         f"{hashes or 'none'}; name one as {name}={folder}@HASH")
    return name, methods.sort_values("run").drop_duplicates(["estimator", "seed"], keep="last")


def ablation_frame(base: pd.DataFrame, variants: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per variant, estimator and value: the means over the seeds both have, and the paired difference."""
    rows = []
    for name, variant in variants.items():
        pairs = variant.merge(base, on=["estimator", "seed"], suffixes=("", " base"))
        per_run = pairs.drop_duplicates("seed").assign(estimator="run")
        for estimator, part in pd.concat([pairs, per_run]).groupby("estimator", sort=True):
            for label, column in COMPARED.items():
                both = column in part and f"{column} base" in part  # runs from before a measurement lack it
                if not both or part[column].isna().all() or (column in PER_RUN) != (estimator == "run"):
                    continue
                diffs = part[column].astype(float) - part[f"{column} base"].astype(float)
                mean, low, high = t_interval(diffs)
                rows.append({"variant": name, "estimator": estimator, "value": label, "seeds": int(len(diffs)),
                             "base": float(part[f"{column} base"].mean()), "variant mean": float(part[column].mean()),
                             "difference": mean, "CI low": low, "CI high": high, "resolved": resolved(low, high, len(diffs))})
    return pd.DataFrame(rows)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refiner", default="simgan_local")
    parser.add_argument("base")
    parser.add_argument("variants", nargs="+")
    args = parser.parse_args(argv)
    base_name, base = runs_of(args.base, args.refiner)
    variants = dict(runs_of(argument, args.refiner) for argument in args.variants)
    title = f"{args.refiner}: each variant against {base_name}, paired by seed (variant - base; 95% t interval over seeds)"
    print(to_markdown(Table(title, ablation_frame(base, variants), digits=1)))


if __name__ == "__main__":
    main(sys.argv[1:])
