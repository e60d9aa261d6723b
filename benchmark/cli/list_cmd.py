"""`bench refiners`: every refiner and estimator the suite can use, built in or plugged in, and its package."""

import click

from gazebench.estimators.registry import available_estimators
from gazebench.core.plugins import plugin_table
from gazebench.refiners.registry import available_refiners


@click.command(name="refiners")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def command(fmt):
    """List refiners and estimators (built in, or found by entry point), with the package they come from."""
    click.echo(plugin_table({"refiner": available_refiners(), "estimator": available_estimators()}, fmt))
