"""Eye grids: arrows point where the gaze label says, rows line up, files are written whole."""

import numpy as np
import pytest
from PIL import Image

from gazebench.core.grids import save_comparison_grid, save_eye_grid


def _arrow_offset(path):
    """Centre of the green arrow pixels relative to the centre of the grey eye, in PNG pixels (x right, y down)."""
    rgb = np.asarray(Image.open(path).convert("RGB")).astype(int)
    green = (rgb[..., 1] > 150) & (rgb[..., 0] < 100)
    grey = (np.abs(rgb - 128) <= 2).all(-1)
    gy, gx = np.nonzero(green)
    ey, ex = np.nonzero(grey)
    return gx.mean() - (ex.min() + ex.max()) / 2, gy.mean() - (ey.min() + ey.max()) / 2


@pytest.mark.parametrize(
    "pitch_yaw_deg, direction",
    [((0, 30), (-1, 0)), ((0, -30), (1, 0)), ((30, 0), (0, -1)), ((-30, 0), (0, 1))],
)
def test_arrow_follows_the_gaze(tmp_path, pitch_yaw_deg, direction):
    # MPIIGaze: positive yaw looks towards the image's left (iris moves left), positive pitch looks up.
    path = save_eye_grid(tmp_path / "g.png", np.full((1, 36, 60), 128, np.uint8), np.radians([pitch_yaw_deg]))
    dx, dy = _arrow_offset(path)
    moved, still = (dx, dy) if direction[0] else (dy, dx)
    assert np.sign(moved) == sum(direction) and abs(moved) > 5 and abs(still) < 3


def test_eye_grid_with_labels_and_predictions(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (10, 36, 60), dtype=np.uint8)
    gaze = np.zeros((10, 2))
    path = save_eye_grid(tmp_path / "sub" / "g.png", images, gaze, labels=[str(i) for i in range(10)], ncols=4, title="t", predicted=gaze + 0.2)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.height > image.width / 4 * 2  # three rows of four
    assert sorted(p.name for p in path.parent.iterdir()) == ["g.png"]


def test_comparison_grid_rows_must_align(tmp_path):
    rows = {"synthetic": np.zeros((3, 36, 60), np.uint8), "refined": np.zeros((3, 35, 55), np.uint8)}
    path = save_comparison_grid(tmp_path / "c.png", rows, np.zeros((3, 2)), title="before/after")
    with Image.open(path) as image:
        assert image.width > image.height
    with pytest.raises(ValueError, match="same"):
        save_comparison_grid(tmp_path / "d.png", {"a": np.zeros((3, 36, 60), np.uint8), "b": np.zeros((2, 36, 60), np.uint8)})
    assert not (tmp_path / "d.png").exists()
