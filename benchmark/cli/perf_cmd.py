"""`bench perf`: throughput benchmarks that print JSON (benchmarks measure; tests assert)."""

import click

from gazebench.cli import perf_cnn, perf_refiner, perf_simulator


@click.group(name="perf")
def command():
    """Throughput benchmarks (images/s, peak memory) printed as JSON."""


command.add_command(perf_simulator.command)
command.add_command(perf_refiner.command)
command.add_command(perf_cnn.command)
