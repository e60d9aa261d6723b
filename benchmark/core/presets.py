"""Presets as data: one TOML file per preset in gazebench/presets/, a section per component.

Every number is written once: paper.toml holds the paper's, and a preset that names `base = "other"` inherits
that preset and overrides single values (deep merge). Inside a preset, a section may name `base = "section"`
to start from another section of the same resolved preset (simgan_global is simgan_local with two changes).
Adding a preset is adding a file; `bench run --preset` offers whatever the folder holds. TOML has no null and
no tuple: arrays come out as tuples (as the components' settings always were) and the text "null" as None.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from gazebench.core.errors import UserInputError

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"
BASE = "base"
NULL = "null"  # TOML's stand-in for None


def list_presets(folder: Path | None = None) -> list[str]:
    """The preset names, one per TOML file, sorted."""
    return sorted(path.stem for path in (folder or PRESETS_DIR).glob("*.toml"))


def _python(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_python(v) for v in value)
    if isinstance(value, dict):
        return {k: _python(v) for k, v in value.items()}
    return None if value == NULL else value


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, tables merged key by key, anything else replaced."""
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def _read(folder: Path, name: str) -> dict[str, Any]:
    path = folder / f"{name}.toml"
    if not path.is_file():
        raise UserInputError(f"Unknown preset '{name}'; expected one of {', '.join(list_presets(folder))}.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserInputError(f"Preset file {path} is not valid TOML ({exc}).") from None


def _resolve_file(folder: Path, name: str, chain: tuple[str, ...]) -> dict[str, Any]:
    if name in chain:
        raise UserInputError(f"Preset '{chain[0]}' inherits in a cycle: {' -> '.join([*chain, name])}.")
    data = _read(folder, name)
    base = data.pop(BASE, None)
    if base is None:
        return data
    if not isinstance(base, str) or base not in list_presets(folder):
        raise UserInputError(f"Preset '{name}' has base {base!r}; expected one of {', '.join(list_presets(folder))}.")
    inherited = _resolve_file(folder, base, (*chain, name))
    for section, values in data.items():  # an override names what its base defines: a typo is not a new setting
        known = inherited.get(section)
        strays = sorted(set(values) - set(known) - {BASE}) if isinstance(values, dict) and isinstance(known, dict) else []
        if not isinstance(known, dict) or strays:
            what = f"[{section}] {strays[0]}" if strays else f"[{section}]"
            raise UserInputError(f"Preset '{name}' sets {what}, which its base '{base}' does not define; "
                                 "expected only overrides of the base's settings.")
    return _merge(inherited, data)


def _resolve_section(preset: str, sections: dict[str, Any], name: str, chain: tuple[str, ...]) -> dict[str, Any]:
    section = dict(sections[name])
    base = section.pop(BASE, None)
    if base is None:
        return section
    if name in chain:
        raise UserInputError(f"Preset '{preset}': section [{chain[0]}] inherits in a cycle: {' -> '.join([*chain, name])}.")
    if base not in sections or not isinstance(sections[base], dict):
        raise UserInputError(f"Preset '{preset}': section [{name}] has base {base!r}; expected another section.")
    return _merge(_resolve_section(preset, sections, base, (*chain, name)), section)


@functools.cache
def _load(folder: Path, name: str) -> dict[str, dict[str, Any]]:
    data = _resolve_file(folder, name, ())
    strays = [key for key, value in data.items() if not isinstance(value, dict)]
    if strays:
        raise UserInputError(f"Preset '{name}' sets {strays[0]} outside a [section]; expected [component] tables.")
    return {section: _python(_resolve_section(name, data, section, ())) for section in data}


def load_preset(name: str) -> dict[str, dict[str, Any]]:
    """{component: {setting: value}} of a preset, inheritance resolved; a fresh copy each call."""
    return {section: dict(values) for section, values in _load(PRESETS_DIR, name).items()}


def preset_section(name: str, section: str) -> dict[str, Any]:
    """One component's settings in a preset; a preset without that section is one sentence."""
    sections = _load(PRESETS_DIR, name)
    if section not in sections:
        raise UserInputError(f"Preset '{name}' has no [{section}] section; expected one in {PRESETS_DIR / name}.toml.")
    return dict(sections[section])


def class_preset(cls: type, preset: str) -> dict[str, Any]:
    """A refiner's or estimator's settings for a preset: its PRESET_SECTION of the preset file for a built-in,
    else (a plugin) its own class-level PRESETS dict."""
    section = getattr(cls, "PRESET_SECTION", None)
    if section:
        return preset_section(preset, section)
    presets = getattr(cls, "PRESETS", None) or {}
    if preset not in presets:
        raise UserInputError(f"Unknown preset '{preset}' for '{getattr(cls, 'name', cls.__name__)}'; "
                             f"expected one of {', '.join(presets)}.")
    return dict(presets[preset])


class PresetSized:
    """What refiners and estimators share about their settings: where a preset sizes them, which text values are
    allowed, and the overrides that make them quick for the contract tests. Mixed into both interfaces."""

    #: Overrides that make fit take about a second, for the contract tests.
    TINY_SETTINGS: ClassVar[dict[str, Any]] = {}
    #: A built-in's section of gazebench/presets/*.toml; None: the class's own PRESETS dict (plugins).
    PRESET_SECTION: ClassVar[str | None] = None
    #: The allowed values of text settings, checked with every --set (gazebench.core.settings).
    CHOICES: ClassVar[dict[str, tuple]] = {}
    #: Number settings with a positive default that may also be 0, which switches what they size off.
    ZERO_MEANS_OFF: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def preset_settings(cls, preset: str) -> dict[str, Any]:
        """This component's settings in a preset (class_preset)."""
        return class_preset(cls, preset)
