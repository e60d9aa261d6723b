"""`bench perf refiner`: images/s and peak memory of one SimGAN iteration, printed as JSON."""

import json

import click
import torch

from gazebench.core.device import resolve_device
from gazebench.core.errors import UserInputError
from gazebench.harness import records
from gazebench.refiners.perf import benchmark_refiner


@click.command(name="refiner")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--preset", default="cpu", show_default=True, help="cpu, standard or paper sizes.")
@click.option("--batch", type=int, default=None, help="Images per update (default: the preset's).")
@click.option("--iters", type=int, default=10, show_default=True, help="Timed iterations (after 3 warm-up ones).")
@click.option("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice).")
@click.option("--no-compare", is_flag=True, help="Skip the plain fp32 eager comparison run.")
def command(device, preset, batch, iters, threads, no_compare):
    """Throughput of one refiner update + one discriminator update (the fast path vs plain fp32 eager)."""
    if iters < 1 or (batch is not None and batch < 4):
        raise UserInputError("--iters must be at least 1 and --batch at least 4.")
    if threads is not None:
        torch.set_num_threads(threads)
    result = benchmark_refiner(resolve_device(device), preset=preset, batch=batch, iters=iters, compare_eager=not no_compare)
    click.echo(json.dumps({**result, **records.git_state()}))
