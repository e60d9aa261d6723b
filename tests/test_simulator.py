"""The built-in simulator: reproducible, lazy, labelled, in range, two distinct styles, and the images carry the gaze."""

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge

from gazebench.core.errors import UserInputError
from gazebench.core.geometry import angular_error_deg, pitchyaw_to_vector
from gazebench.data import open_source, write_own_format
from gazebench.data.simulator.eye3d import eye_geometry, optical_axis_in_head
from gazebench.data.simulator.params import HEAD_CENTRE_DEG, STYLES, LabelRange, draw_params, head_rotation
from gazebench.data.simulator.render import equalize_histogram, render


def test_same_seed_same_images_and_other_seed_differs():
    a = open_source("sim?n=64&seed=3").load()
    b = open_source("sim?n=64&seed=3").load()
    c = open_source("sim?n=64&seed=4").load()
    assert np.array_equal(a.images, b.images) and np.array_equal(a.gaze, b.gaze)
    assert not np.array_equal(a.images, c.images)


def test_index_sets_agree_on_shared_indices():
    source = open_source("sim?n=5000&seed=1")
    first = source.read(np.arange(0, 40))
    second = source.read([4999, 17, 3, 17, 1024])
    assert np.array_equal(second.images[1], first.images[17]) and np.array_equal(second.images[3], first.images[17])
    assert np.array_equal(second.images[2], first.images[3])
    assert np.array_equal(second.gaze[2], first.gaze[3])


def test_images_are_uint8_36x60_and_labels_in_the_configured_range():
    data = open_source("sim?n=2000&pitch=-30,10&yaw=-20,40").load()
    assert data.images.dtype == np.uint8 and data.images.shape == (2000, 36, 60)
    assert data.gaze.dtype == np.float32 and data.gaze.shape == (2000, 2)
    pitch, yaw = np.degrees(data.gaze).T
    assert -30 <= pitch.min() < -27 and 7 < pitch.max() <= 10
    assert -20 <= yaw.min() < -17 and 37 < yaw.max() <= 40


def test_default_labels_cover_real_mpiigaze_range():
    gaze = np.degrees(open_source("sim?n=3000").load().gaze)
    assert gaze[:, 0].min() < -35 and gaze[:, 0].max() > 15  # real pitch is about -23..+5
    assert gaze[:, 1].min() < -40 and gaze[:, 1].max() > 40  # real yaw is about -42..+39


def test_default_prior_has_real_mpiigaze_moments_and_uniform_prior_is_flat():
    params = draw_params(3, torch.arange(40000), "default", LabelRange())
    pitch, yaw = np.degrees(params["gaze"].numpy()).T
    # 80% normal (pitch -8.8 +- 5.2, yaw 0.1 +- 8.7), 20% uniform over the box: most renders near real gazes.
    core = (np.abs(pitch + 8.8) < 2 * 5.2) & (np.abs(yaw - 0.1) < 2 * 8.7)
    assert 0.7 < core.mean() < 0.85
    assert abs(np.median(pitch) + 8.8) < 1.5 and abs(np.median(yaw) - 0.1) < 1.5
    flat = np.degrees(draw_params(3, torch.arange(40000), "default", LabelRange(prior="uniform"))["gaze"].numpy())
    counts, _ = np.histogram(flat[:, 1], bins=9, range=(-45, 45))
    assert counts.min() > 0.9 * counts.mean() and abs(np.mean(flat[:, 0]) + 10) < 0.5  # box pitch -40..20


def test_a_box_far_in_the_priors_tail_is_still_filled():
    pitch = np.degrees(draw_params(0, torch.arange(500), "default", LabelRange(pitch=(60.0, 80.0)))["gaze"][:, 0].numpy())
    assert 60 <= pitch.min() < 62 and 78 < pitch.max() <= 80


def test_prior_changes_labels_not_appearance():
    flat = draw_params(5, torch.arange(300), "default", LabelRange(prior="uniform"))
    real_like = draw_params(5, torch.arange(300), "default", LabelRange())
    assert not torch.allclose(flat["gaze"], real_like["gaze"])
    for name in [*STYLES["default"], "texture", "keys"]:
        assert torch.equal(flat[name], real_like[name]), name


def test_head_rotation_maps_forward_to_head_gaze():
    head = torch.tensor([[0.2, -0.3], [-0.1, 0.4]], dtype=torch.float64)
    forward = torch.tensor([0.0, 0.0, -1.0], dtype=torch.float64)
    assert torch.allclose(head_rotation(head) @ forward, pitchyaw_to_vector(head))
    params = draw_params(0, torch.arange(2000), "default", LabelRange())
    # Heads face the screen below the camera on average (the mean gaze of p01-p14), not the camera, and
    # turn at most `head` degrees from it, without piling up at the bound.
    turn = np.degrees(params["head"].numpy()) - np.array(HEAD_CENTRE_DEG)
    assert np.abs(turn).max() <= 20 + 1e-9 and (np.abs(turn) > 19.9).mean() < 0.03  # was 14% at -20 pitch
    assert abs(turn[:, 0].mean()) < 1.5 and abs(turn[:, 1].mean()) < 1.5


def test_the_optical_axis_is_the_visual_axis_turned_by_kappa_in_the_head():
    """Gaze equal to the head's direction is straight ahead in the head: without kappa the optical axis is
    (0, 0) there; with kappa it is turned by exactly kappa, whatever the head pose."""
    head = torch.tensor([[0.2, -0.3], [-0.1, 0.4]], dtype=torch.float64)
    zero = optical_axis_in_head(head, head, torch.zeros(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64))
    assert torch.allclose(zero, torch.zeros(2, 2, dtype=torch.float64), atol=1e-9)
    turned = optical_axis_in_head(head, head, torch.full((2,), 2.0, dtype=torch.float64), torch.full((2,), 5.0, dtype=torch.float64))
    assert torch.allclose(torch.rad2deg(turned), torch.tensor([[-2.0, -5.0]] * 2, dtype=torch.float64), atol=1e-6)


def _one_eye(**fixed) -> dict[str, torch.Tensor]:
    """Parameters of 2 images with every range collapsed to its centre, then `fixed` values set."""
    params = draw_params(0, torch.arange(2), "default", LabelRange())
    for name, (low, high) in STYLES["default"].items():
        params[name] = torch.full((2,), (low + high) / 2, dtype=torch.float64)
    for name, value in fixed.items():
        value = torch.as_tensor(value, dtype=torch.float64)
        params[name] = value if value.shape[:1] == (2,) and value.dim() == params[name].dim() else value.expand(2, *value.shape).clone()
    return params


def test_camera_scale_is_mpiigaze_normalization():
    """960 px focal length at 600 mm: an iris of radius r mm at the eye is about 1.6 * scale * r px."""
    geometry = eye_geometry(_one_eye(gaze=[0.0, 0.0], head=[0.0, 0.0], kappa_pitch=0.0, kappa_yaw=0.0, scale=1.0))
    limbus_depth = np.sqrt(12.0**2 - 5.85**2)  # the centres of the eyeball and iris ranges
    iris_depth = 600.0 + 5.5 - limbus_depth  # eyeball 5.5 mm behind the corners (range centre), limbus in front
    expected = 960.0 / iris_depth * 5.85
    assert abs(geometry["iris_radius"][0].item() - expected) < 1e-3
    # Looking straight into the camera with no kappa, the iris sits on the eyeball centre's image.
    assert abs(geometry["ix"][0].item() - geometry["ex"][0].item()) < 1e-4


def test_kappa_puts_the_iris_temporal_and_low_of_the_visual_axis():
    """Left eye, nasal side on the image left: the optical axis (which the iris follows) points to the image
    right (temporal) and down of the labelled visual axis."""
    plain = eye_geometry(_one_eye(gaze=[0.0, 0.0], head=[0.0, 0.0], kappa_pitch=0.0, kappa_yaw=0.0, scale=1.0))
    kappa = eye_geometry(_one_eye(gaze=[0.0, 0.0], head=[0.0, 0.0], kappa_pitch=2.0, kappa_yaw=5.0, scale=1.0))
    assert kappa["ix"][0].item() > plain["ix"][0].item() + 1.0
    assert kappa["iy"][0].item() > plain["iy"][0].item() + 0.3


def test_turning_the_head_slides_the_eyeball_not_the_corners():
    """The corners define the crop centre; the eyeball sits behind them, so a head turned to +yaw (facing
    the image left) carries the eyeball centre to the image right."""
    ahead = eye_geometry(_one_eye(gaze=[0.0, 0.0], head=[0.0, 0.0], crop_dx=1.0, crop_dy=-1.0))
    turned = eye_geometry(_one_eye(gaze=[0.0, 0.3], head=[0.0, 0.3], crop_dx=1.0, crop_dy=-1.0))
    assert turned["ex"][0].item() > ahead["ex"][0].item() + 1.0
    assert abs(turned["lx"][0].item() - ahead["lx"][0].item()) < 0.5


def test_a_vertical_pivot_in_front_shortens_the_irises_arm_for_pitch_only():
    """Two centres of rotation (Fick): with the vertical axis `vertical_pivot` mm in front of the eyeball centre, the
    iris rises (limbus depth - pivot) * sin(pitch) instead of limbus depth * sin(pitch); yaw and the eye looking
    ahead are as without it."""
    gazes = [[0.0, 0.0], [0.3, 0.0]]
    fixed = dict(head=[0.0, 0.0], kappa_pitch=0.0, kappa_yaw=0.0, scale=1.0)
    one, two = eye_geometry(_one_eye(gaze=gazes, **fixed)), eye_geometry(_one_eye(gaze=gazes, vertical_pivot=2.6, **fixed))
    limbus_depth = np.sqrt(12.0**2 - 5.85**2)
    rise_one, rise_two = (one["iy"][0] - one["iy"][1]).item(), (two["iy"][0] - two["iy"][1]).item()
    assert rise_two / rise_one == pytest.approx((limbus_depth - 2.6) / limbus_depth, rel=0.01)
    assert two["ix"][0].item() == pytest.approx(one["ix"][0].item()) and two["iy"][0].item() == pytest.approx(one["iy"][0].item())
    # The lids follow the limbus, whose rise shortens by the same factor; the globe's centre, which the lids' corners
    # do not show, drops by pivot * sin(pitch) (1.6 px per mm at scale 1).
    lid_one, lid_two = (one["upper_open"][1] - one["upper_open"][0]).item(), (two["upper_open"][1] - two["upper_open"][0]).item()
    assert lid_two / lid_one == pytest.approx((limbus_depth - 2.6) / limbus_depth, rel=0.01)
    assert (two["ey"][1] - one["ey"][1]).item() == pytest.approx(2.6 * np.sin(0.3) * 1.6, rel=0.03)
    turned = [[0.0, 0.3], [0.2, 0.3]]
    one, two = eye_geometry(_one_eye(gaze=turned, **fixed)), eye_geometry(_one_eye(gaze=turned, vertical_pivot=2.6, **fixed))
    assert two["ix"][0].item() == pytest.approx(one["ix"][0].item(), abs=1e-4)


def test_the_upper_lid_follows_the_eye_and_the_iris_foreshortens():
    geometry = eye_geometry(_one_eye(gaze=[[0.0, 0.0], [-0.4, 0.0]], head=[0.0, 0.0]))
    assert geometry["upper_open"][1].item() < geometry["upper_open"][0].item() - 2.0  # looking down closes it
    # Rendered with lids wide open and no texture: the iris's dark run across its centre row is narrower
    # when the eye turns sideways (the limbus disc seen at an angle).
    params = _one_eye(gaze=[[0.0, 0.0], [0.0, 0.8]], head=[0.0, 0.0], upper_opening=9.0, lower_opening=9.0,
                      iris_texture=0.0, glint=0.0, blur=0.0, noise=0.0, kappa_yaw=0.0, kappa_pitch=0.0)
    images = render(params, equalize=False).numpy().astype(np.float32)
    geometry = eye_geometry(params)
    widths = [int((images[i, int(geometry["iy"][i].item())] < 0.5 * (images[i].max() + images[i].min())).sum())
              for i in range(2)]
    assert widths[1] <= widths[0] - 3, widths


def test_equalized_images_use_the_full_range_like_mpiigaze():
    images = open_source("sim?n=200").load().images
    assert images.min(axis=(1, 2)).max() == 0 and images.max(axis=(1, 2)).min() == 255
    assert 110 < images.mean() < 150  # real MPIIGaze: mean about 129
    raw = open_source("sim?n=200&equalize=0").load().images
    assert not np.array_equal(raw, images)


def test_equalize_histogram_makes_a_flat_cumulative_histogram():
    ramp = torch.arange(100, 160, dtype=torch.uint8).repeat(36, 1).unsqueeze(0)
    out = equalize_histogram(ramp)[0]
    assert out.min() == 0 and out.max() == 255 and bool((out[:, 1:] > out[:, :-1]).all())


def test_iris_moves_left_for_positive_yaw_and_up_for_positive_pitch():
    """MPIIGaze geometry: the darkest blob moves left with +yaw and up with +pitch (real p00: about
    -0.12 px per degree by measure.py's similar darkest-10% centroid, which lashes dilute)."""
    data = open_source("sim?n=1500&pitch=-15,15&yaw=-25,25").load()
    images = data.images.astype(np.float32)
    threshold = np.percentile(images.reshape(len(images), -1), 8, axis=1)[:, None, None]
    weight = np.clip(threshold - images, 0, None) + 1e-3
    ys, xs = np.mgrid[:36, :60]
    cx = (weight * xs).sum((1, 2)) / weight.sum((1, 2))
    cy = (weight * ys).sum((1, 2)) / weight.sum((1, 2))
    pitch, yaw = np.degrees(data.gaze).T
    assert -0.3 < np.polyfit(yaw, cx, 1)[0] < -0.1
    assert -0.3 < np.polyfit(pitch, cy, 1)[0] < -0.07


def test_target_style_is_a_labelled_stand_in_that_looks_different():
    default = open_source("sim?n=400&equalize=0")
    target = open_source("sim?n=400&style=target&equalize=0")
    assert target.is_stand_in and not default.is_stand_in
    assert "stand-in, not real data" in target.name
    assert set(STYLES["target"]) == set(STYLES["default"])  # same parameter streams -> same labels
    a, b = default.load(), target.load()
    assert np.array_equal(a.gaze, b.gaze)
    # Target irises are near black and its camera noisier: darker dark pixels, stronger pixel-to-pixel steps.
    dark_a, dark_b = (np.percentile(d.images.reshape(400, -1), 5, axis=1).mean() for d in (a, b))
    edges_a, edges_b = (np.abs(np.diff(d.images.astype(np.float32), axis=2)).mean() for d in (a, b))
    assert dark_b < dark_a - 20 and edges_b > edges_a * 1.05


@pytest.mark.parametrize(
    "spec",
    ["sim?n=0", "sim?n=ten", "sim?seed=-1", "sim?style=photoreal", "sim?equalize=yes", "sim?pitch=10,-10",
     "sim?yaw=1", "sim?head=90", "sim?prior=normal", "sim?people=-1", "sim?colour=1", "sim:somefile", "sim?device=tpu"],
)
def test_bad_options_are_user_errors(spec):
    with pytest.raises(UserInputError):
        open_source(spec)


def test_people_option_fixes_appearance_per_person():
    data = open_source("sim?n=40&people=2&equalize=0").load()
    many = open_source("sim?n=40&equalize=0").load()
    assert np.array_equal(data.gaze, many.gaze)  # labels do not depend on who is looking
    # Same person, different gaze: the skin far from the eye (top rows) barely changes; across people it does.
    top = data.images[:, :4].astype(np.float32).mean((1, 2))
    within = np.abs(top[0::2][1:] - top[0::2][:-1]).mean()
    across = np.abs(top[0::2] - top[1::2]).mean()
    assert within < across / 3


@pytest.mark.slow
def test_pca_ridge_on_5000_renders_predicts_held_out_gaze_within_3_degrees():
    """Like the per-person real reference (PCA + ridge on p00: about 3 deg): one simulated person."""
    source = open_source("sim?n=6000&seed=7&people=1")
    data = source.load()
    features = data.images.reshape(len(data.images), -1).astype(np.float32) / 255.0
    pca = PCA(n_components=100, random_state=0).fit(features[:5000])
    model = Ridge(alpha=1.0).fit(pca.transform(features[:5000]), data.gaze[:5000])
    predicted = model.predict(pca.transform(features[5000:]))
    assert angular_error_deg(predicted, data.gaze[5000:]).mean() < 3.0


def test_export_round_trip_through_h5(tmp_path):
    from gazebench.cli.main import cli

    out = tmp_path / "sim.h5"
    result = CliRunner().invoke(cli, ["data", "export", "sim?n=300&seed=2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    back = open_source(f"h5:{out}").load()
    original = open_source("sim?n=300&seed=2").load()
    assert np.array_equal(back.images, original.images) and np.allclose(back.gaze, original.gaze)


def test_write_own_format_round_trip(tmp_path):
    original = open_source("sim?n=50&style=target").load()
    write_own_format(tmp_path / "t.h5", original.images, original.gaze)
    back = open_source(f"h5:{tmp_path / 't.h5'}").load()
    assert np.array_equal(back.images, original.images) and np.array_equal(back.gaze, original.gaze)
