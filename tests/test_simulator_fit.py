"""Domain randomisation, simulator fit files (`sim?fit=`), the fit's leakage guard, and the sensitivity diagnostic."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.core.fingerprints import fingerprints
from gazebench.core.images import to_model_tensor
from gazebench.data import open_source, write_own_format
from gazebench.data.sim import render_batched
from gazebench.data.simulator.fitfile import save_fit
from gazebench.data.simulator.measure import dark_centroids, iris_centred_dark_map
from gazebench.data.simulator.params import FREE_APPEARANCE, FREE_GEOMETRY, STYLES, LabelRange, draw_params, randomised
from gazebench.harness.run import RunConfig, run_benchmark
from gazebench.harness.simfit import fit_shape
from gazebench.metrics.sensitivity import parameter_sensitivity

QUIET = dict(estimators=("knn",), n_synthetic=300, device="cpu", references=False, realism=False, calibration=False,
             progress=False, oracle="none")


def test_randomisation_widens_only_the_free_geometry_within_its_bounds():
    default = STYLES["default"]
    wide = randomised(default, 3)
    assert randomised(default, 1) == default
    for name, value in default.items():
        if name not in FREE_GEOMETRY:
            assert wide[name] == value
            continue
        lowest, highest = FREE_GEOMETRY[name]
        assert lowest <= wide[name][0] <= value[0] and value[1] <= wide[name][1] <= highest
    assert wide["eyeball_y"][1] - wide["eyeball_y"][0] == pytest.approx(6.0)  # 2 mm wide, three times, inside -7..2
    assert wide["head_follow"][1] > wide["head_follow"][0]  # a fixed value gets a width of its own


def test_a_range_replaced_moves_only_its_own_draws():
    """Ranges passed to draw_params keep every other parameter's stream: a fit changes what it fits and nothing else."""
    indices = torch.arange(200)
    base = draw_params(5, indices, "default", LabelRange())
    moved = draw_params(5, indices, "default", LabelRange(), ranges={"eyeball_y": (-1.0, 0.0), "head_follow": (0.5, 0.5)})
    assert torch.equal(base["gaze"], moved["gaze"])
    for name in set(base) - {"eyeball_y", "head_follow", "head"}:
        assert torch.equal(base[name], moved[name]), name
    assert float(moved["eyeball_y"].min()) >= -1.0 and not torch.equal(base["head"], moved["head"])


def test_randomised_renders_keep_the_labels_and_change_the_images():
    plain, wide = open_source("sim?n=50&seed=2").load(), open_source("sim?n=50&seed=2&randomise=3").load()
    assert np.array_equal(plain.gaze, wide.gaze) and not np.array_equal(plain.images, wide.images)
    lids = open_source("sim?n=5&randomise=3&randomise_only=lids,head")
    assert lids.ranges["crop_dy"] == STYLES["default"]["crop_dy"] and lids.ranges["upper_follow"] != STYLES["default"]["upper_follow"]
    for bad in ("sim?randomise=0.5", "sim?randomise=wide", "sim?randomise=2&randomise_only=eyes"):
        with pytest.raises(UserInputError):
            open_source(bad)


def test_eyeball_point_fixes_the_eyeballs_position_at_its_fitted_centre_and_keeps_everything_else(tmp_path):
    fit = _fit_file(tmp_path / "fit.json", {"eyeball_y": [-2.0, -1.0], "eyeball_x": [-1.0, 0.0]})
    point = open_source(f"sim?n=40&seed=1&fit={fit}&randomise=3&randomise_only=lids&eyeball=point")
    assert point.ranges["eyeball_y"] == (-1.5, -1.5) and point.ranges["eyeball_x"] == (-0.5, -0.5)
    assert point.ranges["eyeball_depth"] == (5.5, 5.5)  # the default's 3..8 mm: nothing fits the depth
    spread = open_source(f"sim?n=40&seed=1&fit={fit}&randomise=3&randomise_only=lids")
    assert {k: v for k, v in point.ranges.items() if not k.startswith("eyeball")} == \
        {k: v for k, v in spread.ranges.items() if not k.startswith("eyeball")}
    params = draw_params(1, torch.arange(40), "default", LabelRange(), ranges=point.ranges)
    assert float(params["eyeball_y"].std()) == 0 and float(params["upper_opening"].std()) > 0
    a, b = point.load(), spread.load()
    assert np.array_equal(a.gaze, b.gaze) and not np.array_equal(a.images, b.images)
    with pytest.raises(UserInputError, match="range or point"):
        open_source("sim?eyeball=one")


def test_wide_appearance_draws_every_look_and_keeps_labels_and_geometry():
    """`appearance=wide`: each appearance parameter over the union of the default's and the target's ranges; the labels
    and every geometry draw stay as they were (the same streams), so only the look changes."""
    plain, wide = open_source("sim?n=300&seed=2"), open_source("sim?n=300&seed=2&appearance=wide")
    for name, (low, high) in FREE_APPEARANCE.items():
        assert wide.ranges[name] == (low, high)
    assert wide.ranges["lash_width"] == (0.8, 4.0) and wide.ranges["blur"] == (0.0, 1.0)
    assert {k: v for k, v in wide.ranges.items() if k not in FREE_APPEARANCE} == \
        {k: v for k, v in plain.ranges.items() if k not in FREE_APPEARANCE}
    a, b = draw_params(2, torch.arange(300), "default", LabelRange(), ranges=plain.ranges), \
        draw_params(2, torch.arange(300), "default", LabelRange(), ranges=wide.ranges)
    for name in set(a) - set(FREE_APPEARANCE):  # the labels, head pose and every geometry draw
        assert torch.equal(a[name], b[name]), name
    assert float(b["lash_width"].max()) > STYLES["default"]["lash_width"][1]  # looks the default never draws
    assert not np.array_equal(plain.load().images, wide.load().images)
    with pytest.raises(UserInputError, match="style or wide"):
        open_source("sim?appearance=real")


def _fit_file(path, ranges, seen_images=None, **options):
    """A fit file of these ranges and options, which saw seen_images (else three renders of another style)."""
    if seen_images is None:
        seen_images = open_source("sim?n=3&seed=999&style=target").load().images
    prints = fingerprints(to_model_tensor(seen_images))
    save_fit(path, {"style": "default", **options, "ranges": ranges}, real_spec="npz:x", n_real=len(prints),
             fingerprints=prints, provenance={})
    return path


def test_a_fit_file_replaces_the_fitted_ranges_and_names_itself(tmp_path):
    fit = _fit_file(tmp_path / "fit.json", {"eyeball_y": [-1.0, 0.0]})
    source = open_source(f"sim?n=40&seed=1&fit={fit}")
    plain = open_source("sim?n=40&seed=1").load()
    fitted = source.load()
    assert np.array_equal(plain.gaze, fitted.gaze) and not np.array_equal(plain.images, fitted.images)
    assert "(fit " in source.name and source.ranges["eyeball_y"] == (-1.0, 0.0)
    # The eyeball sits lower behind the corners, so the iris (the darkest pixels) sits lower in the crop.
    assert dark_centroids(fitted.images)[1].mean() > dark_centroids(plain.images)[1].mean() + 0.5
    other = _fit_file(tmp_path / "other.json", {"eyeball_y": [-1.5, 0.0]})
    assert open_source(f"sim?fit={other}").name.split("(fit ")[1] != source.name.split("(fit ")[1]


@pytest.mark.parametrize("content", [None, "not json", json.dumps({"kind": "something else"}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {"eyeball_y": [-9, 0]}}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {"kappa_yaw": [4, 5]}}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {"iris": [0.0, 0.9]}}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {"eyeball_y": [-3, -2, -1]}}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {}}),  # saw no image
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {}, "n_real": 1,
                                                 "real_fingerprints": ["not hex"]}),
                                     json.dumps({"kind": "gazebench simulator fit", "version": 1, "ranges": {}, "n_real": 1,
                                                 "real_fingerprints": ["00000000000000aa"], "eyeball": "two"})])
def test_a_bad_fit_file_is_one_sentence(tmp_path, content):
    path = tmp_path / "fit.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserInputError, match="fit="):
        open_source(f"sim?fit={path}")


def test_a_fit_file_reads_back_with_the_style_eyeball_and_look_it_was_made_with(tmp_path):
    """`sim?fit=FILE` alone renders what the fit's CNNs learnt: its style, its one-point eyeball (also under randomise=)
    and its wide look; an option that would render something else is refused."""
    target = _fit_file(tmp_path / "target.json", {"eyeball_y": [-3.0, -2.0]}, style="target")
    source = open_source(f"sim?n=20&seed=1&fit={target}")
    assert source.style == "target" and source.ranges["iris"] == STYLES["target"]["iris"]
    assert source.name.split("(fit ")[1] != open_source(f"sim?fit={_fit_file(tmp_path / 'd.json', {'eyeball_y': [-3.0, -2.0]})}").name.split("(fit ")[1]
    with pytest.raises(UserInputError, match="style 'target'"):
        open_source(f"sim?fit={target}&style=default")
    point = _fit_file(tmp_path / "point.json", {"eyeball_y": [-1.5, -1.5], "eyeball_x": [-0.5, -0.5]}, eyeball="point")
    randomised_point = open_source(f"sim?fit={point}&randomise=3")
    assert randomised_point.ranges["eyeball_y"] == (-1.5, -1.5) and randomised_point.ranges["upper_opening"] != STYLES["default"]["upper_opening"]
    assert open_source(f"sim?fit={point}&randomise=3&eyeball=range").ranges["eyeball_y"][1] > -1.5  # asked for
    wide = _fit_file(tmp_path / "wide.json", {"eyeball_y": [-3.0, -2.0], **FREE_APPEARANCE}, appearance="wide")
    assert open_source(f"sim?fit={wide}").ranges["lash_width"] == FREE_APPEARANCE["lash_width"]
    with pytest.raises(UserInputError, match="appearance=wide"):
        open_source(f"sim?fit={wide}&appearance=style")


def test_a_run_refuses_to_test_on_images_the_fit_saw(tmp_path):
    rng = np.random.default_rng(3)
    images = open_source("sim?n=120&seed=40&style=appearance").load().images
    real = write_own_format(tmp_path / "real.npz", images, rng.uniform(-0.3, 0.3, (120, 2)).astype(np.float32))
    saw_all = _fit_file(tmp_path / "all.json", {"eyeball_y": [-3.0, -1.0]}, images)
    with pytest.raises(UserInputError, match="was fitted to 60 of the 60 test images"):
        run_benchmark(RunConfig(refiner="identity", synthetic=f"sim?fit={saw_all}&n={{n}}&seed={{seed}}", real=f"npz:{real}",
                                n_test=60, out=str(tmp_path / "runs"), **QUIET), log=lambda m: None)
    assert not (tmp_path / "runs").exists()
    saw_other = _fit_file(tmp_path / "other.json", {"eyeball_y": [-3.0, -1.0]}, images[:10] ^ 1)
    folder = run_benchmark(RunConfig(refiner="identity", synthetic=f"sim?fit={saw_other}&n={{n}}&seed={{seed}}",
                                     real=f"npz:{real}", n_test=60, out=str(tmp_path / "runs"), **QUIET), log=lambda m: None)
    assert (folder / "done").exists()


def _iris_height_reader(images: torch.Tensor) -> np.ndarray:
    """A transparent 'estimator': pitch from how high the darkest pixels sit, yaw from how far left."""
    pixels = ((images[:, 0] + 1) * 127.5).round().numpy()
    cx, cy = dark_centroids(pixels)
    return np.radians(np.stack([-(cy - 17.0) * 5.0, -(cx - 27.0) * 5.0], 1))


def test_sensitivity_finds_the_cue_an_estimator_reads():
    result = parameter_sensitivity(_iris_height_reader, n=120, steps=3, names=("eyeball_y", "eyeball_x", "upper_follow"))
    rows = result["parameters"]
    assert set(rows) == {"eyeball_y", "eyeball_x", "upper_follow"}
    # Lowering the eyeball lowers the dark pixels: the reader's pitch falls; moving it right moves its yaw.
    assert rows["eyeball_y"]["pitch_deg_per_unit"] < -1.0
    assert abs(rows["eyeball_x"]["yaw_deg_per_unit"]) > abs(rows["eyeball_x"]["pitch_deg_per_unit"])
    assert abs(rows["upper_follow"]["pitch_deg_per_unit"]) < abs(rows["eyeball_y"]["pitch_deg_per_unit"])
    assert result["on_renders"]["pitch_gain"] > 0


@pytest.mark.slow
def test_sim_fit_moves_the_eyeball_towards_real_eyes_that_sit_lower(tmp_path):
    """Known truth: 'real' eyes are renders whose eyeballs sit 2 mm lower; one fitted step must lower the eyeball
    (a CNN that learnt the default renders reads them too low), and the file keeps the run's test images unseen."""
    lower = _fit_file(tmp_path / "truth.json", {"eyeball_y": [-2.0, 0.0]})
    data = open_source(f"sim?n=300&seed=50&fit={lower}").load()
    real = write_own_format(tmp_path / "real.npz", data.images, data.gaze)
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(cli, ["sim", "fit", "--real", f"npz:{real}", "--out", str(out), "--hold-out-test", "cpu",
                                      "--n-train", "4000", "--epochs", "3", "--iterations", "1", "--cnns", "1"])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    step = record["history"][0]
    assert step["pitch"]["slope_deg_per_mm"] < 0 and step["shift_mm"]["eyeball_y"] > 0
    assert record["n_real"] == 150 and len(record["real_fingerprints"]) == 150  # cpu preset: half held out


@pytest.mark.slow
def test_sim_fit_with_eyeball_point_writes_one_position_that_sim_fit_renders(tmp_path):
    """For one person's eyes (`--eyeball point`) the fit keeps the eyeball's position a point through its steps, and
    `sim?fit=` alone then renders every eyeball there: the file carries the whole configuration."""
    data = open_source("sim?n=200&seed=50").load()
    real = write_own_format(tmp_path / "real.npz", data.images, data.gaze)
    out = tmp_path / "fit.json"
    result = CliRunner().invoke(cli, ["sim", "fit", "--real", f"npz:{real}", "--out", str(out), "--eyeball", "point",
                                      "--randomise", "3", "--randomise-only", "lids,head", "--appearance", "wide",
                                      "--n-train", "300", "--epochs", "1", "--iterations", "1", "--cnns", "2"])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["eyeball"] == "point" and record["appearance"] == "wide" and record["randomise_only"] == ["lids", "head"]
    pitch = record["history"][0]["pitch"]  # two CNNs' mean readings, averaged
    assert len(pitch["per_cnn_mean_reading_deg"]) == 2
    assert pitch["mean_reading_deg"] == pytest.approx(np.mean(pitch["per_cnn_mean_reading_deg"]), abs=2e-3)
    for name in ("eyeball_x", "eyeball_y", "eyeball_depth"):
        low, high = record["ranges"][name]
        assert low == high and STYLES["default"][name][0] <= low <= STYLES["default"][name][1] + 2.0, name
    assert record["ranges"]["upper_follow"] != list(STYLES["default"]["upper_follow"])  # the lids stay widened
    source = open_source(f"sim?n=20&fit={out}")
    assert source.ranges["lash_width"] == FREE_APPEARANCE["lash_width"]  # the look's ranges travel in the file too
    params = draw_params(0, torch.arange(20), "default", LabelRange(), ranges=source.ranges)
    assert float(params["eyeball_y"].std()) == 0.0 and float(params["upper_follow"].std()) > 0


def test_bench_sim_sensitivity_writes_a_row_per_parameter_and_refuses_a_non_simulator(tmp_path):
    out = tmp_path / "sensitivity.json"
    result = CliRunner().invoke(cli, ["sim", "sensitivity", "--train", "sim?n=64&seed=2", "--epochs", "1", "--n", "50",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert set(record["parameters"]) == set(FREE_GEOMETRY) | {"iris_radius", "head_pitch", "head_yaw"}
    assert "| eyeball_y |" in result.output and record["train"] == "sim?n=64&seed=2"
    images = open_source("sim?n=8").load()
    real = write_own_format(tmp_path / "eyes.npz", images.images, images.gaze)
    refused = CliRunner().invoke(cli, ["sim", "sensitivity", "--train", f"npz:{real}"])
    assert refused.exit_code == 2 and "expected a sim spec" in refused.output


def test_the_iris_centred_dark_map_does_not_move_with_the_eye_in_the_crop():
    eye = np.full((2, 35, 55), 200, np.uint8)
    rows, cols = np.mgrid[:35, :55]
    for image, (row, col) in zip(eye, [(15, 25), (19, 31)]):  # the same eye, 4 px lower and 6 px further right
        image[(rows - row) ** 2 + (cols - col) ** 2 <= 16] = 20  # the iris
        image[row - 5, col - 12 : col + 13] = 60  # an upper lid line across it
    first, second = iris_centred_dark_map(eye[:1]), iris_centred_dark_map(eye[1:])
    assert np.array_equal(np.isnan(first), np.isnan(second))
    assert np.allclose(np.nan_to_num(first), np.nan_to_num(second)) and first[14, 24] == 1.0
    assert np.array_equal(np.nan_to_num(first), np.nan_to_num(first[:, ::-1]))  # left and right eyes alike


def test_the_shape_step_recovers_the_eye_size_and_lids_of_real_eyes():
    """Known truth: 'real' eyes are renders with a larger eye under lower upper lids; of four candidates the shape
    step picks that one, from the images alone."""
    truth = {"scale": (0.95, 1.15), "upper_opening": (1.5, 3.5)}
    default = {name: STYLES["default"][name] for name in FREE_GEOMETRY}
    real = render_batched(np.arange(400), 50, "default", ranges={**default, **truth}).images
    ranges, record = fit_shape(real, default, grid={"scale": (0.75, 1.05), "upper_opening": (4.5, 2.5)}, n=400, progress=False)
    assert record["centres"] == {"scale": 1.05, "upper_opening": 2.5}
    assert ranges["scale"] == pytest.approx(truth["scale"]) and ranges["upper_opening"] == pytest.approx(truth["upper_opening"])
    assert record["map_l1"] < record["map_l1_at_start"]
