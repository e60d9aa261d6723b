"""Peak memory and time of refining a set of images with a trained-size SimGAN refiner: the plain way beside ours.

- `gathered`: the plain way (and ours before): batches of 256, each output appended to a list, then concatenated;
- `in_place`: `SimGANRefiner.refine`: batches of 64 written into one preallocated output.

Each way runs in a fresh process (peak RSS only grows), on the same random images, and reports how far refining
raised the process's peak RSS, the seconds it took and a checksum of the output (the two must be equal).

    python results/perf/refine_memory.py [--n 10500] [--preset cpu] [--out results/perf/refine_memory.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

from gazebench.harness import records
from gazebench.refiners.registry import create_refiner

CPU = torch.device("cpu")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def gathered(refiner, images: torch.Tensor) -> torch.Tensor:
    refiner._to_device(CPU)
    refiner.refiner_net.eval()
    out = []
    with torch.no_grad(), refiner._autocast(CPU):
        for start in range(0, len(images), 256):
            batch = images[start : start + 256].contiguous(memory_format=refiner._memory_format(CPU))
            out.append(refiner.refiner_net(batch).float())
    return torch.cat(out).clamp_(-1, 1)


def measure_one(way: str, n: int, preset: str) -> dict:
    refiner = create_refiner("simgan_local", preset=preset)
    images = torch.rand(n, 1, 35, 55, generator=torch.Generator().manual_seed(0)) * 2 - 1
    before, started = peak_mb(), time.perf_counter()
    refined = gathered(refiner, images) if way == "gathered" else refiner.refine(images, device=CPU)
    return {"way": way, "seconds": round(time.perf_counter() - started, 2),
            "peak_rss_growth_mb": round(peak_mb() - before), "checksum": float(refined.double().sum())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_500, help="images to refine (the cpu preset's synthetic set)")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("results/perf/refine_memory.json"))
    parser.add_argument("--one", choices=("gathered", "in_place"), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one, args.n, args.preset)))
        return
    rows = []
    for way in ("gathered", "in_place"):
        child = subprocess.run([sys.executable, __file__, "--one", way, "--n", str(args.n), "--preset", args.preset],
                               check=True, capture_output=True, text=True)
        rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
        print(rows[-1])
    record = {"n": args.n, "preset": args.preset, "torch": torch.__version__, "threads": torch.get_num_threads(),
              "rows": rows, "git": records.git_state(args.out)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
