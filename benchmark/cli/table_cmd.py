"""`bench table`: paper-style tables (and optional plots) from a folder of runs (no logic here)."""

import click

from gazebench.report.tables import FORMATS, TABLES, report_runs


@click.command(name="table")
@click.argument("runs_dir", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True)
@click.option("--table", "which", type=click.Choice(TABLES), default="all", show_default=True)
@click.option("--plots", "plots_dir", type=click.Path(file_okay=False), default=None,
              help="Also write cross-run plots (cumulative error, error by gaze) into this folder.")
def command(runs_dir, fmt, which, plots_dir):
    """Tables from the complete runs under RUNS_DIR; half-written runs are skipped with a warning."""
    click.echo(report_runs(runs_dir, fmt=fmt, which=which, plots_dir=plots_dir, warn=lambda m: click.echo(m, err=True)), nl=False)
