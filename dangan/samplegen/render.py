"""One page, any family: draw it, degrade it, say what is on it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from PIL import Image

from records.model import PageType

from .common import PageContext
from .degrade import ScanParams, degrade, random_scan_params
from .forms import render_adoption, render_form_columns, render_form_party
from .ledger import render_ledger, render_stubs
from .model import CleanPage, PageMeta, TruthRecord
from .special import render_blank, render_cert1950s, render_cover
from .values import BookCursor, random_book

Renderer = Callable[[PageContext], CleanPage]


def render_spread(ctx: PageContext) -> CleanPage:
    """Two form pages photographed open side by side, with a dark gutter between."""
    rng = ctx.rng
    halves = [rng.choice((render_form_party, render_form_columns))(ctx) for _ in range(2)]
    left, right = (h.image for h in halves)
    w, h = left.size
    image = Image.new("RGB", (w * 2, h), (255, 255, 255))
    image.paste(left, (0, 0))
    image.paste(right, (w, 0))
    arr = np.asarray(image, dtype=np.float32)
    gutter = int(w * 0.04)
    ramp = np.linspace(0.0, 1.0, gutter, dtype=np.float32)
    shade = 1.0 - 0.35 * (1.0 - ramp) ** 2
    arr[:, w - gutter:w] *= shade[::-1][None, :, None]
    arr[:, w:w + gutter] *= shade[None, :, None]
    records = tuple(r.with_half(half, "spread") for half, page in zip(("left", "right"), halves,
                                                                       strict=True)
                    for r in page.records)
    spots = tuple(halves[0].seal_spots) + tuple((x + w, y) for x, y in halves[1].seal_spots)
    return CleanPage(Image.fromarray(arr.astype(np.uint8)), records, PageType.FORM, ctx.dpi,
                     spots, halves[0].seal_text)


FAMILIES: dict[str, Renderer] = {
    "form_party": render_form_party,
    "form_columns": render_form_columns,
    "ledger": render_ledger,
    "stubs": render_stubs,
    "spread": render_spread,
    "adoption": render_adoption,
    "cert1950s": render_cert1950s,
    "cover": render_cover,
    "blank": render_blank,
}
RECORD_FAMILIES: tuple[str, ...] = tuple(f for f in FAMILIES if f not in ("cover", "blank"))


class UnknownFamilyError(ValueError):
    """A page family the generator does not know."""

    def __init__(self, family: str) -> None:
        super().__init__(f"unknown page family {family!r}; choose from {', '.join(FAMILIES)}")


def random_dpi(rng: random.Random) -> int:
    return rng.choice((200, 200, 240, 300))


def render_page(
    family: str,
    rng: random.Random,
    *,
    cursor: BookCursor | None = None,
    dpi: int | None = None,
    rotation: int | None = None,
    scan: ScanParams | None = None,
    mild: bool = False,
) -> tuple[Image.Image, list[TruthRecord], PageMeta]:
    """Render one page of ``family``: the scan image, its records and what was done.

    ``cursor`` continues a book (serials, dates); without one a random book is made.
    ``scan`` fixes the degradation (``ScanParams()`` = a clean page); otherwise it is
    drawn from ``rng`` (``mild`` for demo-quality pages) with ``rotation`` if given.
    """
    if family not in FAMILIES:
        raise UnknownFamilyError(family)
    cursor = cursor or BookCursor(random_book(rng), rng)
    dpi = dpi or random_dpi(rng)
    clean = FAMILIES[family](PageContext(rng, cursor, dpi))
    params = scan or random_scan_params(rng, rotation=rotation, mild=mild)
    if family == "blank":
        params = replace(params, seal=False)
    image = degrade(clean, params, rng)
    meta = PageMeta(family=family, page_type=clean.page_type, records=len(clean.records),
                    rotation=params.rotation, skew=params.skew, dpi=dpi)
    return image, list(clean.records), meta

