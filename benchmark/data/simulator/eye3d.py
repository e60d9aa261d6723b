"""The 3-D eye behind every render: an eyeball in a head, seen through MPIIGaze's normalized camera.

Per image, this turns physiological sizes (mm, degrees) and the gaze label into the pixel quantities the
renderer draws: where the eyeball, the iris and the corneal glint land in the crop, how large they look,
and the affine map from pixels to eyelid coordinates. Nothing here is in pixel units to begin with: how
far the iris moves per degree follows from the eye's size and the camera (and `scale`, see params.py).

Camera (MPIIGaze normalization): a virtual camera of focal length 960 px looks at the eye centre (the
midpoint of the two eye corners) from 600 mm, its x axis along the head's x axis, and the 60 x 36 crop has
its principal point at the crop centre. These are the values of Zhang, Sugano and Bulling, "Revisiting
data normalization for appearance-based gaze estimation" (ETRA 2018; focal_norm = 960, distance_norm = 600)
and of hysts/ptgaze (normalized_camera_params/mpiigaze.yaml, normalized_camera_distance 0.6). So 1 mm at
the eye is 1.6 px. The eye region is small next to 600 mm, so each object is projected with weak
perspective about its own centre (exact position, scale f / depth): the error is under 2%.

Head frame: origin at the corner midpoint, x right, y down, z into the head; head_rotation (params.py)
turns it into the camera frame. The eyeball centre sits `eyeball_depth` mm behind the corner midpoint, so
turning the head slides the eyeball across the crop while the corners stay put, as in real crops.

The eye (sizes in STYLES): an eyeball of radius ~12 mm (axial length ~24 mm) turning left and right about its
centre, and up and down about an axis `vertical_pivot` mm in front of it (Fry & Hill 1962 and 1963, Optom Vis Sci
39:581 and 40:707: the centres of rotation lie 14.8 mm behind the corneal apex for horizontal turns and 12.2 mm for
vertical ones; 2.8 +- 1.7 mm apart in 59 people, Ophthalmic Physiol Opt 2022, 42:376). So the iris travels a
shorter arm per degree of pitch than of yaw. The default draws 0 (one centre, as before); results/simulator says why.
The visible iris (horizontal visible iris diameter ~11.7 mm) is a disc on the limbus plane, sqrt(R^2 - r^2)
in front of the centre, so it foreshortens into an ellipse as the eye turns; a cornea of radius 7.8 mm
whose centre lies 5.5 mm in front of the eyeball centre makes the glint. The label is the visual axis; the
iris follows the optical axis, which is turned from it by the angle kappa (about 5 deg temporal and 1-2
deg down for the optical axis; Guestrin & Eizenman, IEEE TBME 2006; drawn 3-7 and 0-3 deg here). Lids are curves in the head's frontal
plane whose margins follow the eye's pitch in the head (the upper lid nearly one to one, the lower less).
"""

from __future__ import annotations

import math

import torch

from gazebench.core.geometry import pitchyaw_to_vector, vector_to_pitchyaw
from gazebench.data.simulator.params import head_rotation

FOCAL_PX = 960.0
DISTANCE_MM = 600.0
HEIGHT, WIDTH = 36, 60
CENTER_PX = (WIDTH / 2.0, HEIGHT / 2.0)  # the corner midpoint projects to the principal point
CORNEA_RADIUS_MM = 7.8
CORNEA_CENTER_MM = 5.5  # from the eyeball centre, along the optical axis
GLINT_CORNEA_COS = math.cos(math.radians(40.0))  # a reflection further off the optical axis falls on sclera


def _column(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float32).view(-1, 1, 1)


def _project(points: torch.Tensor, scale: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(N, 3) camera-frame mm -> pixel x, y and px per mm at that depth (weak perspective about the point)."""
    px_per_mm = scale * FOCAL_PX / points[:, 2]
    return CENTER_PX[0] + px_per_mm * points[:, 0], CENTER_PX[1] + px_per_mm * points[:, 1], px_per_mm


def optical_axis_in_head(gaze: torch.Tensor, head: torch.Tensor, kappa_pitch: torch.Tensor, kappa_yaw: torch.Tensor):
    """Eye-in-head (pitch, yaw) of the optical axis, radians, from the visual-axis label. For a left eye
    (nasal side on the image left) the optical axis points temporal (-yaw) and down (-pitch) of the visual."""
    visual_in_head = (head_rotation(head).transpose(1, 2) @ pitchyaw_to_vector(gaze).unsqueeze(-1)).squeeze(-1)
    optical = vector_to_pitchyaw(visual_in_head)
    return optical - torch.stack([kappa_pitch, kappa_yaw], -1) * (math.pi / 180.0)


def eye_geometry(params: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Pixel-space geometry of each image as (N, 1, 1) float32 tensors (see the module docstring)."""
    p = {k: v.to(torch.float64) for k, v in params.items() if v.dim() == 1 and k != "keys"}
    rotation = head_rotation(params["head"].to(torch.float64))
    optical_head = optical_axis_in_head(params["gaze"].to(torch.float64), params["head"].to(torch.float64),
                                        p["kappa_pitch"], p["kappa_yaw"])
    optical = (rotation @ pitchyaw_to_vector(optical_head).unsqueeze(-1)).squeeze(-1)
    # Everything that moves with the head: the crop offset (the generic face model's error for this
    # person) and the eyeball centre, in head mm, rotated into the camera frame about the corner midpoint.
    anchor = rotation.new_tensor([0.0, 0.0, DISTANCE_MM])
    offset = torch.stack([p["crop_dx"], p["crop_dy"], torch.zeros_like(p["crop_dx"])], -1)
    lid_centre = anchor + (rotation @ offset.unsqueeze(-1)).squeeze(-1)
    eyeball_head = torch.stack([p["crop_dx"] + p["eyeball_x"], p["crop_dy"] + p["eyeball_y"], p["eyeball_depth"]], -1)
    eyeball = anchor + (rotation @ eyeball_head.unsqueeze(-1)).squeeze(-1)
    limbus_depth = torch.sqrt(p["eyeball_radius"] ** 2 - p["iris_radius"] ** 2)
    # A Fick gimbal with two centres: turning left and right carries the vertical axis, which lies `pivot` mm in
    # front of the eyeball centre along the eye's horizontal direction; a point `depth` mm along the optical axis
    # from the centre lands at eyeball + pivot * horizontal + (depth - pivot) * optical.
    pivot = p["vertical_pivot"].unsqueeze(-1)
    horizontal = (rotation @ pitchyaw_to_vector(torch.stack([torch.zeros_like(optical_head[:, 1]), optical_head[:, 1]], -1))
                  .unsqueeze(-1)).squeeze(-1)

    def on_globe(depth: torch.Tensor | float) -> torch.Tensor:
        return eyeball + pivot * horizontal + (depth - pivot) * optical

    iris = on_globe(limbus_depth.unsqueeze(-1))
    cornea = on_globe(CORNEA_CENTER_MM)
    globe = on_globe(0.0)
    # Glint: where the cornea's normal bisects the directions to the light and to the camera.
    to_camera = torch.nn.functional.normalize(-cornea, dim=-1)
    to_light = pitchyaw_to_vector(torch.stack([p["light_pitch"], p["light_yaw"]], -1) * (math.pi / 180.0))
    normal = torch.nn.functional.normalize(to_camera + to_light, dim=-1)
    glint = cornea + CORNEA_RADIUS_MM * normal
    on_cornea = torch.sigmoid(((normal * optical).sum(-1) - GLINT_CORNEA_COS) * 40.0)

    scale = p["scale"]
    ex, ey, eyeball_px_per_mm = _project(globe, scale)
    ix, iy, iris_px_per_mm = _project(iris, scale)
    gx_px, gy_px, _ = _project(glint, scale)
    lx, ly, lid_px_per_mm = _project(lid_centre, scale)
    # Lids: pixel offsets from the lid centre -> head-plane mm (a, b) by the inverse of the plane's
    # projection (weak perspective: the top-left 2x2 of the rotation, times px per mm), then tilted by
    # the canthal angle into u (along the lid, -1 at the inner corner .. +1 outer) and v (across, in px
    # at the lid's scale, so widths drawn in px keep their meaning).
    a00, a01, a10, a11 = rotation[:, 0, 0], rotation[:, 0, 1], rotation[:, 1, 0], rotation[:, 1, 1]
    det = (a00 * a11 - a01 * a10) * lid_px_per_mm
    inv = torch.stack([a11 / det, -a01 / det, -a10 / det, a00 / det], -1)  # rows: a, b per (dx, dy) px
    tilt_c, tilt_s = torch.cos(p["canthal_tilt"]), torch.sin(p["canthal_tilt"])  # > 0 raises the outer corner
    half_width = p["half_width"]
    u_coef = (tilt_c.unsqueeze(-1) * inv[:, :2] - tilt_s.unsqueeze(-1) * inv[:, 2:]) / half_width.unsqueeze(-1)
    v_coef = (tilt_s.unsqueeze(-1) * inv[:, :2] + tilt_c.unsqueeze(-1) * inv[:, 2:]) * lid_px_per_mm.unsqueeze(-1)
    eye_lift = torch.sin(optical_head[:, 0]) * (limbus_depth - p["vertical_pivot"])  # mm the limbus centre rises with the pitch
    upper_open = (p["upper_opening"] + p["upper_follow"] * eye_lift) * lid_px_per_mm
    lower_open = (p["lower_opening"] - p["lower_follow"] * eye_lift) * lid_px_per_mm
    out = {
        "ex": ex, "ey": ey, "eyeball_radius": p["eyeball_radius"] * eyeball_px_per_mm,
        "ix": ix, "iy": iy, "iris_radius": p["iris_radius"] * iris_px_per_mm,
        "gx": optical[:, 0], "gy": optical[:, 1], "gz": optical[:, 2],
        "glint_x": gx_px, "glint_y": gy_px, "glint_strength": on_cornea,
        "lx": lx, "ly": ly, "ux": u_coef[:, 0], "uy": u_coef[:, 1], "vx": v_coef[:, 0], "vy": v_coef[:, 1],
        "half_width": half_width * lid_px_per_mm,
        "upper_open": upper_open.clamp_min(0.5), "lower_open": lower_open.clamp_min(1.0),
    }
    return {k: _column(v) for k, v in out.items()}
