"""`bench data`: inspect, export and look at any data source named by a spec string."""

from __future__ import annotations

import json

import click

from gazebench.data import open_source
from gazebench.data.export import export_source
from gazebench.data.inspect import describe_source, save_source_grid

SPEC_HELP = "SPEC is KIND:PATH, e.g. npz:dev.npz, mpiigaze:/data/MPIIGaze?people=p00, unityeyes:imgs, kaggle:gaze.h5."


@click.group(name="data", help=f"Inspect, export and view eye-image sources. {SPEC_HELP}")
def command():
    pass


@command.command(name="info")
@click.argument("spec")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def info(spec, as_json):
    """Count, image size, whether labelled, and label ranges in degrees."""
    summary = describe_source(open_source(spec), progress=not as_json)
    click.echo(json.dumps(summary.to_dict()) if as_json else summary.describe())


@command.command(name="export")
@click.argument("spec")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output FILE.npz or FILE.h5.")
@click.option("--n", type=int, default=None, help="Export n random images (seeded) instead of all.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random sample.")
def export(spec, out, n, seed):
    """Write a source in the suite's own format (images uint8, gaze pitch/yaw radians)."""
    path = export_source(open_source(spec), out, n=n, seed=seed)
    click.echo(f"wrote {path}")


@command.command(name="grid")
@click.argument("spec")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Output PNG.")
@click.option("--n", type=int, default=32, show_default=True, help="Number of random eyes.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random sample.")
def grid(spec, out, n, seed):
    """Save a PNG of random eyes with their gaze label drawn as an arrow."""
    path = save_source_grid(open_source(spec), out, n=n, seed=seed)
    click.echo(f"wrote {path}")
