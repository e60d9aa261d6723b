"""`bench run`: not built yet (its issue fills this module)."""

import click

from benchmark.errors import UserInputError


@click.command(name="run", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
def command():
    """Not built yet."""
    raise UserInputError("'bench run' is not built yet.")
