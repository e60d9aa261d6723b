"""Every script under results/ runs at tiny sizes into a temporary folder and writes what it should.

Scripts run in this process (runpy), from the repository root as their docstrings say, so the library is
imported once. Scripts that read real eyes skip where ../shared/data is absent. The .sh scripts are whole
sweeps and throughput timings (minutes to hours, one needs CUDA): they are checked for syntax and for the
`bench` subcommands and options they call, not run.
"""

from __future__ import annotations

import json
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import REPO, SHARED_DATA

from gazebench.cli.main import cli

RESULTS = REPO / "results"
P00 = SHARED_DATA / "mpiigaze_p00" / "dev.npz"
MIXED_144 = SHARED_DATA / "mpiigaze_simgan_png144" / "images_35x55_uint8.npz"


def run_script(script: str, *args: str, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "argv", [script, *args])
    runpy.run_path(str(REPO / script), run_name="__main__")


def needs(*paths: Path) -> None:
    for path in paths:
        if not path.is_file():
            pytest.skip(f"{path} not found (../shared/data is absent on a fresh clone)")


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def test_render_floor(tmp_path, monkeypatch):
    run_script("results/p00_standard/render_floor.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "render_floor.json")
    assert [row["features"] for row in out["rows"]] == ["iris and lids", "+ eyeball centre",
                                                         "+ eyeball centre + iris ellipse"]
    assert out["n_train"] == 2000 and "commit" in out
    assert out["rows"][1]["error_deg"] < out["rows"][0]["error_deg"]  # the eyeball's position is worth knowing


def test_pitch_floor(tmp_path, monkeypatch):
    run_script("results/simulator/pitch_floor.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "pitch_floor.json")
    assert [row["variant"] for row in out["rows"]][:2] == ["default", "eyeball=point"] and "commit" in out
    assert all(0 < row["pitch_gain"] < 1.5 and row["error_deg"] > 0 for row in out["rows"])
    assert "(-19.2, 1.6)" in out["tested on"]  # the central box, from the prior


def test_scale_spread(tmp_path, monkeypatch):
    needs(P00)
    run_script("results/simulator/scale_spread.py", "--n", "300", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "scale_spread.json")
    assert out["real_sd_px"]["x"] > 0 and out["real_sd_px"]["y"] > 0 and "commit" in out
    for fit in out["renders"].values():
        rows = fit["by_scale_centre"]
        assert list(rows) == ["0.6", "0.75", "0.9", "1.05", "1.2"]
        # A larger eye moves its dark pixels more per degree: the slope's size grows with scale.
        assert abs(rows["1.2"]["x"]["slope_px_per_deg"]) > 2 * abs(rows["0.6"]["x"]["slope_px_per_deg"])
        assert all(row[axis]["predicted_sd_px"] >= row[axis]["noise_px"] for row in rows.values() for axis in "xy")


def test_calibrate(tmp_path, monkeypatch):
    needs(MIXED_144)
    run_script("results/simulator/calibrate.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "calibration.json")
    assert set(out) == {"real_144", "current", "grid", "best", "sclera", "scale"}
    assert len(out["best"]) == 1 and out["best"][0]["dark_map_l1"] > 0


def test_ceiling_folds(tmp_path, monkeypatch):
    needs(P00)
    run_script("results/ceiling/ceiling_folds.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "ceiling_folds.json")
    assert set(out["by_seed"]) == {"0", "1"} and "60 evaluated test images" in out["test set"]
    assert all(row["shuffled_folds_deg"] > 0 and row["grouped_folds_deg"] > 0 for row in out["by_seed"].values())


@pytest.mark.slow
def test_tune_cnn(tmp_path, monkeypatch):
    needs(P00)
    out = tmp_path / "tune_cnn.jsonl"
    out.write_text('{"setting": "an earlier row"}\n')
    run_script("results/p00_standard/tune_cnn.py", "--tiny", "--grid", "cnn.epochs=1", "--grid", "cnn.lr=0.001,0.003",
               "--out", str(out), monkeypatch=monkeypatch)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["setting"] for row in rows] == ["an earlier row", "cnn.epochs=1 cnn.lr=0.001", "cnn.epochs=1 cnn.lr=0.003"]
    assert list(rows[1]) == ["setting", "overrides", "n_train", "seed", "train_seconds", "torch_threads",
                             "held_out_renders", "real_p00_dev", "commit", "dirty"]  # the committed rows' format
    assert rows[2]["overrides"] == {"epochs": 1, "lr": 0.003} and rows[2]["real_p00_dev"]["error_deg"] > 0


def test_measure_rejects_unknown_style_parameter(monkeypatch):
    with pytest.raises(SystemExit) as exit_info:
        run_script("results/simulator/measure.py", "--only", "diagnostic", "--style-override", '{"nope": [0, 1]}',
                   monkeypatch=monkeypatch)
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_measure(tmp_path, monkeypatch):
    needs(P00, MIXED_144)
    run_script("results/simulator/measure.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    out = read(tmp_path / "checks.json")
    assert set(out) == {"geometry", "layout", "pca_ridge_deg", "cnn_deg_per_seed", "learnt_cnn", "learnt_cnn_fda", "git"}
    assert len(out["pca_ridge_deg"]) == 5 and len(out["learnt_cnn"]["runs"]) == 1
    assert out["learnt_cnn_fda"]["refiner"].startswith("fda")


@pytest.mark.slow
def test_measure_diagnostic_reads_central_renders_with_other_widths(monkeypatch, capsys):
    needs(P00)
    run_script("results/simulator/measure.py", "--only", "diagnostic", "--tiny", "--seeds", "0", "--channels", "4,4,8,8,16",
               "--sim", "eyeball=point", monkeypatch=monkeypatch)
    out = json.loads(capsys.readouterr().out)
    assert out["channels"] == [4, 4, 8, 8, 16] and "eyeball=point" in out["central"] and "pitch=-19.2,1.6" in out["central"]
    (run,) = out["runs"]
    assert set(run["central_renders"]) >= {"error_deg", "pitch_gain", "pitch_corr"} and run["held_out_renders"]["error_deg"] > 0


def test_measure_draws_the_iris_centred_maps(tmp_path, monkeypatch, capsys):
    needs(P00, MIXED_144)
    run_script("results/simulator/measure.py", "--only", "maps", "--tiny", "--sim", "randomise=2;style=target", "--out", str(tmp_path),
               monkeypatch=monkeypatch)
    distances = json.loads(capsys.readouterr().out)["iris_map_l1"]
    assert list(distances) == ["p00 dev (real)", "144 mixed eyes (real)", "sim (default)", "sim?randomise=2", "sim?style=target"]
    assert distances["p00 dev (real)"]["to_p00"] == 0 and distances["sim (default)"]["to_p00"] > 0
    assert (tmp_path / "iris_maps.png").stat().st_size > 0


@pytest.mark.slow
def test_realism_reference(tmp_path, monkeypatch):
    needs(P00, MIXED_144)
    run_script("results/p00_standard/realism_reference.py", "--tiny", "--out", str(tmp_path), monkeypatch=monkeypatch)
    rows = read(tmp_path / "realism_reference.json")["rows"]
    assert len(rows) == 3 and all(row["seeds"] == 2 and 0 <= row["accuracy_pct_mean"] <= 100 for row in rows)


@pytest.mark.slow
def test_tune_refiner(tmp_path, monkeypatch):
    needs(P00)
    out = tmp_path / "tune_refiner.jsonl"
    settings = {"tiny": {"pretrain_refiner_steps": 2, "pretrain_discriminator_steps": 2, "adversarial_steps": 2}}
    run_script("results/p00_standard/tune_refiner.py", "--tiny", "--settings", json.dumps(settings),
               "--runs", str(tmp_path / "runs"), "--out", str(out), monkeypatch=monkeypatch)
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert list(row) == ["setting", "refiner", "overrides", "preset", "seed", "run_dir", "mean_angular_error_deg",
                         "domain_accuracy_pct", "frechet_real_refined", "frechet_real_synthetic", "gaze_drift_mean_deg",
                         "refiner_seconds", "commit", "dirty"]  # the committed rows' format
    assert row["overrides"] == settings["tiny"] and Path(row["run_dir"]).is_dir()


@pytest.mark.slow
def test_realism_cues(tmp_path, monkeypatch):
    run_script("results/controlled/realism_cues.py", str(tmp_path), "--tiny", monkeypatch=monkeypatch)
    out = read(tmp_path / "realism_cues.json")
    classifier = out["classifier_accuracy_pct"]
    assert list(classifier) == ["none", "blur", "down4", "shuffled", "blur, shuffled", "equalised"]
    assert all(0 <= pct <= 100 for row in classifier.values() for pct in row.values())
    assert set(classifier["none"]) == {"refined", "unrefined", "oracle"} and out["n_test_per_class"] == 60
    assert set(out["histogram_logistic_accuracy_pct"]) == {"8 bins", "256 bins"}
    assert all(sd >= 0 for row in out["quantile_sd_across_images"].values() for sd in row.values())
    assert set(out["mean_by_band"]) == {"target", "refined", "unrefined", "oracle"}
    assert all(-1 <= mean <= 1 for row in out["mean_by_band"].values() for mean in row.values())
    assert set(out["own_discriminator_auc_pct"]) == {"refined", "unrefined", "oracle"}
    assert all(0 <= auc <= 100 for auc in out["own_discriminator_auc_pct"].values())
    truth = out["known_truth"]
    assert truth["unrefined_l1"] > 0.05 and truth["removed_pct"] == pytest.approx(100 * (1 - truth["refined_l1"] / truth["unrefined_l1"]), abs=0.1)
    assert (tmp_path / "known_truth.png").stat().st_size > 0
    assert (tmp_path / "refiner" / "config.json").is_file()  # the refiner it trained, reusable with --checkpoint


def test_the_own_discriminator_score_is_an_auc_of_its_per_image_real_probability():
    """A discriminator whose every patch says "real" in proportion to brightness ranks bright images above dark ones
    (100); one that says the same of every image cannot tell them apart (50)."""
    script = runpy.run_path(str(RESULTS / "controlled" / "realism_cues.py"))
    bright, dark = torch.rand(20, 1, 6, 8) * 0.5 + 0.5, torch.rand(20, 1, 6, 8) * 0.5 - 1.0
    brightness = torch.nn.Conv2d(1, 2, 1)  # REAL logit = 4 * pixel, REFINED logit = -4 * pixel
    with torch.no_grad():
        brightness.weight.copy_(torch.tensor([4.0, -4.0]).view(2, 1, 1, 1)), brightness.bias.zero_()
    assert script["discriminator_auc"](brightness, bright, dark) == 100.0
    assert script["discriminator_auc"](brightness, dark, bright) == 0.0
    with torch.no_grad():
        brightness.weight.zero_()
    assert script["discriminator_auc"](brightness, bright, dark) == 50.0


@pytest.mark.parametrize("look", ["near_infrared", "swapped_tones"])
def test_unseen_gap(tmp_path, monkeypatch, look):
    import numpy as np

    from gazebench.data import open_source

    run_script("results/controlled/unseen_gap.py", str(tmp_path), look, monkeypatch=monkeypatch)
    target, oracle = np.load(tmp_path / "target.npz"), np.load(tmp_path / "oracle.npz")
    assert target["images"].shape[0] == 3000 and oracle["images"].shape[0] == 10_500
    source = open_source("sim?n=3000&seed=300000").load()  # the same eyes and labels, another look
    assert np.array_equal(target["gaze"], source.gaze) and target["images"].shape == source.images.shape
    assert np.abs(target["images"].astype(int) - source.images).mean() > 10


def test_ablation_pairs_a_refiner_with_itself_by_seed(monkeypatch, capsys):
    """The committed cpu appearance runs hold simgan_local at two settings (fp32 and bf16): the script pairs them by
    seed and its differences are the per-seed ones, read here straight from the run records."""
    folder = "results/controlled/runs_cpu/appearance"
    run_script("results/controlled/ablation.py", f"bf16={folder}@fd145e6f", f"fp32={folder}@69bddff8", monkeypatch=monkeypatch)
    lines = capsys.readouterr().out.splitlines()
    rows = [line.split(" | ") for line in lines if line.startswith("| fp32 | cnn | gap closed")]
    assert len(rows) == 1
    # the classifier is one value per run, so it is listed once per variant, not once per estimator
    assert [line.split(" | ")[1] for line in lines if "| classifier vs target" in line] == ["run"]
    closed = {}
    for path in (REPO / folder).glob("*_simgan_local_seed*/metrics.json"):
        settings = path.parent.name.rsplit("_", 1)[1]
        for record in read(path):
            if record["kind"] == "method" and record["estimator"] == "cnn":
                closed.setdefault(settings, {})[record["seed"]] = record["gap_closed_pct"]
    diffs = [closed["69bddff8"][seed] - closed["fd145e6f"][seed] for seed in closed["fd145e6f"]]
    assert rows[0][3] == str(len(diffs)) == "5" and float(rows[0][6]) == pytest.approx(sum(diffs) / len(diffs), abs=0.05)
    with pytest.raises(SystemExit, match="exactly one simgan_local setting"):
        run_script("results/controlled/ablation.py", f"a={folder}", f"b={folder}@69bddff8", monkeypatch=monkeypatch)


def test_self_reg_costs_rank_the_ideal_look_against_moves(monkeypatch, capsys):
    """The structure term charges moving the target image more, relative to its ideal, than the L1 does."""
    run_script("results/controlled/self_reg_costs.py", "40", "3", monkeypatch=monkeypatch)
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in capsys.readouterr().out.splitlines()
            if line.startswith(("| pixels", "| structure"))}
    sideways = {kind: float(row[2].rstrip("x")) for kind, row in rows.items()}
    assert set(sideways) == {"pixels", "structure"} and sideways["structure"] > sideways["pixels"] > 1


def test_realism_ruler_reads_a_brightness_shift_above_its_floor(monkeypatch, capsys):
    run_script("results/controlled/realism_ruler.py", "120", "appearance", "100", monkeypatch=monkeypatch)
    rows = {line.split(" | ")[0].strip("| "): float(line.split(" | ")[1].strip(" |"))
            for line in capsys.readouterr().out.splitlines() if line.startswith("| ") and not line.startswith("| change")}
    assert len(rows) == 11 and all(0 <= value <= 100 for value in rows.values())
    assert rows["brightness +0.05"] > rows["none (the floor)"] + 20


def test_every_python_script_is_tested():
    tested = set(re.findall(r'"(results/[\w/]+\.py)"', Path(__file__).read_text()))
    assert {str(p.relative_to(REPO)) for p in RESULTS.rglob("*.py")} <= tested


SHELL_SCRIPTS = sorted(str(p.relative_to(REPO)) for p in RESULTS.rglob("*.sh"))


@pytest.mark.parametrize("script", SHELL_SCRIPTS)
def test_shell_script_calls_existing_bench_options(script):
    """Not run (a full sweep on a clean tree, or timings on an idle machine or a GPU): their syntax and every
    `bench` subcommand and --option they use are checked instead."""
    assert subprocess.run(["bash", "-n", str(REPO / script)]).returncode == 0
    text = (REPO / script).read_text()
    calls = re.findall(r"(?:\bbench|\$BENCH) ((?:[a-z]+ )+)(.*)", text)
    assert calls, f"{script} calls no bench command"
    for words, rest in calls:
        command = words.split()
        help_text = CliRunner().invoke(cli, [*command, "--help"]).output
        assert "Usage" in help_text, f"{script}: bench {' '.join(command)} is not a command"
        for option in re.findall(r"(--[a-z][a-z-]*)", rest):
            assert option in help_text, f"{script}: bench {' '.join(command)} has no {option}"


def test_refine_memory(tmp_path, monkeypatch):
    run_script("results/perf/refine_memory.py", "--n", "80", "--out", str(tmp_path / "m.json"), monkeypatch=monkeypatch)
    out = read(tmp_path / "m.json")
    assert [row["way"] for row in out["rows"]] == ["gathered", "in_place"] and "commit" in out["git"]
    assert out["rows"][0]["checksum"] == out["rows"][1]["checksum"]  # the same refined images either way
    assert all(row["seconds"] > 0 and row["peak_rss_growth_mb"] >= 0 for row in out["rows"])
