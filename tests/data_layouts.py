"""Writers of tiny files laid out exactly as the real datasets ship, and a CLI check for user errors.

Shared by the tests/test_data_*.py files; nothing here reads ../shared/data.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import scipy.io
from click.testing import CliRunner
from PIL import Image

from gazebench.cli.main import cli

EYE_H, EYE_W = 36, 60


def eye_images(count: int, seed: int) -> np.ndarray:
    """Distinct random uint8 eyes, so a mirrored or swapped image is caught."""
    return np.random.default_rng(seed).integers(0, 256, size=(count, EYE_H, EYE_W), dtype=np.uint8)


def unit_vectors(count: int, seed: int) -> np.ndarray:
    """Gaze vectors that look towards the camera (z < 0), as MPIIGaze's."""
    rng = np.random.default_rng(seed)
    v = np.stack([rng.uniform(-0.4, 0.4, count), rng.uniform(-0.4, 0.4, count), -np.ones(count)], 1)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def write_day_mat(path: Path, left_images, left_gaze, right_images, right_gaze, *, drop: str | None = None) -> Path:
    """`Data/Normalized/pXX/dayYY.mat`: struct `data` with left/right {gaze, image, pose} and a cell `filenames`.

    `drop` removes one field ("left.image", "filenames", ...) to make a broken file.
    """
    count = len(left_images)
    eyes = {}
    for eye, images, gaze in (("left", left_images, left_gaze), ("right", right_images, right_gaze)):
        fields = {"gaze": np.asarray(gaze, np.float64), "image": np.asarray(images, np.uint8), "pose": np.zeros((count, 3))}
        if drop and drop.startswith(eye + "."):
            del fields[drop.split(".")[1]]
        eyes[eye] = fields
    names = np.empty((count, 1), dtype=object)
    for i in range(count):
        names[i, 0] = f"{i + 1:04d}.jpg"
    variables = {"data": eyes, "filenames": names}
    if drop in variables:
        del variables[drop]
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy.io.savemat(path, variables)
    return path


def write_hysts_h5(path: Path, people: dict[str, tuple[np.ndarray, np.ndarray]]) -> Path:
    """hysts' MPIIGaze.h5: groups pXX with image (N, 36, 60) uint8, gaze (N, 2) and pose (N, 2) float32."""
    with h5py.File(path, "w") as f:
        for person, (images, gaze) in people.items():
            f.create_dataset(f"{person}/image", data=images)
            f.create_dataset(f"{person}/gaze", data=np.asarray(gaze, np.float32))
            f.create_dataset(f"{person}/pose", data=np.zeros((len(images), 2), np.float32))
    return path


def write_kaggle_h5(path: Path, images: list[np.ndarray], look_vec: np.ndarray | None) -> Path:
    """Kaggle eye-gaze h5: group `image` of 2-D datasets, optional `look_vec` (N, 3), and `path`."""
    with h5py.File(path, "w") as f:
        group = f.create_group("image")
        for i, image in enumerate(images):
            group.create_dataset(f"{i:05d}", data=image)
        if look_vec is not None:
            f.create_dataset("look_vec", data=look_vec)
            f.create_dataset("path", data=np.array([f"{i}.jpg".encode() for i in range(len(images))]))
    return path


def _point(x: float, y: float, z: float = 9.0) -> str:
    return f"({x:.4f}, {y:.4f}, {z:.4f})"


def unityeyes_annotation(height: int, eye_centre_xy: tuple[float, float], eye_width: float, iris_xy, look_vec) -> dict:
    """A UnityEyes json with the real field names and string-encoded numbers; y measured from the bottom."""
    cx, cy = eye_centre_xy
    angles = np.linspace(np.pi, -np.pi, 16, endpoint=False)  # index 0 inner corner, index 8 outer corner
    margin = [_point(cx + eye_width / 2 * np.cos(a), height - (cy + eye_width / 4 * np.sin(a))) for a in angles]
    inner_x = cx - eye_width / 2
    caruncle = [_point(inner_x + dx, height - cy + dy) for dx, dy in ((0, 0), (-1, 1), (-2, 0), (-1, -1), (-3, 1), (-3, -1), (-2, 2))]
    iris = [_point(iris_xy[0] + 8 * np.cos(a), height - iris_xy[1] + 8 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 32, endpoint=False)]
    annotation = {
        "interior_margin_2d": margin,
        "caruncle_2d": caruncle,
        "iris_2d": iris,
        "eye_details": {
            "look_vec": f"({look_vec[0]:.4f}, {look_vec[1]:.4f}, {look_vec[2]:.4f}, 0.0000)",
            "pupil_size": "0.1020631",
            "iris_size": "0.9349335",
            "iris_texture": "eyeball_brown",
        },
        "lighting_details": {
            "skybox_texture": "bergen_2k",
            "skybox_exposure": "1.191213",
            "skybox_rotation": "231",
            "ambient_intensity": "1.15163",
            "light_rotation": "(30.0, 248.5, 0.0)",
            "light_intensity": "0.8451564",
        },
        "eye_region_details": {"pca_shape_coeffs": ["0.01"] * 20, "primary_skin_texture": "f02_color"},
        "head_pose": "(355.0770, 203.8451, 0.0000)",
    }
    return annotation


def write_unityeyes_render(folder: Path, stem: str, *, size=(120, 160), iris_xy=(70.0, 62.0), look_vec=(0.3404, 0.3879, -0.8566), drop_look_vec=False):
    """`N.jpg` (a light face with a dark iris disc) + `N.json` for an eye centred at (80, 60), 60 px wide."""
    height, width = size
    annotation = unityeyes_annotation(height, (80.0, 60.0), 60.0, iris_xy, look_vec)
    if drop_look_vec:
        del annotation["eye_details"]["look_vec"]
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.full((height, width, 3), 210, np.uint8)
    image[(xs - iris_xy[0]) ** 2 + (ys - iris_xy[1]) ** 2 <= 8**2] = (30, 20, 10)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(folder / f"{stem}.jpg", quality=100, subsampling=0)
    (folder / f"{stem}.json").write_text(json.dumps(annotation, indent=2))
    return annotation


def bench(*args: str):
    """Run `bench ARGS` in-process; returns click's Result."""
    return CliRunner().invoke(cli, list(args))


def assert_user_error(*args: str, mentions: str = "") -> str:
    """`bench ARGS` must exit 2 with one 'error:' sentence (mentioning `mentions`) and no traceback."""
    result = bench(*args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].rstrip().endswith("."), errors[0]
    assert mentions in errors[0], errors[0]
    return errors[0]
