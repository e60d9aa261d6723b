"""The realism classifier's ruler: how far small, known changes of the target's own images move it.

Issue 20 reads the held-out real-vs-refined classifier (metrics/realism.domain_classifier_accuracy) against its floor:
the oracle's images, the test domain itself (other eyes), about 50%. This applies one known change at a time to those
oracle images (a brightness shift, a contrast change, a fraction of a 3 x 3 blur, noise, a 1-px shift) and reads the
same classifier, with the run's settings, on each against the target. It says what a reading of 94% can and cannot
mean: which changes a gaze estimator would barely notice the classifier tells apart every time. Pixels are on the
-1..1 scale; 0.01 is 1.3 grey levels of 255.

    python results/controlled/realism_ruler.py [N] [STYLE] [STEPS]

N target and N oracle images (default 1000; the realism stage's classes hold 500-2000); STYLE a stand-in style
(default appearance); STEPS the classifier's training steps (default 300, the realism stage's). Prints a Markdown
table.
"""

from __future__ import annotations

import sys

import torch
import torch.nn.functional as F

from gazebench.core.images import to_model_tensor
from gazebench.data import open_source
from gazebench.metrics.realism import domain_classifier_accuracy

TARGET_SEED, ORACLE_SEED = 100_000, 200_000  # the stand-in test set's seed, and the oracle's (harness/config.py)


def blurred(x: torch.Tensor, strength: float) -> torch.Tensor:
    """A `strength` mix of the image and its 3 x 3 mean (edges replicated)."""
    return (1 - strength) * x + strength * F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def shifted_right(x: torch.Tensor) -> torch.Tensor:
    """Moved 1 px to the right, the left column repeated (no wrap-around seam)."""
    return F.pad(x, (1, 0, 0, 0), mode="replicate")[..., :-1]


def changes(oracle: torch.Tensor) -> dict[str, torch.Tensor]:
    noise = torch.randn(oracle.shape, generator=torch.Generator().manual_seed(0))
    return {
        "none (the floor)": oracle,
        "brightness +0.02": oracle + 0.02,
        "brightness +0.05": oracle + 0.05,
        "contrast x 0.95": oracle * 0.95,
        "contrast x 0.9": oracle * 0.9,
        "a quarter of a 3 x 3 blur": blurred(oracle, 0.25),
        "half a 3 x 3 blur": blurred(oracle, 0.5),
        "a 3 x 3 blur": blurred(oracle, 1.0),
        "noise, sd 0.03": oracle + 0.03 * noise,
        "noise, sd 0.1": oracle + 0.1 * noise,
        "1 px to the right": shifted_right(oracle),
    }


def main(n: int = 1000, style: str = "appearance", steps: int = 300) -> None:
    target, oracle = (to_model_tensor(open_source(f"sim?style={style}&n={n}&seed={seed}").load().images)
                      for seed in (TARGET_SEED, ORACLE_SEED))
    print(f"{n} target and {n} oracle images of style {style}: the held-out classifier (seed 0, 30% held out), "
          "target against the oracle's images after one change")
    print("| change of the oracle's images | classifier vs target (%) |")
    print("|---|---|")
    for name, changed in changes(oracle).items():
        accuracy = domain_classifier_accuracy(target, changed.clamp(-1, 1), seed=0, device=torch.device("cpu"),
                                              max_per_class=n, steps=steps)
        print(f"| {name} | {accuracy:.1f} |")


if __name__ == "__main__":
    main(*(a if i == 1 else int(a) for i, a in enumerate(sys.argv[1:4])))
