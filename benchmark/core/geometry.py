"""Gaze geometry in the MPIIGaze normalized-camera convention: the only place these formulas live.

Camera frame: x right, y down, z forward (away from the camera); looking at the camera gives z < 0.
Gaze as (pitch, yaw) radians: vector = (-cos p sin y, -sin p, -cos p cos y),
pitch = asin(-v_y), yaw = atan2(-v_x, -v_z); (0, 0) looks straight into the camera.
Every function accepts numpy arrays or torch tensors and returns the same kind.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else np


def pitchyaw_to_vector(pitchyaw):
    """(..., 2) pitch/yaw radians -> (..., 3) unit gaze vectors."""
    xp = _lib(pitchyaw)
    pitch, yaw = pitchyaw[..., 0], pitchyaw[..., 1]
    cp = xp.cos(pitch)
    return xp.stack([-cp * xp.sin(yaw), -xp.sin(pitch), -cp * xp.cos(yaw)], -1)


def vector_to_pitchyaw(vector):
    """(..., 3) gaze vectors of any positive length -> (..., 2) pitch/yaw radians."""
    xp = _lib(vector)
    if xp is torch:
        norm = torch.linalg.vector_norm(vector, dim=-1, keepdim=True).clamp_min(1e-12)
    else:
        norm = np.maximum(np.linalg.norm(vector, axis=-1, keepdims=True), 1e-12)
    v = vector / norm
    pitch = xp.arcsin(xp.clip(-v[..., 1], -1.0, 1.0))
    yaw = xp.arctan2(-v[..., 0], -v[..., 2])
    return xp.stack([pitch, yaw], -1)


def angular_error_deg(a, b):
    """Angle in degrees between gazes a and b; each (..., 2) pitch/yaw or (..., 3) vectors."""
    xp = _lib(a)
    va = pitchyaw_to_vector(a) if a.shape[-1] == 2 else a
    vb = pitchyaw_to_vector(b) if b.shape[-1] == 2 else b
    if xp is torch:
        va = torch.nn.functional.normalize(va, dim=-1)
        vb = torch.nn.functional.normalize(vb, dim=-1)
        return torch.rad2deg(torch.arccos(torch.clamp((va * vb).sum(-1), -1.0, 1.0)))
    va = va / np.linalg.norm(va, axis=-1, keepdims=True)
    vb = vb / np.linalg.norm(vb, axis=-1, keepdims=True)
    return np.degrees(np.arccos(np.clip((va * vb).sum(-1), -1.0, 1.0)))


def mirror_pitchyaw(pitchyaw):
    """Gaze of a horizontally mirrored eye: yaw negated, pitch kept (right eye -> left eye)."""
    out = pitchyaw.clone() if isinstance(pitchyaw, torch.Tensor) else np.array(pitchyaw, copy=True)
    out[..., 1] = -out[..., 1]
    return out


def mirror_images(images):
    """Flip images horizontally along their last axis (right eye -> left eye)."""
    if isinstance(images, torch.Tensor):
        return images.flip(-1)
    return np.ascontiguousarray(images[..., ::-1])


def degrees(x):
    """Radians -> degrees for numpy or torch."""
    return x * (180.0 / math.pi)
