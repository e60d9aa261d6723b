#!/usr/bin/env bash
# CPU throughput figures: the renderer in results/perf/cpu.jsonl, one SimGAN iteration in
# results/perf/refiner_cpu.jsonl, one gaze-CNN training step in results/perf/cnn_cpu.jsonl. Run from the
# repository root on an otherwise idle machine:
#   bash results/perf/measure_cpu.sh [simulator|refiner|cnn]   (all when no part is named)
set -euo pipefail
part=${1:-all}
# Three repeats of one command, appended to $out: single figures on this shared 2-core machine vary by +-20%.
thrice() { for repeat in 1 2 3; do "$@" >> "$out"; done; }
if [[ $part == all || $part == simulator ]]; then
out=results/perf/cpu.jsonl
: > "$out"
for batch in 512 1024 2048; do
  thrice bench perf simulator --device cpu --n 30720 --threads 2 --batch "$batch"
done
bench perf simulator --device cpu --n 30720 --threads 1 --batch 1024 >> "$out"
# torch.compile fuses the renderer's elementwise passes (the first call compiles for ~25 s, later ones hit
# inductor's on-disk cache); the warm-up batch absorbs it, the timed batches do not include it.
for batch in 512 1024; do
  thrice bench perf simulator --device cpu --n 30720 --threads 2 --batch "$batch" --compile
done
fi
if [[ $part == all || $part == refiner ]]; then
# Each line times fp32 eager, the fast path (channels_last) and the fast path under torch.compile in one
# process; the compile happens in the warm-up iterations (warmup_s). standard: fp32; cpu: the same sizes under
# bf16 autocast where the CPU computes bf16 natively (cpu_bf16).
out=results/perf/refiner_cpu.jsonl
: > "$out"
for preset in standard cpu; do
  thrice bench perf refiner --device cpu --preset "$preset" --iters 30 --threads 2
done
bench perf refiner --device cpu --preset paper --batch 32 --iters 10 --threads 2 >> "$out"
fi
if [[ $part == all || $part == cnn ]]; then
# Each line times the preset's training step (cpu: bf16 + channels_last on a bf16 CPU) and plain fp32 contiguous.
out=results/perf/cnn_cpu.jsonl
: > "$out"
for preset in cpu standard; do
  thrice bench perf cnn --device cpu --preset "$preset" --steps 100 --threads 2
done
fi
