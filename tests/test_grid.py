"""Settings grids (harness/grid.py): `bench sweep --grid` and the tuning scripts' --grid."""

import dataclasses
import json

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.harness import grid
from gazebench.harness.run import RunConfig


def test_values_split_outside_brackets_and_read_like_set():
    assert grid.split_values('6,12') == ["6", "12"]
    assert grid.split_values('[8,8],[16,16]') == ["[8,8]", "[16,16]"]
    assert grid.parse_grid(["cnn.epochs=6,12", "cnn.augment=none,photometric"]) == {
        "cnn.epochs": [6, 12], "cnn.augment": ["none", "photometric"]}
    with pytest.raises(UserInputError):
        grid.parse_grid(["cnn.epochs"])


def test_every_combination_is_a_cell_with_its_own_hash():
    base = RunConfig(estimators=("cnn",), settings={"run": {"n_synthetic": 300}})
    cells = grid.expand_grid(base, ["identity", "gaussian"], [0, 1], ["cnn.epochs=1,2", "cnn.lr=0.001,0.003"])
    assert len(cells) == 2 * 2 * 4
    assert len({cell.digest for cell, _ in cells}) == 2 * 4  # seeds share a setting; refiners and grid points do not
    assert all(config.settings["run"] == {"n_synthetic": 300} for _, config in cells)  # the base's settings stay
    assert {config.settings["cnn"]["epochs"] for _, config in cells} == {1, 2}
    plain = grid.expand_grid(base, ["identity"], [0])
    assert [c.key for c, _ in plain] == [c.key for c, _ in grid.expand_grid(dataclasses.replace(base), ["identity"], [0], [])]


def test_grid_of_a_component_the_run_does_not_have_is_refused():
    with pytest.raises(UserInputError, match="rf"):
        grid.expand_grid(RunConfig(estimators=("cnn",)), ["identity"], [0], ["rf.n_estimators=10,20"])


def test_named_settings_for_the_tuning_scripts():
    assert grid.named_settings(["cnn.epochs=6,12"], "cnn") == {"cnn.epochs=6": {"epochs": 6}, "cnn.epochs=12": {"epochs": 12}}
    with pytest.raises(UserInputError):
        grid.named_settings(["run.n_synthetic=1,2"], "cnn")


@pytest.mark.slow
def test_bench_sweep_grid_runs_one_cell_per_value(tmp_path):
    tiny = ["--estimator", "knn", "--n-synthetic", "300", "--no-realism", "--no-references", "--no-calibration"]
    result = CliRunner().invoke(cli, ["sweep", "--refiner", "identity", "--seeds", "0", *tiny, "--workers", "1",
                                      "--grid", "knn.n_neighbors=3,5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    configs = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*/config.json"))]
    assert sorted(c["run"]["settings"]["knn"]["n_neighbors"] for c in configs) == [3, 5]
    again = CliRunner().invoke(cli, ["sweep", "--refiner", "identity", "--seeds", "0", *tiny,
                                     "--grid", "knn.n_neighbors=3,5", "--out", str(tmp_path)])
    assert "2 cells: 2 done, 0 to run" in again.output
