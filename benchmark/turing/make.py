"""Build a visual Turing test: a rating sheet folder that hides the truth, and a key kept outside it.

Real and refined (or synthetic) eyes go through the same path: canonical size via gazebench.core.images,
back to uint8, and one PNG encoder with fixed settings and no metadata, so only pixels differ.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gazebench.core.atomic import write_bytes_atomic
from gazebench.core.device import resolve_device
from gazebench.core.errors import UserInputError
from gazebench.core.images import to_model_tensor, to_uint8
from gazebench.data import EyeSource, open_source
from gazebench.harness.refine import fit_refiner
from gazebench.refiners import registry
from gazebench.refiners.base import check_refined
from gazebench.turing.page import ANSWER_COLUMNS, render_page
from gazebench.turing.printable import render_contact_sheets

AGAINST_CHOICES = ("refined", "synthetic")
KEY_COLUMNS = ("sheet", "item", "item_id", "truth", "source", "source_index")
# A refiner named on the command line (no checkpoint) is fitted on at most this many images of each kind.
QUICK_TRAIN_IMAGES = 2048
ID_HEX_DIGITS = 8


@dataclass(frozen=True)
class SheetItem:
    """What a rater sees of one item: its number on the sheet, a random id, and the PNG; never the truth."""

    number: int
    item_id: str
    png: bytes


@dataclass(frozen=True)
class KeyRow:
    item: SheetItem
    truth: str  # "real", "refined" or "synthetic"
    source: str
    source_index: int


def encode_png(image: np.ndarray) -> bytes:
    """One grey uint8 (H, W) image as PNG bytes; the same settings for every item, no metadata chunks."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image), mode="L").save(buffer, format="PNG", compress_level=9, optimize=False)
    return buffer.getvalue()


def random_hex_ids(rng: np.random.Generator, count: int) -> list[str]:
    """`count` distinct random hex ids; random so that no id hints at its item's truth or position."""
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < count:
        candidate = "".join(f"{d:x}" for d in rng.integers(0, 16, size=ID_HEX_DIGITS))
        if candidate not in seen:
            seen.add(candidate)
            ids.append(candidate)
    return ids


def build_refiner(refiner_name: str | None, refiner_checkpoint: str | None, *, seed: int, trust_code: bool = False):
    """A refiner from a checkpoint folder, or a fresh one by registry name (the one place the sheet meets refiners)."""
    if refiner_checkpoint is not None:
        return registry.load_refiner(Path(refiner_checkpoint), trust_code=trust_code)
    return registry.create_refiner(refiner_name, preset="cpu", seed=seed)


def refine_images(
    synthetic: torch.Tensor,
    *,
    refiner_name: str | None,
    refiner_checkpoint: str | None,
    trust_checkpoint_code: bool = False,
    synthetic_source: EyeSource,
    real_source: EyeSource,
    device: torch.device,
    seed: int,
) -> torch.Tensor:
    """Refine the chosen synthetic images; a refiner named without a checkpoint is first fitted (CPU preset)."""
    refiner = build_refiner(refiner_name, refiner_checkpoint, seed=seed, trust_code=trust_checkpoint_code)
    if refiner.needs_real_images and refiner_checkpoint is None:
        if refiner.learns_weights:
            print(
                f"training refiner '{refiner_name}' with its cpu preset before building the sheet; for a properly "
                "trained refiner run `bench refine` and pass --refiner-checkpoint DIR instead.",
                file=sys.stderr,
            )
        _, synthetic_train = synthetic_source.sample(min(QUICK_TRAIN_IMAGES, len(synthetic_source)), seed)
        _, real_train = real_source.sample(min(QUICK_TRAIN_IMAGES, len(real_source)), seed)
        fit_refiner(refiner, to_model_tensor(synthetic_train.images), to_model_tensor(real_train.images), device=device)
    return check_refined(refiner, synthetic, refiner.refine(synthetic, device=device))


def check_sheet_paths(out_dir: Path, key_path: Path, overwrite: bool) -> None:
    """Refuse a key inside the sheet folder (raters would see the truth) and a non-empty folder without --overwrite."""
    out_resolved, key_resolved = out_dir.resolve(), key_path.resolve()
    if key_resolved == out_resolved or out_resolved in key_resolved.parents:
        raise UserInputError(
            f"--key {key_path} lies inside the sheet folder {out_dir}; expected a path outside it, "
            "since raters get that whole folder."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError(f"--out {out_dir} is a file; expected a folder for the rating sheet.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise UserInputError(f"--out {out_dir} already holds files; expected a new or empty folder (or pass --overwrite).")


def make_sheet(
    *,
    real: str,
    synthetic: str,
    n: int,
    out_dir: str | os.PathLike,
    key_path: str | os.PathLike,
    against: str = "refined",
    refiner_name: str | None = None,
    refiner_checkpoint: str | None = None,
    trust_checkpoint_code: bool = False,
    seed: int = 0,
    device: str = "auto",
    overwrite: bool = False,
) -> list[KeyRow]:
    """Write SHEET_DIR (index.html, contact sheets, blank answer form) and KEY.csv; returns the key rows."""
    out_dir, key_path = Path(out_dir), Path(key_path)
    if against not in AGAINST_CHOICES:
        raise UserInputError(f"--against {against!r} is unknown; expected one of {', '.join(AGAINST_CHOICES)}.")
    if n < 2 or n % 2:
        raise UserInputError(f"--n {n} cannot be split into equal halves; expected an even number of at least 2.")
    has_refiner = refiner_name is not None or refiner_checkpoint is not None
    if refiner_name is not None and refiner_checkpoint is not None:
        raise UserInputError("--refiner and --refiner-checkpoint were both given; expected one of them.")
    if against == "refined" and not has_refiner:
        raise UserInputError("--against refined needs --refiner NAME or --refiner-checkpoint DIR.")
    if against == "synthetic" and has_refiner:
        raise UserInputError("--against synthetic shows raw synthetic images; expected no --refiner or --refiner-checkpoint.")
    check_sheet_paths(out_dir, key_path, overwrite)

    rng = np.random.default_rng(seed)
    real_source, synthetic_source = open_source(real), open_source(synthetic)
    half = n // 2
    real_seed, synthetic_seed = (int(s) for s in rng.integers(0, 2**31 - 1, size=2))
    real_idx, real_data = real_source.sample(half, real_seed)
    synthetic_idx, synthetic_data = synthetic_source.sample(half, synthetic_seed)

    real_images = to_uint8(to_model_tensor(real_data.images))
    shown = to_model_tensor(synthetic_data.images)
    if against == "refined":
        shown = refine_images(
            shown,
            refiner_name=refiner_name,
            refiner_checkpoint=refiner_checkpoint,
            trust_checkpoint_code=trust_checkpoint_code,
            synthetic_source=synthetic_source,
            real_source=real_source,
            device=resolve_device(device),
            seed=seed,
        )
    other_images = to_uint8(shown)

    images = np.concatenate([real_images, other_images])
    truths = ["real"] * half + [against] * half
    sources = [real_source.name] * half + [synthetic_source.name] * half
    source_indices = [int(i) for i in np.concatenate([real_idx, synthetic_idx])]
    order = rng.permutation(n)
    item_ids = random_hex_ids(rng, n + 1)
    sheet_id, item_ids = item_ids[0], item_ids[1:]

    key = [
        KeyRow(
            item=SheetItem(number=number, item_id=item_ids[number - 1], png=encode_png(images[pick])),
            truth=truths[pick],
            source=sources[pick],
            source_index=source_indices[pick],
        )
        for number, pick in enumerate(order, start=1)
    ]
    # The key first: a sheet must never go out without the key that scores it.
    write_key(key_path, sheet_id, key)
    write_sheet_folder(out_dir, sheet_id, [row.item for row in key])
    return key


def csv_text(columns: tuple[str, ...], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue()


def write_key(key_path: Path, sheet_id: str, key: list[KeyRow]) -> None:
    rows = [(sheet_id, r.item.number, r.item.item_id, r.truth, r.source, r.source_index) for r in key]
    write_bytes_atomic(key_path, csv_text(KEY_COLUMNS, rows).encode())


SHEET_README = """Visual Turing test, sheet {sheet_id}: {n} eye images; some are real photographs, some are not.

In a browser: open index.html, type your name, press R (real) or N (not real) for each image,
then click "Save answers" and send the CSV file it downloads.

On paper: print contact_sheet_*.png, fill in the answer column of answer_form.csv with
"real" or "not real" for every item number, put your name in the rater column, and send it back.
"""


def write_sheet_folder(out_dir: Path, sheet_id: str, items: list[SheetItem]) -> None:
    """Build the folder under a temporary name, then swap it in, so a failure never leaves half a sheet."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}."))
    try:
        (staging / "index.html").write_text(render_page(sheet_id, items), encoding="utf-8")
        for page_number, png in enumerate(render_contact_sheets(sheet_id, items), start=1):
            (staging / f"contact_sheet_{page_number}.png").write_bytes(png)
        form_rows = [(sheet_id, item.number, item.item_id, "", "") for item in items]
        (staging / "answer_form.csv").write_text(csv_text(ANSWER_COLUMNS, form_rows), encoding="utf-8")
        (staging / "README.txt").write_text(SHEET_README.format(sheet_id=sheet_id, n=len(items)), encoding="utf-8")
        staging.chmod(0o755)
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.old."))
            os.replace(out_dir, retired / "sheet")
            os.replace(staging, out_dir)
            shutil.rmtree(retired)
        else:
            os.replace(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
