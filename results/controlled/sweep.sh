#!/usr/bin/env bash
# The known-truth gap protocol (issue 20), as `bench sweep` commands. From the repository root:
#   bash results/controlled/sweep.sh [SEEDS]        # SEEDS default 0-4
# Environment, each optional: PRESET (standard), GAPS ("appearance shape combined"), REFINERS (all six),
# ESTIMATORS (cnn,rf,knn). Runs go to results/controlled/runs_$PRESET/$GAP, tables to tables_${PRESET}_$GAP.md.
# Each gap is a simulator stand-in (benchmark/data/simulator/params.py): `appearance` (the look changes, the
# geometry does not), `shape` (the geometry changes, the look does not) and `combined`. Every run also trains
# each estimator on the unrefined renders and on labelled renders of the gap's own style (the oracle, other
# seeds than the test set's), so each cell reports the gap it closed (harness/gap.py).
# Cost on 2 idle cores, cpu preset (bf16): a simgan_local cell with cnn,knn about 3 minutes (157-168 s), a
# training-free one about 1.5; one standard cell with the CNN 10-20 minutes; the whole standard protocol is a cluster
# job (`--launcher slurm`).
set -euo pipefail
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "sweep.sh: the working tree has uncommitted changes; commit them first (runs record a clean commit)." >&2
  exit 2
fi
SEEDS="${1:-0-4}"
PRESET="${PRESET:-standard}"
GAPS="${GAPS:-appearance shape combined}"
REFINERS="${REFINERS:-identity,gaussian,fda,histogram,simgan_global,simgan_local}"
ESTIMATORS="${ESTIMATORS:-cnn,rf,knn}"
BENCH="python -m gazebench.cli.main"  # this checkout's code, even where another checkout is pip-installed
# Tables are written after every sweep has run: a run's record counts a tracked change outside its own folder
# (other than a sweep manifest) as dirty, and a table written between two gaps would be one.
for GAP in $GAPS; do
  $BENCH sweep --preset "$PRESET" --refiner "$REFINERS" --estimator "$ESTIMATORS" --seeds "$SEEDS" --workers 1 \
    --real "sim?style=$GAP&seed=100000" --out "results/controlled/runs_$PRESET/$GAP"
done
for GAP in $GAPS; do
  $BENCH table "results/controlled/runs_$PRESET/$GAP" --table all > "results/controlled/tables_${PRESET}_$GAP.md"
done
