"""`bench perf simulator`: not built yet (its issue fills this module)."""

import click

from benchmark.errors import UserInputError


@click.command(name="simulator", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def command():
    """Not built yet."""
    raise UserInputError("'bench perf simulator' is not built yet.")
