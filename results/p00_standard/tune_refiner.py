"""How long and how loose must a SimGAN refiner train before a held-out classifier stops telling refined from
real p00 eyes (issue 11, dev data only)? Each named setting is one `bench run` (kNN, realism on) with refiner
overrides; the realism numbers and the training time are appended to results/p00_standard/tune_refiner.jsonl.

    python results/p00_standard/tune_refiner.py --refiner simgan_local --settings '{"600 steps": {"adversarial_steps": 600}}'
    python results/p00_standard/tune_refiner.py --refiner simgan_local --grid simgan_local.self_reg_lambda=200,2000

The rows are gazebench.harness.tuning.refiner_tuning_rows; a --grid names each setting by its values.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gazebench.harness.grid import named_settings
from gazebench.harness.tuning import refiner_tuning_rows

HERE = Path(__file__).resolve().parent
REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
# --tiny: run sizes small enough for a smoke run (the rows then say nothing about the refiner).
TINY_SIZES = {"run": {"n_synthetic": 200, "n_real": 200, "n_test": 200, "n_realism": 60, "n_probe": 200,
                      "n_calibration": 30}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refiner", default="simgan_local")
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--settings", help="JSON {name: {refiner setting: value}}")
    given.add_argument("--grid", action="append", help="REFINER.KEY=V1,V2 (repeatable): every combination is a setting")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="/tmp/tune_refiner_runs", help="where the run folders go (not committed)")
    parser.add_argument("--out", default=str(HERE / "tune_refiner.jsonl"))
    parser.add_argument("--tiny", action="store_true", help="a few hundred images per run: a smoke run")
    args = parser.parse_args()
    settings = json.loads(args.settings) if args.settings else named_settings(args.grid, args.refiner)
    rows = []
    for row in refiner_tuning_rows(args.refiner, settings, real=REAL, preset=args.preset, seed=args.seed,
                                   runs=args.runs, base_settings=TINY_SIZES if args.tiny else None):
        print(json.dumps(row), flush=True)
        rows.append(row)

    # Appended only at the end: the file is tracked, and a run after an append would record a dirty tree.
    with open(args.out, "a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


if __name__ == "__main__":
    main()
