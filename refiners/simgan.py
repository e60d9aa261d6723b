"""Self-regularised adversarial training shared by both SimGAN refiners (Shrivastava et al. 2017, Algorithm 1).

The settings and the losses (written once, so every number means one thing) are refiners/simgan_losses.py.

One training step is one of: a refiner pretraining update (self-regularisation only), a discriminator
pretraining update, or one adversarial iteration (K_g refiner updates, then K_d discriminator updates).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn
from tqdm.auto import tqdm

from gazebench.core.atomic import write_atomic
from gazebench.core.device import autocast, optimizer_to
from gazebench.core.errors import Preempted, UserInputError
from gazebench.core.grids import save_comparison_grid
from gazebench.core.images import to_uint8
from gazebench.core.signals import StopRequests
from gazebench.refiners.base import (
    Refiner,
    config_from_dict,
    preset_config,
    read_refiner_config,
    write_refiner_config,
)
from gazebench.refiners.critic import ImageCritic
from gazebench.refiners.curves import TrainingLog
from gazebench.refiners.history import HistoryBuffer
from gazebench.refiners.networks import GlobalDiscriminator, RefinerNet
from gazebench.refiners.simgan_losses import (  # noqa: F401  (re-exported: the refiners' public names)
    REAL,
    REFINED,
    RESUMABLE_CHANGES,
    SELF_REG_KINDS,
    SimGANConfig,
    accuracy,
    adversarial_loss,
    self_regularisation,
)
from gazebench.refiners.tone import ToneDiscriminator

CHECKPOINT_FILE = "checkpoint.pt"
REFINE_BATCH_CPU, REFINE_BATCH_CUDA = 64, 4096  # images per refine batch; memory and speed only, no number changes
GRID_IMAGES = 16

class SimGANRefiner(Refiner):
    """A SimGAN refiner; subclasses choose the discriminator and the presets."""

    learns_weights = True

    CHOICES: ClassVar[dict[str, tuple]] = {"optimizer": ("adam", "sgd"), "self_reg_kind": SELF_REG_KINDS}
    ZERO_MEANS_OFF = ("history_size",)  # 0: no history buffer, every discriminator batch's refined half is fresh

    def __init__(self, config: SimGANConfig):
        self._config = config
        # Networks are initialised from the seed alone, whatever else has used the global RNG before.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(config.seed)
            self.refiner_net = RefinerNet(config.refiner_channels, config.refiner_blocks, config.rank_input,
                                         config.coord_input, config.refiner_dilation)
            self.discriminator = self.make_discriminator()
            # Image-level discriminators beside the patch one, by the name their checkpoint state and curves use.
            self.critics = [ImageCritic(name, make(), weight, self._optimizer) for name, make, weight in (
                ("tone", ToneDiscriminator, config.tone_weight),
                ("whole_image", lambda: GlobalDiscriminator(tuple(config.image_size)), config.whole_image_weight),
            ) if weight]
        self.opt_r = self._optimizer(self.refiner_net)
        self.opt_d = self._optimizer(self.discriminator)
        self.history = HistoryBuffer(config.history_size, (1, *config.image_size)) if config.history_size else None
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.device = torch.device("cpu")
        # The modules training calls: the networks themselves, or their torch.compile wrappers.
        self._train_r: nn.Module = self.refiner_net
        self._train_d: nn.Module = self.discriminator
        # The fast path (bf16 autocast on CUDA and, with cpu_bf16, on a bf16 CPU; channels_last everywhere; torch.compile on CUDA if configured);
        # `bench perf refiner` turns it off to measure plain fp32 eager at the same sizes.
        self.fast_path = True

    def make_discriminator(self) -> nn.Module:
        raise NotImplementedError

    # ----- construction and checkpoints -----

    @classmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> SimGANRefiner:
        return cls(preset_config(cls, SimGANConfig, preset, seed=seed, **overrides))

    @classmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> SimGANRefiner:
        name, values = read_refiner_config(checkpoint_dir)
        refiner = cls(config_from_dict(SimGANConfig, values))
        refiner._load_state(Path(checkpoint_dir), expected_name=name)
        return refiner

    @property
    def config(self) -> dict[str, Any]:
        return {"refiner": self.name, **dataclasses.asdict(self._config)}

    def save(self, out_dir: Path) -> None:
        """Weights, optimiser states, step, history buffer and RNG state in one file, written atomically."""
        state = {
            "refiner": self.name,
            "config": dataclasses.asdict(self._config),
            "step": self.step,
            "refiner_net": self.refiner_net.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_r": self.opt_r.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "history": None if self.history is None else self.history.state_dict(),
            **{critic.name: critic.state_dict() for critic in self.critics},
            "generator": self.generator.get_state(),
        }
        write_refiner_config(out_dir, self, dataclasses.asdict(self._config))
        write_atomic(Path(out_dir) / CHECKPOINT_FILE, lambda p: torch.save(state, p))

    @property
    def unfinished(self) -> str | None:
        if self.step < self.total_steps:
            return f"its training stopped at step {self.step} of {self.total_steps}"
        return None

    def _load_state(self, checkpoint_dir: Path, *, expected_name: str | None = None) -> None:
        if expected_name is not None and expected_name != self.name:
            raise UserInputError(f"{checkpoint_dir} holds a checkpoint of refiner '{expected_name}', not '{self.name}'.")
        path = checkpoint_dir / CHECKPOINT_FILE
        if not path.is_file():
            raise UserInputError(f"{checkpoint_dir} has no {CHECKPOINT_FILE}; expected a folder written by `bench refine`.")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # truncated, corrupt or not a torch file: torch raises several kinds
            raise UserInputError(f"{path} is not a readable checkpoint ({type(exc).__name__}); train it again with `bench refine`.") from None
        if state.get("refiner") != self.name:
            raise UserInputError(
                f"{checkpoint_dir} holds a checkpoint of refiner '{state.get('refiner')}', not '{self.name}'."
            )
        mine = dataclasses.asdict(self._config)
        theirs = config_from_dict(SimGANConfig, state["config"]).__dict__
        differ = sorted(k for k in mine if k not in RESUMABLE_CHANGES and mine[k] != theirs.get(k))
        if differ:
            raise UserInputError(
                f"{checkpoint_dir} was trained with other settings ({', '.join(f'{k}={theirs.get(k)}' for k in differ)}); "
                "resume with the same refiner, preset and settings."
            )
        try:
            self.refiner_net.load_state_dict(state["refiner_net"])
            self.discriminator.load_state_dict(state["discriminator"])
        except RuntimeError:
            raise UserInputError(f"{checkpoint_dir} holds weights of another architecture than '{self.name}'.") from None
        self.opt_r.load_state_dict(state["opt_r"])
        self.opt_d.load_state_dict(state["opt_d"])
        for critic in self.critics:
            critic.load_state_dict(state[critic.name])
        if self.history is not None:
            self.history.load_state_dict(state["history"])
        self.generator.set_state(state["generator"])
        self.step = int(state["step"])

    def _optimizer(self, module: nn.Module) -> torch.optim.Optimizer:
        cfg = self._config
        if cfg.optimizer == "adam":
            return torch.optim.Adam(module.parameters(), lr=cfg.lr, betas=tuple(cfg.adam_betas))
        if cfg.optimizer == "sgd":
            return torch.optim.SGD(module.parameters(), lr=cfg.lr)
        raise UserInputError(f"Unknown optimizer '{cfg.optimizer}' for refiner '{self.name}'; expected adam or sgd.")

    # ----- use -----

    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        self._check_images(images, "images to refine")
        # Each image passes through full-resolution feature maps (64 channels x 35 x 55 floats, ~0.5 MB at the
        # paper's width): 4096 at once held several GB on the CPU. The output is written in place, not gathered
        # in a list: under bf16 each 256-image batch's 31 MB feature maps fell under glibc's mmap threshold, and
        # the small outputs kept between them fragmented the heap by 30 MB per batch (1.15 GB to refine 10,500
        # images; preallocated and 64 at a time: 0.10 GB, and 13.0 s instead of 15.6: results/perf/refine_memory.py).
        batch_size = batch_size or (REFINE_BATCH_CUDA if device.type == "cuda" else REFINE_BATCH_CPU)
        self._to_device(device)
        self.refiner_net.eval()
        out = torch.empty(images.shape, dtype=torch.float32)
        with torch.no_grad(), self._autocast(device):
            for start in range(0, len(images), batch_size):
                batch = images[start : start + batch_size].to(device).contiguous(memory_format=self._memory_format(device))
                out[start : start + batch_size] = self.refiner_net(batch)  # copy_ casts to fp32 and moves to the CPU
        return out.clamp_(-1, 1)

    # ----- training -----

    @property
    def total_steps(self) -> int:
        cfg = self._config
        return cfg.pretrain_refiner_steps + cfg.pretrain_discriminator_steps + cfg.adversarial_steps

    def phase(self, step: int) -> str:
        cfg = self._config
        if step < cfg.pretrain_refiner_steps:
            return "pretrain_R"
        if step < cfg.pretrain_refiner_steps + cfg.pretrain_discriminator_steps:
            return "pretrain_D"
        return "adversarial"

    def fit(
        self,
        synthetic: torch.Tensor,
        real: torch.Tensor,
        *,
        device: torch.device,
        out_dir: Path | None = None,
        resume: bool = False,
        progress: bool = True,
    ) -> None:
        cfg = self._config
        self._check_images(synthetic, "synthetic images")
        self._check_images(real, "real images")
        for label, images in (("real", real), ("synthetic", synthetic)):
            if len(images) < cfg.batch_size:
                raise UserInputError(
                    f"Only {len(images)} {label} images were given; refiner '{self.name}' needs at least one batch "
                    f"({cfg.batch_size}); give more images or a smaller batch_size."
                )
        # Resumed from a checkpoint; a folder without one (killed before its first save) trains from the start.
        if out_dir is not None and resume and (Path(out_dir) / CHECKPOINT_FILE).is_file():
            self._load_state(Path(out_dir), expected_name=read_refiner_config(Path(out_dir))[0])
            self.resumed_at_step = self.step
        self.prepare_training(device)
        mf = self._memory_format(device)
        synthetic = synthetic.to(device).contiguous(memory_format=mf)
        real = real.to(device).contiguous(memory_format=mf)

        grid_inputs = synthetic[:GRID_IMAGES]
        curves = TrainingLog(Path(out_dir), self.step) if out_dir is not None else None
        bar = tqdm(total=self.total_steps, initial=self.step, disable=not progress, desc=self.name, unit="step")
        # With a checkpoint folder, SIGTERM/SIGUSR1 (SLURM preemption, time limit) end the current step, save it
        # and raise Preempted; `--resume` continues from that step as if nothing had happened.
        stops = StopRequests()
        with stops if out_dir is not None else contextlib.nullcontext():
            self._fit_steps(synthetic, real, grid_inputs, curves, bar, stops)
            if out_dir is not None:
                self.save(Path(out_dir))
        if stops.received is not None:
            raise Preempted(f"{stops.name} received: {self.name} training stopped after step {self.step} of {self.total_steps} "
                            f"with its checkpoint saved in {out_dir}.", stops.received)

    def _fit_steps(self, synthetic, real, grid_inputs, curves: TrainingLog | None, bar, stops: StopRequests) -> None:
        """fit's loop: steps until the last one or a stop request, with curves, checkpoints and grids."""
        cfg, out_dir = self._config, None if curves is None else curves.out_dir
        last = time.perf_counter()
        try:
            while self.step < self.total_steps:
                stats = self.train_step(synthetic, real)
                self.step += 1
                now = time.perf_counter()
                stats["img/s"] = stats.pop("images") / max(now - last, 1e-9)
                last = now
                bar.set_postfix({k: (f"{v:.3g}" if isinstance(v, float) else v) for k, v in stats.items()}, refresh=False)
                bar.update(1)
                if curves is not None:
                    curves.record(self.step, stats)
                    if self.step % cfg.checkpoint_every == 0 and self.step < self.total_steps:
                        curves.flush()
                        self.save(Path(out_dir))  # the final state is saved once, after the loop
                    if self.step % cfg.grid_every == 0 or self.step == self.total_steps:
                        self._save_grid(Path(out_dir), grid_inputs)
                if stops.received is not None:
                    break  # fit saves this step's checkpoint
        finally:  # an interrupted training keeps the curves of the steps it ran
            bar.close()
            if curves is not None:
                curves.close(f"{self.name}: losses and discriminator accuracy per step")

    def train_step(self, synthetic: torch.Tensor, real: torch.Tensor) -> dict[str, Any]:
        """One step of the current phase; returns its losses, accuracies and the number of images it processed."""
        cfg = self._config
        phase = self.phase(self.step)
        if phase == "pretrain_R":
            loss = self.refiner_update(self._batch(synthetic, cfg.batch_size), adversarial=False)
            return {"phase": phase, "L_reg": loss["L_reg"], "images": cfg.batch_size}
        if phase == "pretrain_D":
            stats = self.discriminator_update(synthetic, real)
            return {"phase": phase, **stats, "images": cfg.batch_size}
        stats: dict[str, Any] = {"phase": phase}
        for _ in range(cfg.k_g):
            stats.update(self.refiner_update(self._batch(synthetic, cfg.batch_size), adversarial=True))
        for _ in range(cfg.k_d):
            stats.update(self.discriminator_update(synthetic, real))
        stats["images"] = cfg.batch_size * (cfg.k_g + cfg.k_d)
        return stats

    def refiner_update(self, synthetic: torch.Tensor, *, adversarial: bool) -> dict[str, float]:
        """One refiner update: self-regularisation, plus fooling the discriminator when adversarial."""
        cfg = self._config
        with self._autocast(synthetic.device):
            refined = self._train_r(synthetic)
            reg = self_regularisation(refined, synthetic, cfg.self_reg_kind)
            loss = cfg.self_reg_lambda * reg
            if adversarial:
                adv = adversarial_loss(self._train_d(refined), REAL)
                loss = loss + adv + sum(critic.refiner_loss(refined) for critic in self.critics)
        self.opt_r.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_r.step()
        stats = {"L_reg": reg.item()}
        if adversarial:
            stats["L_adv"] = adv.item()
        return stats

    def discriminator_update(self, synthetic: torch.Tensor, real: torch.Tensor) -> dict[str, float]:
        """One discriminator update on half real, half refined images (a quarter from the history buffer, if any)."""
        half = self._config.batch_size // 2
        real_batch = self._batch(real, half)
        fresh = half // 2 if self.history is not None and len(self.history) else half
        with torch.no_grad(), self._autocast(synthetic.device):
            refined_now = self._train_r(self._batch(synthetic, fresh)).float()
        refined = refined_now
        if fresh < half:
            past = self.history.sample(half - fresh, self.generator).to(refined_now.device)
            refined = torch.cat([refined_now, past.contiguous(memory_format=self._memory_format(refined_now.device))])
        if self.history is not None:
            self.history.push(refined_now[: max(half // 2, 1)], self.generator)
        with self._autocast(synthetic.device):
            logits_real = self._train_d(real_batch)
            logits_refined = self._train_d(refined)
            loss = adversarial_loss(logits_real, REAL) + adversarial_loss(logits_refined, REFINED)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        stats = {"L_D": loss.item(), "acc_real": accuracy(logits_real, REAL), "acc_refined": accuracy(logits_refined, REFINED)}
        for critic in self.critics:
            stats.update(critic.update(real_batch, refined))
        return stats

    def _batch(self, images: torch.Tensor, n: int) -> torch.Tensor:
        idx = torch.randint(len(images), (n,), generator=self.generator)
        return images[idx.to(images.device)]

    # ----- helpers -----

    def _check_images(self, images: torch.Tensor, label: str) -> None:
        expected = (1, *self._config.image_size)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise UserInputError(
                f"The {label} have shape {tuple(images.shape)}; refiner '{self.name}' expects N x "
                f"{' x '.join(map(str, expected))} (real and synthetic images must have the same size)."
            )

    def _to_device(self, device: torch.device) -> None:
        mf = self._memory_format(device)
        self.refiner_net.to(device, memory_format=mf)
        self.discriminator.to(device, memory_format=mf)
        if self.history is not None:
            self.history.to(device)
        for opt in (self.opt_r, self.opt_d):  # optimiser state follows its parameters
            optimizer_to(opt, device)
        for critic in self.critics:
            critic.to(device)
        self.device = device

    def _memory_format(self, device: torch.device) -> torch.memory_format:
        """channels_last: tensor cores want it on CUDA, and on a 2-core CPU oneDNN's convolutions ran 15-30 %
        faster with it too (measured with `bench perf refiner`), so unlike gazebench.core.device it is used on CPU."""
        return torch.channels_last if self.fast_path else torch.contiguous_format

    def _autocast(self, device: torch.device):
        return autocast(device, self._config.cpu_bf16) if self.fast_path else contextlib.nullcontext()

    def compiles_by_default(self, device: torch.device) -> bool:
        """Whether training on `device` compiles: the `compile` setting, on CUDA only (see prepare_training)."""
        return self._config.compile and device.type == "cuda"

    def prepare_training(self, device: torch.device, compile: bool | None = None) -> None:
        """Move to `device`, wrap for torch.compile, switch to training mode. By default the networks are compiled
        on CUDA when configured; on the CPU, compiled SimGAN iterations ran 13-16% slower than the eager fast
        path (results/perf/README.md), so only `bench perf refiner` compiles there (compile=True) to measure it."""
        self._to_device(device)
        compile_now = self.fast_path and (compile if compile is not None else self.compiles_by_default(device))
        self._train_r = torch.compile(self.refiner_net) if compile_now else self.refiner_net
        self._train_d = torch.compile(self.discriminator) if compile_now else self.discriminator
        self.refiner_net.train()
        self.discriminator.train()

    def _save_grid(self, out_dir: Path, synthetic: torch.Tensor) -> None:
        was_training = self.refiner_net.training
        self.refiner_net.eval()
        with torch.no_grad(), self._autocast(synthetic.device):
            refined = self.refiner_net(synthetic).float()
        self.refiner_net.train(was_training)
        save_comparison_grid(
            out_dir / "grids" / f"step_{self.step:07d}.png",
            {"synthetic": to_uint8(synthetic), "refined": to_uint8(refined)},
            title=f"{self.name}, step {self.step}",
        )

