"""`kaggle:` against h5 files laid out as the Kaggle eye-gaze set (group `image` of 2-D datasets, `look_vec`)."""

import numpy as np
from data_layouts import assert_user_error, bench, write_kaggle_h5

from gazebench.data import open_source


def _eyes(count, seed=0, shape=(35, 55)):
    return list(np.random.default_rng(seed).integers(0, 256, size=(count, *shape), dtype=np.uint8))


def test_gaze_h5_pairs_images_with_look_vec(tmp_path):
    images = _eyes(3)
    look_vec = np.array([[0.3404, 0.3879, -0.8566], [0.0, 0.0, -1.0], [-0.5, 0.0, -0.5]])
    source = open_source(f"kaggle:{write_kaggle_h5(tmp_path / 'gaze.h5', images, look_vec)}")
    assert len(source) == 3 and source.image_shape == (35, 55) and source.has_labels
    data = source.read([2, 0])
    np.testing.assert_array_equal(data.images, np.stack([images[2], images[0]]))
    # (-0.5, 0, -0.5), y up: straight ahead in pitch, yaw = atan2(0.5, 0.5) = +45 deg; the README example: 22.8, -21.7
    np.testing.assert_allclose(np.degrees(data.gaze), [[0.0, 45.0], [22.8, -21.7]], atol=0.05)


def test_real_gaze_h5_has_no_labels(tmp_path):
    path = write_kaggle_h5(tmp_path / "real_gaze.h5", _eyes(2), None)
    result = bench("data", "info", f"kaggle:{path}")
    assert result.exit_code == 0, result.output
    assert "images:  2 grey 35x55" in result.stdout and "labels:  no" in result.stdout


def test_cli_h5_without_image_group(tmp_path):
    import h5py

    with h5py.File(tmp_path / "gaze.h5", "w") as f:
        f.create_dataset("look_vec", data=np.zeros((1, 3)))
    assert_user_error("data", "info", f"kaggle:{tmp_path / 'gaze.h5'}", mentions="'image'")


def test_cli_inconsistent_image_sizes(tmp_path):
    path = write_kaggle_h5(tmp_path / "real_gaze.h5", _eyes(2) + _eyes(1, shape=(36, 60)), None)
    assert_user_error("data", "info", f"kaggle:{path}", mentions="35x55")


def test_cli_nan_look_vec(tmp_path):
    path = write_kaggle_h5(tmp_path / "gaze.h5", _eyes(2), np.array([[0.0, 0.0, -1.0], [np.nan, 0.0, -1.0]]))
    assert_user_error("data", "info", f"kaggle:{path}", mentions="NaN")


def test_cli_look_vec_count_mismatch(tmp_path):
    path = write_kaggle_h5(tmp_path / "gaze.h5", _eyes(2), np.array([[0.0, 0.0, -1.0]]))
    assert_user_error("data", "info", f"kaggle:{path}", mentions="look_vec")


def test_cli_empty_and_missing(tmp_path):
    path = write_kaggle_h5(tmp_path / "real_gaze.h5", [], None)
    assert_user_error("data", "info", f"kaggle:{path}", mentions="empty")
    assert_user_error("data", "info", f"kaggle:{tmp_path / 'nope.h5'}", mentions="no such file")
    (tmp_path / "text.h5").write_text("not hdf5")
    assert_user_error("data", "info", f"kaggle:{tmp_path / 'text.h5'}", mentions="HDF5")
