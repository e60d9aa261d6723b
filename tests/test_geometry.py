import math

import numpy as np
import pytest
import torch

from gazebench.core.geometry import angular_error_deg, mirror_images, mirror_pitchyaw, pitchyaw_to_vector, vector_to_pitchyaw


def test_looking_into_camera_is_minus_z():
    np.testing.assert_allclose(pitchyaw_to_vector(np.array([0.0, 0.0])), [0, 0, -1], atol=1e-12)


def test_hand_computed_vector():
    # pitch 30 deg up, yaw 0: y = -sin(30) = -0.5, z = -cos(30)
    v = pitchyaw_to_vector(np.radians([30.0, 0.0]))
    np.testing.assert_allclose(v, [0.0, -0.5, -math.sqrt(3) / 2], atol=1e-12)
    # yaw 90 deg: x = -1
    np.testing.assert_allclose(pitchyaw_to_vector(np.radians([0.0, 90.0])), [-1, 0, 0], atol=1e-12)


def test_unityeyes_example_from_data_readme():
    # look_vec (0.3404, 0.3879, -0.8566), y up -> MPIIGaze (x, -y, z): pitch +22.8, yaw -21.7 degrees
    py = np.degrees(vector_to_pitchyaw(np.array([0.3404, -0.3879, -0.8566])))
    np.testing.assert_allclose(py, [22.8, -21.7], atol=0.05)


@pytest.mark.parametrize("lib", [np, torch])
def test_round_trip(lib):
    rng = np.random.default_rng(0)
    py = np.stack([rng.uniform(-1.2, 1.2, 500), rng.uniform(-2.5, 2.5, 500)], 1)
    x = py if lib is np else torch.as_tensor(py)
    back = vector_to_pitchyaw(pitchyaw_to_vector(x) * 3.0)
    np.testing.assert_allclose(np.asarray(back), py, atol=1e-9)


def test_angular_error_values():
    a = np.radians([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0]])
    b = np.radians([[0.0, 90.0], [0.0, 0.0], [-10.0, 0.0]])
    np.testing.assert_allclose(angular_error_deg(a, b), [90.0, 0.0, 20.0], atol=1e-5)
    # identical vectors never produce NaN (clamp before arccos)
    v = pitchyaw_to_vector(np.radians([[12.3, -45.6]]))
    assert np.isfinite(angular_error_deg(v, v)).all()
    t = angular_error_deg(torch.as_tensor(a), torch.as_tensor(b))
    np.testing.assert_allclose(t.numpy(), [90.0, 0.0, 20.0], atol=1e-4)


def test_mirroring_negates_yaw_and_flips_image():
    py = np.radians([[5.0, 20.0]])
    np.testing.assert_allclose(mirror_pitchyaw(py), np.radians([[5.0, -20.0]]))
    img = np.arange(6, dtype=np.uint8).reshape(1, 2, 3)
    np.testing.assert_array_equal(mirror_images(img)[0], [[2, 1, 0], [5, 4, 3]])
    # mirroring the image mirrors the gaze vector's x component
    v = pitchyaw_to_vector(py)
    vm = pitchyaw_to_vector(mirror_pitchyaw(py))
    np.testing.assert_allclose(vm, v * np.array([-1, 1, 1]), atol=1e-12)
