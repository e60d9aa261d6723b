"""Levers for a CNN that learns the simulator, measured on dev data only (issue 11): each named setting trains
the gaze CNN on default renders and is read on held-out renders and on the 1500 real p00 dev eyes.

    python results/p00_standard/tune_cnn.py --settings '{"bn": {"batch_norm": true}}' --n 30000
    python results/p00_standard/tune_cnn.py --grid cnn.epochs=6,12 --grid cnn.lr=0.001,0.003

One JSON line per setting and seed is appended to results/p00_standard/tune_cnn.jsonl, with the commit
(gazebench.metrics.diagnostics.cnn_tuning_rows; a --grid names each setting by its values).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gazebench.data import open_source
from gazebench.harness.grid import named_settings
from gazebench.harness.records import git_state
from gazebench.metrics.diagnostics import cnn_tuning_rows

HERE = Path(__file__).resolve().parent
REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
HELD_OUT = "sim?n=3000&seed=4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    given = parser.add_mutually_exclusive_group(required=True)
    given.add_argument("--settings", help='JSON {name: {cnn setting: value}}; settings on the cpu preset')
    given.add_argument("--grid", action="append", help="cnn.KEY=V1,V2 (repeatable): every combination is a setting")
    parser.add_argument("--n", type=int, default=30_000, help="training renders (sim?n=N&seed=3)")
    parser.add_argument("--tiny", action="store_true", help="200 renders, 100 held out, 200 real eyes: a smoke run")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", default=str(HERE / "tune_cnn.jsonl"))
    args = parser.parse_args()
    settings = json.loads(args.settings) if args.settings else named_settings(args.grid, "cnn")
    n_train, held_out, n_real = (200, "sim?n=100&seed=4", 200) if args.tiny else (args.n, HELD_OUT, None)
    train = open_source(f"sim?n={n_train}&seed=3").load()
    tests = {"held_out_renders": open_source(held_out).load(), "real_p00_dev": open_source(REAL).load(n_real)}
    rows = []
    for row in cnn_tuning_rows(train, tests, settings, seeds=[int(s) for s in args.seeds.split(",")]):
        row.update(git_state())
        print(json.dumps(row), flush=True)
        rows.append(row)

    # Appended only at the end: the file is tracked, and a run after an append would record a dirty tree.
    with open(args.out, "a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


if __name__ == "__main__":
    main()
