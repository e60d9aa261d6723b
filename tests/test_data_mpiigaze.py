"""`mpiigaze:` against files laid out as the real dataset: Normalized .mat days, the Evaluation Subset, MPIIGaze.h5."""

import math

import numpy as np
import pytest
from data_layouts import assert_user_error, eye_images, unit_vectors, write_day_mat, write_hysts_h5

from gazebench.core.errors import UserInputError
from gazebench.data import open_source

# Hand-computed: v = (-0.5, -0.5, -sqrt(0.5)): pitch = asin(0.5) = 30 deg, yaw = atan2(0.5, sqrt(0.5)) = 35.2644 deg.
HAND_VECTOR = np.array([-0.5, -0.5, -math.sqrt(0.5)])
HAND_PITCH_DEG, HAND_YAW_DEG = 30.0, 35.26439


@pytest.fixture
def root(tmp_path):
    """p00 with a 3-sample day and a 1-sample day (loadmat squeezes it), p01 with 2 samples."""
    normalized = tmp_path / "MPIIGaze" / "Data" / "Normalized"
    days = {("p00", "day01"): 3, ("p00", "day02"): 1, ("p01", "day01"): 2}
    arrays = {}
    for seed, ((person, day), count) in enumerate(days.items()):
        left, right = eye_images(count, 2 * seed), eye_images(count, 2 * seed + 1)
        left_gaze, right_gaze = unit_vectors(count, 2 * seed), unit_vectors(count, 2 * seed + 1)
        if (person, day) == ("p00", "day01"):
            left_gaze[0] = right_gaze[0] = HAND_VECTOR
        write_day_mat(normalized / person / f"{day}.mat", left, left_gaze, right, right_gaze)
        arrays[person, day] = (left, right)
    return tmp_path / "MPIIGaze", arrays


def test_reads_both_eyes_of_every_day(root):
    path, arrays = root
    source = open_source(f"mpiigaze:{path}")
    assert len(source) == 2 * (3 + 1 + 2)
    assert source.image_shape == (36, 60) and source.has_labels
    data = source.load()
    left, right = arrays["p00", "day01"]
    # Order: per day file, its left eyes then its (mirrored) right eyes.
    np.testing.assert_array_equal(data.images[:3], left)
    np.testing.assert_array_equal(data.images[3:6], right[:, :, ::-1])


def test_labels_match_hand_computed_values_and_right_eye_yaw_is_negated(root):
    path, _ = root
    gaze = np.degrees(open_source(f"mpiigaze:{path}").read([0, 3]).gaze)
    np.testing.assert_allclose(gaze[0], [HAND_PITCH_DEG, HAND_YAW_DEG], atol=1e-3)  # left eye as is
    np.testing.assert_allclose(gaze[1], [HAND_PITCH_DEG, -HAND_YAW_DEG], atol=1e-3)  # right eye mirrored


def test_single_sample_day_survives_squeeze(root):
    path, arrays = root
    source = open_source(f"mpiigaze:{path}?people=p00")
    assert len(source) == 2 * 4
    left, right = arrays["p00", "day02"]
    data = source.read([6, 7])
    np.testing.assert_array_equal(data.images[0], left[0])
    np.testing.assert_array_equal(data.images[1], right[0, :, ::-1])


def test_people_filter_and_any_read_order(root):
    path, arrays = root
    source = open_source(f"mpiigaze:{path}?people=p01")
    assert len(source) == 4
    data = source.read([3, 0, 3])
    left, right = arrays["p01", "day01"]
    np.testing.assert_array_equal(data.images, np.stack([right[1, :, ::-1], left[0], right[1, :, ::-1]]))


def test_evaluation_subset_lists_samples_in_order(root):
    path, arrays = root
    lists = path / "Evaluation Subset" / "sample list for eye image"
    lists.mkdir(parents=True)
    (lists / "p00.txt").write_text("day01/0002.jpg right\nday02/0001.jpg left\n")
    source = open_source(f"mpiigaze:{path}?people=p00&subset=eval")
    assert len(source) == 2
    data = source.load()
    np.testing.assert_array_equal(data.images[0], arrays["p00", "day01"][1][1, :, ::-1])
    np.testing.assert_array_equal(data.images[1], arrays["p00", "day02"][0][0])


def test_hysts_h5_is_read_lazily_per_person(tmp_path):
    images0, images1 = eye_images(4, 0), eye_images(2, 1)
    gaze0 = np.radians([[-10, 5], [0, 0], [3, -20], [-5, 8]])
    gaze1 = np.radians([[1, 2], [-3, -4]])
    path = write_hysts_h5(tmp_path / "MPIIGaze.h5", {"p00": (images0, gaze0), "p01": (images1, gaze1)})
    source = open_source(f"mpiigaze:{path}")
    assert len(source) == 6
    data = source.read([5, 1])
    np.testing.assert_array_equal(data.images, np.stack([images1[1], images0[1]]))
    np.testing.assert_allclose(data.gaze, np.stack([gaze1[1], gaze0[1]]), atol=1e-6)
    assert len(open_source(f"mpiigaze:{path}?people=p01")) == 2


def test_unknown_person_is_a_user_error(root):
    path, _ = root
    with pytest.raises(UserInputError, match="p07"):
        open_source(f"mpiigaze:{path}?people=p07")


def test_cli_missing_path(tmp_path):
    assert_user_error("data", "info", f"mpiigaze:{tmp_path / 'nowhere'}", mentions="no such file")


def test_cli_folder_without_normalized_data(tmp_path):
    assert_user_error("data", "info", f"mpiigaze:{tmp_path}", mentions="Data/Normalized")


def test_cli_empty_source(tmp_path):
    (tmp_path / "Data" / "Normalized").mkdir(parents=True)
    assert_user_error("data", "info", f"mpiigaze:{tmp_path}", mentions="no participant")


@pytest.mark.parametrize("drop, mentions", [("filenames", "'filenames'"), ("right.image", "data.right.image"), ("left.gaze", "data.left.gaze")])
def test_cli_mat_without_expected_fields(tmp_path, drop, mentions):
    write_day_mat(tmp_path / "Data" / "Normalized" / "p00" / "day01.mat", eye_images(2, 0), unit_vectors(2, 0), eye_images(2, 1), unit_vectors(2, 1), drop=drop)
    assert_user_error("data", "info", f"mpiigaze:{tmp_path}", mentions=mentions)


def test_cli_mat_with_wrong_image_size(tmp_path):
    small = np.zeros((2, 30, 50), np.uint8)
    write_day_mat(tmp_path / "Data" / "Normalized" / "p00" / "day01.mat", small, unit_vectors(2, 0), small, unit_vectors(2, 1))
    assert_user_error("data", "info", f"mpiigaze:{tmp_path}", mentions="(2, 36, 60)")


def test_cli_mat_with_nan_gaze(tmp_path):
    gaze = unit_vectors(2, 0)
    gaze[1, 0] = np.nan
    write_day_mat(tmp_path / "Data" / "Normalized" / "p00" / "day01.mat", eye_images(2, 0), gaze, eye_images(2, 1), unit_vectors(2, 1))
    assert_user_error("data", "info", f"mpiigaze:{tmp_path}", mentions="NaN")


def test_cli_hysts_h5_without_image(tmp_path):
    import h5py

    with h5py.File(tmp_path / "MPIIGaze.h5", "w") as f:
        f.create_dataset("p00/gaze", data=np.zeros((2, 2), np.float32))
    assert_user_error("data", "info", f"mpiigaze:{tmp_path / 'MPIIGaze.h5'}", mentions="'image'")


def test_cli_hysts_h5_with_inconsistent_sizes(tmp_path):
    path = write_hysts_h5(
        tmp_path / "MPIIGaze.h5",
        {"p00": (eye_images(2, 0), np.zeros((2, 2))), "p01": (np.zeros((2, 35, 55), np.uint8), np.zeros((2, 2)))},
    )
    assert_user_error("data", "info", f"mpiigaze:{path}", mentions="expected one size")


def test_cli_hysts_h5_with_labels_in_degrees(tmp_path):
    path = write_hysts_h5(tmp_path / "MPIIGaze.h5", {"p00": (eye_images(2, 0), np.array([[10.0, 200.0], [0.0, 0.0]]))})
    assert_user_error("data", "info", f"mpiigaze:{path}", mentions="out of range")


def test_cli_unknown_option(root):
    path, _ = root
    assert_user_error("data", "info", f"mpiigaze:{path}?peeple=p00", mentions="peeple")
