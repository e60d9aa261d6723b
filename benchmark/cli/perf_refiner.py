"""`bench perf refiner`: not built yet (its issue fills this module)."""

import click

from benchmark.errors import UserInputError


@click.command(name="refiner", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def command():
    """Not built yet."""
    raise UserInputError("'bench perf refiner' is not built yet.")
