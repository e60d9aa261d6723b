"""`bench refine`: train a refiner on synthetic and unlabelled real images and save its checkpoint folder."""

import click

from gazebench.core.errors import Preempted, UserInputError
from gazebench.core.settings import parse_assignments
from gazebench.harness.refine import train_refiner_from_specs
from gazebench.refiners.registry import REFINERS


@click.command(name="refine")
@click.option("--refiner", "refiner", required=True, help=f"Refiner name: {', '.join(REFINERS)}, or package.module:ClassName.")
@click.option("--synthetic", "synthetic", required=True, help="Synthetic source spec, e.g. sim?n=20000 or npz:syn.npz.")
@click.option("--real", "real", required=True, help="Real source spec (images only; labels are never read), e.g. npz:dev.npz.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Checkpoint folder.")
@click.option("--steps", type=int, default=None, help="Adversarial steps (default: the preset's).")
@click.option("--preset", default="cpu", show_default=True, help="cpu (2-core CPU, ~1-2 min), standard (the reference CPU protocol, ~5 min) or paper (the paper's sizes, GPU).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--n-synthetic", type=int, default=None, help="Use this many synthetic images (seeded draw); default all.")
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in --out.")
@click.option("--set", "assignments", multiple=True, metavar="REFINER.KEY=VALUE",
              help="Override one of the refiner's preset settings (repeatable), e.g. simgan_local.batch_size=16.")
def command(refiner, synthetic, real, out_dir, steps, preset, device, seed, n_synthetic, resume, assignments):
    """Train a refiner and save weights, config, optimiser state and history buffer to --out.

    SIGTERM, SIGUSR1 or SIGUSR2 (SLURM's preemption and time limit) stop it after the current step with a checkpoint
    (exit status 128 + the signal); the same command with --resume continues from there.
    """
    settings = parse_assignments(assignments)
    others = sorted(set(settings) - {refiner})
    if others:
        raise UserInputError(f"--set {others[0]}.KEY: bench refine trains '{refiner}' only; write --set {refiner}.KEY=VALUE.")
    try:
        train_refiner_from_specs(
            refiner, synthetic, real, out_dir,
            steps=steps, preset=preset, device=device, seed=seed, n_synthetic=n_synthetic, resume=resume,
            **settings.get(refiner, {}),
        )
    except Preempted as exc:
        raise Preempted(f"{exc} Run the same `bench refine` command with --resume to continue.", exc.signum) from None
    click.echo(f"saved refiner '{refiner}' to {out_dir}")
