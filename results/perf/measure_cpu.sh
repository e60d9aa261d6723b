#!/usr/bin/env bash
# CPU throughput figures in results/perf/cpu.jsonl. Run from the repository root on an otherwise idle machine:
#   bash results/perf/measure_cpu.sh
set -euo pipefail
out=results/perf/cpu.jsonl
: > "$out"
for threads in 1 2; do
  bench perf simulator --device cpu --n 20480 --threads "$threads" >> "$out"
done
bench perf refiner --device cpu --preset cpu --iters 10 --threads 2 >> "$out"
bench perf refiner --device cpu --preset paper --batch 32 --iters 5 --threads 2 >> "$out"
