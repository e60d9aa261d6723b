#!/usr/bin/env bash
# The known-truth gap protocol (issue 20), as `bench sweep` commands. From the repository root:
#   bash results/controlled/sweep.sh [SEEDS]        # SEEDS default 0-4
# Each gap is a simulator stand-in (benchmark/data/simulator/params.py): `appearance` (the look changes, the
# geometry does not), `shape` (the geometry changes, the look does not) and `combined`. Every run also trains
# each estimator on the unrefined renders and on 30k labelled renders of the gap's own style (the oracle,
# other seeds than the test set's), so each cell reports the gap it closed (harness/gap.py).
# Cost on 2 idle cores: one standard cell with the CNN is about 10-20 minutes (three CNN fits, the refiner);
# the whole protocol (6 refiners x 3 gaps x 5 seeds) is a cluster job (`bench sweep --launcher slurm`).
set -euo pipefail
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "sweep.sh: the working tree has uncommitted changes; commit them first (runs record a clean commit)." >&2
  exit 2
fi
SEEDS="${1:-0-4}"
BENCH="python -m gazebench.cli.main"  # this checkout's code, even where another checkout is pip-installed
for GAP in appearance shape combined; do
  $BENCH sweep --preset standard --refiner identity,gaussian,fda,histogram,simgan_global,simgan_local \
    --estimator cnn,rf,knn --seeds "$SEEDS" --real "sim?style=$GAP&seed=100000" --out "results/controlled/runs/$GAP"
  $BENCH table "results/controlled/runs/$GAP" --table all > "results/controlled/tables_$GAP.md"
done
