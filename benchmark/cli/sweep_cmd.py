"""`bench sweep`: expand refiners x seeds into `bench run` cells and run them locally or on SLURM (no logic here)."""

import os
from pathlib import Path

import click

from gazebench.cli.run_cmd import config_from_options, run_options
from gazebench.core.errors import UserInputError
from gazebench.harness import grid, sweep


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


@click.command(name="sweep")
@click.option("--refiner", "refiners", default="identity,simgan_local", show_default=True,
              help="Comma-separated refiners; each (refiner, seed) is one cell, one `bench run`.")
@click.option("--estimator", "estimators", default="cnn", show_default=True,
              help="Comma-separated estimators; every cell trains all of them on its refined images.")
@click.option("--seeds", default="0-4", show_default=True, help="Seeds, e.g. 0-4 or 0,2,5.")
@click.option("--grid", "grid_items", multiple=True, metavar="COMPONENT.KEY=V1,V2",
              help="Sweep a setting too (repeatable): every combination of the values is a cell per refiner and "
                   "seed, e.g. --grid cnn.epochs=6,12 --grid run.n_synthetic=10000,30000.")
@run_options
@click.option("--out", type=click.Path(file_okay=False), default=None, help="The sweep's folder (run folders, logs).")
@click.option("--launcher", type=click.Choice(sweep.LAUNCHERS), default="local", show_default=True)
@click.option("--workers", type=int, default=None,
              help="local: cells at once [default: cores / 2, fewer if the preset's memory per cell does not fit].")
@click.option("--partition", default=None, help="slurm: partition.")
@click.option("--time", "time_min", type=int, default=60, show_default=True, help="slurm: minutes per cell.")
@click.option("--cpus", type=int, default=2, show_default=True, help="slurm: CPUs per cell (also its torch threads).")
@click.option("--gpus", type=int, default=0, show_default=True, help="slurm: GPUs per cell.")
@click.option("--array-parallelism", type=int, default=32, show_default=True, help="slurm: cells running at once.")
@click.option("--status", "status_dir", type=click.Path(file_okay=False), default=None,
              help="Show what is pending, held (running, and by whom), done and failed in this sweep folder, and exit.")
def command(refiners, estimators, seeds, grid_items, out, launcher, workers, partition, time_min, cpus, gpus, array_parallelism,
            status_dir, **options):
    """Run a grid of refiners x seeds (x --grid settings); cells already done with the same settings are skipped.

    Start it again after a stop (or a failed cell) to finish only what is missing. `bench table OUT` reads the
    sweep's folder like any folder of runs.
    """
    if status_dir:
        by_state = sweep.status(Path(status_dir))
        holders = sweep.held_by(Path(status_dir), by_state.get("held", []))
        for state, keys in sorted(by_state.items()):
            click.echo(f"{state}: {len(keys)}")
            for key in sorted(keys):
                click.echo(f"  {key}" + (f"  ({holders[key]})" if key in holders else ""))
        return
    if not out:
        raise UserInputError("bench sweep needs --out DIR, the folder that keeps the sweep's runs and logs.")
    out_dir = Path(out)
    base = config_from_options(estimators=_names(estimators), out=str(out_dir),
                               shared_fits=str(out_dir / sweep.SHARED_FITS_DIR), **options)
    cells = grid.expand_grid(base, _names(refiners), sweep.parse_seeds(seeds), grid_items)
    todo, states = sweep.select(out_dir, cells)
    held = sum(state == "held" for state in states.values())
    click.echo(f"{len(cells)} cells: {len(cells) - len(todo) - held} done, {len(todo)} to run ({launcher})."
               + (f" {held} held by another sweep, skipped (`bench sweep --status {out_dir}` shows by whom)." if held else ""))
    if launcher == "local":
        sweep.write_manifest(out_dir, cells, launcher)
        n_workers = workers or sweep.local_workers(base.preset)
        threads = max(1, (os.cpu_count() or 1) // n_workers)
        failures = sweep.run_local(todo, n_workers, threads, echo=click.echo) if todo else {}
        if failures:
            raise UserInputError(f"{len(failures)} of {len(todo)} cells failed ({', '.join(sorted(failures))}); "
                                 f"their errors are in {out_dir / sweep.FAILED_DIR}. Run the same command to retry them.")
    else:
        submitted = sweep.submit_slurm(todo, out_dir, partition=partition, time_min=time_min, cpus=cpus, gpus=gpus,
                                       array_parallelism=array_parallelism) if todo else {}
        jobs = {key: job.job_id for key, job in submitted.items()}
        sweep.write_manifest(out_dir, cells, launcher, jobs)
        click.echo(f"submitted {len(jobs)} cells; `bench sweep --status {out_dir}` shows their progress.")
