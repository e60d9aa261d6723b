"""Plugins: the documented example refiner, installed through real entry-point metadata in a throwaway
distribution, runs through `bench run`, `bench refine` and `bench turing make` in a subprocess; so do one
refiner, one estimator and one data source kind of another throwaway distribution together; broken plugins
end in one sentence naming them (exit 2) and never in a run counted as done; a checkpoint imports no class
that is neither built in nor installed unless --trust-checkpoint-code says so."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gazebench.cli.main import cli
from gazebench.refiners.registry import create_refiner

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = re.search(r"```python\n(.*?)```", (REPO / "docs" / "plugins.md").read_text(), re.S).group(1)
TINY_RUN = ["--estimator", "knn", "--n-synthetic", "300", "--no-realism", "--no-references", "--device", "cpu"]

BROKEN = '''
import numpy as np

from gazebench.estimators.base import GazeEstimator
from contrast_refiner import ContrastRefiner
from gazebench.refiners.base import Refiner


class NotARefiner:
    name = "not_a_refiner"


class HalfRefiner(Refiner):
    name = "half"

    def fit(self, synthetic, real, **kwargs):
        pass


class WrongShape(ContrastRefiner):
    name = "wrong_shape"

    def refine(self, images, *, device, batch_size=4096):
        return images[:, :, :10]


class OutOfRange(ContrastRefiner):
    name = "out_of_range"

    def refine(self, images, *, device, batch_size=4096):
        return images * 5


class NoName(ContrastRefiner):
    name = None


class WrongPredictions(GazeEstimator):
    name = "wrong_predictions"
    PRESETS = {"cpu": {}, "paper": {}}

    def fit(self, images, gaze, *, device, progress=True):
        pass

    def predict(self, images, *, device):
        return np.zeros((len(images), 3))

    @property
    def config(self):
        return {}
'''


# One module, one refiner, one estimator and one source kind: what a package of plugins for all three holds.
THREE = '''
"""my_plugins.py: a refiner, an estimator and a data source kind from outside gazebench."""
import numpy as np

from gazebench.data.base import EyeData, EyeSource
from gazebench.estimators.base import GazeEstimator
from gazebench.refiners.identity import IdentityRefiner


class Darker(IdentityRefiner):
    name = "darker"

    def refine(self, images, *, device, batch_size=None):
        return (images.float() - 0.1).clamp(-1, 1).cpu()


class MeanGaze(GazeEstimator):
    name = "mean_gaze"
    PRESETS = {"cpu": {}, "standard": {}, "paper": {}}

    def fit(self, images, gaze, *, device, progress=True):
        self.mean = np.asarray(gaze, np.float32).mean(0)

    def predict(self, images, *, device):
        return np.tile(self.mean, (len(images), 1)).astype(np.float32)

    @property
    def config(self):
        return {"preset": self.preset, "seed": self.seed}


class NoiseSource(EyeSource):
    """noise?n=N&seed=S: random eyes with random small gaze labels."""

    def __init__(self, spec):
        super().__init__(spec)
        rng = np.random.default_rng(int(spec.options.get("seed", 0)))
        n = int(spec.options.get("n", 100))
        self._images = rng.integers(0, 256, size=(n, 36, 60), dtype=np.uint8)
        self._gaze = rng.uniform(-0.3, 0.3, size=(n, 2)).astype(np.float32)

    def __len__(self):
        return len(self._images)

    @property
    def image_shape(self):
        return (36, 60)

    @property
    def has_labels(self):
        return True

    def _read(self, indices):
        return EyeData(self._images[indices], self._gaze[indices])
'''
THREE_ENTRY_POINTS = """[gazebench.refiners]
darker = my_plugins:Darker

[gazebench.estimators]
mean_gaze = my_plugins:MeanGaze

[gazebench.sources]
noise = my_plugins:NoiseSource
"""
# A class no built-in and no installed plugin has; importing it leaves a mark, so a refusal is seen to import nothing.
UNTRUSTED = '''
from pathlib import Path

from gazebench.refiners.identity import IdentityRefiner

Path(__file__).with_name("IMPORTED").touch()


class Identity(IdentityRefiner):
    pass
'''


def write_distribution(root: Path, name: str, entry_points: str) -> None:
    """The .dist-info folder pip would write for distribution `name`: metadata and entry points only."""
    info = root / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory):
    """A folder holding the example module and the .dist-info of a throwaway distribution 'my-refiners'."""
    root = tmp_path_factory.mktemp("plugins")
    (root / "contrast_refiner.py").write_text(EXAMPLE)
    (root / "broken_plugins.py").write_text(BROKEN)
    (root / "broken_import.py").write_text("import a_module_that_does_not_exist\n")
    (root / "untrusted_refiner.py").write_text(UNTRUSTED)
    write_distribution(root, "my-refiners", "[gazebench.refiners]\ncontrast = contrast_refiner:ContrastRefiner\n")
    return root


@pytest.fixture(scope="module")
def three_plugins(tmp_path_factory):
    """A folder holding my_plugins.py and the .dist-info of a throwaway distribution 'my-plugins'."""
    root = tmp_path_factory.mktemp("three")
    (root / "my_plugins.py").write_text(THREE)
    write_distribution(root, "my-plugins", THREE_ENTRY_POINTS)
    return root


def bench(plugin_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(plugin_path), str(REPO)])}
    return subprocess.run([sys.executable, "-m", "gazebench.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=plugin_path, timeout=600)


def done_runs(runs: Path) -> list[Path]:
    return [d for d in runs.glob("*") if (d / "done").exists()] if runs.exists() else []


@pytest.mark.slow
def test_the_listing_shows_built_ins_and_the_installed_plugin(plugin_path):
    result = bench(plugin_path, "refiners")
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.split()[:2] == ["refiner", "contrast"])
    assert "my-refiners" in row and "entry point" in row and "contrast_refiner:ContrastRefiner" in row
    assert re.search(r"refiner\s+simgan_local\s+gazebench\s+built in", result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("refiner", ["contrast", "contrast_refiner:ContrastRefiner"])
def test_the_documented_example_runs_end_to_end(plugin_path, tmp_path, refiner):
    runs = tmp_path / "runs"
    result = bench(plugin_path, "run", "--refiner", refiner, *TINY_RUN, "--out", str(runs))
    assert result.returncode == 0, result.stderr
    (run,) = done_runs(runs)
    assert '"name": "contrast"' in (run / "config.json").read_text()
    assert (run / "refiner" / "config.json").is_file()


@pytest.mark.slow
def test_the_plugin_refines_through_refine_checkpoint_and_turing(plugin_path, tmp_path):
    ckpt = tmp_path / "ckpt"
    result = bench(plugin_path, "refine", "--refiner", "contrast_refiner:ContrastRefiner", "--synthetic", "sim?n=200",
                   "--real", "sim?n=100&style=target&seed=9", "--out", str(ckpt), "--device", "cpu")
    assert result.returncode == 0, result.stderr
    result = bench(plugin_path, "run", "--refiner-checkpoint", str(ckpt), *TINY_RUN, "--out", str(tmp_path / "runs"))
    assert result.returncode == 0, result.stderr
    assert len(done_runs(tmp_path / "runs")) == 1
    result = bench(plugin_path, "turing", "make", "--refiner", "contrast", "--real", "sim?n=60&style=target&seed=9",
                   "--synthetic", "sim?n=60", "--n", "10", "--out", str(tmp_path / "sheet"), "--key", str(tmp_path / "KEY.csv"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "sheet" / "index.html").is_file()


@pytest.mark.parametrize("refiner, says", [
    ("broken_import:Anything", "failed to import broken_import: ModuleNotFoundError"),
    ("broken_plugins:Missing", "has no Missing"),
    ("broken_plugins:NotARefiner", "is not a subclass of gazebench.refiners.base.Refiner"),
    ("broken_plugins:HalfRefiner", "does not implement"),
    ("broken_plugins:WrongShape", "Refiner 'wrong_shape' returned torch.float32 of shape"),
    ("broken_plugins:OutOfRange", "Refiner 'out_of_range' returned values outside [-1, 1]"),
    ("no_such_refiner", "Unknown refiner 'no_such_refiner'"),
    ("broken_plugins:NoName", "does not define name"),
])
def test_a_broken_plugin_is_one_sentence_and_no_done_run(plugin_path, tmp_path, monkeypatch, refiner, says):
    # In-process (ad hoc plugins need only the path): exit status 2 is the one-sentence user error, never a crash.
    monkeypatch.syspath_prepend(str(plugin_path))
    result = CliRunner().invoke(cli, ["run", "--refiner", refiner, *TINY_RUN, "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1
    assert done_runs(tmp_path / "runs") == []


def test_an_estimator_plugin_with_wrong_predictions_is_one_sentence(plugin_path, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_path))
    result = CliRunner().invoke(cli, ["run", "--refiner", "identity", "--estimator", "broken_plugins:WrongPredictions",
                                      *TINY_RUN[2:], "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    # 1500 held-out stand-in eyes, 60 of them the calibration pool
    assert "Estimator 'wrong_predictions' predicted (1440, 3); expected a finite numpy array of shape (1440, 2)" in result.output
    assert done_runs(tmp_path / "runs") == []


def test_the_readme_table_is_the_registries_listing():
    from gazebench.cli.list_cmd import listing, plugin_table

    # Built-ins only, so plugins installed on this machine do not change the table.
    table = plugin_table(listing(plugins=False), "markdown")
    assert table in (REPO / "README.md").read_text()
    assert "| source | `sim` | gazebench | built in |" in table


@pytest.mark.slow
def test_a_refiner_an_estimator_and_a_source_join_by_entry_point(three_plugins, tmp_path):
    result = bench(three_plugins, "list")
    assert result.returncode == 0, result.stderr
    for kind, name in (("refiner", "darker"), ("estimator", "mean_gaze"), ("source", "noise")):
        assert re.search(rf"{kind}\s+{name}\s+my-plugins\s+entry point\s+my_plugins:", result.stdout), result.stdout
    runs = tmp_path / "runs"
    result = bench(three_plugins, "run", "--refiner", "darker", "--estimator", "mean_gaze", "--synthetic",
                   "noise?n={n}&seed={seed}", *TINY_RUN[2:], "--out", str(runs))
    assert result.returncode == 0, result.stderr
    (run,) = done_runs(runs)
    config = json.loads((run / "config.json").read_text())
    assert config["run"]["synthetic"] == "noise?n=300&seed=0" and '"mean_gaze"' in (run / "config.json").read_text()
    result = bench(three_plugins, "data", "info", "noise?n=5")
    assert result.returncode == 0 and "images:  5 grey 36x60" in result.stdout, result.stderr


@pytest.mark.slow
def test_a_checkpoint_imports_no_class_it_was_not_given(plugin_path, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(plugin_path))
    ckpt = tmp_path / "ckpt"
    create_refiner("identity").save(ckpt)
    record = json.loads((ckpt / "config.json").read_text())
    (ckpt / "config.json").write_text(json.dumps({**record, "class": "untrusted_refiner:Identity"}))
    command = ["run", "--refiner-checkpoint", str(ckpt), *TINY_RUN, "--out", str(tmp_path / "runs")]
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 2, result.output
    assert "untrusted_refiner:Identity" in result.output and "--trust-checkpoint-code" in result.output
    assert len([line for line in result.output.splitlines() if line.startswith("error:")]) == 1
    assert not (plugin_path / "IMPORTED").exists() and done_runs(tmp_path / "runs") == []
    result = CliRunner().invoke(cli, [*command, "--trust-checkpoint-code"])
    assert result.exit_code == 0, result.output
    assert (plugin_path / "IMPORTED").exists() and len(done_runs(tmp_path / "runs")) == 1
