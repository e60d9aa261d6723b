"""One way to change a single number: `--set COMPONENT.KEY=VALUE` on `bench run` and `bench sweep`.

A preset gives every number (gazebench/presets/*.toml, read by gazebench.core.presets; a plugin without a section
there: its class's PRESETS). COMPONENT is `run`, the run's refiner (e.g. `simgan_local`) or one of its estimators
(e.g. `cnn`); KEY is a setting that component's preset defines; VALUE is JSON (`10`, `0.5`, `true`, `[16, 32]`) or
else plain text (`photometric`). A value is checked against the preset's (type, sign, length) and, for a setting the
component lists in its CHOICES, against those (one it lists in ZERO_MEANS_OFF may also be 0); every failure is one
sentence. Every resolved value lands in the run's config.json.
"""

from __future__ import annotations

import json
from typing import Any

from gazebench.core.errors import UserInputError

RUN = "run"


def parse_assignments(items: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """['cnn.epochs=10', 'run.n_synthetic=20000'] -> {'cnn': {'epochs': 10}, 'run': {'n_synthetic': 20000}}."""
    settings: dict[str, dict[str, Any]] = {}
    for item in items:
        name, equals, text = item.partition("=")
        component, dot, key = name.strip().partition(".")
        if not equals or not dot or not component or not key:
            raise UserInputError(f"--set {item!r}: expected COMPONENT.KEY=VALUE, e.g. cnn.epochs=10 or run.n_synthetic=20000.")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        settings.setdefault(component, {})[key] = value
    return settings


def check_value(component: str, key: str, default: Any, value: Any, choices: tuple | None = None, zero_means_off: bool = False) -> Any:
    """`value` if it has the preset default's type and sign, as that type; otherwise one sentence naming it.

    Integers stay integers, numbers whose default is positive (or non-negative) stay so, flags stay flags,
    lists keep their length (a one-element default takes one or more). A default of None takes anything.
    With `choices`, the value must be one of them (a text setting's typo would otherwise fail deep in a run).
    With `zero_means_off`, 0 is allowed beside a positive default (it switches the thing off).
    """
    where = f"--set {component}.{key}={json.dumps(value)}"
    if choices is not None and value not in choices:
        raise UserInputError(f"{where}: unknown choice; expected one of {', '.join(map(str, choices))}.")
    if default is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise UserInputError(f"{where}: expected true or false.")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserInputError(f"{where}: expected a number like {default!r}.")
        if isinstance(default, int) and not float(value).is_integer():
            raise UserInputError(f"{where}: expected a whole number like {default!r}.")
        if (default > 0 and value <= 0 and not (zero_means_off and value == 0)) or (default >= 0 and value < 0):
            expected = "> 0 (or 0: off)" if zero_means_off else "> 0" if default > 0 else ">= 0"
            raise UserInputError(f"{where}: out of range; expected a number {expected}.")
        return int(value) if isinstance(default, int) else float(value)
    if isinstance(default, (list, tuple)):
        any_length = len(default) == 1 and len(value or []) >= 1  # a one-element default means "one or several"
        if not isinstance(value, (list, tuple)) or not (any_length or len(value) == len(default)):
            raise UserInputError(f"{where}: expected a list of {len(default)} values like {json.dumps(list(default))}.")
        return type(default)(check_value(component, f"{key}[{i}]", default[min(i, len(default) - 1)], v)
                             for i, v in enumerate(value))
    if isinstance(default, str) and not isinstance(value, str):
        raise UserInputError(f"{where}: expected text like {default!r}.")
    return value


def checked(kind: str, component: str, defaults: dict[str, Any], values: dict[str, Any],
            choices: dict[str, tuple] | None = None, zero_means_off: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every value checked against its default (and its choices); an unknown key is one sentence listing the known ones."""
    unknown = sorted(set(values) - set(defaults))
    if unknown:
        raise UserInputError(f"Unknown setting(s) {', '.join(unknown)} for {kind} '{component}'; "
                             f"expected some of: {', '.join(sorted(defaults))}.")
    choices = choices or {}
    return {key: check_value(component, key, defaults[key], value, choices.get(key), key in zero_means_off)
            for key, value in values.items()}
