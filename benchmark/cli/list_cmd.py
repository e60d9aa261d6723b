"""`bench list` (also `bench refiners`): every refiner, estimator and data source kind the suite can use, built
in or plugged in, and its package."""

import click

from gazebench.core.registry import Found
from gazebench.data import SOURCES
from gazebench.estimators.registry import ESTIMATORS
from gazebench.refiners.registry import REFINERS

REGISTRIES = {"refiner": REFINERS, "estimator": ESTIMATORS, "source": SOURCES}


def listing(*, plugins: bool = True) -> dict[str, list[Found]]:
    """Every registry's members by kind; plugins=False leaves out installed entry points (the README's table)."""
    return {kind: registry.available(plugins=plugins) for kind, registry in REGISTRIES.items()}


def plugin_table(found: dict[str, list[Found]], fmt: str = "text") -> str:
    """One row per refiner, estimator or source: kind, name, package, source, class."""
    rows = [(kind, f.name, f.package, f.source, f.target) for kind, items in found.items() for f in items]
    headers = ("kind", "name", "package", "source", "class")
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        return "\n".join(lines + ["| " + " | ".join(f"`{c}`" if i in (1, 4) else c for i, c in enumerate(row)) + " |" for row in rows])
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [headers, *rows])


@click.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def command(fmt):
    """List refiners, estimators and data source kinds (built in, or found by entry point) and their packages."""
    click.echo(plugin_table(listing(), fmt))
