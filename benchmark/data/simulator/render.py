"""Vectorised procedural eye renderer: a batch of scene parameters -> uint8 (N, 36, 60) grey left eyes.

Every step is an elementwise torch expression over the whole batch (no per-image loop), so the same
code runs on CPU and CUDA. The picture follows the MPIIGaze normalized camera: x right, y down,
a LEFT eye (as MPIIGaze after mirroring right eyes) with the caruncle (inner corner) on the image left.
Where things sit comes from a 3-D eye seen through that camera (eye3d.py): +yaw moves the iris left and
+pitch moves it up. Lid-fold, crease and lash widths are still drawn in pixels.
Edges are soft (sigmoid over about half a pixel), which anti-aliases without supersampling.
"""

from __future__ import annotations

import torch

from gazebench.data.simulator.eye3d import HEIGHT, WIDTH, eye_geometry
from gazebench.data.simulator.params import mix32


def _affine(t: torch.Tensor, scale, offset) -> torch.Tensor:
    """t * scale + offset as two in-place passes (torch.addcmul with per-image broadcasts is several times slower)."""
    return (t * scale).add_(offset)


def _upsample_texture(grid: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Bilinear upsampling by gathers and weights (bitwise independent of the batch it is in)."""
    gh, gw = grid.shape[1:]
    fy = torch.linspace(0, gh - 1, height, device=grid.device, dtype=grid.dtype)
    fx = torch.linspace(0, gw - 1, width, device=grid.device, dtype=grid.dtype)
    y0, x0 = fy.floor().long().clamp(max=gh - 2), fx.floor().long().clamp(max=gw - 2)
    wy, wx = (fy - y0).view(1, -1, 1), (fx - x0).view(1, 1, -1)
    across = torch.lerp(grid[:, :, x0], grid[:, :, x0 + 1], wx)  # (N, gh, W): cheap
    return torch.lerp(across[:, y0], across[:, y0 + 1], wy)


def _blur(img: torch.Tensor) -> torch.Tensor:
    """Separable [1, 2, 1] / 4 blur with edge replication, written as shifted sums (batch independent)."""
    padded = torch.nn.functional.pad(img.unsqueeze(1), (1, 1, 1, 1), mode="replicate").squeeze(1)
    rows = (padded[:, :, :-2] + padded[:, :, 2:]).add_(padded[:, :, 1:-1], alpha=2.0)
    return (rows[:, :-2] + rows[:, 2:]).add_(rows[:, 1:-1], alpha=2.0).mul_(1.0 / 16.0)


def _pixel_noise(keys: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Per-pixel uniform noise in [-1, 1], hashed from each image's key: two 16-bit draws per hash."""
    pairs = torch.arange(height * width // 2, device=keys.device, dtype=torch.int64)
    bits = mix32(keys.view(-1, 1) ^ (pairs * 0x27D4EB2F & 0xFFFFFFFF))
    noise = torch.cat([bits & 0xFFFF, bits >> 16], 1).to(torch.float32).mul_(2.0 / 65535.0).sub_(1.0)
    return noise.view(-1, height, width)


def equalize_histogram(images: torch.Tensor) -> torch.Tensor:
    """Per-image histogram equalisation of uint8 (N, H, W), batched: the cumulative histogram as the lookup table,
    rounding half up (benchmark/data/unityeyes.py has the numpy version, which keeps one-level images as they are)."""
    n = images.shape[0]
    flat = images.reshape(n, -1).long()
    counts = torch.zeros(n, 256, dtype=torch.int64, device=images.device)
    counts.scatter_add_(1, flat, torch.ones_like(flat))
    cdf = counts.cumsum(1)
    cdf_min = torch.where(counts > 0, cdf, torch.full_like(cdf, flat.shape[1])).amin(1, keepdim=True)
    span = (flat.shape[1] - cdf_min).clamp_min(1)
    lut = ((cdf - cdf_min).clamp_min(0) * 255 + span // 2) // span
    return lut.gather(1, flat).to(torch.uint8).reshape(images.shape)


def render(params: dict[str, torch.Tensor], equalize: bool = True) -> torch.Tensor:
    """Render uint8 (N, 36, 60) eyes from `draw_params` output (tensors on the device to render on)."""
    return apply_camera(render_scene(params), params, equalize)


def render_scene(params: dict[str, torch.Tensor]) -> torch.Tensor:
    """The scene in [0, 1] floats, before camera noise. Geometry comes from the 3-D eye (eye3d.py); terms
    that depend on x only (shape (N, 1, W)) or y only ((N, H, 1)) stay small and meet in one broadcast op:
    full-size work is what costs."""
    device = params["keys"].device
    p = {k: v.to(torch.float32).view(-1, 1, 1) for k, v in params.items() if v.dim() == 1 and k != "keys"}
    g = eye_geometry(params)
    x = torch.arange(WIDTH, device=device, dtype=torch.float32).view(1, 1, -1) + 0.5
    y = torch.arange(HEIGHT, device=device, dtype=torch.float32).view(1, -1, 1) + 0.5
    gx, gy, gz = g["gx"], g["gy"], g["gz"]

    # Iris, lengths in iris radii: the projected limbus disc facing the optical axis. The corneal bulge
    # magnifies the iris, so it foreshortens less than a flat disc would (squash stretches distances along
    # the tilt: a flat disc would have 1 / gz^2 - 1).
    radius, ix, iy = g["iris_radius"], g["ix"], g["iy"]
    dx, dy = (x - ix) / radius, (y - iy) / radius
    squash = 1.0 / (0.3 + 0.7 * gz.abs()) ** 2 - 1.0
    stretch = torch.sqrt(squash / (gx * gx + gy * gy).clamp_min(1e-8))
    along = dx * (gx * stretch) + dy * (gy * stretch)
    rho = (dx * dx + dy * dy).addcmul_(along, along).sqrt_()
    iris_mask = _affine(rho, -2.0 * radius, 2.0 * radius).clamp_(min=-60.0).sigmoid_()  # no denormals
    pupil_mask = _affine(rho, -2.5 * radius, 2.5 * radius * p["pupil_fraction"]).clamp_(min=-60.0).sigmoid_()
    # Pseudo-angle dy / (|dx| + |dy|) is monotonic in the angle on each side and far cheaper than atan2.
    pseudo_angle = dy / (dx.abs() + dy.abs() + 1e-3)
    spokes = (pseudo_angle * (2.0 * p["iris_spokes"])).add_(rho, alpha=7.0).sin_()
    iris = _affine(spokes, p["iris_texture"], p["iris"] * p["iris_gradient"]).mul_(rho)
    iris.add_(p["iris"] * (1.0 - 0.6 * p["iris_gradient"]))
    # Arguments are clamped before exp and sigmoid: denormal results would slow every later op tenfold.
    limbus = _affine(rho, radius / 1.2, -radius / 1.2).square_().clamp_(max=30.0).neg_().exp_().mul_(iris_mask)
    # Sclera: shaded darker away from the eyeball's projected centre.
    ex, ey = g["ex"], g["ey"]
    sclera_scale = p["sclera"] * p["sclera_shade"] / (1.3 * g["eyeball_radius"]) ** 2
    sclera = (p["sclera"] - sclera_scale * (x - ex) ** 2) - sclera_scale * (y - ey) ** 2
    eyeball = iris.sub_(sclera).mul_(iris_mask).add_(sclera)
    eyeball.addcmul_(torch.sub(p["pupil"], eyeball), pupil_mask)
    eyeball.mul_(_affine(limbus, -p["limbus"], 1.0))
    glint_x = (p["glint"] * g["glint_strength"]) * torch.exp(-(((x - g["glint_x"]) ** 2) / 0.8).clamp(max=30.0))
    eyeball.addcmul_(glint_x, torch.exp(-(((y - g["glint_y"]) ** 2) / 0.8).clamp(max=30.0)))

    # Eyelids live on the head's frontal plane: u runs along the lid from -1 (inner corner, image left) to
    # +1; v is the distance across it in px. Their margins follow the eye's pitch in the head.
    lx, ly, half_width = g["lx"], g["ly"], g["half_width"]
    u = (x - lx) * g["ux"] + (y - ly) * g["uy"]
    v = (x - lx) * g["vx"] + (y - ly) * g["vy"]
    upper_open, lower_open = g["upper_open"], g["lower_open"]
    u_abs = u.abs()
    arch = (u * u).neg_().add_(1.0).clamp_min_(0.0)
    upper = _affine(u, p["upper_skew"], 1.0).mul_(arch).mul_(-upper_open)
    lower = _affine(u, p["lower_skew"], 1.0).mul_(arch).mul_(lower_open)
    below_upper = v - upper
    above_lower = lower - v
    inside = torch.sigmoid(2.0 * below_upper).mul_(torch.sigmoid(2.0 * above_lower))
    inside.mul_(_affine(u_abs, -2.0 * half_width, 2.0 * half_width).sigmoid_())
    between_corners = torch.add(5.5, u_abs, alpha=-5.0).clamp_(0.0, 1.0)
    lid_shade = torch.add(1.0, below_upper, alpha=-1.0 / 3.0).clamp_(0.0, 1.0)
    eyeball.mul_(_affine(lid_shade, -p["lid_shadow"], 1.0))
    # Caruncle: a pink blob just inside the inner corner.
    caruncle = (((u + 0.88) * half_width) / 2.0).square_().clamp_(max=30.0).neg_().exp_()
    caruncle.mul_((((v - 0.06 * lower_open) / 2.0) ** 2).clamp(max=30.0).neg_().exp_())
    eyeball.addcmul_(torch.sub(p["caruncle"], eyeball), caruncle)

    # Skin: lit by a gradient, blotchy texture, shadow under the brow, a lid fold and its crease above,
    # a dark lash band along the upper lid and a faint lower lid margin.
    brow = 1.0 - p["brow_shadow"] * ((ly - 10.0 - y) / 8.0).clamp(0.0, 1.0)
    skin_x = p["skin"] * (1.0 + p["skin_gradient_x"] * (x - WIDTH / 2) / WIDTH)
    skin = (skin_x * brow).add_(p["skin"] * p["skin_gradient_y"] * (y - ly) / HEIGHT * brow)
    skin.addcmul_(_upsample_texture(params["texture"].to(torch.float32), HEIGHT, WIDTH), p["skin_texture"])
    below_crease = v - upper * (1.0 + p["fold_height"] / upper_open)
    crease = (below_crease * (1.0 / 1.2)).square_().clamp_(max=30.0).neg_().exp_().mul_(between_corners)
    skin.addcmul_(crease, -p["crease"])
    fold = torch.where(v < 0, (below_crease / p["fold_height"]).clamp_(0.0, 1.0), 0.0)
    skin.addcmul_(fold, p["lid_fold"])
    lash_x = p["lash"] * (0.75 + 0.25 * torch.sin(2.2 * x + p["lash_phase"]))
    lashes = _affine(below_upper, 1.0 / 0.6, p["lash_width"] / 0.6).sigmoid_()
    lashes.mul_(torch.add(1.0, below_upper, alpha=-2.0).sigmoid_()).mul_(between_corners).mul_(lash_x)
    lashes.mul_(((u + 1.0) / 0.66).clamp_(0.0, 1.0))
    skin.mul_(lashes.neg_().add_(1.0))
    margin = (above_lower.add_(0.8) * (1.0 / 1.1)).square_().clamp_(max=30.0).neg_().exp_().mul_(between_corners)
    skin.mul_(_affine(margin, -p["lower_margin"], 1.0))
    return skin.addcmul_(eyeball.sub_(skin), inside)


def apply_camera(img: torch.Tensor, params: dict[str, torch.Tensor], equalize: bool) -> torch.Tensor:
    """Camera: defocus, exposure and sensor noise; then 8-bit quantisation and optional equalisation."""
    p = {k: params[k].to(torch.float32).view(-1, 1, 1) for k in ("blur", "gain", "gamma", "noise")}
    img = img.lerp_(_blur(img), p["blur"]).mul_(p["gain"]).clamp_(1e-4, 1.0).pow_(p["gamma"])
    img.addcmul_(_pixel_noise(params["keys"], HEIGHT, WIDTH), p["noise"])
    out = img.mul_(255.0).add_(0.5).clamp_(0.0, 255.0).to(torch.uint8)
    return equalize_histogram(out) if equalize else out
