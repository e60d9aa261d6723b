"""Settings grids: `--grid cnn.epochs=6,12 --grid cnn.lr=0.001,0.003` -> one settings dict per combination.

A grid is a list of `--set` assignments with several values each; every combination becomes `bench run`
settings (gazebench.core.settings), so a sweep cell or a tuning row is configured exactly as a run is, and
its run folder is named by the settings hash like any other.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from gazebench.core.errors import UserInputError
from gazebench.core.settings import parse_assignments
from gazebench.harness.run import RunConfig
from gazebench.harness.sweep import Cell, expand


def split_values(text: str) -> list[str]:
    """'6,12' -> ['6', '12']; commas inside [], {} or quotes stay ('[8,8],[16,16]' -> two lists)."""
    values, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            values.append(text[start:i])
            start = i + 1
    values.append(text[start:])
    return [value.strip() for value in values]


def parse_grid(items: list[str] | tuple[str, ...]) -> dict[str, list[Any]]:
    """['cnn.epochs=6,12'] -> {'cnn.epochs': [6, 12]}; values are read as `--set` reads them (JSON, else text)."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, equals, text = item.partition("=")
        if not equals:
            raise UserInputError(f"--grid {item!r}: expected COMPONENT.KEY=V1,V2,..., e.g. cnn.epochs=6,12.")
        values = []
        for value in split_values(text):
            (_component, settings), = parse_assignments([f"{name}={value}"]).items()
            values.append(next(iter(settings.values())))
        grid[name.strip()] = values
    return grid


def combinations(grid: dict[str, list[Any]]) -> list[dict[str, dict[str, Any]]]:
    """Every combination of a parsed grid as settings {component: {key: value}}, the first name varying slowest."""
    combos = []
    for values in itertools.product(*grid.values()):
        settings: dict[str, dict[str, Any]] = {}
        for name, value in zip(grid, values):
            component, _, key = name.partition(".")
            settings.setdefault(component, {})[key] = value
        combos.append(settings)
    return combos


def combination_name(settings: dict[str, dict[str, Any]]) -> str:
    """A readable name of one combination: 'cnn.epochs=6 cnn.lr=0.003'."""
    return " ".join(f"{c}.{k}={v}" for c, values in settings.items() for k, v in values.items())


def merged(base: dict[str, dict[str, Any]], extra: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """base with extra's settings over it, component by component."""
    out = {component: dict(values) for component, values in base.items()}
    for component, values in extra.items():
        out.setdefault(component, {}).update(values)
    return out


def expand_grid(base: RunConfig, refiners: list[str], seeds: list[int],
                grid_items: list[str] | tuple[str, ...] = ()) -> list[tuple[Cell, RunConfig]]:
    """sweep.expand for every combination of the grid (over the base's own settings); no grid: one combination."""
    cells: dict[str, tuple[Cell, RunConfig]] = {}
    for settings in combinations(parse_grid(grid_items)):
        for cell, config in expand(dataclasses.replace(base, settings=merged(base.settings, settings)), refiners, seeds):
            cells.setdefault(cell.key, (cell, config))
    return list(cells.values())


def named_settings(grid_items: list[str] | tuple[str, ...], component: str) -> dict[str, dict[str, Any]]:
    """A grid over one component's settings as {name: overrides}, the form the tuning scripts take."""
    named = {}
    for settings in combinations(parse_grid(grid_items)):
        if set(settings) != {component}:
            raise UserInputError(f"--grid {' '.join(grid_items)}: only {component}.KEY=... settings here.")
        named[combination_name(settings)] = settings[component]
    return named
