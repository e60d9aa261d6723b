#!/usr/bin/env bash
# GPU throughput figures (results/perf/gpu.jsonl) and the paper-preset run, for a machine with one CUDA GPU.
# Not yet run: no session so far had a GPU. Run from the repository root:
#   bash results/perf/measure_gpu.sh
set -euo pipefail
out=results/perf/gpu.jsonl
: > "$out"
bench perf simulator --device cuda --n 2000000 >> "$out"
bench perf simulator --device cuda --n 2000000 --compile >> "$out"
bench perf refiner --device cuda --preset paper --iters 20 >> "$out"
bench perf refiner --device cuda --preset paper --batch 4096 --iters 20 --no-compare >> "$out"
bench perf cnn --device cuda --preset paper --steps 200 >> "$out"  # the gaze CNN's bf16 step on CUDA
time bench run --device cuda --refiner simgan_local   # the default demo; issue 5 asks for <= 1 minute on a GPU
