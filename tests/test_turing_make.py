"""Building rating sheets: balance, the key outside the folder, and no leak of the truth into the sheet."""

import base64
import csv
import io
import json
import re
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from gazebench.cli.main import cli
from gazebench.core.errors import UserInputError
from gazebench.core.images import CANONICAL_SIZE
from gazebench.data import write_own_format
from gazebench.turing.make import encode_png, make_sheet

N_ITEMS = 40


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """Real-like eyes at MPIIGaze's 36x60 and darker synthetic ones at 35x55: sizes and looks differ by truth."""
    folder = tmp_path_factory.mktemp("sources")
    rng = np.random.default_rng(7)
    write_own_format(folder / "real.npz", rng.integers(60, 256, (50, 36, 60), dtype=np.uint8), None)
    write_own_format(folder / "synthetic.npz", rng.integers(0, 120, (50, 35, 55), dtype=np.uint8), None)
    return f"npz:{folder / 'real.npz'}", f"npz:{folder / 'synthetic.npz'}"


def build(sources, folder, seed=0, n=N_ITEMS):
    real, synthetic = sources
    key = make_sheet(real=real, synthetic=synthetic, n=n, against="synthetic", out_dir=folder / "sheet",
                     key_path=folder / "KEY.csv", seed=seed)
    return key, folder / "sheet"


def page_items(sheet_dir):
    html = (sheet_dir / "index.html").read_text()
    return json.loads(re.search(r"const ITEMS = (\[.*?\]);\n", html).group(1)), html


def png_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        chunks.append((png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def test_sheet_is_balanced_and_key_matches_page(sources, tmp_path):
    key, sheet_dir = build(sources, tmp_path)
    truths = [row.truth for row in key]
    assert truths.count("real") == truths.count("synthetic") == N_ITEMS // 2
    items, html = page_items(sheet_dir)
    assert not re.search(r"https?://|<link|<iframe|src=\"(?!data:)", html)  # self-contained: nothing fetched
    assert [(i["number"], i["id"]) for i in items] == [(r.item.number, r.item.item_id) for r in key]
    with open(tmp_path / "KEY.csv", newline="") as fh:
        key_rows = list(csv.DictReader(fh))
    assert [(r["item_id"], r["truth"]) for r in key_rows] == [(r.item.item_id, r.truth) for r in key]
    assert len({r.source_index for r in key if r.truth == "real"}) == N_ITEMS // 2  # distinct images


def test_same_seed_same_sheet_and_other_seed_other_order(sources, tmp_path):
    first, first_dir = build(sources, tmp_path / "a")
    again, again_dir = build(sources, tmp_path / "b")
    other, _ = build(sources, tmp_path / "c", seed=1)
    assert (first_dir / "index.html").read_bytes() == (again_dir / "index.html").read_bytes()
    assert [r.truth for r in first] == [r.truth for r in again]
    assert [r.truth for r in first] != [r.truth for r in other]


def test_every_item_is_encoded_identically(sources, tmp_path):
    """Same size, same PNG header, only IHDR/IDAT/IEND chunks, and the one encoder reproduces every file."""
    _, sheet_dir = build(sources, tmp_path)
    items, _ = page_items(sheet_dir)
    headers = set()
    for item in items:
        png = base64.b64decode(item["src"].removeprefix("data:image/png;base64,"))
        chunks = png_chunks(png)
        assert [name for name, _ in chunks] == [b"IHDR"] + [b"IDAT"] * (len(chunks) - 2) + [b"IEND"]
        headers.add(chunks[0][1])
        pixels = np.asarray(Image.open(io.BytesIO(png)))
        assert pixels.shape == CANONICAL_SIZE
        assert encode_png(pixels) == png
    assert len(headers) == 1


def test_order_and_ids_carry_no_signal(sources, tmp_path):
    key, _ = build(sources, tmp_path)
    is_real = np.array([row.truth == "real" for row in key])
    half = N_ITEMS // 2
    # Neither the sheet order nor the order of ids separates the classes.
    assert 0 < is_real[:half].sum() < half
    by_id = is_real[np.argsort([row.item.item_id for row in key])]
    assert 0 < by_id[:half].sum() < half
    assert {len(row.item.item_id) for row in key} == {8}


def test_page_and_files_are_the_same_for_any_truth_pattern(sources, tmp_path):
    """Two sheets whose truth patterns differ: after masking ids and pixels, every file in them is identical."""
    first, first_dir = build(sources, tmp_path / "a")
    second, second_dir = build(sources, tmp_path / "b", seed=3)
    assert [r.truth for r in first] != [r.truth for r in second]
    names = sorted(p.name for p in first_dir.iterdir())
    assert names == sorted(p.name for p in second_dir.iterdir())
    assert names == ["README.txt", "answer_form.csv", "contact_sheet_1.png", "contact_sheet_2.png", "index.html"]

    def masked(sheet_dir, key):
        text = {name: (sheet_dir / name).read_text() for name in ("index.html", "answer_form.csv", "README.txt")}
        text["index.html"] = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMAGE", text["index.html"])
        sheet_id = next(csv.DictReader(io.StringIO(text["answer_form.csv"])))["sheet"]
        for row in key:
            text = {k: v.replace(row.item.item_id, "ID") for k, v in text.items()}
        return {k: v.replace(sheet_id, "SHEET") for k, v in text.items()}

    assert masked(first_dir, first) == masked(second_dir, second)
    for page in ("contact_sheet_1.png", "contact_sheet_2.png"):
        sizes = {Image.open(d / page).size for d in (first_dir, second_dir)}
        assert len(sizes) == 1


def test_key_inside_sheet_folder_is_refused_and_nothing_written(sources, tmp_path):
    real, synthetic = sources
    with pytest.raises(UserInputError, match="inside the sheet folder"):
        make_sheet(real=real, synthetic=synthetic, n=4, against="synthetic", out_dir=tmp_path / "sheet",
                   key_path=tmp_path / "sheet" / "KEY.csv")
    assert not (tmp_path / "sheet").exists()


@pytest.mark.parametrize(
    "extra, expected",
    [
        (["--n", "7"], "even number"),
        (["--n", "200"], "holds 50 images; 100 were asked for"),
        (["--against", "refined"], "needs --refiner"),
        (["--refiner", "identity"], "expected no --refiner"),
    ],
)
def test_cli_bad_input_exits_2(sources, tmp_path, extra, expected):
    real, synthetic = sources
    args = ["turing", "make", "--real", real, "--synthetic", synthetic, "--against", "synthetic",
            "--out", str(tmp_path / "sheet"), "--key", str(tmp_path / "KEY.csv"), *extra]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and expected in result.output


def test_existing_folder_needs_overwrite(sources, tmp_path):
    build(sources, tmp_path)
    with pytest.raises(UserInputError, match="already holds files"):
        build(sources, tmp_path)
    real, synthetic = sources
    make_sheet(real=real, synthetic=synthetic, n=4, against="synthetic", out_dir=tmp_path / "sheet",
               key_path=tmp_path / "KEY.csv", overwrite=True)
    items, _ = page_items(tmp_path / "sheet")
    assert len(items) == 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging folders left


def item_pixels(sheet_dir):
    items, _ = page_items(sheet_dir)
    return {i["id"]: np.asarray(Image.open(io.BytesIO(base64.b64decode(i["src"].split(",", 1)[1])))) for i in items}


def test_identity_refiner_shows_the_keyed_synthetic_images(sources, tmp_path):
    from gazebench.core.images import to_model_tensor, to_uint8
    from gazebench.data import open_source

    real, synthetic = sources
    key = make_sheet(real=real, synthetic=synthetic, n=8, refiner_name="identity", out_dir=tmp_path / "sheet",
                     key_path=tmp_path / "KEY.csv", device="cpu")
    pixels = item_pixels(tmp_path / "sheet")
    for row in key:
        source = open_source(real if row.truth == "real" else synthetic)
        expected = to_uint8(to_model_tensor(source.read([row.source_index]).images))[0]
        np.testing.assert_array_equal(pixels[row.item.item_id], expected)
    assert {row.truth for row in key} == {"real", "refined"}


def test_a_refiner_needing_real_images_is_fitted_first_and_checkpoint_is_loaded(sources, tmp_path):
    """gaussian learns its noise level in `fit`: refining without it would fail, so the sheet maker must fit."""
    from gazebench.refiners.registry import create_refiner

    real = sources[0]
    smooth = np.tile(np.linspace(40, 200, 55, dtype=np.float32).astype(np.uint8), (20, 35, 1))
    synthetic = f"npz:{write_own_format(tmp_path / 'smooth.npz', smooth, None)}"  # no texture: noise must be added
    common = dict(real=real, synthetic=synthetic, n=8, device="cpu", seed=2)
    key = make_sheet(**common, refiner_name="gaussian", out_dir=tmp_path / "a", key_path=tmp_path / "a.csv")
    refined = [row.item.png for row in key if row.truth == "refined"]
    identity = make_sheet(**common, refiner_name="identity", out_dir=tmp_path / "b", key_path=tmp_path / "b.csv")
    assert refined != [row.item.png for row in identity if row.truth == "refined"]

    saved = create_refiner("gaussian", seed=2, noise_std=0.3)
    saved.save(tmp_path / "ckpt")
    from_ckpt = make_sheet(**common, refiner_checkpoint=str(tmp_path / "ckpt"), out_dir=tmp_path / "c",
                           key_path=tmp_path / "c.csv")
    assert len(from_ckpt) == 8
    result = CliRunner().invoke(cli, ["turing", "make", "--real", real, "--synthetic", synthetic, "--n", "4",
                                      "--refiner-checkpoint", str(tmp_path / "nothing"), "--out",
                                      str(tmp_path / "d"), "--key", str(tmp_path / "d.csv")])
    assert result.exit_code == 2 and "holds no refiner checkpoint" in result.output
