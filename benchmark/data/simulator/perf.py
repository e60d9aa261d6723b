"""Simulator throughput: images per second for parameter draws + render + equalisation (a benchmark, not a test)."""

from __future__ import annotations

import torch

from gazebench.core.device import resolve_device
from gazebench.core.timing import time_calls
from gazebench.data.simulator.params import LabelRange, draw_params
from gazebench.data.simulator.render import HEIGHT, WIDTH, apply_camera, render_scene


def measure_throughput(
    device: str = "auto", n: int = 20000, style: str = "default", batch: int | None = None, compile: bool = False
) -> dict:
    """Render n images (after one warm-up batch) and report images/s; `compile` fuses the renderer with
    torch.compile (long first-call compile, then fewer memory passes)."""
    dev = resolve_device(device)
    batch = batch or (65536 if dev.type == "cuda" else 512)
    batch = min(batch, n)
    render_float = torch.compile(render_scene, dynamic=False) if compile else render_scene

    def render_batch(start: int) -> torch.Tensor:
        params = draw_params(0, torch.arange(start, start + batch, device=dev), style, LabelRange())
        return apply_camera(render_float(params), params, equalize=True)

    batches = max(1, n // batch)
    elapsed, warmup_s = time_calls(lambda i: render_batch(i * batch), warmup=1, repeats=batches, device=dev)
    return {
        "benchmark": "simulator",
        "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "style": style,
        "image_size": [HEIGHT, WIDTH],
        "batch": batch,
        "images": batches * batch,
        "compiled": compile,
        "warmup_s": round(warmup_s, 3),
        "seconds": round(elapsed, 3),
        "images_per_s": round(batches * batch / elapsed, 1),
    }
