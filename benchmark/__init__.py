"""Gaze-estimation benchmark harness: data sources, geometry, estimators, runs, tables."""

__version__ = "0.1.0"
