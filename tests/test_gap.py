"""Known-truth gaps: the gap-closed formula, the oracle a simulator stand-in gets, a tiny run with its oracle
rows and gap table, real runs that measure what they did before oracles existed, and presets in the settings hash."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core import presets
from gazebench.core.images import to_model_tensor
from gazebench.data import open_source
from gazebench.estimators.registry import create_estimator
from gazebench.harness import records
from gazebench.harness.config import NO_ORACLE, RunConfig, auto_oracle, preset_values, settings_hash, settings_record
from gazebench.harness.gap import drift_channels, gap_closed_pct, self_read, two_look_drift
from gazebench.harness.stages import Data, Refined, fit_on_unrefined
from gazebench.report.gaps import gap_frame

REPO = Path(__file__).resolve().parents[1]
TINY = ["--estimator", "knn", "--set", "run.n_synthetic=400", "--set", "run.n_test=120", "--set", "run.n_realism=40",
        "--set", "run.n_probe=200", "--no-calibration", "--no-references"]


def test_gap_closed_is_the_share_of_the_unrefined_to_oracle_gap():
    assert gap_closed_pct(20.0, 20.0, 10.0) == 0.0
    assert gap_closed_pct(20.0, 10.0, 10.0) == 100.0
    assert gap_closed_pct(20.0, 14.0, 10.0) == pytest.approx(60.0)
    assert gap_closed_pct(20.0, 25.0, 10.0) == pytest.approx(-50.0)  # a refiner that hurts closes a negative share
    assert math.isnan(gap_closed_pct(10.0, 9.0, 12.0))  # the oracle is no better: no gap to close


def test_the_gap_table_reads_the_unrefined_renders_drift_beside_the_refined():
    """The unrefined renders move no gaze: the oracle's reading of them is the scale for the refined drift."""
    rows = [{"seed": seed, "gap_closed_pct": 50.0, "unrefined_error_deg": 20.0, "mean_angular_error_deg": 15.0,
             "oracle_error_deg": oracle, "oracle_read_refined_deg": oracle + 2.0 + seed,
             "oracle_read_unrefined_deg": oracle + 10.0 + seed, "gaze_drift_oracle_read_deg": 2.0 + seed}
            for seed, oracle in ((0, 5.0), (1, 6.0))]
    (row,) = gap_frame(pd.DataFrame(rows).assign(refiner="r"), ["refiner"]).to_dict("records")
    assert row["drift, oracle-read (deg)"] == pytest.approx(2.5)
    assert row["same, unrefined renders (deg)"] == pytest.approx(10.5)
    assert "drift, two-look reader (deg)" not in row  # runs from before the two-look reader print what they did


def test_the_gap_table_reads_the_two_look_drift_against_the_target_looks():
    rows = [{"seed": seed, "gap_closed_pct": 50.0, "unrefined_error_deg": 20.0, "mean_angular_error_deg": 15.0,
             "oracle_error_deg": 5.0, "two_look_read_refined_deg": 7.0 + seed, "two_look_read_unrefined_deg": 6.0,
             "two_look_read_target_deg": 6.5 + seed, "gaze_drift_two_look_deg": 1.0 + seed} for seed in (0, 1)]
    (row,) = gap_frame(pd.DataFrame(rows).assign(refiner="r"), ["refiner"]).to_dict("records")
    assert row["drift, two-look reader (deg)"] == pytest.approx(1.5)
    assert row["same, target's look (deg)"] == pytest.approx(1.0)
    assert "gaze lost, self-read (deg)" not in row  # runs from before it print what they did
    lost = gap_frame(pd.DataFrame(rows).assign(refiner="r", gaze_lost_deg=[0.5, 1.5], self_read_unrefined_deg=[4.0, 4.5]),
                     ["refiner"]).to_dict("records")
    assert lost[0]["gaze lost, self-read (deg)"] == pytest.approx(1.0)
    assert lost[0]["same, target's own look (deg)"] == pytest.approx(0.75)  # the oracle's 5.0 against 4.0 and 4.5


def test_gap_styles_keep_the_labels_and_change_what_they_say():
    default, appearance, shape = (open_source(f"sim?n=64&seed=3&style={s}").read(np.arange(64))
                                  for s in ("default", "appearance", "shape"))
    assert np.array_equal(default.gaze, appearance.gaze) and np.array_equal(default.gaze, shape.gaze)
    assert not np.array_equal(default.images, appearance.images) and not np.array_equal(default.images, shape.images)
    assert open_source("sim?style=appearance").is_stand_in and not open_source("sim").is_stand_in


def test_a_stand_in_gets_an_oracle_of_its_own_style_and_real_data_none():
    assert auto_oracle("sim?style=combined&seed=100000&head=10") == "sim?style=combined&head=10&seed={oracle_seed}&n={n}"
    assert auto_oracle("sim?n=100") is None and auto_oracle("npz:dev.npz") is None
    resolved = RunConfig(real="sim?style=shape&seed=100000", seed=2).resolved()
    assert resolved.oracle_spec().startswith("sim?style=shape&seed=200002&n=")
    assert RunConfig(real="sim?style=shape&seed=100000", oracle=NO_ORACLE).resolved().oracle_spec() is None
    assert resolved.resolved().oracle_spec() == resolved.oracle_spec()  # resolving twice changes nothing
    # Seeds of one setting share the oracle template, so they pool; turning the oracle off is another experiment.
    a, b = RunConfig(real="sim?style=shape", seed=0), RunConfig(real="sim?style=shape", seed=1)
    assert settings_hash(a) == settings_hash(b) != settings_hash(RunConfig(real="sim?style=shape", oracle=NO_ORACLE))


def test_a_shared_fit_is_named_by_what_it_trains_on(tmp_path):
    """Fits of another seed, other settings or other images never share a file; without a shared folder a fit keeps
    its epochs in the run's own checkpoint folder. Where the shared folder is does not change the settings hash."""
    images, gaze = torch.rand(16, 1, 35, 55) * 2 - 1, np.zeros((16, 2), dtype=np.float32)
    data = Data(syn_train=images, syn_hold=images[:0], syn_gaze=gaze, syn_hold_gaze=gaze[:0], test=None, test_images=images,
                test_people=np.array([]), calibration=None, pool_people=np.array([]), checkpoint_dir=tmp_path / "run",
                shared_dir=tmp_path / "shared")

    def path(seed=0, epochs=2, x=images):
        return data.shared_checkpoint("oracle_cnn", create_estimator("cnn", seed=seed, epochs=epochs), x, gaze,
                                      torch.device("cpu"), print)

    assert path().parent == tmp_path / "shared" and path() == path()
    assert len({path(), path(seed=1), path(epochs=3), path(x=images.flip(0))}) == 4
    threads = torch.get_num_threads()
    try:  # torch's thread count changes a CPU fit's last bits, so another count trains its own
        torch.set_num_threads(threads + 1)
        other_threads = path()
    finally:
        torch.set_num_threads(threads)
    assert other_threads != path()
    data.shared_dir = None
    assert path() == tmp_path / "run" / "oracle_cnn.pt"
    assert settings_hash(RunConfig(shared_fits="a")) == settings_hash(RunConfig(shared_fits="b")) == settings_hash(RunConfig())


def test_an_edited_preset_file_is_another_setting(tmp_path, monkeypatch):
    # Records from before an edit (the cpu preset's lambda, steps or precision) must neither pool with later seeds
    # in a table nor count as a sweep's finished cells.
    shipped = presets.PRESETS_DIR
    for path in shipped.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(presets, "PRESETS_DIR", tmp_path)
    config = RunConfig(refiner="simgan_local", estimators=("cnn",))
    before, record = settings_hash(config), settings_record(config, "simgan_local", "cnn")
    cpu = tmp_path / "cpu.toml"
    cpu.write_text(cpu.read_text() + "\n[rf]\nn_estimators = 7\n")  # a component this run does not use
    presets._load.cache_clear()
    assert settings_hash(config) == before and settings_record(config, "simgan_local", "cnn") == record
    cpu.write_text(cpu.read_text().replace("epochs = 2", "epochs = 3"))
    presets._load.cache_clear()
    after = settings_record(config, "simgan_local", "cnn")
    assert settings_hash(config) != before
    assert {k for k in record if record[k] != after[k]} == {"cnn.preset values"}
    checkpointed = RunConfig(refiner_checkpoint="some/refine/folder", estimators=("cnn",))
    assert "simgan_local" not in preset_values(checkpointed) and "cnn" in preset_values(checkpointed)


def test_an_option_added_later_leaves_the_settings_as_they_were_while_it_is_off(tmp_path, monkeypatch):
    # Runs recorded before `coord_input = false` entered the presets pool with runs after it in tables and sweeps;
    # turned on, it is another setting.
    for path in presets.PRESETS_DIR.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    monkeypatch.setattr(presets, "PRESETS_DIR", tmp_path)
    config = RunConfig(preset="standard", refiner="simgan_local", estimators=("cnn",))
    paper = tmp_path / "paper.toml"
    shipped = paper.read_text()
    assert "coord_input = false" in shipped
    presets._load.cache_clear()
    now = settings_hash(config), settings_record(config, "simgan_local", "cnn")
    paper.write_text(shipped.replace("coord_input = false", ""))  # the preset before the option
    presets._load.cache_clear()
    assert (settings_hash(config), settings_record(config, "simgan_local", "cnn")) == now
    paper.write_text(shipped.replace("coord_input = false", "coord_input = true"))
    presets._load.cache_clear()
    assert settings_hash(config) != now[0]
    assert settings_record(config, "simgan_local", "cnn")["simgan_local.preset values"] != now[1]["simgan_local.preset values"]


@pytest.mark.slow
def test_a_stand_in_run_reports_the_oracle_and_the_gap_closed(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--refiner", "histogram", "--real", "sim?style=appearance&seed=100000",
                                      *TINY, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "gap closed" in result.output
    (run_dir,) = records.find_run_dirs(tmp_path)
    metrics = json.loads((run_dir / records.METRICS_FILE).read_text())
    method = next(r for r in metrics if r["kind"] == "method")
    oracle = next(r for r in metrics if r["kind"] == "oracle")
    assert oracle["estimator"] == "knn" and oracle["refiner"] == "(oracle)" and "seed=200000" in oracle["oracle"]
    assert method["oracle_error_deg"] == oracle["mean_angular_error_deg"]
    assert method["gap_closed_pct"] == pytest.approx(gap_closed_pct(method["unrefined_error_deg"],
                                                                   method["mean_angular_error_deg"], oracle["mean_angular_error_deg"]))
    # The oracle reads its own domain far better than knn trained on the source does.
    assert oracle["mean_angular_error_deg"] < method["unrefined_error_deg"]
    # Drift as the oracle reads it: its error on the refined held-out renders, beyond its error on the test set.
    assert method["gaze_drift_oracle_read_deg"] == pytest.approx(method["oracle_read_refined_deg"] - oracle["mean_angular_error_deg"])
    assert method["oracle_read_unrefined_deg"] > oracle["mean_angular_error_deg"]  # the source's look misleads it
    assert 30.0 <= method["domain_accuracy_oracle_pct"] <= 70.0  # one domain against itself: near chance
    # The two-look reader, trained on both looks, reads the target's look far better than the source-trained
    # estimator does, and the drift it reads is its error on refined renders beyond the same renders unrefined.
    assert method["gaze_drift_two_look_deg"] == pytest.approx(method["two_look_read_refined_deg"]
                                                              - method["two_look_read_unrefined_deg"])
    assert method["two_look_read_target_deg"] < method["unrefined_error_deg"]
    assert method["gaze_lost_deg"] == pytest.approx(method["self_read_refined_deg"] - method["self_read_unrefined_deg"])
    table = CliRunner().invoke(cli, ["table", str(tmp_path), "--table", "gaps"])
    assert table.exit_code == 0 and "| knn | histogram |" in table.output
    methods = CliRunner().invoke(cli, ["table", str(tmp_path), "--table", "methods"])
    assert "(oracle)" in methods.output


@pytest.mark.slow
def test_no_oracle_runs_as_before(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--real", "sim?style=appearance&seed=100000",
                                      "--oracle", NO_ORACLE, *TINY, "--no-realism", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (run_dir,) = records.find_run_dirs(tmp_path)
    metrics = json.loads((run_dir / records.METRICS_FILE).read_text())
    assert [r["kind"] for r in metrics] == ["method"] and "gap_closed_pct" not in metrics[0]
    table = CliRunner().invoke(cli, ["table", str(tmp_path), "--table", "all"])
    assert "Gap closed" not in table.output  # folders without an oracle print the tables they always did


def test_an_unrefined_fit_is_made_once_per_estimator_settings_and_size():
    # The realism probe and the gap stage's unrefined row ask for the same seeded fit: it is fitted once.
    data = open_source("sim?n=120&seed=1").read(np.arange(120))
    shared = Data(syn_train=to_model_tensor(data.images), syn_hold=to_model_tensor(data.images[:0]), syn_gaze=data.gaze,
                  syn_hold_gaze=data.gaze[:0], test=data, test_images=to_model_tensor(data.images),
                  test_people=np.zeros(120), calibration=None, pool_people=np.zeros(0))
    cfg, said = RunConfig(preset="cpu", progress=False), []
    first = fit_on_unrefined(cfg, shared, "knn", 120, "cpu", said.append)
    assert fit_on_unrefined(cfg, shared, "knn", 120, "cpu", said.append) is first and len(said) == 1
    assert fit_on_unrefined(cfg, shared, "knn", 100, "cpu", said.append) is not first
    assert fit_on_unrefined(cfg, shared, "knn", 120, "cpu", said.append, n_neighbors=3) is not first and len(said) == 3


def test_the_two_look_reader_reads_no_drift_where_nothing_changed_and_drift_where_the_gaze_did():
    source = open_source("sim?n=900&seed=1").read(np.arange(900))
    target = open_source("sim?style=appearance&n=900&seed=2").read(np.arange(900))
    syn, oracle = to_model_tensor(source.images), to_model_tensor(target.images)
    data = Data(syn_train=syn[:600], syn_hold=syn[600:], syn_gaze=source.gaze[:600], syn_hold_gaze=source.gaze[600:],
                test=None, test_images=syn[:0], test_people=np.zeros(0), calibration=None, pool_people=np.zeros(0))
    cfg, said = RunConfig(preset="cpu", n_synthetic=600, progress=False), []

    def drift(refined_hold: torch.Tensor) -> dict:
        return two_look_drift(cfg, data, Refined(None, syn[:600], refined_hold, 0.0), "knn", {}, oracle, target.gaze,
                              "cpu", said.append)

    unchanged = drift(syn[600:])
    assert unchanged["gaze_drift_two_look_deg"] == 0.0 and "300 unrefined + 300 oracle" in said[0]
    assert unchanged["two_look_read_target_deg"] > 0  # read on the oracle's held-out images
    assert unchanged["two_look_shift_deg"] == pytest.approx(0.0, abs=1e-6)
    assert unchanged["two_look_refined_yaw_gain"] == unchanged["two_look_unrefined_yaw_gain"]
    mirrored = drift(syn[600:].flip(-1))  # every gaze turned to the other side: a refiner that moved it
    assert mirrored["gaze_drift_two_look_deg"] > 2.0  # kNN on 600 images reads the gaze to 11.6 deg, mirrored to 14.8
    # Mirroring turns yaw around: the reader's yaw gain changes sign (0.15 -> -0.16) and each render's reading moves (7.8).
    assert mirrored["two_look_refined_yaw_gain"] < 0 < mirrored["two_look_unrefined_yaw_gain"]
    assert mirrored["two_look_shift_deg"] > 2.0


def test_a_new_look_loses_no_gaze_and_gazes_moved_render_by_render_do():
    source = open_source("sim?n=900&seed=1").read(np.arange(900))
    syn, gaze = to_model_tensor(source.images), source.gaze
    data = Data(syn_train=syn[:600], syn_hold=syn[600:], syn_gaze=gaze[:600], syn_hold_gaze=gaze[600:],
                test=None, test_images=syn[:0], test_people=np.zeros(0), calibration=None, pool_people=np.zeros(0))

    def fitted(images: torch.Tensor):
        estimator = create_estimator("knn", preset="cpu", seed=0)
        estimator.fit(images, gaze[:600], device="cpu", progress=False)
        return estimator

    def lost(refine) -> dict:
        return self_read(fitted(refine(syn[:600])), fitted(syn[:600]), refine(syn[600:]), data, "cpu")

    inverted = lost(lambda images: -images)  # every tone inverted: another look, every gaze where it was
    order = torch.randperm(900, generator=torch.Generator().manual_seed(0))
    moved = lost(lambda images: images[order[order < len(images)]])  # each render swapped for another render
    # kNN reads the inverted renders as it reads the renders (10.52 deg, 0.003 apart: rounding in its distances);
    # renders that carry another render's eye no longer say their labels' gaze (13.6 deg, a kNN's mean-gaze guess).
    assert abs(inverted["gaze_lost_deg"]) < 0.05 and inverted["self_read_unrefined_deg"] > 5
    assert moved["gaze_lost_deg"] > 2.0


def test_drift_channels_tell_a_moved_gaze_from_a_reader_that_falls_back_on_the_mean():
    rng = np.random.default_rng(0)
    gaze = np.radians(rng.uniform(-20, 20, size=(400, 2)))
    read = gaze + np.radians(rng.normal(0, 2, size=gaze.shape))  # a reader of the unrefined renders, 2 deg of noise
    moved = drift_channels(read + np.radians([3.0, 0.0]), read, gaze)  # every gaze moved 3 deg in pitch
    assert moved["two_look_refined_pitch_bias_deg"] - moved["two_look_unrefined_pitch_bias_deg"] == pytest.approx(3.0)
    assert moved["two_look_refined_pitch_gain"] == pytest.approx(moved["two_look_unrefined_pitch_gain"])
    assert moved["two_look_shift_deg"] == pytest.approx(3.0, abs=0.05)
    mean = read.mean(0)
    unsure = drift_channels(mean + 0.5 * (read - mean), read, gaze)  # readings halfway back to the mean gaze
    for angle in ("pitch", "yaw"):
        assert unsure[f"two_look_refined_{angle}_gain"] == pytest.approx(0.5 * unsure[f"two_look_unrefined_{angle}_gain"])
        assert unsure[f"two_look_refined_{angle}_bias_deg"] == pytest.approx(unsure[f"two_look_unrefined_{angle}_bias_deg"],
                                                                              abs=1e-9)
    assert drift_channels(read, read, gaze)["two_look_shift_deg"] == pytest.approx(0.0, abs=1e-6)


def test_gap_frame_pairs_seeds_and_gives_an_interval():
    rows = [{"estimator": "cnn", "refiner": "simgan_local", "seed": s, "unrefined_error_deg": 20.0,
             "mean_angular_error_deg": refined, "oracle_error_deg": 10.0, "gap_closed_pct": gap_closed_pct(20.0, refined, 10.0)}
            for s, refined in enumerate([12.0, 14.0, 13.0])]
    frame = gap_frame(pd.DataFrame(rows), ["estimator", "refiner"])
    (row,) = frame.to_dict("records")
    assert row["seeds"] == 3 and row["gap closed (%)"] == pytest.approx(70.0)
    assert row["CI low"] < 70.0 < row["CI high"]


def test_a_bad_oracle_is_one_sentence(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--oracle", "sim?n=10", *TINY, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--oracle" in result.output and "Traceback" not in result.output
