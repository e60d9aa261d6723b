"""Data sources by spec string: `open_source("npz:dev.npz")`, `open_source("sim?style=target")`.

A new source kind is one module plus one line in SOURCE_KINDS.
"""

from __future__ import annotations

from gazebench.data.base import EyeData, EyeSource, SourceSpec, parse_spec
from gazebench.data.kaggle import KaggleGazeSource
from gazebench.data.mpiigaze import MpiiGazeSource
from gazebench.data.own_format import H5Source, NpzSource, write_own_format
from gazebench.data.unityeyes import UnityEyesSource
from gazebench.core.errors import UserInputError
from gazebench.data.sim import SimSource

SOURCE_KINDS: dict[str, type[EyeSource]] = {
    "npz": NpzSource,
    "h5": H5Source,
    "mpiigaze": MpiiGazeSource,
    "unityeyes": UnityEyesSource,
    "kaggle": KaggleGazeSource,
    "sim": SimSource,
}


def open_source(spec: str) -> EyeSource:
    """Open the data source a spec string names; unknown kinds and bad files raise UserInputError."""
    parsed = parse_spec(spec)
    if parsed.kind not in SOURCE_KINDS:
        raise UserInputError(
            f"Unknown data source kind '{parsed.kind}' in '{spec}'; expected one of {', '.join(sorted(SOURCE_KINDS))}."
        )
    return SOURCE_KINDS[parsed.kind](parsed)


__all__ = ["EyeData", "EyeSource", "SourceSpec", "open_source", "parse_spec", "write_own_format", "SOURCE_KINDS"]
