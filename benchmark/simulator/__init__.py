"""The built-in eye simulator (data source `sim`): seeded scene parameters, a vectorised torch renderer."""

# benchmark.data registers SimSource, so it must finish importing before this package's modules need it.
import benchmark.data  # noqa: F401  (import order breaks the data <-> simulator cycle)
from benchmark.simulator.params import STYLES, LabelRange, draw_params
from benchmark.simulator.render import render
from benchmark.simulator.source import SimSource, render_images

__all__ = ["STYLES", "LabelRange", "SimSource", "draw_params", "render", "render_images"]
