#!/usr/bin/env bash
# Reference sweep on real MPIIGaze p00 (CPU presets). Run from the repository root:
#   bash results/p00_cpu/sweep.sh
# Real images: ../shared/data/mpiigaze_p00/dev.npz; a fixed seeded half (750) is the labelled test set,
# the other half feeds the refiners without labels. Runs land in results/p00_cpu/runs/; their config.json,
# metrics.json and error plots are committed, their predictions and sample grids (real labels and eyes) are not.
# The tables and cross-run plots made from them are committed beside this script.
set -euo pipefail
# Every run records the commit that reproduces it, so the tree must be clean, and old runs (of an older
# simulator or harness, which must not pool with these) must be removed in a commit of their own first.
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "sweep.sh: the working tree has uncommitted changes; commit them first (runs record a clean commit)." >&2
  exit 2
fi
if [ -e results/p00_cpu/runs ]; then
  echo "sweep.sh: results/p00_cpu/runs exists; remove it in a commit first: git rm -r results/p00_cpu/runs" >&2
  exit 2
fi
REAL=npz:../shared/data/mpiigaze_p00/dev.npz
OUT=results/p00_cpu/runs
for seed in 0 1; do
  for refiner in identity gaussian fda histogram simgan_global simgan_local; do
    bench run --refiner "$refiner" --estimator cnn --estimator rf --estimator knn \
      --real "$REAL" --seed "$seed" --out "$OUT"
  done
done
# The simulator's old flat gaze prior (uniform over the pitch/yaw box) against the default MPIIGaze-like one.
for seed in 0 1; do
  bench run --refiner identity --estimator cnn --estimator rf --estimator knn \
    --synthetic "sim?n={n}&seed={seed}&prior=uniform" --real "$REAL" --seed "$seed" --out "$OUT"
done
# "4x" synthetic data (40k vs the preset's 10k) for the synthetic and the full-method rows.
for refiner in identity simgan_local; do
  bench run --refiner "$refiner" --estimator cnn --real "$REAL" --n-synthetic 40000 --seed 0 --out "$OUT"
done
bench table "$OUT" --table all > results/p00_cpu/tables.md
bench table "$OUT" --table all --format csv > results/p00_cpu/tables.csv
bench table "$OUT" --table methods --plots results/p00_cpu > /dev/null
