"""What does the held-out real-vs-refined classifier reach when the "refined" images are real eyes too?

Issue 11 asks for refiners that bring the classifier (gazebench.metrics.realism.domain_classifier_accuracy) down to
80%. The real set of this protocol is one person, p00. This script runs the same classifier, at one size for
every pair, on p00 against real MPIIGaze eyes of other people (the 144 mixed eyes, never used for tuning),
and on both against default renders. If other people's real eyes are told from p00 about as well as renders
are, the classifier measures "is this p00" (identity and capture), and no gaze-keeping refiner of renders of
many faces can be expected to pass it.

    python results/p00_standard/realism_reference.py   # writes results/p00_standard/realism_reference.json

Each image is mirrored or not by a seeded coin, so which eye (left or right) an image shows tells nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from gazebench.data import open_source
from gazebench.core.geometry import mirror_images
from gazebench.core.images import to_model_tensor
from gazebench.metrics.realism import domain_classifier_accuracy
from gazebench.harness.records import git_state

HERE = Path(__file__).resolve().parent
SETS = {
    "p00 (real, dev)": "npz:../shared/data/mpiigaze_p00/dev.npz",
    "other people (real, 144 mixed)": "npz:../shared/data/mpiigaze_simgan_png144/images_35x55_uint8.npz",
    "default renders": "sim?n=1500&seed=5",
}
PAIRS = [("p00 (real, dev)", "other people (real, 144 mixed)"), ("p00 (real, dev)", "default renders"),
         ("other people (real, 144 mixed)", "default renders")]
PER_CLASS = 144  # the smallest set, so every pair is measured at the same size
SEEDS = range(10)


def randomly_mirrored(images: torch.Tensor, seed: int) -> torch.Tensor:
    flip = torch.rand(len(images), generator=torch.Generator().manual_seed(seed)) < 0.5
    return torch.where(flip.view(-1, 1, 1, 1), mirror_images(images), images)


def main() -> None:
    cpu = torch.device("cpu")
    images = {name: to_model_tensor(open_source(spec).load().images) for name, spec in SETS.items()}
    rows = []
    for a, b in PAIRS:
        accuracies = [domain_classifier_accuracy(randomly_mirrored(images[a], 100 + seed), randomly_mirrored(images[b], 200 + seed),
                                                 seed=seed, device=cpu, max_per_class=PER_CLASS) for seed in SEEDS]
        row = {"real": a, "other": b, "per_class": PER_CLASS, "seeds": len(accuracies),
               "accuracy_pct_mean": round(float(np.mean(accuracies)), 2),
               "accuracy_pct_se": round(float(np.std(accuracies, ddof=1) / np.sqrt(len(accuracies))), 2),
               "accuracy_pct": [round(x, 2) for x in accuracies]}
        print(json.dumps(row), flush=True)
        rows.append(row)
    out = {"classifier": "gazebench.metrics.realism.domain_classifier_accuracy (defaults: 30% held out, 300 steps)",
           "rows": rows, **git_state()}
    (HERE / "realism_reference.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
