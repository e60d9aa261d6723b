"""What does the held-out real-vs-refined classifier reach when the "refined" images are real eyes too?

Issue 11 asks for refiners that bring the classifier (gazebench.metrics.realism.domain_classifier_accuracy) down to
80%. The real set of this protocol is one person, p00. This script runs the same classifier, at one size for
every pair, on p00 against real MPIIGaze eyes of other people (the 144 mixed eyes, never used for tuning),
and on both against default renders. If other people's real eyes are told from p00 about as well as renders
are, the classifier measures "is this p00" (identity and capture), and no gaze-keeping refiner of renders of
many faces can be expected to pass it.

    python results/p00_standard/realism_reference.py [--tiny --out DIR]   # writes results/p00_standard/realism_reference.json

Each image is mirrored or not by a seeded coin (gazebench.metrics.realism.randomly_mirrored), so which eye
(left or right) an image shows tells nothing.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from gazebench.core.images import to_model_tensor
from gazebench.data import open_source
from gazebench.harness.records import git_state
from gazebench.metrics.realism import domain_classifier_accuracy, randomly_mirrored

SETS = {
    "p00 (real, dev)": "npz:../shared/data/mpiigaze_p00/dev.npz",
    "other people (real, 144 mixed)": "npz:../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz",
    "default renders": "sim?n=1500&seed=5",
}
PAIRS = [("p00 (real, dev)", "other people (real, 144 mixed)"), ("p00 (real, dev)", "default renders"),
         ("other people (real, 144 mixed)", "default renders")]
PER_CLASS = 144  # the smallest set, so every pair is measured at the same size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="2 seeds, 20 steps: a smoke run")
    parser.add_argument("--out", default=str(Path(__file__).parent), help="folder that receives realism_reference.json")
    args = parser.parse_args()
    seeds, steps = (range(2), 20) if args.tiny else (range(10), 300)
    cpu = torch.device("cpu")
    images = {name: to_model_tensor(open_source(spec).load().images) for name, spec in SETS.items()}
    rows = []
    for a, b in PAIRS:
        accuracies = [domain_classifier_accuracy(randomly_mirrored(images[a], 100 + seed), randomly_mirrored(images[b], 200 + seed),
                                                 seed=seed, device=cpu, max_per_class=PER_CLASS, steps=steps)
                      for seed in seeds]
        row = {"real": a, "other": b, "per_class": PER_CLASS, "seeds": len(accuracies),
               "accuracy_pct_mean": round(float(np.mean(accuracies)), 2),
               "accuracy_pct_se": round(float(np.std(accuracies, ddof=1) / np.sqrt(len(accuracies))), 2),
               "accuracy_pct": [round(x, 2) for x in accuracies]}
        print(json.dumps(row), flush=True)
        rows.append(row)
    out = {"classifier": "gazebench.metrics.realism.domain_classifier_accuracy (defaults: 30% held out, 300 steps)",
           "rows": rows, **git_state()}
    Path(args.out, "realism_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
