"""How long and how loose must a SimGAN refiner train before a held-out classifier stops telling refined from
real p00 eyes (issue 11, dev data only)? Each named setting is one `bench run` (kNN, realism on) with refiner
overrides; the realism numbers and the training time are appended to results/p00_standard/tune_refiner.jsonl.

    python results/p00_standard/tune_refiner.py --refiner simgan_local --settings '{"600 steps": {"adversarial_steps": 600}}'
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gazebench.harness import records
from gazebench.harness.run import RunConfig, run_benchmark

HERE = Path(__file__).resolve().parent
REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
KEPT = ("mean_angular_error_deg", "domain_accuracy_pct", "frechet_real_refined", "frechet_real_synthetic",
        "gaze_drift_mean_deg", "refiner_seconds", "commit", "dirty")  # the run's own commit, not this script's at the end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refiner", default="simgan_local")
    parser.add_argument("--settings", required=True, help="JSON {name: {refiner setting: value}}")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="/tmp/tune_refiner_runs", help="where the run folders go (not committed)")
    parser.add_argument("--out", default=str(HERE / "tune_refiner.jsonl"))
    args = parser.parse_args()
    rows = []
    for name, overrides in json.loads(args.settings).items():
        run_dir = run_benchmark(RunConfig(refiner=args.refiner, estimators=("knn",), real=REAL, preset=args.preset,
                                          seed=args.seed, out=args.runs, references=False,
                                          settings={args.refiner: overrides}, progress=False))
        method = records.read_run(run_dir)[1][0]
        row = {"setting": name, "refiner": args.refiner, "overrides": overrides, "preset": args.preset,
               "seed": args.seed, "run_dir": str(run_dir), **{k: method[k] for k in KEPT}}
        print(json.dumps(row), flush=True)
        rows.append(row)

    # Appended only at the end: the file is tracked, and a run after an append would record a dirty tree.
    with open(args.out, "a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


if __name__ == "__main__":
    main()
