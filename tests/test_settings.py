"""`--set COMPONENT.KEY=VALUE`: the one way to change a preset's single numbers, checked before anything runs."""

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.core.settings import check_value, parse_assignments
from gazebench.estimators.registry import create_estimator
from gazebench.harness import records
from gazebench.refiners.registry import create_refiner

TINY = ["--no-realism", "--no-references", "--no-calibration"]
TINY_SIMGAN = {"refiner_channels": 4, "refiner_blocks": 1}


def test_values_are_json_or_text():
    assert parse_assignments(["cnn.epochs=10", "cnn.channels=[1, 2]", "cnn.augment=photometric", "x.flag=true"]) == {
        "cnn": {"epochs": 10, "channels": [1, 2], "augment": "photometric"}, "x": {"flag": True}}
    assert check_value("cnn", "lr", 1e-3, 2) == 2.0 and isinstance(check_value("cnn", "lr", 1e-3, 2), float)
    assert check_value("cnn", "channels", (8, 8), [4, 4]) == (4, 4)


def test_a_setting_may_be_zero_only_where_zero_switches_it_off():
    """simgan_local's history buffer (640 in the presets) may be 0, the paper's ablation; its batch may not."""
    refiner = create_refiner("simgan_local", preset="cpu", history_size=0, **TINY_SIMGAN)
    assert refiner.history is None and refiner.config["history_size"] == 0
    assert create_refiner("simgan_local", preset="cpu", **TINY_SIMGAN).history is not None
    with pytest.raises(UserInputError, match=r"batch_size=0: out of range; expected a number > 0\."):
        create_refiner("simgan_local", preset="cpu", batch_size=0)
    with pytest.raises(UserInputError, match=r"history_size=-1: out of range; expected a number > 0 \(or 0: off\)"):
        create_refiner("simgan_local", preset="cpu", history_size=-1)


@pytest.mark.parametrize("assignment, mentions", [
    ("epochs=3", "expected COMPONENT.KEY=VALUE"),
    ("cnn.epoch=3", "Unknown setting(s) epoch for estimator 'cnn'"),
    ("cnn.epochs=2.5", "--set cnn.epochs=2.5: expected a whole number"),
    ("cnn.epochs=0", "out of range; expected a number > 0"),
    ("cnn.batch_norm=1", "expected true or false"),
    ("cnn.channels=[8,8]", "expected a list of 5 values"),
    ("gaussian.blur=1", "gaussian is not `run`, this run's refiner (identity)"),
    ("identity.x=1", "Refiner 'identity' has no settings"),
    ("run.n_tst=5", "Unknown setting(s) n_tst for run sizes"),
    ("run.n_test=\"many\"", "expected a number like 1500"),
    ("cnn.augment=foo", "--set cnn.augment=\"foo\": unknown choice; expected one of none, photometric"),
])
def test_bad_settings_are_one_sentence_and_exit_2(tmp_path, assignment, mentions):
    result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--estimator", "cnn", *TINY, "--set", assignment,
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert mentions in result.output and result.output.count("\n") == 1 and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_settings_reach_the_models_and_config_json_and_name_the_folder(tmp_path):
    out = tmp_path / "runs"
    for extra in ([], ["--set", "knn.n_neighbors=3", "--set", "run.n_synthetic=300"]):
        result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--estimator", "knn", "--n-synthetic", "300",
                                          *TINY, "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
    # both runs may start within one second, so folder-name order says nothing: tell them apart by settings
    plain, changed = sorted((records.read_run(d)[0] for d in records.find_run_dirs(out)),
                            key=lambda config: bool(config["run"]["settings"]))
    assert plain["estimators"]["knn"]["n_neighbors"] == 10 and changed["estimators"]["knn"]["n_neighbors"] == 3
    assert changed["run"]["settings"] == {"knn": {"n_neighbors": 3}, "run": {"n_synthetic": 300}}
    assert plain["settings_hash"] != changed["settings_hash"]  # two settings never share a folder name
    assert sorted(d.name[-8:] for d in records.find_run_dirs(out)) == sorted([plain["settings_hash"], changed["settings_hash"]])


@pytest.mark.slow
def test_a_refiner_setting_reaches_the_refiner(tmp_path):
    result = CliRunner().invoke(cli, ["run", "--refiner", "fda", "--estimator", "knn", "--n-synthetic", "300", *TINY,
                                      "--set", "fda.betas=[0.01, 0.05]", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    config, _ = records.read_run(records.find_run_dirs(tmp_path)[0])
    assert config["refiner"]["config"]["betas"] == [0.01, 0.05]


def test_a_checkpoint_takes_no_refiner_settings(tmp_path):
    from gazebench.harness.run import RunConfig

    with pytest.raises(UserInputError, match="its settings are fixed"):
        RunConfig(refiner_checkpoint=str(tmp_path), settings={"simgan_local": {"lr": 1.0}}).resolved()


@pytest.mark.slow
def test_the_standard_preset_runs_end_to_end_at_tiny_sizes(tmp_path):
    """The reference protocol's own settings (half-width CNN, 600-step SimGAN) with its sizes cut by --set."""
    tiny = ["run.n_synthetic=256", "run.n_probe=256", "run.n_realism=40", "run.n_test=200", "cnn.epochs=1",
            "simgan_local.pretrain_refiner_steps=2", "simgan_local.pretrain_discriminator_steps=1",
            "simgan_local.adversarial_steps=2"]
    result = CliRunner().invoke(cli, ["run", "--preset", "standard", "--refiner", "simgan_local", "--estimator", "cnn",
                                      "--estimator", "knn", "--out", str(tmp_path),
                                      *[arg for setting in tiny for arg in ("--set", setting)]])
    assert result.exit_code == 0, result.output
    config, rows = records.read_run(records.find_run_dirs(tmp_path)[0])
    assert config["estimators"]["cnn"]["channels"] == [16, 16, 32, 48, 96] and config["estimators"]["cnn"]["epochs"] == 1
    assert config["refiner"]["config"]["adversarial_steps"] == 2 and config["refiner"]["config"]["preset"] == "standard"
    method = next(r for r in rows if r["estimator"] == "cnn")
    assert method["preset"] == "standard" and method["n_train"] == 256 and set(method["calibrated"]) == {"offset", "affine"}


@pytest.mark.parametrize("component, key, value, choices", [
    ("knn", "weights", "closest", "uniform, distance"),
    ("simgan_local", "optimizer", "rmsprop", "adam, sgd"),
    ("simgan_local", "self_reg_kind", "gradients", "pixels, structure"),
    ("histogram", "target", "mean", "pooled, random"),
])
def test_every_text_setting_with_choices_checks_them(component, key, value, choices):
    make = create_estimator if component == "knn" else create_refiner
    with pytest.raises(UserInputError, match=f"unknown choice; expected one of {choices}"):
        make(component, **{key: value})
