#!/usr/bin/env bash
# Reference sweep on real MPIIGaze p00 (quick CPU presets), as `bench sweep` commands. From the repository root:
#   bash results/p00_cpu/sweep.sh
# Real images: ../shared/data/mpiigaze_p00/dev.npz; a fixed seeded half (750) is held out (60 of them the
# calibration pool, 690 evaluated), the other half feeds the refiners without labels. Runs land in
# results/p00_cpu/runs/; their config.json, metrics.json and error plots are committed, their predictions and
# sample grids (real labels and eyes) are not. A stopped sweep is finished by running this again.
set -euo pipefail
# Every run records the commit that reproduces it, so the tree must be clean.
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "sweep.sh: the working tree has uncommitted changes; commit them first (runs record a clean commit)." >&2
  exit 2
fi
BENCH="python -m gazebench.cli.main"  # this checkout's code, even where another checkout is pip-installed
COMMON=(--preset cpu --real npz:../shared/data/mpiigaze_p00/dev.npz --out results/p00_cpu/runs)
$BENCH sweep --refiner identity,gaussian,fda,histogram,simgan_global,simgan_local --estimator cnn,rf,knn \
  --seeds 0-1 "${COMMON[@]}"
# The simulator's old flat gaze prior (uniform over the pitch/yaw box) against the default MPIIGaze-like one.
$BENCH sweep --refiner identity --estimator cnn,rf,knn --seeds 0-1 \
  --synthetic "sim?n={n}&seed={seed}&prior=uniform" "${COMMON[@]}"
# "4x" synthetic data (40k vs the preset's 10k) for the synthetic and the full-method rows.
$BENCH sweep --refiner identity,simgan_local --estimator cnn --seeds 0 --n-synthetic 40000 "${COMMON[@]}"
$BENCH table results/p00_cpu/runs --table all > results/p00_cpu/tables.md
$BENCH table results/p00_cpu/runs --table all --format csv > results/p00_cpu/tables.csv
$BENCH table results/p00_cpu/runs --table methods --plots results/p00_cpu > /dev/null
