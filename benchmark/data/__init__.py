"""Data sources by spec string: `open_source("npz:dev.npz")`, `open_source("sim?style=target")`.

A new source kind is one module in benchmark/data/ whose class carries `@SOURCES.register("KIND")`; other
distributions add kinds by the entry-point group gazebench.sources.
"""

from __future__ import annotations

from gazebench.core.errors import UserInputError
from gazebench.data.base import SOURCES, EyeData, EyeSource, SourceSpec, parse_spec
from gazebench.data.own_format import write_own_format

#: The built-in kinds by name (a read-only view of SOURCES), kept for callers of the earlier dict.
SOURCE_KINDS = SOURCES


def open_source(spec: str) -> EyeSource:
    """Open the data source a spec string names; unknown kinds and bad files raise UserInputError."""
    parsed = parse_spec(spec)
    cls = SOURCES.lookup(parsed.kind)
    if cls is None:
        raise UserInputError(
            f"Unknown data source kind '{parsed.kind}' in '{spec}'; expected one of {', '.join(sorted(SOURCES.names()))}."
        )
    return cls(parsed)


__all__ = ["SOURCES", "SOURCE_KINDS", "EyeData", "EyeSource", "SourceSpec", "open_source", "parse_spec", "write_own_format"]
