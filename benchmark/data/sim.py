"""`sim`: the built-in eye simulator as a lazy, reproducible data source.

Spec options (all optional), e.g. `sim?n=20000&seed=0&style=target&equalize=1`:
  n         number of images (default 20000)
  seed      integer >= 0 (default 0); image i is a pure function of (seed, i, style, labels)
  style     default | appearance | shape | combined | target: every style but default STANDS IN for real eyes
            (not real data); appearance, shape and combined are known-truth gaps (simulator/params.py)
  equalize  1 | 0: histogram-equalise each image like real MPIIGaze (default 1)
  pitch     LOW,HIGH gaze pitch range in degrees (default -40,20)
  yaw       LOW,HIGH gaze yaw range in degrees (default -45,45)
  head      largest head turn from the screen direction (pitch -8.8, yaw 0.1), in degrees (default 20)
  prior     mpiigaze | uniform: gaze density inside the pitch/yaw box (default mpiigaze: real MPIIGaze's
            label moments with a 20% uniform share over the box; uniform: flat over the box)
  people    0: every image a new random face, eye, light and camera (default); K > 0: image i shows
            person i % K (appearance fixed per person; gaze, head pose and noise vary per image)
  label_offset  DEG (needs people=K): person p's labels are turned by DEG degrees in the direction 360*p/K in
            the (pitch, yaw) plane, an offset their images do not show: a known per-person kappa, for
            calibration tests (default 0)
  fit       FIT.json from `bench sim fit`: the free geometry's ranges fitted to unlabelled real eyes replace the
            style's (the file records which real images it saw; `bench run` refuses a test set among them); the
            style, eyeball and appearance the fit rendered with are the defaults of those options
  randomise F >= 1: domain randomisation, every free-geometry range widened F times about its centre, within its
            bounds (after any fit; default 1, none). simulator/params.py lists what is free.
  randomise_only  GROUP[,GROUP]: widen only these groups of the free geometry: placement (scale, crop offset,
            eyeball position), lids (openings, how far they follow the eye, tilt), head (how far heads follow
            the gaze) (default: all)
  eyeball   range | point: `point` draws the eyeball's position behind the corners (simulator/params.py
            EYEBALL_POSITION) as one point, the centre of its range after any fit and randomisation, as for a real
            set of one person (default range: per image, or the fit's)
  appearance  style | wide: `wide` draws every appearance parameter (skin, lashes, lid folds, iris and sclera tones,
            blur, noise, exposure) over the union of the default and `target` looks' ranges (simulator/params.py
            FREE_APPEARANCE), in place of the style's (default style, or the fit's)
  device    auto | cpu | cuda: where to render (default cpu)
"""

from __future__ import annotations

import numpy as np
import torch

from gazebench.core.device import resolve_device
from gazebench.core.errors import UserInputError
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec
from gazebench.data.options import check_options
from gazebench.data.simulator.fitfile import SimulatorFit
from gazebench.data.simulator.params import (
    APPEARANCE_CHOICES,
    EYEBALL_CHOICES,
    FREE_GROUPS,
    GAZE_PRIORS,
    STAND_IN_STYLES,
    STYLES,
    LabelRange,
    draw_params,
    parse_free_groups,
    scene_ranges,
)
from gazebench.data.simulator.render import HEIGHT, WIDTH, render

DEFAULT_COUNT = 20000
OPTIONS = ("n", "seed", "style", "equalize", "pitch", "yaw", "head", "prior", "people", "label_offset", "fit", "randomise",
           "randomise_only", "eyeball", "appearance", "device")
# Images rendered per batch: large enough to amortise per-op overhead, small enough to stay in cache.
RENDER_BATCH = 512


def render_images(
    indices: np.ndarray | torch.Tensor,
    seed: int = 0,
    style: str = "default",
    labels: LabelRange = LabelRange(),  # noqa: B008  (frozen, so one shared default is safe)
    equalize: bool = True,
    device: torch.device | str = "cpu",
    people: int = 0,
    ranges: dict[str, tuple[float, float]] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Render the images at `indices`: uint8 (N, 36, 60) and float32 (N, 2) gaze, both on `device`; `ranges`
    replace some of the style's (draw_params)."""
    idx = torch.as_tensor(np.asarray(indices), dtype=torch.int64, device=device)
    params = draw_params(seed, idx, style, labels, people, ranges)
    return render(params, equalize=equalize), params["gaze"].to(torch.float32)


def render_batched(indices: np.ndarray, *args, **kwargs) -> EyeData:
    """render_images over `indices` in batches of RENDER_BATCH (images do not depend on the batch), as numpy."""
    images, gaze = [np.zeros((0, HEIGHT, WIDTH), np.uint8)], [np.zeros((0, 2), np.float32)]
    for start in range(0, len(indices), RENDER_BATCH):
        batch_images, batch_gaze = render_images(indices[start : start + RENDER_BATCH], *args, **kwargs)
        images.append(batch_images.cpu().numpy())
        gaze.append(batch_gaze.cpu().numpy())
    return EyeData(np.concatenate(images), np.concatenate(gaze))


def _number(spec: SourceSpec, key: str, default, kind=float):
    text = spec.options.get(key)
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError:
        raise UserInputError(f"{spec.text}: option {key}={text!r} is not a {kind.__name__}.") from None


def _choice(spec: SourceSpec, key: str, choices: tuple[str, ...], default: str) -> str:
    text = spec.options.get(key, default)
    if text not in choices:
        raise UserInputError(f"{spec.text}: option {key}={text!r} should be {' or '.join(choices)}.")
    return text


def _range(spec: SourceSpec, key: str, default: tuple[float, float], limit: float) -> tuple[float, float]:
    text = spec.options.get(key)
    if text is None:
        return default
    parts = text.split(",")
    try:
        low, high = (float(part) for part in parts)
    except ValueError:
        raise UserInputError(f"{spec.text}: option {key}={text!r} should be LOW,HIGH in degrees, e.g. {key}=-30,30.") from None
    if not -limit <= low < high <= limit:
        raise UserInputError(f"{spec.text}: option {key}={text!r} should satisfy -{limit:g} <= LOW < HIGH <= {limit:g} degrees.")
    return low, high


@SOURCES.register("sim")
class SimSource(EyeSource):
    """Procedurally rendered left eyes with exact gaze labels, rendered on demand from (seed, index)."""

    TINY_SPEC = "sim?n=6&seed=1&people=2"

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        check_options(spec, OPTIONS)
        if spec.path:
            raise UserInputError(f"{spec.text}: 'sim' takes no path; write options as sim?n=20000&style=target.")
        self.count = _number(spec, "n", DEFAULT_COUNT, int)
        self.seed = _number(spec, "seed", 0, int)
        self.n_people = _number(spec, "people", 0, int)
        if self.count < 1 or self.seed < 0 or self.n_people < 0:
            raise UserInputError(f"{spec.text}: expected n >= 1, seed >= 0 and people >= 0.")
        self.fit = SimulatorFit.load(spec.options["fit"]) if "fit" in spec.options else None
        self.style = spec.options.get("style", self.fit.style if self.fit else "default")
        if self.style not in STYLES:
            raise UserInputError(f"{spec.text}: unknown style {self.style!r}; expected one of {', '.join(STYLES)}.")
        if self.fit and self.style != self.fit.style:
            raise UserInputError(f"{spec.text}: the fit was made on style {self.fit.style!r}; leave style out (or write "
                                 f"style={self.fit.style}) to render what it fitted.")
        self.equalize = _choice(spec, "equalize", ("0", "1"), "1") == "1"
        head = _number(spec, "head", LabelRange.head)
        if not 0 <= head <= 60:
            raise UserInputError(f"{spec.text}: option head={head:g} should be between 0 and 60 degrees.")
        prior = spec.options.get("prior", LabelRange.prior)
        if prior not in GAZE_PRIORS:
            raise UserInputError(f"{spec.text}: unknown prior {prior!r}; expected one of {', '.join(GAZE_PRIORS)}.")
        self.labels = LabelRange(
            pitch=_range(spec, "pitch", LabelRange.pitch, 80.0), yaw=_range(spec, "yaw", LabelRange.yaw, 80.0), head=head, prior=prior
        )
        self.label_offset = _number(spec, "label_offset", 0.0)
        if self.label_offset and not self.n_people:
            raise UserInputError(f"{spec.text}: label_offset needs people=K (the offset is per simulated person).")
        if not 0 <= self.label_offset <= 30:
            raise UserInputError(f"{spec.text}: option label_offset={self.label_offset:g} should be between 0 and 30 degrees.")
        self.device = resolve_device(spec.options.get("device", "cpu"))
        self.is_stand_in = self.style in STAND_IN_STYLES
        self.randomise = _number(spec, "randomise", 1.0)
        if not 1 <= self.randomise <= 10:
            raise UserInputError(f"{spec.text}: option randomise={self.randomise:g} should be between 1 and 10.")
        groups = parse_free_groups(spec.options.get("randomise_only", ",".join(FREE_GROUPS)), f"{spec.text}: option randomise_only")
        # Without the option, a fit's own choice (an eyeball-point fit stays one point under randomise=).
        eyeball = _choice(spec, "eyeball", EYEBALL_CHOICES, self.fit.eyeball if self.fit else EYEBALL_CHOICES[0])
        appearance = _choice(spec, "appearance", APPEARANCE_CHOICES, self.fit.appearance if self.fit else APPEARANCE_CHOICES[0])
        if self.fit and self.fit.appearance == "wide" and appearance != "wide":
            raise UserInputError(f"{spec.text}: the fit drew every look (appearance=wide) and its ranges keep it; leave "
                                 "appearance out to render what it fitted.")
        ranges = {**STYLES[self.style], **(self.fit.ranges if self.fit else {})}
        self.ranges = scene_ranges(ranges, randomise=self.randomise, groups=groups, eyeball=eyeball, appearance=appearance)

    @property
    def name(self) -> str:
        text = f"{self.spec.text} (fit {self.fit.digest})" if self.fit else self.spec.text
        return f"{text} (stand-in, not real data)" if self.is_stand_in else text

    def real_fingerprints_seen(self) -> np.ndarray | None:
        """The fingerprints of the real images a fit saw (None without a fit): no test image may be among them."""
        return self.fit.real_fingerprints if self.fit else None

    def __len__(self) -> int:
        return self.count

    @property
    def image_shape(self) -> tuple[int, int]:
        return HEIGHT, WIDTH

    @property
    def has_labels(self) -> bool:
        return True

    def people(self, indices) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if not self.n_people:
            return super().people(idx)
        return np.array([f"sim person {p}" for p in idx % self.n_people], dtype=object)

    def person_label_offsets(self, indices) -> np.ndarray:
        """(N, 2) pitch/yaw radians added to each image's label (the `label_offset` option); zeros without it."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if not self.label_offset:
            return np.zeros((len(idx), 2))
        angle = 2 * np.pi * (idx % self.n_people) / self.n_people
        return np.radians(self.label_offset) * np.c_[np.sin(angle), np.cos(angle)]

    def _read(self, indices: np.ndarray) -> EyeData:
        data = render_batched(indices, self.seed, self.style, self.labels, self.equalize, self.device, self.n_people, self.ranges)
        return EyeData(data.images, data.gaze + self.person_label_offsets(indices).astype(np.float32))
