"""`unityeyes:` against renders laid out as UnityEyes writes them (N.jpg + N.json, numbers as strings)."""

import numpy as np
import pytest
from data_layouts import assert_user_error, unityeyes_annotation, write_unityeyes_render

from gazebench.data import open_source
from gazebench.data.unityeyes import crop_eye, equalize_histogram, look_vec_to_pitchyaw, warp_affine

# The test eye: centre (80, 60), corners at x = 48.29 (caruncle mean) and 110, so the crop is
# 1.5 * 61.71 = 92.57 px wide: 1.543 input px per output px, centred at output (30, 18).
STEP = 1.5 * (110 - (50 - 12 / 7)) / 60


def _expected_iris(x, y):
    return 30 + (x - 80) / STEP, 18 + (y - 60) / STEP


def test_equalization_matches_hand_computed_mapping():
    # counts 5:2, 7:1, 9:3 -> cumulative 2, 3, 6; (c - 2) * 255 / (6 - 2) -> 0, 63.75, 255
    image = np.array([[5, 5, 7, 9, 9, 9]], np.uint8)
    np.testing.assert_array_equal(equalize_histogram(image), [[0, 0, 64, 255, 255, 255]])
    np.testing.assert_array_equal(equalize_histogram(np.full((2, 2), 77, np.uint8)), np.full((2, 2), 77))


def test_warp_identity_and_half_pixel_shift():
    image = np.arange(12, dtype=np.float64).reshape(3, 4)
    np.testing.assert_allclose(warp_affine(image, np.array([[1.0, 0, 0], [0, 1.0, 0]]), (3, 4)), image)
    shifted = warp_affine(image, np.array([[1.0, 0, 0.5], [0, 1.0, 0]]), (3, 3))
    np.testing.assert_allclose(shifted, (image[:, :3] + image[:, 1:]) / 2)


def test_look_vec_from_the_data_readme_example():
    # look_vec (0.3404, 0.3879, -0.8566), y up: pitch +22.8 deg (looking up), yaw -21.7 deg
    np.testing.assert_allclose(np.degrees(look_vec_to_pitchyaw(np.array([0.3404, 0.3879, -0.8566]))), [22.8, -21.7], atol=0.05)


@pytest.mark.parametrize("iris", [(70.0, 62.0), (95.0, 55.0)])
def test_crop_puts_the_iris_where_the_landmarks_say(iris):
    # iris (70, 62) -> (30 + (70 - 80) / 1.543, 18 + (62 - 60) / 1.543) = (23.52, 19.30)
    annotation = unityeyes_annotation(120, (80.0, 60.0), 60.0, iris, (0.0, 0.0, -1.0))
    ys, xs = np.mgrid[0:120, 0:160]
    grey = np.where((xs - iris[0]) ** 2 + (ys - iris[1]) ** 2 <= 64, 20.0, 210.0)
    rows, cols = np.nonzero(crop_eye(grey, annotation, (36, 60), "test") < 128)
    np.testing.assert_allclose([cols.mean(), rows.mean()], _expected_iris(*iris), atol=0.15)


def test_crop_centres_the_eye_and_keeps_the_iris_where_the_landmarks_put_it(tmp_path):
    write_unityeyes_render(tmp_path, "1", iris_xy=(70.0, 62.0))
    write_unityeyes_render(tmp_path, "2", iris_xy=(95.0, 55.0), look_vec=(0.0, 0.0, -1.0))
    source = open_source(f"unityeyes:{tmp_path}")
    assert len(source) == 2 and source.image_shape == (36, 60) and source.has_labels
    data = source.load()
    assert data.images.dtype == np.uint8 and data.images.shape == (2, 36, 60)
    assert data.images.min() == 0 and data.images.max() == 255  # equalised
    np.testing.assert_allclose(np.degrees(data.gaze[0]), [22.8, -21.7], atol=0.05)
    np.testing.assert_allclose(data.gaze[1], [0.0, 0.0], atol=1e-6)
    # Through JPEG and equalisation (which blackens any slightly dark pixel) the iris lands within a pixel.
    for image, iris in zip(data.images, [(70.0, 62.0), (95.0, 55.0)]):
        rows, cols = np.nonzero(image < 128)
        np.testing.assert_allclose([cols.mean(), rows.mean()], _expected_iris(*iris), atol=1.0)


def test_size_option(tmp_path):
    write_unityeyes_render(tmp_path, "1")
    assert open_source(f"unityeyes:{tmp_path}?size=35x55").load().images.shape == (1, 35, 55)


def test_cli_json_without_look_vec(tmp_path):
    write_unityeyes_render(tmp_path, "1")
    write_unityeyes_render(tmp_path, "2", drop_look_vec=True)
    assert_user_error("data", "info", f"unityeyes:{tmp_path}", mentions="look_vec")


def test_cli_json_without_jpg(tmp_path):
    write_unityeyes_render(tmp_path, "1")
    (tmp_path / "1.jpg").unlink()
    assert_user_error("data", "info", f"unityeyes:{tmp_path}", mentions="1.json")


@pytest.mark.parametrize("make", ["empty", "missing", "file"])
def test_cli_empty_or_missing_folder(tmp_path, make):
    target = {"empty": tmp_path, "missing": tmp_path / "nope", "file": tmp_path / "x.txt"}[make]
    if make == "file":
        target.write_text("x")
    assert_user_error("data", "info", f"unityeyes:{target}", mentions=str(target))


def test_cli_bad_size_option(tmp_path):
    write_unityeyes_render(tmp_path, "1")
    assert_user_error("data", "info", f"unityeyes:{tmp_path}?size=big", mentions="HxW")
