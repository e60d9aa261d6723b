"""`bench run`: parse options into a RunConfig and call gazebench.harness.run.run_benchmark (no logic here).

The options that describe a run's data and sizes (`run_options`) are shared with `bench sweep`, so a sweep
cell is configured exactly as a run is.
"""

import dataclasses

import click
from click.core import ParameterSource

from gazebench.core.errors import UserInputError
from gazebench.core.presets import list_presets
from gazebench.core.settings import parse_assignments
from gazebench.estimators.registry import ESTIMATORS
from gazebench.harness.config import NO_ORACLE, requested_config
from gazebench.harness.run import DEFAULT_REAL, DEFAULT_SYNTHETIC, RunConfig, run_benchmark
from gazebench.metrics.calibration import CALIBRATION_KS
from gazebench.refiners.registry import REFINERS

RUN_OPTIONS = [
    click.option("--synthetic", default=None,
                 help=f"Labelled synthetic source spec; {{n}} and {{seed}} are filled in with the run's image count "
                      f"and seed [default: the built-in simulator, {DEFAULT_SYNTHETIC}]."),
    click.option("--real", default=DEFAULT_REAL, show_default=True,
                 help="Real images for the refiner (labels unused there). The default is the simulator's stand-in, "
                      "not real data; e.g. npz:../shared/data/mpiigaze_p00/dev.npz for real eyes."),
    click.option("--real-test", default=None,
                 help="Labelled real test set; when absent, a fixed seeded part of --real is held out as the test set."),
    click.option("--oracle", default=None,
                 help="Labelled images of the test domain, disjoint from the test set: each estimator also trains on "
                      "them (the oracle row) and on the unrefined images, and the run reports the gap the refiner closed. "
                      "{n} and {seed} are filled in as for --synthetic [default: chosen for a simulator stand-in, "
                      f"otherwise none; '{NO_ORACLE}' turns it off]."),
    click.option("--n-synthetic", type=int, default=None, help="Synthetic training images (default: the preset's)."),
    click.option("--preset", type=click.Choice(list_presets()), default="cpu", show_default=True,
                 help="Sizes of data, refiner and estimators (cpu: the quick demo; standard: the reference CPU protocol)."),
    click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda."),
    click.option("--no-references", is_flag=True, help="Skip the reference rows (mean gaze, real-label ceiling)."),
    click.option("--no-realism", is_flag=True, help="Skip the realism metrics (domain classifier, Fréchet, drift)."),
    click.option("--no-calibration", is_flag=True,
                 help="Skip few-shot calibration (keeps every test image evaluated; no calibration pool is held out)."),
    click.option("--set", "assignments", multiple=True, metavar="COMPONENT.KEY=VALUE",
                 help="Change one setting of the preset (repeatable): run.n_synthetic=20000, cnn.epochs=10, "
                      "simgan_local.self_reg_lambda=500; values are JSON or text (README: Configuration)."),
    click.option("--calibration-k", "calibration_ks", type=int, multiple=True, default=CALIBRATION_KS,
                 show_default=True, help="Calibration eyes per person; repeat for several (--calibration-k 1 --calibration-k 9)."),
]


def run_options(command):
    for option in reversed(RUN_OPTIONS):
        command = option(command)
    return command


def config_from_options(*, estimators, synthetic, real, real_test, oracle, n_synthetic, preset, device, no_references,
                        no_realism, no_calibration, calibration_ks, assignments, **run) -> RunConfig:
    """The RunConfig of `run_options` values plus RunConfig fields given as they are (refiner, seed, out, ...)."""
    return RunConfig(
        estimators=tuple(estimators), synthetic=synthetic, real=real, real_test=real_test, oracle=oracle, n_synthetic=n_synthetic,
        preset=preset, device=device, references=not no_references, realism=not no_realism,
        calibration=not no_calibration, calibration_ks=tuple(sorted(set(calibration_ks))),
        settings=parse_assignments(assignments), **run,
    )


@click.command(name="run")
@click.option("--refiner", default="simgan_local", show_default=True,
              help=f"Refiner by name: {', '.join(REFINERS)}, or package.module:ClassName.")
@click.option("--refiner-checkpoint", type=click.Path(file_okay=False), default=None,
              help="A trained refiner folder from `bench refine`, used instead of training --refiner.")
@click.option("--estimator", "estimators", multiple=True, default=("cnn",), show_default=True,
              help=f"Gaze estimator trained on the refined images: {', '.join(ESTIMATORS)}, or package.module:ClassName (repeatable).")
@click.option("--allow-unfingerprinted-checkpoint", is_flag=True,
              help="Test real eyes with a --refiner-checkpoint that records no fingerprints of its real images.")
@click.option("--trust-checkpoint-code", is_flag=True,
              help="Let a --refiner-checkpoint import the class it records even when no built-in or installed plugin has it.")
@run_options
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False), default=None,
              help="Continue an unfinished run folder with the settings it was started with (from its config.json): the "
                   "refiner from its last checkpoint, each CNN from its last epoch. Only --device may be given beside it.")
@click.option("--out", type=click.Path(file_okay=False), default="results/runs", show_default=True,
              help="Folder that receives one new folder per run.")
@click.pass_context
def command(ctx, refiner, refiner_checkpoint, allow_unfingerprinted_checkpoint, trust_checkpoint_code, seed, out, resume_dir,
            **options):
    """Refine synthetic eyes, train gaze estimators on them, and measure angular error on real eyes.

    The last line printed is the run folder.
    """
    if resume_dir is not None:
        given = [p.opts[0] for p in ctx.command.params if p.name not in ("resume_dir", "device")
                 and ctx.get_parameter_source(p.name) is ParameterSource.COMMANDLINE]
        if given:
            raise UserInputError(f"--resume {resume_dir} continues a run with the settings it was started with; drop {given[0]}.")
        config = dataclasses.replace(requested_config(resume_dir), device=options["device"])
    else:
        config = config_from_options(refiner=refiner, refiner_checkpoint=refiner_checkpoint, seed=seed, out=out,
                                     allow_unfingerprinted_checkpoint=allow_unfingerprinted_checkpoint,
                                     trust_checkpoint_code=trust_checkpoint_code, **options)
    run_dir = run_benchmark(config, log=click.echo, resume_dir=resume_dir)
    click.echo(str(run_dir))
