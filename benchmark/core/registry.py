"""One registry mechanism for refiners, estimators and data sources, built in or plugged in.

A built-in registers itself beside its class (`@REFINERS.register`, `@SOURCES.register("npz")`), and the
registry imports every module of its packages at the first lookup, so a new built-in is one new file and
no list to edit. Other distributions join by entry point (`gazebench.refiners`, `gazebench.estimators`,
`gazebench.sources`), and refiners and estimators also as package.module:ClassName, ad hoc. The interface
is named as "module:Class" and imported only when needed, so this module depends on nothing above core.
Anything wrong with a plugin is one UserInputError that names it and what was expected.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from gazebench.core.errors import UserInputError

BUILT_IN_PACKAGE = "gazebench"


@dataclass(frozen=True)
class Found:
    """One refiner, estimator or source the suite can use, and where it comes from."""

    name: str
    target: str  # package.module:ClassName
    package: str  # the distribution that provides it
    source: str  # "built in" or "entry point"


def class_path(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import_target(target: str, what: str, label: str) -> object:
    """The object package.module:Attribute names; a failing import is one sentence with the reason."""
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
    return found


class Registry(Mapping[str, type]):
    """The built-ins of one kind by key (a read-only mapping), plus lookup of entry points and ad hoc classes.

    kind: "refiner", "estimator" or "source" (messages, listings); group: the entry-point group;
    interface: "module:Class" every member subclasses; packages: the packages whose modules hold the built-ins;
    ad_hoc: whether a name with ':' is imported as package.module:ClassName (not for sources, whose specs use ':').
    """

    def __init__(self, kind: str, group: str, interface: str, packages: tuple[str, ...], *, ad_hoc: bool = True):
        self.kind, self.group, self.packages, self.ad_hoc = kind, group, packages, ad_hoc
        self._interface_path = interface
        self._built_in: dict[str, type] = {}
        self._discovered = False

    # --- registration and the built-ins --------------------------------------------------------------------

    def register(self, cls_or_key: type | str):
        """Class decorator: `@R.register` files the class under its `name`; `@R.register("npz")` under a key."""
        if isinstance(cls_or_key, str):
            return lambda cls: self._add(cls_or_key, cls)
        return self._add(getattr(cls_or_key, "name", None), cls_or_key)

    def _add(self, key: object, cls: type) -> type:
        if not isinstance(key, str) or not key:
            raise TypeError(f"{self.kind} {class_path(cls)} has no name to register it under; give a key.")
        held = self._built_in.get(key)
        if held is not None and class_path(held) != class_path(cls):  # the same class imported again is fine
            raise UserInputError(f"{self.what} '{key}' is registered twice: by {class_path(held)} and by {class_path(cls)}.")
        self._built_in[key] = cls
        return cls

    def _discover(self) -> None:
        """Import every module of the built-in packages once, so each one's decorator has run."""
        if self._discovered:
            return
        self._discovered = True
        for package_name in self.packages:
            package = importlib.import_module(package_name)
            for module in pkgutil.iter_modules(package.__path__):
                importlib.import_module(f"{package_name}.{module.name}")

    def __getitem__(self, key: str) -> type:
        self._discover()
        return self._built_in[key]

    def __iter__(self) -> Iterator[str]:
        self._discover()
        return iter(sorted(self._built_in))

    def __len__(self) -> int:
        self._discover()
        return len(self._built_in)

    # --- the interface and plugins ---------------------------------------------------------------------------

    @property
    def what(self) -> str:
        return {"source": "Data source"}.get(self.kind, self.kind.capitalize())

    @property
    def interface(self) -> type:
        module_name, _, name = self._interface_path.partition(":")
        return getattr(importlib.import_module(module_name), name)

    def entry_points(self) -> dict[str, EntryPoint]:
        return {ep.name: ep for ep in entry_points(group=self.group)}

    def check_class(self, cls: object, label: str) -> type:
        """cls itself when it is a concrete subclass of the interface; otherwise one sentence saying what is missing."""
        base = self.interface
        expected = f"{base.__module__}.{base.__name__}"
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise UserInputError(f"{self.what} plugin '{label}' is not a subclass of {expected}; expected a class implementing it.")
        if inspect.isabstract(cls):
            missing = ", ".join(sorted(cls.__abstractmethods__))
            raise UserInputError(f"{self.what} plugin '{label}' does not implement {missing} of {expected}.")
        # Class attributes the interface declares but cannot force (name; PRESETS for estimators).
        required = getattr(base, "REQUIRED_CLASS_ATTRIBUTES", {})
        missing = [a for a, kind in required.items() if not isinstance(getattr(cls, a, None), kind)]
        if missing:
            raise UserInputError(f"{self.what} plugin '{label}' does not define {', '.join(missing)} of {expected}.")
        return cls

    def import_class(self, target: str, label: str | None = None) -> type:
        """The class named by package.module:ClassName, checked against the interface."""
        label = label or target
        return self.check_class(_import_target(target, self.what, label), label)

    def lookup(self, name: str) -> type | None:
        """A built-in or an installed entry point's class by name; None when neither has it."""
        if name in self:
            return self[name]
        plugins = self.entry_points()
        return self.import_class(plugins[name].value, label=name) if name in plugins else None

    def resolve(self, name: str) -> type:
        """A built-in by name, an entry-point plugin by name, or (where allowed) package.module:ClassName."""
        found = self.lookup(name)
        if found is not None:
            return found
        if self.ad_hoc and ":" in name:
            return self.import_class(name)
        raise UserInputError(f"Unknown {self.kind} '{name}'; expected one of {', '.join(self.names())}"
                             + (", or package.module:ClassName." if self.ad_hoc else "."))

    def names(self) -> list[str]:
        return [*self, *(n for n in self.entry_points() if n not in self)]

    def trusted(self, target: str) -> type | None:
        """The class at package.module:ClassName when it is a built-in's or an installed entry point's (code the
        user chose to install), imported only then; None otherwise."""
        for cls in self.values():
            if class_path(cls) == target:
                return cls
        for name, ep in self.entry_points().items():
            if ep.value.replace(" ", "") == target:
                return self.import_class(ep.value, label=name)
        return None

    def available(self, *, plugins: bool = True) -> list[Found]:
        """Every built-in and (with plugins) every installed entry point (listed, not imported)."""
        found = [Found(name, class_path(cls), BUILT_IN_PACKAGE, "built in") for name, cls in self.items()]
        for name, ep in (self.entry_points() if plugins else {}).items():
            package = ep.dist.name if ep.dist is not None else "?"
            found.append(Found(name, ep.value, package, "entry point"))
        return found
