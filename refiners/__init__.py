"""Refiners: synthetic eye images in, more realistic eye images out, gaze unchanged.

Looked up by name in REFINERS (refiners/registry.py); a new refiner is one module plus one registry line.
"""
