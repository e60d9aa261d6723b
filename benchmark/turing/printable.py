"""Printable contact sheets for raters without a browser: numbered, enlarged items on A4-shaped PNG pages."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

if TYPE_CHECKING:
    from gazebench.turing.make import SheetItem

PAGE_SIZE = (1240, 1754)  # A4 at 150 dpi
COLUMNS, ROWS = 4, 7
SCALE = 4  # each image pixel becomes SCALE x SCALE page pixels (nearest neighbour: crisp)
MARGIN, HEADER = 60, 110


def render_contact_sheets(sheet_id: str, items: list[SheetItem]) -> list[bytes]:
    """PNG bytes of each page; items appear in sheet order, labelled with their number and id only."""
    per_page = COLUMNS * ROWS
    pages = [items[start : start + per_page] for start in range(0, len(items), per_page)]
    return [_render_page(sheet_id, page_items, number, len(pages)) for number, page_items in enumerate(pages, start=1)]


def _render_page(sheet_id: str, items: list[SheetItem], page_number: int, page_count: int) -> bytes:
    page = Image.new("L", PAGE_SIZE, color=255)
    draw = ImageDraw.Draw(page)
    title_font, label_font = ImageFont.load_default(size=28), ImageFont.load_default(size=22)
    draw.text(
        (MARGIN, MARGIN - 20),
        f"Sheet {sheet_id}, page {page_number} of {page_count}: real or not real?",
        fill=0,
        font=title_font,
    )
    draw.text(
        (MARGIN, MARGIN + 20),
        "Write 'real' or 'not real' for each item number in answer_form.csv.",
        fill=0,
        font=label_font,
    )
    cell_w = (PAGE_SIZE[0] - 2 * MARGIN) // COLUMNS
    cell_h = (PAGE_SIZE[1] - 2 * MARGIN - HEADER) // ROWS
    for slot, item in enumerate(items):
        image = Image.open(io.BytesIO(item.png))
        image = image.resize((image.width * SCALE, image.height * SCALE), Image.Resampling.NEAREST)
        x = MARGIN + (slot % COLUMNS) * cell_w
        y = MARGIN + HEADER + (slot // COLUMNS) * cell_h
        draw.text((x, y), f"{item.number}   ({item.item_id})", fill=0, font=label_font)
        page.paste(image, (x, y + 32))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()
