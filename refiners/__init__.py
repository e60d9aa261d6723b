"""Refiners: synthetic eye images in, more realistic eye images out, gaze unchanged.

Each refiner is one module here whose class carries `@REFINERS.register` (refiners/base.py); looked up by name
through refiners/registry.py, which finds every module of this package itself.
"""
