"""What one `bench run` is: RunConfig (every choice, sizes from the preset), and the settings hash that names
its folder and tells experiments apart in the tables."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazebench.core.errors import UserInputError
from gazebench.core.presets import list_presets, load_preset, preset_section
from gazebench.core.settings import RUN as RUN_SETTINGS
from gazebench.core.settings import checked
from gazebench.data.base import parse_spec
from gazebench.data.simulator.params import STAND_IN_STYLES
from gazebench.harness import records
from gazebench.metrics.calibration import CALIBRATION_DRAWS, CALIBRATION_KS

# The built-in simulator, sized to the run and drawn with the run's seed (its images are a function of seed, index).
DEFAULT_SYNTHETIC = "sim?n={n}&seed={seed}"
# The simulator's stand-in for real eyes; real data is never used implicitly. Its own fixed seed keeps it from
# sharing gaze labels with the synthetic set (the simulator's labels do not depend on the style).
STAND_IN_SEED = 100_000
# The appearance gap: a CNN trained on the source reads it far worse than one trained on its own labelled images,
# and a refiner can close it (data/simulator/params.py), so the default run shows what refinement is for.
DEFAULT_REAL = f"sim?style=appearance&seed={STAND_IN_SEED}"
# Oracle images of a simulator stand-in are drawn with seeds of their own, disjoint from the test set's.
ORACLE_SEED_OFFSET = 200_000
NO_ORACLE = "none"
# Preset options added after runs were recorded, each with the value that runs the code as it was before it. At that
# value the option is left out of the preset's values, so adding an option that is off changes no settings hash: the
# runs from before and after it stay one setting in the tables and in a sweep's cells. (coord_input, added with
# `coord_input = false` in paper.toml, split the standard preset's combined-gap seeds 3-4 from seeds 0-2.) A new preset
# option belongs here, with its off value. tone_weight and rank_input are not here: they entered before the standard
# preset's reference runs, whose records carry them, and leaving them out now would split those instead.
OPTIONS_ADDED_OFF: dict[str, Any] = {"coord_input": False, "self_reg_kind": "pixels", "refiner_dilation": 1,
                                     "whole_image_weight": 0.0}


def auto_oracle(test_spec: str) -> str | None:
    """The oracle template for a simulator stand-in test set (the same style and options, other seeds, {n} images),
    or None: for real eyes only the user can name labelled images of the test domain (--oracle)."""
    parsed = parse_spec(test_spec)
    if parsed.kind != "sim" or parsed.options.get("style") not in STAND_IN_STYLES:
        return None
    options = {k: v for k, v in parsed.options.items() if k not in ("seed", "n")}
    query = "&".join(f"{k}={v}" for k, v in options.items())
    return f"sim?{query}&seed={{oracle_seed}}&n={{n}}"


@dataclass
class RunConfig:
    """Every choice of one run; sizes left as None come from the preset (see `resolved`)."""

    refiner: str = "simgan_local"
    refiner_checkpoint: str | None = None  # a `bench refine` folder; replaces `refiner`
    allow_unfingerprinted_checkpoint: bool = False  # test real eyes with a checkpoint that records no fingerprints
    trust_checkpoint_code: bool = False  # import a checkpoint's class even when no built-in or installed plugin has it
    estimators: tuple[str, ...] = ("cnn",)
    synthetic: str | None = None  # None: DEFAULT_SYNTHETIC with as many images as the run needs
    real: str = DEFAULT_REAL
    real_test: str | None = None  # None: hold a seeded part of `real` out as the test set
    # Labelled images of the test domain, disjoint from the test set, that every estimator also trains on (the
    # oracle row, and the "gap closed" of each estimator). None: chosen for a simulator stand-in, else no oracle;
    # NO_ORACLE: none. {n} and {seed} are filled in like --synthetic's.
    oracle: str | None = None
    preset: str = "cpu"
    n_synthetic: int | None = None
    n_real: int | None = None
    n_test: int | None = None
    n_realism: int | None = None
    n_probe: int | None = None
    n_calibration: int | None = None
    split_seed: int = 0  # fixed across seeds, so every seed is tested on the same held-out images
    seed: int = 0
    device: str = "auto"
    out: str = "results/runs"
    references: bool = True
    realism: bool = True
    ceiling_folds: int = 5
    calibration: bool = True
    calibration_ks: tuple[int, ...] = CALIBRATION_KS
    calibration_draws: int = CALIBRATION_DRAWS
    # Single settings over the preset's, by component: "run" (sizes), the refiner's name, an estimator's name
    # (core/settings.py; `--set cnn.epochs=10`).
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    progress: bool = True
    # A folder where the CNN fits that do not depend on the refiner (on the unrefined renders, on the oracle) are kept
    # after the run, named by what they trained on, and taken up by any later run with the same inputs: `bench sweep`
    # gives its cells OUT/shared_fits, so the refiners of one seed train those fits once (harness/stages.py).
    shared_fits: str | None = None

    def resolved(self) -> RunConfig:
        """A copy with every preset size filled in and the inputs checked."""
        if self.preset not in list_presets():
            raise UserInputError(f"Unknown preset '{self.preset}'; expected one of {', '.join(list_presets())}.")
        strays = sorted(set(self.settings) - {RUN_SETTINGS, self.refiner, *self.estimators})
        if strays:
            raise UserInputError(f"--set {strays[0]}.KEY=VALUE: {strays[0]} is not `run`, this run's refiner "
                                 f"({self.refiner}) or one of its estimators ({', '.join(self.estimators)}).")
        if self.refiner_checkpoint and self.settings.get(self.refiner):
            raise UserInputError(f"--set {self.refiner}.KEY=VALUE: a --refiner-checkpoint is trained already; "
                                 "its settings are fixed.")
        preset_sizes = preset_section(self.preset, RUN_SETTINGS)  # sizes per preset, and why: gazebench/presets/
        run_settings = checked("run sizes", RUN_SETTINGS, preset_sizes, self.settings.get(RUN_SETTINGS, {}))
        for name, value in run_settings.items():
            if getattr(self, name) is not None and getattr(self, name) != value:
                raise UserInputError(f"--{name.replace('_', '-')} {getattr(self, name)} and --set run.{name}={value} "
                                     "disagree; give one of them.")
        sizes = {k: run_settings.get(k, v) if getattr(self, k) is None else getattr(self, k) for k, v in preset_sizes.items()}
        for name, value in sizes.items():
            if int(value) < 1:
                raise UserInputError(f"--{name.replace('_', '-')} is {value}; expected a positive number of images.")
        if not self.estimators:
            raise UserInputError("No estimator given; expected at least one --estimator (`bench refiners` lists them).")
        synthetic = self.synthetic
        if synthetic is None and self.real == DEFAULT_REAL and self.seed == STAND_IN_SEED:
            raise UserInputError(f"--seed {STAND_IN_SEED} is the stand-in real set's own seed, so the default synthetic "
                                 "and test images would share their gaze labels; pick another seed.")
        # {n} and {seed} in a --synthetic spec are filled in like the default's, so seeds of one setting pool.
        template = DEFAULT_SYNTHETIC if synthetic is None else synthetic
        try:
            synthetic = template.format(n=sizes["n_synthetic"] + (sizes["n_realism"] if self.realism else 0), seed=self.seed)
        except (KeyError, IndexError, ValueError):
            raise UserInputError(f"--synthetic {template!r}: braces may only hold {{n}} or {{seed}}.") from None
        # The oracle stays a template (like the settings hash needs it); oracle_spec() fills it in where it is read.
        resolved = dataclasses.replace(self, estimators=tuple(dict.fromkeys(self.estimators)), synthetic=synthetic,
                                       oracle=self.oracle_template() or NO_ORACLE, **sizes)
        resolved.oracle_spec()  # a bad template is one sentence now, before anything is written
        return resolved

    def oracle_template(self) -> str | None:
        """The oracle spec as asked for (its {n}/{seed} template), or None when the run has no oracle."""
        if self.oracle == NO_ORACLE:
            return None
        return self.oracle if self.oracle is not None else auto_oracle(self.real_test or self.real)

    def oracle_spec(self) -> str | None:
        """The oracle spec of a resolved config, {n} (training + held-out images) and {seed} filled in; or None."""
        template = self.oracle_template()
        if template is None:
            return None
        n = self.n_synthetic + (self.n_realism if self.realism else 0)
        try:
            return template.format(n=n, seed=self.seed, oracle_seed=ORACLE_SEED_OFFSET + self.seed)
        except (KeyError, IndexError, ValueError):
            raise UserInputError(f"--oracle {template!r}: braces may only hold {{n}} or {{seed}}.") from None


#: RunConfig fields that do not change what a run measures (where it writes, how it reports) or that vary
#: between seeds of one setting; every other field enters the settings hash in the run folder's name.
NOT_SETTINGS = ("seed", "out", "progress", "device", "trust_checkpoint_code", "shared_fits")


def settings_hash(config: RunConfig) -> str:
    """The short hash of every resolved setting but the seed: seeds of one setting share it, two settings never do
    (the synthetic spec enters as its {n}/{seed} template, which the seed does not change)."""
    settings = {k: v for k, v in dataclasses.asdict(config.resolved()).items() if k not in NOT_SETTINGS}
    settings["synthetic"] = config.synthetic or DEFAULT_SYNTHETIC
    # Like the synthetic spec, the oracle enters as its template (absent for a run without one).
    settings["oracle"] = config.oracle_template()
    if settings["oracle"] is None:
        del settings["oracle"]
    settings["preset_values"] = preset_values(config)  # an edited preset file is another setting
    return records.settings_hash(settings)


def preset_values(config: RunConfig) -> dict[str, dict[str, Any]]:
    """The preset file's values for each of the run's built-in components (its refiner unless a checkpoint fixes
    it, its estimators): what --set changes are applied over, less the options added later that are off
    (OPTIONS_ADDED_OFF). A plugin's own presets are code, named by the commit."""
    preset = load_preset(config.preset)
    components = [*config.estimators, *([] if config.refiner_checkpoint else [config.refiner])]
    return {name: {key: value for key, value in preset[name].items()
                   if not (key in OPTIONS_ADDED_OFF and value == OPTIONS_ADDED_OFF[key])}
            for name in components if name in preset}


def settings_record(config: RunConfig, refiner: str, estimator: str | None) -> dict[str, Any]:
    """What a metrics record carries of its run's hashed settings, flat: every RunConfig field that enters the hash
    (`run.n_real`, ...), the --set values of the record's refiner and estimator (`knn.n_neighbors`) and a short hash
    of each one's preset values (`knn.preset values`), so an edited preset file is another row. Tables
    group by it, so two experiments are never pooled; other estimators' settings leave this record's numbers alone."""
    resolved = config.resolved()
    flat = {f"run.{k}": v for k, v in dataclasses.asdict(resolved).items()
            if k not in (*NOT_SETTINGS, "settings", "refiner", "estimators", "synthetic", "oracle")}
    flat["run.synthetic"] = config.synthetic or DEFAULT_SYNTHETIC
    if config.oracle_template() is not None:
        flat["run.oracle"] = config.oracle_template()
    values = preset_values(resolved)
    for component in (refiner, estimator):
        for key, value in resolved.settings.get(component, {}).items() if component else ():
            flat[f"{component}.{key}"] = value
        if component in values:  # one column, not one per key: records from before it would widen every table
            flat[f"{component}.preset values"] = records.settings_hash(values[component])
    return flat


def requested_config(run_dir: Path) -> RunConfig:
    """The RunConfig a run folder was started with (config.json's `request`): what `bench run --resume DIR` continues."""
    path = Path(run_dir) / records.CONFIG_FILE
    try:
        request = json.loads(path.read_text(encoding="utf-8"))["request"]
    except (OSError, ValueError):
        raise UserInputError(f"--resume {run_dir}: not a run folder that `bench run` started ({path} is missing or unreadable).") from None
    except (KeyError, TypeError):
        raise UserInputError(f"--resume {run_dir}: it was started by a version before --resume and does not record its "
                             "settings as given; start the run again.") from None
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    return RunConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in request.items() if k in fields})
