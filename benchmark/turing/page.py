"""The self-contained rating page: the sheet.html template with the items inlined as data: URIs.

The page gets only what a rater may see (number, random id, PNG), so it cannot leak the truth.
"""

from __future__ import annotations

import base64
import json
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gazebench.turing.make import SheetItem


# The columns of every answers file, from the page and on the paper form alike.
ANSWER_COLUMNS = ("sheet", "item", "item_id", "rater", "answer")


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_page(sheet_id: str, items: list[SheetItem]) -> str:
    """index.html text: inline CSS/JS, no network, works when opened from the file system."""
    template = resources.files("gazebench.turing").joinpath("sheet.html").read_text(encoding="utf-8")
    records = [{"number": item.number, "id": item.item_id, "src": png_data_uri(item.png)} for item in items]
    # "</" inside a <script> block could end it early; JSON allows the escaped form.
    items_json = json.dumps(records, separators=(",", ":")).replace("</", "<\\/")
    return (
        template.replace("__SHEET_ID__", sheet_id)
        .replace("__ANSWER_COLUMNS__", ",".join(ANSWER_COLUMNS))
        .replace("/*ITEMS_JSON*/", items_json)
    )
