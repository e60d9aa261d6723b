"""The refiner interface every refiner implements; the harness and the Turing test use only this."""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import torch

from gazebench.core.atomic import write_atomic
from gazebench.core.errors import UserInputError
from gazebench.core.presets import PresetSized
from gazebench.core.registry import Registry, class_path
from gazebench.core.settings import checked


class Refiner(PresetSized, ABC):
    """Maps synthetic images to refined ones of the same shape, keeping the gaze.

    Images are float32 tensors N x 1 x H x W in [-1, 1] (gazebench.core.images). A refiner never sees labels:
    `fit` gets unlabelled real images only.
    """

    name: ClassVar[str]
    REQUIRED_CLASS_ATTRIBUTES: ClassVar[dict[str, type]] = {"name": str}  # checked for plugins
    #: True when `fit` must see unlabelled real images before `refine` is meaningful (the harness fits it).
    needs_real_images: ClassVar[bool] = True
    #: True for refiners that learn network weights by gradient steps (minutes to hours; `bench refine`);
    #: False for those whose fit is a quick statistic of the real images (gaussian, fda, histogram).
    learns_weights: ClassVar[bool] = False
    @abstractmethod
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
        """Learn from synthetic and unlabelled real images; with out_dir, checkpoint there (and resume)."""

    @abstractmethod
    def refine(self, images: torch.Tensor, *, device: torch.device, batch_size: int | None = None) -> torch.Tensor:
        """Refined images, same shape, on the CPU, in [-1, 1]; batch_size None lets the refiner choose (it
        changes no number, only memory)."""

    @property
    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Every number the refiner uses, JSON-serialisable, written into run records."""

    @abstractmethod
    def save(self, out_dir: Path) -> None:
        """Write a checkpoint folder that gazebench.refiners.registry.load_refiner reads back."""

    #: The training step the last fit continued from (fit with resume=True and a checkpoint); None: it started afresh.
    resumed_at_step: int | None = None

    @property
    def unfinished(self) -> str | None:
        """None when the refiner is ready to use; otherwise why not (a checkpoint of an interrupted training)."""
        return None

    @classmethod
    @abstractmethod
    def from_preset(cls, preset: str = "cpu", *, seed: int = 0, **overrides: Any) -> Refiner:
        """A fresh refiner sized by a named preset, with single numbers overridden (gazebench.refiners.registry calls it)."""

    @classmethod
    @abstractmethod
    def from_checkpoint(cls, checkpoint_dir: Path) -> Refiner:
        """The refiner a `save` wrote into checkpoint_dir (gazebench.refiners.registry.load_refiner calls it)."""


#: Every built-in refiner registers itself with `@REFINERS.register` beside its class (one file per refiner);
#: plugins join by the entry-point group or as package.module:ClassName.
REFINERS = Registry("refiner", "gazebench.refiners", "gazebench.refiners.base:Refiner", ("gazebench.refiners",))

CONFIG_FILE = "config.json"
#: Images per batch for refiners whose per-image memory is a few images' worth (not a network's feature maps).
CHUNK = 4096


def build_config(config_type: type, presets: dict[str, dict[str, Any]], preset: str, refiner: str, *,
                 choices: dict[str, tuple] | None = None, zero_means_off: tuple[str, ...] = (), **values: Any):
    """A config dataclass from a named preset plus overrides; unknown presets or fields are user errors."""
    if preset not in presets:
        raise UserInputError(f"Unknown preset '{preset}' for refiner '{refiner}'; expected one of {', '.join(presets)}.")
    defaults = {f.name: presets[preset].get(f.name, None if f.default is dataclasses.MISSING else f.default)
                for f in dataclasses.fields(config_type) if f.name != "preset"}
    return config_type(**{**presets[preset], "preset": preset, **checked("refiner", refiner, defaults, values, choices, zero_means_off)})


def preset_config(cls: type[Refiner], config_type: type, preset: str, **values: Any):
    """build_config from the refiner's own preset settings, CHOICES and ZERO_MEANS_OFF."""
    return build_config(config_type, {preset: cls.preset_settings(preset)}, preset, cls.name, choices=cls.CHOICES,
                        zero_means_off=cls.ZERO_MEANS_OFF, **values)


def config_from_dict(config_type: type, values: dict[str, Any]):
    """A config dataclass from a config.json dict, turning JSON lists back into tuples."""
    known = {f.name: f for f in dataclasses.fields(config_type)}
    return config_type(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known})


def write_refiner_config(out_dir: Path, refiner: Refiner, config: dict[str, Any]) -> None:
    """config.json names the refiner and its class (so load_refiner finds it, a plugin's too) and holds
    every number it uses."""
    record = {"refiner": refiner.name, "class": class_path(type(refiner)), "config": config}
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    write_atomic(Path(out_dir) / CONFIG_FILE, lambda p: p.write_text(text))


def read_refiner_config(checkpoint_dir: Path) -> tuple[str, dict[str, Any]]:
    """(refiner name, config) from a checkpoint folder's config.json; anything else is a user error."""
    record = read_refiner_record(checkpoint_dir)
    return str(record["refiner"]), dict(record["config"])


def read_refiner_record(checkpoint_dir: Path) -> dict[str, Any]:
    """A checkpoint folder's whole config.json: refiner name, config and (since plugins) the writing class's
    package.module:ClassName under "class"; anything else is a user error."""
    path = Path(checkpoint_dir) / CONFIG_FILE
    if not path.is_file():
        raise UserInputError(
            f"{checkpoint_dir} holds no refiner checkpoint ({CONFIG_FILE} is missing); "
            "expected a folder written by `bench refine`."
        )
    try:
        record = json.loads(path.read_text())
        str(record["refiner"]), dict(record["config"])  # both present and of the right kind
        return record
    except (ValueError, KeyError, TypeError) as exc:
        raise UserInputError(f"{path} is not a refiner config ({exc}); expected a file written by `bench refine`.") from None


STATE_FILE = "state.pt"


def write_state(out_dir: Path, state: dict[str, torch.Tensor]) -> None:
    """Tensors a refiner learnt from real images (not network weights), next to its config.json."""
    write_atomic(Path(out_dir) / STATE_FILE, lambda p: torch.save(state, p))


def read_state(checkpoint_dir: Path, refiner: str) -> dict[str, torch.Tensor]:
    path = Path(checkpoint_dir) / STATE_FILE
    if not path.is_file():
        raise UserInputError(f"{checkpoint_dir} has no {STATE_FILE}; refiner '{refiner}' was saved before it was fitted.")
    return torch.load(path, map_location="cpu", weights_only=True)


def check_same_size(synthetic: torch.Tensor, real: torch.Tensor) -> None:
    if tuple(synthetic.shape[1:]) != tuple(real.shape[1:]):
        raise UserInputError(
            f"Real images are {tuple(real.shape[1:])} but synthetic ones {tuple(synthetic.shape[1:])}; expected the same size."
        )


def refine_in_batches(batch_size: int | None, refine_batch, *aligned: torch.Tensor) -> torch.Tensor:
    """refine_batch applied to matching slices of `aligned` (the images first, then per-image draws made
    beforehand, so the batch size changes no number), batch_size (default CHUNK) at a time, joined on the CPU."""
    size = batch_size or CHUNK
    parts = [refine_batch(*(t[start : start + size] for t in aligned)).cpu() for start in range(0, len(aligned[0]), size)]
    return torch.cat(parts) if parts else aligned[0].clone()


def refine_generator(seed: int) -> torch.Generator:
    """One generator per refine call, seeded from the config: the same images always get the same draws."""
    return torch.Generator().manual_seed(seed)


def check_refined(refiner: Refiner, images: torch.Tensor, refined: object) -> torch.Tensor:
    """The refined batch if it keeps the interface (same shape, float32, finite, in [-1, 1]); otherwise one
    sentence naming the refiner: a plugin's mistake must not become a run that looks fine."""
    expected = f"a float32 tensor of shape {tuple(images.shape)} in [-1, 1]"
    if not isinstance(refined, torch.Tensor):
        raise UserInputError(f"Refiner '{refiner.name}' returned {type(refined).__name__}; expected {expected}.")
    if tuple(refined.shape) != tuple(images.shape) or refined.dtype != torch.float32:
        raise UserInputError(
            f"Refiner '{refiner.name}' returned {refined.dtype} of shape {tuple(refined.shape)}; expected {expected}."
        )
    if not bool(torch.isfinite(refined).all()) or refined.numel() and (refined.min() < -1 or refined.max() > 1):
        raise UserInputError(f"Refiner '{refiner.name}' returned values outside [-1, 1] (or not finite); expected {expected}.")
    return refined
