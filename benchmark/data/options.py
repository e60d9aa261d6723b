"""Checks shared by the loaders for the `?key=value` options of a spec string."""

from __future__ import annotations

from pathlib import Path

from gazebench.core.errors import UserInputError
from gazebench.data.base import SourceSpec


def check_options(spec: SourceSpec, allowed: tuple[str, ...]) -> None:
    """Reject options a source does not know, so a typo is not silently ignored."""
    unknown = sorted(set(spec.options) - set(allowed))
    if unknown:
        expected = ", ".join(allowed) if allowed else "none"
        raise UserInputError(f"{spec.text}: unknown option(s) {', '.join(unknown)}; expected: {expected}.")


def require_path(spec: SourceSpec, expected: str) -> Path:
    """The spec's path, which must exist; `expected` says what it should be."""
    if not spec.path:
        raise UserInputError(f"{spec.text}: expected {expected} after '{spec.kind}:'.")
    path = Path(spec.path).expanduser()
    if not path.exists():
        raise UserInputError(f"{spec.text}: no such file or folder {path}; expected {expected}.")
    return path


def parse_size_option(spec: SourceSpec, default: tuple[int, int]) -> tuple[int, int]:
    """`size=HxW` (for example `size=35x55`) as (H, W)."""
    text = spec.options.get("size")
    if text is None:
        return default
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        height = width = 0
    if height <= 0 or width <= 0:
        raise UserInputError(f"{spec.text}: size '{text}' is not HxW with positive integers, such as 36x60.")
    return height, width
