"""The paper's gaze-regression CNN (appendix of Shrivastava et al. 2017), trained with an L2 loss on 3-D gaze vectors.

35x55 -> conv3x3(32) -> conv3x3(32) -> conv3x3(64) -> maxpool3x3 s2 -> conv3x3(80) -> conv3x3(192)
-> maxpool2x2 s2 -> FC9600 -> FC1000 -> FC3. With unpadded ("valid") convolutions the feature map after the
second pool is 192 x 5 x 10 = 9600, so we read "FC9600" as that flattened 9600-wide layer feeding FC1000
(not as an extra 9600x9600 matrix). The `cpu` preset quarters every width and trains briefly so a default
`bench run` fits on a 2-core CPU; its config says so.
"""

from __future__ import annotations

import contextlib
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from gazebench.core.device import autocast, memory_format, seed_everything
from gazebench.core.errors import Preempted
from gazebench.core.geometry import pitchyaw_to_vector, vector_to_pitchyaw
from gazebench.core.signals import StopRequests
from gazebench.estimators.augment import AUGMENTATIONS, augment
from gazebench.estimators.base import ESTIMATORS, FeatureEstimator
from gazebench.estimators.epochs import Progress, resume_epochs, save_progress, training_identity

PAPER_CHANNELS = (32, 32, 64, 80, 192)  # the appendix's; paper.toml sizes the paper preset so


class GazeNet(nn.Module):
    """The appendix architecture with configurable widths; `features` is the penultimate (FC1000) layer."""

    def __init__(self, image_size: tuple[int, int], channels=PAPER_CHANNELS, fc_hidden: int = 1000,
                 batch_norm: bool = False):
        super().__init__()
        c1, c2, c3, c4, c5 = channels

        def conv(c_in: int, c_out: int) -> list[nn.Module]:
            # batch_norm: an option beside the paper's network (which has none); the conv bias is then redundant.
            if batch_norm:
                return [nn.Conv2d(c_in, c_out, 3, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
            return [nn.Conv2d(c_in, c_out, 3), nn.ReLU(inplace=True)]

        self.trunk = nn.Sequential(
            *conv(1, c1), *conv(c1, c2), *conv(c2, c3),
            nn.MaxPool2d(3, stride=2),
            *conv(c3, c4), *conv(c4, c5),
            nn.MaxPool2d(2, stride=2),
            nn.Flatten(),
        )  # fmt: skip
        with torch.no_grad():
            self.flatten_size = self.trunk.eval()(torch.zeros(1, 1, *image_size)).shape[1]  # eval: no BN stats kept
        self.trunk.train()
        self.hidden = nn.Sequential(nn.Linear(self.flatten_size, fc_hidden), nn.ReLU(inplace=True))
        self.head = nn.Linear(fc_hidden, 3)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.hidden(self.trunk(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def training_step(net: GazeNet, optimizer: torch.optim.Optimizer, x: torch.Tensor, targets: torch.Tensor,
                  cpu_bf16: bool) -> torch.Tensor:
    """One optimizer step on the squared error of the unit 3-D gaze vectors (fit, and `bench perf cnn`)."""
    with autocast(x.device, cpu_bf16):
        predicted = net(x)
    loss = (predicted.float() - targets).pow(2).sum(1).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss


@ESTIMATORS.register
class GazeCNN(FeatureEstimator):
    """Predicts a 3-D gaze vector with an L2 loss, reports pitch/yaw; Adam with a cosine learning-rate decay.

    Optional batch norm and photometric augmentation (estimators/augment.py); never geometric augmentation:
    translating an eye crop by 2 px moves the apparent gaze by about 11 degrees.
    """

    name: ClassVar[str] = "cnn"
    TINY_SETTINGS: ClassVar[dict[str, Any]] = {"channels": (4, 4, 8, 8, 16), "fc_hidden": 32, "epochs": 1, "batch_size": 32}
    #: Unused (PRESET_SECTION sizes it); present so the plugin interface check accepts it as module:Class too.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {}
    PRESET_SECTION: ClassVar[str] = "cnn"  # widths and training per preset, and why: gazebench/presets/*.toml
    CHOICES: ClassVar[dict[str, tuple]] = {"augment": AUGMENTATIONS}
    #: Batch size for predict/features only; it changes no number, just memory use.
    EVAL_BATCH_SIZE: ClassVar[int] = 1024

    def __init__(self, *, preset: str = "cpu", seed: int = 0, **overrides: Any):
        super().__init__(preset=preset, seed=seed, **overrides)
        self.settings["channels"] = tuple(self.settings["channels"])
        if self.settings["augment"] not in AUGMENTATIONS:
            raise ValueError(f"augment is '{self.settings['augment']}'; expected one of {', '.join(AUGMENTATIONS)}")
        self.net: GazeNet | None = None
        self.steps_trained = 0

    @property
    def config(self) -> dict[str, Any]:
        return {
            "estimator": self.name,
            "preset": self.preset,
            "preset_note": "paper appendix widths" if self.settings["channels"] == PAPER_CHANNELS
            else "lighter than the paper (narrower layers, short training) so it runs on a CPU",
            "seed": self.seed,
            "architecture": "conv3x3 x3 -> maxpool3x3s2 -> conv3x3 x2 -> maxpool2x2s2 -> FC(flatten) -> FC -> FC3",
            "padding": "none (valid convolutions)",
            **{k: list(v) if isinstance(v, tuple) else v for k, v in self.settings.items()},
            "flatten_size": self.net.flatten_size if self.net is not None else None,
            "target": "unit 3-D gaze vector, mean squared error; prediction normalised -> pitch/yaw",
            "optimizer": "Adam",
            "lr_schedule": "cosine to 0 over all steps",
            "augmentation_note": "photometric: gamma, contrast, brightness, blur, down-up scaling, noise "
            "(benchmark/augment.py); never geometric" if self.settings["augment"] != "none" else "none",
            "steps_trained": self.steps_trained,
        }

    def fit(self, images: torch.Tensor, gaze: np.ndarray, *, device: torch.device, progress: bool = True) -> None:
        if len(images) != len(gaze) or len(images) == 0:
            raise ValueError(f"need as many gaze labels as images (> 0), got {len(images)} images, {len(gaze)} labels")
        generator = seed_everything(self.seed)
        s = self.settings
        self.net = GazeNet(tuple(images.shape[-2:]), s["channels"], s["fc_hidden"], s["batch_norm"])
        fmt = memory_format(device, s["cpu_bf16"])
        self.net.to(device, memory_format=fmt).train()
        x_all = images.to(device)
        targets = pitchyaw_to_vector(torch.as_tensor(np.asarray(gaze), dtype=torch.float32)).to(device)
        batch_size = min(s["batch_size"], len(images))
        steps_per_epoch = len(images) // batch_size  # drop the ragged last batch: same step count every epoch
        total_steps = steps_per_epoch * s["epochs"]
        optimizer = torch.optim.Adam(self.net.parameters(), lr=s["lr"])
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(total_steps, 1))
        parts = {"net": self.net, "optimizer": optimizer, "schedule": schedule}
        identity = training_identity(self.settings, self.seed, images, gaze)
        done = resume_epochs(self.checkpoint_path, identity, parts, generator)
        bar = tqdm(total=total_steps, initial=done.epochs_done * steps_per_epoch + done.steps_done, desc="train gaze cnn",
                   unit="step", disable=not progress)
        # With somewhere to save to, a stop signal (SIGTERM, SIGUSR1, SIGUSR2: SLURM) ends the step, saves it and stops.
        with bar, StopRequests() if self.checkpoint_path is not None else contextlib.nullcontext() as stops:
            for epoch in range(done.epochs_done, s["epochs"]):
                inside = epoch == done.epochs_done and done.order is not None  # resumed inside this epoch
                order = done.order.to(device) if inside else torch.randperm(len(images), generator=generator).to(device)
                for step in range(done.steps_done if inside else 0, steps_per_epoch):
                    batch = order[step * batch_size : (step + 1) * batch_size]
                    x = augment(x_all[batch], s["augment"], generator).contiguous(memory_format=fmt)
                    loss = training_step(self.net, optimizer, x, targets[batch], s["cpu_bf16"])
                    schedule.step()
                    bar.update()
                    if step % 20 == 0:
                        bar.set_postfix(loss=f"{loss.item():.4f}")
                    if stops is not None and stops.received is not None:
                        break
                at = Progress(epoch + 1) if step + 1 == steps_per_epoch else Progress(epoch, step + 1, order)
                save_progress(self.checkpoint_path, identity, at, parts, generator)
                if stops is not None and stops.received is not None:
                    raise Preempted(f"{stops.name} received: gaze CNN training stopped after step "
                                    f"{at.epochs_done * steps_per_epoch + at.steps_done} of {total_steps} with its checkpoint "
                                    f"saved in {self.checkpoint_path}.", stops.received)
        self.steps_trained = total_steps
        self.net.eval()

    @torch.no_grad()
    def _batched(self, images: torch.Tensor, device: torch.device, layer_name: str) -> torch.Tensor:
        if self.net is None:
            raise RuntimeError("GazeCNN must be fitted before it predicts")
        self.net.to(device).eval()
        layer = getattr(self.net, layer_name)
        outputs, cpu_bf16 = [], self.settings["cpu_bf16"]
        for start in range(0, len(images), self.EVAL_BATCH_SIZE):
            x = images[start : start + self.EVAL_BATCH_SIZE].to(device).contiguous(memory_format=memory_format(device, cpu_bf16))
            with autocast(device, cpu_bf16):
                outputs.append(layer(x).float().cpu())
        return torch.cat(outputs) if outputs else torch.zeros(0, 0)

    def predict(self, images: torch.Tensor, *, device: torch.device) -> np.ndarray:
        vectors = self._batched(images, device, "forward")
        return vector_to_pitchyaw(vectors.double()).numpy().astype(np.float32).reshape(-1, 2)

    def features(self, images: torch.Tensor, *, device: torch.device) -> np.ndarray:
        """(N, fc_hidden) penultimate activations, the space where the Fréchet distance is measured."""
        return self._batched(images, device, "features").numpy()
