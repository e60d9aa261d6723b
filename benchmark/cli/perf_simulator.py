"""`bench perf simulator`: images/s of the built-in eye simulator, printed as JSON."""

import json

import click
import torch

from gazebench.data.simulator.params import STYLES
from gazebench.data.simulator.perf import measure_throughput
from gazebench.harness import records


@click.command(name="simulator")
@click.option("--device", default="auto", show_default=True, help="auto, cpu or cuda.")
@click.option("--n", "count", default=20000, show_default=True, type=click.IntRange(min=1), help="Images to render.")
@click.option("--style", type=click.Choice(sorted(STYLES)), default="default", show_default=True)
@click.option("--batch", type=click.IntRange(min=1), default=None, help="Images per render call [512 CPU, 65536 GPU].")
@click.option("--threads", type=click.IntRange(min=1), default=None, help="CPU threads for torch [torch's default].")
@click.option("--compile/--no-compile", "use_compile", default=False, show_default=True,
              help="Fuse the renderer with torch.compile (minutes to compile on a small CPU).")
def command(device, count, style, batch, threads, use_compile):
    """Render COUNT simulated eyes and print throughput as JSON."""
    if threads:
        torch.set_num_threads(threads)
    click.echo(json.dumps({**measure_throughput(device, count, style, batch, use_compile), **records.git_state()}))
