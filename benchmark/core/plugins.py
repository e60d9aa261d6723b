"""Refiners and estimators from other packages: found by entry point, or named as package.module:ClassName.

A plugin is a class that implements the same interface as the built-ins (gazebench.refiners.base.Refiner,
gazebench.estimators.base.GazeEstimator). It joins without a change to this package in one of two ways:
- its distribution's metadata lists `name = "package.module:ClassName"` under the entry-point group
  `gazebench.refiners` or `gazebench.estimators`, and `--refiner name` finds it;
- `--refiner package.module:ClassName` imports the class from the Python path, ad hoc.
Anything wrong with a plugin (it fails to import, it is not a class of the interface, it leaves part of
the interface out) is one UserInputError that names the plugin and what was expected.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from gazebench.core.errors import UserInputError

REFINER_GROUP = "gazebench.refiners"
ESTIMATOR_GROUP = "gazebench.estimators"
BUILT_IN_PACKAGE = "gazebench"


@dataclass(frozen=True)
class Found:
    """One refiner or estimator the suite can use, and where it comes from."""

    name: str
    target: str  # package.module:ClassName
    package: str  # the distribution that provides it
    source: str  # "built in" or "entry point"


def class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=group)}


def check_class(cls: object, label: str, what: str, base: type) -> type:
    """cls itself when it is a concrete subclass of base; otherwise one sentence saying what is missing."""
    expected = f"{base.__module__}.{base.__name__}"
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise UserInputError(f"{what} plugin '{label}' is not a subclass of {expected}; expected a class implementing it.")
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise UserInputError(f"{what} plugin '{label}' does not implement {missing} of {expected}.")
    # Class attributes the interface declares but cannot force (name; PRESETS for estimators).
    missing = [a for a, kind in getattr(base, "REQUIRED_CLASS_ATTRIBUTES", {}).items() if not isinstance(getattr(cls, a, None), kind)]
    if missing:
        raise UserInputError(f"{what} plugin '{label}' does not define {', '.join(missing)} of {expected}.")
    return cls


def import_class(target: str, what: str, base: type, label: str | None = None) -> type:
    """The class named by package.module:ClassName, checked against the interface `base`."""
    label = label or target
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise UserInputError(f"{what} plugin '{label}' should be written package.module:ClassName.")
    try:
        found: object = importlib.import_module(module_name)
    except Exception as exc:  # a plugin's import can fail in any way; the user needs its name and the reason
        raise UserInputError(f"{what} plugin '{label}' failed to import {module_name}: {type(exc).__name__}: {exc}.") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise UserInputError(f"{what} plugin '{label}': module {module_name} has no {attribute}.")
        found = getattr(found, part)
    return check_class(found, label, what, base)


def resolve(name: str, built_in: dict[str, type], group: str, what: str, base: type) -> type:
    """A built-in by name, an entry-point plugin by name, or package.module:ClassName."""
    if name in built_in:
        return built_in[name]
    if ":" in name:
        return import_class(name, what, base)
    plugins = _entry_points(group)
    if name in plugins:
        return import_class(plugins[name].value, what, base, label=name)
    names = ", ".join([*built_in, *plugins])
    raise UserInputError(f"Unknown {what.lower()} '{name}'; expected one of {names}, or package.module:ClassName.")


def available(built_in: dict[str, type], group: str) -> list[Found]:
    """Every built-in and every installed entry point of `group` (plugins are listed, not imported)."""
    found = [Found(name, class_path(cls), BUILT_IN_PACKAGE, "built in") for name, cls in built_in.items()]
    for name, ep in _entry_points(group).items():
        package = ep.dist.name if ep.dist is not None else "?"
        found.append(Found(name, ep.value, package, "entry point"))
    return found


def plugin_table(found: dict[str, list[Found]], fmt: str = "text") -> str:
    """One row per refiner or estimator: kind, name, package, source, class."""
    rows = [(kind, f.name, f.package, f.source, f.target) for kind, items in found.items() for f in items]
    headers = ("kind", "name", "package", "source", "class")
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        return "\n".join(lines + ["| " + " | ".join(f"`{c}`" if i in (1, 4) else c for i, c in enumerate(row)) + " |" for row in rows])
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [headers, *rows])
