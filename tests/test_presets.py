"""Presets as data: one TOML file each, `base` inheritance with deep merge, and one sentence for every broken file."""

import re

import pytest

from gazebench.core import presets
from gazebench.core.errors import UserInputError
from gazebench.estimators.registry import create_estimator
from gazebench.harness import sweep
from gazebench.refiners.registry import create_refiner


def test_the_shipped_presets_inherit_from_the_paper():
    assert presets.list_presets() == ["cpu", "paper", "standard"]
    paper, standard, cpu = (presets.load_preset(name) for name in ("paper", "standard", "cpu"))
    assert paper["cnn"]["channels"] == (32, 32, 64, 80, 192) and cpu["cnn"]["channels"] == (8, 8, 16, 24, 48)
    assert cpu["cnn"]["batch_size"] == standard["cnn"]["batch_size"] == 64 and cpu["cnn"]["lr"] == paper["cnn"]["lr"]
    assert paper["rf"]["max_samples"] is None and cpu["rf"]["max_samples"] == 0.5  # "null" is None
    assert cpu["run"]["n_real"] == 2_000 and cpu["run"]["n_calibration"] == paper["run"]["n_calibration"] == 60
    # simgan_global is simgan_local of the same preset with its own lambda and no history buffer
    for p in (paper, standard, cpu):
        assert p["simgan_global"] == {**p["simgan_local"], "self_reg_lambda": 0.8, "history_size": 0}


def test_components_read_their_section_as_tuples():
    assert create_estimator("knn", preset="standard").settings["grid"] == (18, 28)
    refiner = create_refiner("simgan_local", preset="cpu")
    assert refiner.config["adam_betas"] == (0.5, 0.999) and refiner.config["adversarial_steps"] == 600


def test_an_unknown_preset_is_one_sentence_everywhere():
    for make in (lambda: presets.load_preset("fast"), lambda: create_estimator("cnn", preset="fast"),
                 lambda: create_refiner("gaussian", preset="fast"), lambda: sweep.local_workers("fast")):
        with pytest.raises(UserInputError, match="Unknown preset 'fast'; expected one of cpu, paper, standard"):
            make()


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "PRESETS_DIR", tmp_path)
    (tmp_path / "root.toml").write_text('[cnn]\nepochs = 20\nlr = 1e-3\n[run]\nn_test = 5\n')
    return tmp_path


def test_a_new_file_is_a_new_preset_with_deep_merge(folder):
    (folder / "quick.toml").write_text('base = "root"\n[cnn]\nepochs = 1\n')
    assert presets.list_presets() == ["quick", "root"]
    assert presets.load_preset("quick") == {"cnn": {"epochs": 1, "lr": 1e-3}, "run": {"n_test": 5}}


@pytest.mark.parametrize("text, message", [
    ('base = "nowhere"\n', "Preset 'bad' has base 'nowhere'; expected one of bad, root"),
    ('base = "bad"\n', "Preset 'bad' inherits in a cycle: bad -> bad"),
    ('base = "root"\n[cnn]\nepoch = 1\n', "Preset 'bad' sets [cnn] epoch, which its base 'root' does not define"),
    ('base = "root"\n[cnnn]\nepochs = 1\n', "sets [cnnn], which its base 'root' does not define"),
    ("n = 1\n", "Preset 'bad' sets n outside a [section]"),
    ("[cnn\n", "is not valid TOML"),
])
def test_a_broken_preset_file_is_one_sentence(folder, text, message):
    (folder / "bad.toml").write_text(text)
    with pytest.raises(UserInputError, match=re.escape(message)):
        presets.load_preset("bad")


def test_a_cycle_through_two_files_is_named(folder):
    (folder / "a.toml").write_text('base = "b"\n')
    (folder / "b.toml").write_text('base = "a"\n')
    with pytest.raises(UserInputError, match="inherits in a cycle: a -> b -> a"):
        presets.load_preset("a")
