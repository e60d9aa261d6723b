"""`bench perf cnn`: training images/s of the gaze CNN at a preset's sizes, printed as JSON."""

import json

import click
import torch

from gazebench.core.device import resolve_device
from gazebench.core.errors import UserInputError
from gazebench.estimators.perf import benchmark_cnn
from gazebench.harness import records


@click.command(name="cnn")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--preset", default="cpu", show_default=True, help="cpu, standard or paper sizes.")
@click.option("--steps", type=int, default=50, show_default=True, help="Timed training steps (after 5 warm-up ones).")
@click.option("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice).")
def command(device, preset, steps, threads):
    """Throughput of one gaze-CNN training step: the preset's path (bf16 where it asks and the CPU has it) vs plain fp32."""
    if steps < 1:
        raise UserInputError("--steps must be at least 1.")
    if threads is not None:
        torch.set_num_threads(threads)
    click.echo(json.dumps({**benchmark_cnn(resolve_device(device), preset=preset, steps=steps), **records.git_state()}))
