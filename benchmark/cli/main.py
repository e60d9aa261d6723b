"""`bench` entry point: the command groups and the one place user errors become exit status 2."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import click

from gazebench.cli import data_cmd, list_cmd, perf_cmd, refine_cmd, run_cmd, sim_cmd, sweep_cmd, table_cmd, turing_cmd
from gazebench.core.errors import Preempted, UserInputError

#: Writes that fail for the machine's reasons, not the code's: a full disk or quota, a read-only or forbidden folder.
WRITE_FAULTS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


class BenchGroup(click.Group):
    """A click group that reports UserInputError, and a file operation the machine refuses (WRITE_FAULTS), as one
    sentence and exit status 2, no traceback; a job stopped by SIGTERM/SIGUSR1/SIGUSR2 after saving what it can resume
    from, as one line and exit status 128 + the signal."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except UserInputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except Preempted as exc:
            click.echo(f"stopped: {exc}", err=True)
            sys.exit(128 + exc.signum)
        except OSError as exc:
            if exc.errno not in WRITE_FAULTS:
                raise
            where = Path(exc.filename).parent if exc.filename else "the output folder"  # not a temporary file's name
            click.echo(f"error: {exc.strerror} in {where}. Free space or choose a writable --out, then run the same command "
                       "again; finished work is kept, and nothing half-written counts as done.", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted; completed work is kept (resume where the command supports --resume).", err=True)
            sys.exit(130)


@click.group(cls=BenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gazebench")
def cli():
    """Gaze-estimation benchmark: refine synthetic eyes, train gaze estimators, test on real eyes."""


# Each command lives in its own module; the group collects them.
for _module in (run_cmd, sweep_cmd, refine_cmd, table_cmd, turing_cmd, data_cmd, sim_cmd, perf_cmd, list_cmd):
    cli.add_command(_module.command)
cli.add_command(list_cmd.command, name="refiners")  # the listing's first name, kept


def main() -> None:
    cli(prog_name="bench")


if __name__ == "__main__":
    main()
