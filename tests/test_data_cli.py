"""`bench data info|export|grid` end to end, the p00 check from issue 2, and own-format round trips."""

import json

import numpy as np
import pytest
from data_layouts import assert_user_error, bench, eye_images, unit_vectors, write_day_mat
from PIL import Image

from gazebench.data import open_source, write_own_format
from gazebench.data.export import export_indices


def test_info_on_the_real_p00_dev_set(p00_dev):
    result = bench("data", "info", f"npz:{p00_dev}")
    assert result.exit_code == 0, result.output
    assert "images:  1500 grey 36x60" in result.stdout
    assert "labels:  yes" in result.stdout
    assert "pitch:   -16.0 .. 1.6 deg" in result.stdout
    assert "yaw:     -16.8 .. 15.9 deg" in result.stdout


def test_info_json(tmp_path):
    gaze = np.radians([[-10.0, 5.0], [2.0, -20.0]]).astype(np.float32)
    path = write_own_format(tmp_path / "a.npz", eye_images(2, 0), gaze)
    result = bench("data", "info", "--json", f"npz:{path}")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["count"] == 2 and info["has_labels"] and (info["image_height"], info["image_width"]) == (36, 60)
    np.testing.assert_allclose(info["pitch_deg"], [-10.0, 2.0], atol=1e-4)
    np.testing.assert_allclose(info["yaw_deg"], [-20.0, 5.0], atol=1e-4)


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_export_round_trips_own_format(tmp_path, suffix):
    images, gaze = eye_images(5, 3), np.radians(np.arange(10, dtype=np.float32).reshape(5, 2))
    source_path = write_own_format(tmp_path / "source.npz", images, gaze)
    out = tmp_path / f"out{suffix}"
    result = bench("data", "export", f"npz:{source_path}", "--out", str(out))
    assert result.exit_code == 0, result.output
    data = open_source(f"{suffix[1:]}:{out}").load()
    np.testing.assert_array_equal(data.images, images)
    np.testing.assert_array_equal(data.gaze, gaze)


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_export_seeded_sample_of_mpiigaze(tmp_path, suffix):
    write_day_mat(tmp_path / "Data" / "Normalized" / "p00" / "day01.mat", eye_images(4, 0), unit_vectors(4, 0), eye_images(4, 1), unit_vectors(4, 1))
    source = open_source(f"mpiigaze:{tmp_path}")
    out = tmp_path / f"sample{suffix}"
    result = bench("data", "export", f"mpiigaze:{tmp_path}", "--out", str(out), "--n", "3", "--seed", "7")
    assert result.exit_code == 0, result.output
    expected = source.read(export_indices(source, 3, seed=7))
    exported = open_source(f"{suffix[1:]}:{out}").load()
    np.testing.assert_array_equal(exported.images, expected.images)
    np.testing.assert_allclose(exported.gaze, expected.gaze)


def test_export_unlabelled_to_h5(tmp_path):
    images = eye_images(3, 5)
    source_path = write_own_format(tmp_path / "real.npz", images, None)
    assert bench("data", "export", f"npz:{source_path}", "--out", str(tmp_path / "o.h5")).exit_code == 0
    data = open_source(f"h5:{tmp_path / 'o.h5'}").load()
    assert data.gaze is None
    np.testing.assert_array_equal(data.images, images)


def test_grid_writes_a_png(tmp_path):
    source_path = write_own_format(tmp_path / "a.npz", eye_images(5, 0), np.zeros((5, 2), np.float32))
    out = tmp_path / "grid.png"
    result = bench("data", "grid", f"npz:{source_path}", "--out", str(out), "--n", "4")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 100
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


def test_cli_unknown_kind_and_empty_spec():
    assert_user_error("data", "info", "tiff:/x", mentions="tiff")
    assert_user_error("data", "info", " ", mentions="empty")


def test_cli_bad_export_requests(tmp_path):
    source_path = write_own_format(tmp_path / "a.npz", eye_images(2, 0), None)
    assert_user_error("data", "export", f"npz:{source_path}", "--out", str(tmp_path / "o.csv"), mentions=".npz or .h5")
    assert_user_error("data", "export", f"npz:{source_path}", "--out", str(tmp_path / "o.h5"), "--n", "9", mentions="1..2")
    assert_user_error("data", "grid", f"npz:{source_path}", "--out", str(tmp_path / "o.jpg"), mentions=".png")
    assert not (tmp_path / "o.h5").exists()
