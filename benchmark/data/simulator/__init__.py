"""The built-in eye simulator: seeded scene parameters and a vectorised torch renderer.

The data source `sim` that serves its images lazily is benchmark/data/sim.py.
"""

from gazebench.data.simulator.params import STYLES, LabelRange, draw_params
from gazebench.data.simulator.render import render

__all__ = ["STYLES", "LabelRange", "draw_params", "render"]
