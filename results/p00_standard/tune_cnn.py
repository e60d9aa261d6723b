"""Levers for a CNN that learns the simulator, measured on dev data only (issue 11): each named setting trains
the gaze CNN on default renders and is read on held-out renders and on the 1500 real p00 dev eyes.

    python results/p00_standard/tune_cnn.py --settings '{"bn": {"batch_norm": true}}' --n 30000

One JSON line per setting and seed is appended to results/p00_standard/tune_cnn.jsonl, with the commit.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from gazebench.data import open_source
from gazebench.estimators.cnn import GazeCNN
from gazebench.core.images import to_model_tensor
from gazebench.metrics.accuracy import angular_errors, bias_gain_corr
from gazebench.harness.records import git_state

HERE = Path(__file__).resolve().parent
REAL = "npz:../shared/data/mpiigaze_p00/dev.npz"
HELD_OUT = "sim?n=3000&seed=4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", required=True, help='JSON {name: {cnn setting: value}}; settings on the cpu preset')
    parser.add_argument("--n", type=int, default=30_000, help="training renders (sim?n=N&seed=3)")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--out", default=str(HERE / "tune_cnn.jsonl"))
    args = parser.parse_args()
    cpu = torch.device("cpu")
    train = open_source(f"sim?n={args.n}&seed=3").load()
    images = to_model_tensor(train.images)
    tests = {"held_out_renders": open_source(HELD_OUT).load(), "real_p00_dev": open_source(REAL).load()}
    rows = []
    for name, settings in json.loads(args.settings).items():
        for seed in (int(s) for s in args.seeds.split(",")):
            cnn = GazeCNN(preset="cpu", seed=seed, **settings)
            start = time.perf_counter()
            cnn.fit(images, train.gaze, device=cpu, progress=False)
            row = {"setting": name, "overrides": settings, "n_train": args.n, "seed": seed,
                   "train_seconds": round(time.perf_counter() - start, 1), "torch_threads": torch.get_num_threads()}
            for test_name, data in tests.items():
                predicted = cnn.predict(to_model_tensor(data.images), device=cpu)
                row[test_name] = {"error_deg": round(float(angular_errors(predicted, data.gaze).mean()), 2),
                                  **{k: round(v, 3) for k, v in bias_gain_corr(predicted, data.gaze).items()}}
            row.update(git_state())
            print(json.dumps(row), flush=True)
            rows.append(row)

    # Appended only at the end: the file is tracked, and a run after an append would record a dirty tree.
    with open(args.out, "a") as f:
        f.writelines(json.dumps(row) + "\n" for row in rows)


if __name__ == "__main__":
    main()
