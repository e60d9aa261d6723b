"""UnityEyes renders (`unityeyes:DIR` of `N.jpg` + `N.json`), cropped to an eye image as GazeML does.

Each render is a full RGB eye region; the crop is centred on the eyelid margin, 1.5 eye widths wide,
warped to 36x60 (option `size=35x55` for the paper's size), made grey and histogram-equalised so it
looks like MPIIGaze's normalized eyes. The gaze label is `eye_details.look_vec` turned into the
MPIIGaze convention (UnityEyes' y axis points up, MPIIGaze's down). Renders are read on demand.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from gazebench.core.errors import UserInputError
from gazebench.core.geometry import vector_to_pitchyaw
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec
from gazebench.data.options import check_options, parse_size_option, require_path

DEFAULT_SIZE = (36, 60)  # (H, W), MPIIGaze's eye size
EYE_WIDTH_MARGIN = 1.5  # crop width in eye widths (GazeML)
RIGHT_CORNER_LANDMARK = 8  # index in interior_margin_2d of the outer eye corner


def parse_vector(text: str, where: str) -> np.ndarray:
    """'(x, y, z)' or '(x, y, z, w)' as UnityEyes stores numbers (strings) -> float array."""
    try:
        return np.array([float(part) for part in str(text).strip().strip("()").split(",")])
    except ValueError:
        raise UserInputError(f"{where}: cannot read '{text}' as a '(x, y, z)' vector of numbers.") from None


def look_vec_to_pitchyaw(look_vec: np.ndarray) -> np.ndarray:
    """(..., >=3) UnityEyes look vectors (y up) -> (..., 2) MPIIGaze pitch/yaw radians (y down)."""
    look_vec = np.asarray(look_vec, dtype=np.float64)[..., :3]
    return vector_to_pitchyaw(look_vec * np.array([1.0, -1.0, 1.0]))


def equalize_histogram(image: np.ndarray) -> np.ndarray:
    """Spread a uint8 image's grey levels over 0..255 (the same mapping as OpenCV's equalizeHist)."""
    counts = np.bincount(image.ravel(), minlength=256)
    cumulative = np.cumsum(counts)
    darkest = cumulative[np.flatnonzero(counts)[0]]
    if cumulative[-1] == darkest:  # a single grey level: nothing to spread
        return image.copy()
    lut = np.clip(np.round((cumulative - darkest) * (255.0 / (cumulative[-1] - darkest))), 0, 255).astype(np.uint8)
    return lut[image]


def warp_affine(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear warp of a grey float image: output pixel (x, y) shows input `matrix @ (x, y, 1)`; outside is 0."""
    height, width = size
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    src_x = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]
    src_y = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]
    x0, y0 = np.floor(src_x).astype(np.int64), np.floor(src_y).astype(np.int64)
    fx, fy = src_x - x0, src_y - y0
    padded = np.pad(image, 1)  # a zero border, so samples just outside fade to black as in OpenCV
    out = np.zeros(size)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            rows = np.clip(y0 + dy + 1, 0, padded.shape[0] - 1)
            cols = np.clip(x0 + dx + 1, 0, padded.shape[1] - 1)
            out += wy * wx * padded[rows, cols]
    return out


def crop_eye(grey: np.ndarray, annotation: dict, size: tuple[int, int], where: str) -> np.ndarray:
    """GazeML's crop: centre on the eyelid margin's box, 1.5 eye widths wide, as uint8 (H, W)."""
    height = grey.shape[0]

    def landmarks(key):
        points = annotation.get(key)
        if not isinstance(points, list) or not points:
            raise UserInputError(f"{where}: no '{key}' landmark list; expected UnityEyes' json fields.")
        xy = np.array([parse_vector(p, where)[:2] for p in points])
        return np.stack([xy[:, 0], height - xy[:, 1]], 1)  # UnityEyes' origin is the bottom-left corner

    margin, caruncle = landmarks("interior_margin_2d"), landmarks("caruncle_2d")
    if len(margin) <= RIGHT_CORNER_LANDMARK:
        raise UserInputError(f"{where}: interior_margin_2d has {len(margin)} points; expected 16.")
    inner_corner, outer_corner = caruncle.mean(0), margin[RIGHT_CORNER_LANDMARK]
    eye_width = EYE_WIDTH_MARGIN * abs(inner_corner[0] - outer_corner[0])
    if eye_width <= 0:
        raise UserInputError(f"{where}: the eye corners coincide; expected distinct caruncle and eyelid landmarks.")
    centre = (margin.min(0) + margin.max(0)) / 2
    out_h, out_w = size
    step = eye_width / out_w  # input pixels per output pixel
    matrix = np.array([[step, 0.0, centre[0] - step * out_w / 2], [0.0, step, centre[1] - step * out_h / 2]])
    return equalize_histogram(np.clip(np.round(warp_affine(grey, matrix, size)), 0, 255).astype(np.uint8))


def _render_order(path: Path):
    return (0, int(path.stem), "") if path.stem.isdigit() else (1, 0, path.stem)


@SOURCES.register("unityeyes")
class UnityEyesSource(EyeSource):
    """`unityeyes:DIR[?size=HxW]`: every `N.json` in DIR with its `N.jpg`."""

    TINY_SPEC = "unityeyes:{folder}"  # N.jpg + N.json from tests/data_layouts.py (the shipped layout)

    def __init__(self, spec: SourceSpec):
        super().__init__(spec)
        check_options(spec, ("size",))
        folder = require_path(spec, "a folder of UnityEyes renders (N.jpg + N.json)")
        if not folder.is_dir():
            raise UserInputError(f"{spec.text}: {folder} is not a folder; expected a folder of UnityEyes N.jpg + N.json.")
        self._size = parse_size_option(spec, DEFAULT_SIZE)
        self._annotations = sorted(folder.glob("*.json"), key=_render_order)
        if not self._annotations:
            raise UserInputError(f"{spec.text}: {folder} holds no .json files; expected UnityEyes renders N.jpg + N.json.")
        orphans = [p.name for p in self._annotations if not p.with_suffix(".jpg").is_file()]
        if orphans:
            raise UserInputError(f"{spec.text}: {orphans[0]} in {folder} has no matching .jpg; expected N.jpg beside each N.json.")

    def __len__(self):
        return len(self._annotations)

    @property
    def image_shape(self):
        return self._size

    @property
    def has_labels(self):
        return True

    def _render(self, annotation_path: Path) -> tuple[np.ndarray, np.ndarray]:
        where = f"{self.spec.text} ({annotation_path.name})"
        try:
            annotation = json.loads(annotation_path.read_text())
        except (OSError, ValueError) as exc:
            raise UserInputError(f"{where}: cannot read it as JSON ({exc}).") from None
        look_vec = (annotation.get("eye_details") or {}).get("look_vec") if isinstance(annotation, dict) else None
        if look_vec is None:
            raise UserInputError(f"{where}: no eye_details.look_vec; expected a UnityEyes annotation with a gaze vector.")
        vector = parse_vector(look_vec, where)
        if vector.size < 3 or not np.isfinite(vector[:3]).all() or np.linalg.norm(vector[:3]) < 1e-6:
            raise UserInputError(f"{where}: look_vec '{look_vec}' is not a finite non-zero 3-D vector.")
        image_path = annotation_path.with_suffix(".jpg")
        try:
            with Image.open(image_path) as render:
                grey = np.asarray(render.convert("L"), dtype=np.float64)
        except OSError as exc:
            raise UserInputError(f"{self.spec.text}: cannot read {image_path.name} as an image ({exc}).") from None
        return crop_eye(grey, annotation, self._size, where), look_vec_to_pitchyaw(vector).astype(np.float32)

    def _read(self, indices):
        renders = [self._render(self._annotations[i]) for i in indices]
        images = np.stack([image for image, _ in renders]) if renders else np.zeros((0, *self._size), np.uint8)
        gaze = np.stack([g for _, g in renders]) if renders else np.zeros((0, 2), np.float32)
        return EyeData(images, gaze)
