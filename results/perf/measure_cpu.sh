#!/usr/bin/env bash
# CPU throughput figures in results/perf/cpu.jsonl. Run from the repository root on an otherwise idle machine:
#   bash results/perf/measure_cpu.sh
set -euo pipefail
out=results/perf/cpu.jsonl
: > "$out"
for batch in 512 1024 2048; do
  for repeat in 1 2 3; do  # three repeats: single figures on this shared 2-core machine vary by +-20%
    bench perf simulator --device cpu --n 30720 --threads 2 --batch "$batch" >> "$out"
  done
done
bench perf simulator --device cpu --n 30720 --threads 1 --batch 1024 >> "$out"
# torch.compile fuses the renderer's elementwise passes (the first call compiles for ~25 s, later ones hit
# inductor's on-disk cache); the warm-up batch absorbs it, the timed batches do not include it.
for batch in 512 1024; do
  for repeat in 1 2 3; do
    bench perf simulator --device cpu --n 30720 --threads 2 --batch "$batch" --compile >> "$out"
  done
done
bench perf refiner --device cpu --preset cpu --iters 10 --threads 2 >> "$out"
bench perf refiner --device cpu --preset paper --batch 32 --iters 5 --threads 2 >> "$out"
