"""`bench turing`: not built yet (its issue fills this module)."""

import click

from benchmark.errors import UserInputError


@click.group(name="turing", invoke_without_command=True)
@click.pass_context
def command(ctx):
    """Not built yet."""
    if ctx.invoked_subcommand is None:
        raise UserInputError("'bench turing' is not built yet.")
