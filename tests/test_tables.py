"""Tables from run records: grouping over seeds, 1x/4x labels, formats, and half-written runs skipped."""

import io
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.harness import records
from gazebench.report.tables import (
    calibration_table,
    diagnostics_table,
    method_table,
    paired_table,
    realism_table,
    render_tables,
    report_runs,
    within_table,
)


def _record(refiner, seed, error, *, estimator="cnn", n_train=100, kind="method", within=50.0, domain=60.0):
    record = {
        "kind": kind, "refiner": refiner, "estimator": estimator, "seed": seed, "n_train": n_train if kind == "method" else None,
        "real": "sim?style=target", "real_test": "sim?style=target", "synthetic": "sim",
        "mean_angular_error_deg": error, "median_angular_error_deg": error, "std_angular_error_deg": 1.0,
        "within_deg": {"3": within / 4, "5": within / 2, "7": within, "10": within + 10, "15": within + 20},
    }
    if kind == "method":
        record.update(domain_accuracy_pct=domain, frechet_real_refined=2.0 * seed, frechet_real_synthetic=9.0,
                      gaze_drift_mean_deg=1.5, predictions_file="predictions_cnn.csv", pitch_bias_deg=-error,
                      pitch_gain=0.5, pitch_corr=0.6, yaw_bias_deg=1.0, yaw_gain=0.9, yaw_corr=0.8,
                      calibrated={kind: {"1": {"mean": error - 1, "std": 0.5}, "9": {"mean": error / 2, "std": 0.1}}
                                  for kind in ("offset", "affine")})
    return record


def _write_run(runs_dir, name, run_records, *, done=True):
    run_dir = runs_dir / name
    records.write_json(run_dir / records.CONFIG_FILE, {"run": name})
    records.write_json(run_dir / records.METRICS_FILE, run_records)
    if done:
        records.mark_done(run_dir)
    return run_dir


@pytest.fixture
def runs_dir(tmp_path):
    # Two seeds of identity (errors 8 and 10) and of simgan_local (6 and 7), one 4x identity run, references.
    _write_run(tmp_path, "a", [_record("identity", 0, 8.0, within=40.0), _record("identity", 0, 8.5, kind="reference", estimator="mean_gaze")])
    _write_run(tmp_path, "b", [_record("identity", 1, 10.0, within=60.0), _record("identity", 1, 8.5, kind="reference", estimator="mean_gaze")])
    _write_run(tmp_path, "c", [_record("simgan_local", 0, 6.0, domain=52.0)])
    _write_run(tmp_path, "d", [_record("simgan_local", 1, 7.0, domain=54.0)])
    _write_run(tmp_path, "e", [_record("identity", 0, 9.0, n_train=400)])
    return tmp_path


def test_method_table_gives_mean_and_standard_error_over_seeds(runs_dir):
    table = method_table(records.read_runs(runs_dir)).frame
    identity = table[(table["refiner"] == "identity") & (table["n train"] == 100)].iloc[0]
    assert identity["seeds"] == 2
    assert identity["mean error (deg)"] == pytest.approx(9.0)
    assert identity["mean error (deg) se"] == pytest.approx(1.0)  # std 1.414 / sqrt 2
    assert table[table["refiner"] == "simgan_local"]["mean error (deg)"].tolist() == [pytest.approx(6.5)]
    reference = table[table["refiner"] == "(reference)"]
    assert reference["estimator"].tolist() == ["mean_gaze"]
    assert reference["mean error (deg)"].iloc[0] == pytest.approx(8.5)


def test_runs_of_different_settings_are_separate_rows_that_name_the_setting(runs_dir):
    for seed in (0, 1):
        record = {**_record("identity", seed, 12.0), "synthetic_setting": "sim?n={n}&seed={seed}&prior=uniform"}
        _write_run(runs_dir, f"f{seed}", [record])
    runs = records.read_runs(runs_dir)
    table = method_table(runs).frame
    identity = table[(table["refiner"] == "identity") & (table["n train"] == 100)]
    assert sorted(identity["synthetic_setting"]) == ["", "sim?n={n}&seed={seed}&prior=uniform"]
    flat = identity[identity["synthetic_setting"] != ""].iloc[0]
    assert flat["seeds"] == 2 and flat["mean error (deg)"] == pytest.approx(12.0)
    same_setting = method_table(runs[~runs["run"].astype(str).str.startswith("f")]).frame
    assert "synthetic_setting" not in same_setting  # no column when every run shares the setting


def test_within_table_labels_synthetic_refined_and_data_multiples(runs_dir):
    table = within_table(records.read_runs(runs_dir)).frame
    labels = set(zip(table["training data"], table["data"]))
    assert labels == {("synthetic", "1x"), ("synthetic", "4x"), ("refined (simgan_local)", "1x")}
    row = table[(table["training data"] == "synthetic") & (table["data"] == "1x")].iloc[0]
    assert row["≤7°"] == pytest.approx(50.0)


def test_realism_table_has_one_row_per_refiner(runs_dir):
    table = realism_table(records.read_runs(runs_dir)).frame.set_index("refiner")
    assert set(table.index) == {"identity", "simgan_local"}
    assert table.loc["simgan_local", "domain acc. (%)"] == pytest.approx(53.0)
    assert table.loc["simgan_local", "domain acc. (%) se"] == pytest.approx(1.0)


def test_formats_render_mean_plus_minus_se(runs_dir):
    frame = records.read_runs(runs_dir)
    markdown = render_tables(frame, fmt="markdown", which="methods")
    assert "| 9.00 ± 1.00 |" in markdown and "(reference)" in markdown
    latex = render_tables(frame, fmt="latex", which="methods")
    assert r"9.00 $\pm$ 1.00" in latex and r"\begin{tabular}" in latex
    csv = render_tables(frame, fmt="csv", which="methods")
    parsed = pd.read_csv(io.StringIO(csv), comment="#")
    assert {"mean error (deg)", "mean error (deg) se", "seeds"} <= set(parsed.columns)


def test_half_written_run_is_skipped_with_a_warning(runs_dir):
    _write_run(runs_dir, "z_interrupted", [_record("gaussian", 0, 1.0)], done=False)
    (runs_dir / "y_corrupt").mkdir()
    (runs_dir / "y_corrupt" / records.METRICS_FILE).write_text("{not json")
    records.mark_done(runs_dir / "y_corrupt")
    warnings = []
    text = report_runs(runs_dir, which="methods", warn=warnings.append)
    assert "gaussian" not in text and "simgan_local" in text
    assert any("z_interrupted" in w for w in warnings) and any("y_corrupt" in w for w in warnings)


def test_calibration_table_by_k_and_its_paired_differences(runs_dir):
    by_k, paired = calibration_table(records.read_runs(runs_dir))
    offset = by_k.frame.set_index(["refiner", "correction", "n train"]).loc[("simgan_local", "offset", 100)]
    assert offset["k=0"] == pytest.approx(6.5) and offset["k=1"] == pytest.approx(5.5) and offset["k=9"] == pytest.approx(3.25)
    # simgan_local minus identity at k=9, seed by seed: 6/2 - 8/2 = -1 and 7/2 - 10/2 = -1.5
    row = paired.frame.set_index(["refiner", "correction", "k"]).loc[("simgan_local", "affine", 9)]
    assert row["difference (deg)"] == pytest.approx(-1.25) and row["seeds"] == 2


def test_diagnostics_table_reports_bias_gain_and_correlation(runs_dir):
    frame = diagnostics_table(records.read_runs(runs_dir)).frame.set_index(["refiner", "n train"])
    assert frame.loc[("identity", 100), "pitch bias (deg)"] == pytest.approx(-9.0)
    assert frame.loc[("identity", 100), "yaw gain"] == pytest.approx(0.9)


def test_a_run_from_a_dirty_tree_is_flagged(runs_dir):
    config, metric_records = records.read_run(runs_dir / "a")
    records.write_json(runs_dir / "a" / records.CONFIG_FILE, {**config, "git": {"commit": "abc", "dirty": True}})
    warnings = []
    report_runs(runs_dir, which="methods", warn=warnings.append)
    assert [w for w in warnings if "uncommitted changes" in w] == [f"warning: {runs_dir / 'a'} was run from a tree with "
                                                                   "uncommitted changes: no commit reproduces it"]


def test_changes_inside_the_output_folder_do_not_make_a_record_dirty(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "results" / "runs").mkdir(parents=True)
    (repo / "pkg" / "code.py").write_text("x = 1\n")
    (repo / "results" / "runs" / "sweep.json").write_text("{}\n")
    for args in (["init", "-q"], ["add", "."], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "c"]):
        subprocess.run(["git", *args], cwd=repo, check=True)
    monkeypatch.setattr(records, "REPO_ROOT", repo / "pkg")
    outputs = repo / "results" / "runs"
    assert records.git_state(outputs=outputs)["dirty"] is False

    (outputs / "sweep.json").write_text('{"cells": []}\n')  # what a sweep does to its committed manifest
    assert records.git_state(outputs=outputs)["dirty"] is False
    assert records.git_state(outputs=tmp_path / "elsewhere")["dirty"] is False  # a sweep manifest is never an input
    (outputs / "notes.md").write_text("a")
    subprocess.run(["git", "add", "results/runs/notes.md"], cwd=repo, check=True)
    assert records.git_state(outputs=outputs)["dirty"] is False
    assert records.git_state(outputs=tmp_path / "elsewhere")["dirty"] is True

    (repo / "pkg" / "code.py").write_text("x = 2\n")  # the code that makes the records
    (outputs / "sweep.json").write_text("{}\n")
    assert records.git_state(outputs=outputs)["dirty"] is True


def test_refiner_checkpoint_inside_a_run_is_not_a_run(runs_dir):
    records.write_json(runs_dir / "c" / "refiner" / "config.json", {"refiner": "simgan_local", "config": {}})
    warnings = []
    report_runs(runs_dir, warn=warnings.append)
    assert warnings == []


def test_empty_or_missing_runs_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserInputError, match="no complete run"):
        records.read_runs(tmp_path)
    with pytest.raises(UserInputError, match="does not exist"):
        records.read_runs(tmp_path / "missing")


def test_table_cli(runs_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["table", str(runs_dir), "--format", "latex", "--table", "realism"])
    assert result.exit_code == 0, result.output
    assert r"\toprule" in result.output and "simgan" in result.output
    for bad in ([str(tmp_path / "missing")], [str(runs_dir), "--format", "html"]):
        assert runner.invoke(cli, ["table", *bad]).exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(cli, ["table", str(empty)])
    assert result.exit_code == 2 and "no complete run" in result.output



def test_paired_table_pairs_by_seed_and_marks_resolved_differences(tmp_path):
    for seed, (base, fda, noisy) in enumerate([(8.0, 6.0, 9.0), (10.0, 8.1, 8.0), (9.0, 7.0, 10.5)]):
        _write_run(tmp_path, f"i{seed}", [_record("identity", seed, base)])
        _write_run(tmp_path, f"f{seed}", [_record("fda", seed, fda)])
        _write_run(tmp_path, f"n{seed}", [_record("gaussian", seed, noisy)])
    _write_run(tmp_path, "s0", [_record("simgan_local", 0, 5.0)])  # one seed: no interval
    _write_run(tmp_path, "x", [_record("fda", 7, 1.0)])  # no identity run of seed 7: not paired
    table = paired_table(records.read_runs(tmp_path)).frame.set_index("refiner")
    fda = table.loc["fda"]
    assert fda["seeds"] == 3 and fda["difference (deg)"] == pytest.approx(-1.9667, abs=1e-3)
    # Differences -2.0, -1.9, -2.0: sd 0.0577, t(0.975, 2) = 4.303 -> half-width 0.1434.
    assert fda["CI high"] == pytest.approx(-1.9667 + 0.1434, abs=1e-3) and fda["resolved"] == "yes"
    gaussian = table.loc["gaussian"]  # +1.0, -2.0, +1.5: the interval spans 0
    assert gaussian["CI low"] < 0 < gaussian["CI high"] and gaussian["resolved"] == "no"
    assert table.loc["simgan_local", "resolved"] == "too few seeds"
    # Two seeds whose differences agree give a narrow interval on one degree of freedom: shown, not called resolved.
    two = paired_table(records.read_runs(tmp_path)[lambda r: r["seed"] < 2]).frame.set_index("refiner")
    assert two.loc["fda", "CI high"] < 0 and two.loc["fda", "resolved"] == "too few seeds"


@pytest.mark.slow
def test_two_runs_differing_by_one_set_are_two_rows_with_that_setting_as_a_column(tmp_path):
    """Same seed, same everything but knn.n_neighbors: both rows, never the newer alone; an old-format run (no
    settings in its records) in the same folder still reads and groups as before."""
    out = tmp_path / "runs"
    for neighbors in (3, 30):
        result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--estimator", "knn", "--n-synthetic", "300",
                                          "--no-realism", "--no-references", "--no-calibration", "--oracle", "none",
                                          "--out", str(out), "--set", f"knn.n_neighbors={neighbors}"])
        assert result.exit_code == 0, result.output
    runs = records.read_runs(out)
    assert runs["settings_hash"].nunique() == 2 and runs["settings"].map(lambda s: s["knn.n_neighbors"]).tolist() != []
    table = method_table(runs).frame
    assert sorted(table["knn.n_neighbors"]) == ["3", "30"] and (table["seeds"] == 1).all()
    assert table.set_index("knn.n_neighbors")["mean error (deg)"].nunique() == 2
    markdown = CliRunner().invoke(cli, ["table", str(out), "--table", "methods"]).output
    assert "knn.n_neighbors" in markdown and markdown.count("| knn |") == 2
    _write_run(out, "old", [_record("identity", 0, 8.0, estimator="knn", n_train=300)])
    mixed = method_table(records.read_runs(out)).frame
    assert sorted(mixed["knn.n_neighbors"]) == ["", "3", "30"]  # the old run: its own row, the setting unknown


def test_records_without_settings_group_as_before(runs_dir):
    assert "settings" not in records.read_runs(runs_dir)
    assert not any("." in column for column in method_table(records.read_runs(runs_dir)).frame.columns)


def test_one_seed_s_oracle_is_one_row_whatever_refiner_cells_recorded_it(tmp_path):
    """Each refiner's cell writes the oracle record of its seed with that refiner's settings beside the run's and the
    estimator's: the table pools them by seed into one oracle row, keeps the estimator's settings apart, and still
    splits the refiners' own rows by their settings."""
    def cell(name, refiner, seed, error, refiner_settings, knn_neighbors=5):
        settings = {"run.n_synthetic": 100, "knn.n_neighbors": knn_neighbors, **refiner_settings}
        method = {**_record(refiner, seed, error + 5.0, estimator="knn"), "settings": settings}
        oracle = {**_record("(oracle)", seed, error, estimator="knn", kind="oracle"), "settings": settings}
        _write_run(tmp_path, name, [method, oracle])

    cell("a", "fda", 0, 4.0, {"fda.beta": 0.01})
    cell("b", "histogram", 0, 4.0, {"histogram.bins": 256})
    cell("c", "fda", 1, 6.0, {"fda.beta": 0.01})
    cell("d", "fda", 1, 6.0, {"fda.beta": 0.05})
    cell("e", "fda", 1, 9.0, {"fda.beta": 0.01}, knn_neighbors=3)
    table = method_table(records.read_runs(tmp_path)).frame
    oracles = table[table["refiner"] == "(oracle)"].set_index("knn.n_neighbors")
    assert sorted(oracles.index) == ["3", "5"]
    assert oracles.loc["5", "seeds"] == 2 and oracles.loc["5", "mean error (deg)"] == pytest.approx(5.0)
    assert oracles.loc["3", "seeds"] == 1 and oracles.loc["3", "mean error (deg)"] == pytest.approx(9.0)
    fda = table[(table["refiner"] == "fda") & (table["knn.n_neighbors"] == "5")]
    assert sorted(fda["fda.beta"]) == ["0.01", "0.05"]  # the refiners' own rows keep their settings apart
