"""A minimal IIIF Image API 3 service (level 1 plus ``pct:`` regions) over page images.

OpenSeadragon asks for ``info.json`` then for tiles ``{region}/{size}/0/default.jpg``.
Tiles are cut with Pillow from a decoded image kept in a small in-memory LRU (decoding
a 3000 px scan costs more than cutting many tiles from it) and written to a disk cache
keyed by blob key + request, so a page looked at twice is served from files.

Image ids name a page and which picture of it: ``<page_id>.orig`` is the scan as
ingested, ``<page_id>.full|left|right`` the cleaned region that OCR read (field
boxes are relative to it).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

TILE = 512
MAX_SIDE = 4096  # no size larger than this is rendered (memory, and it's not needed)
_ID_RE = re.compile(r"^([0-9A-Za-z_-]{1,64})\.(orig|full|left|right)$")
_FLOAT = r"\d+(?:\.\d+)?"
_REGION_PX = re.compile(r"^(\d+),(\d+),(\d+),(\d+)$")
_REGION_PCT = re.compile(rf"^pct:({_FLOAT}),({_FLOAT}),({_FLOAT}),({_FLOAT})$")
_SIZE = re.compile(r"^(!)?(\d*),(\d*)$")


class IiifError(ValueError):
    """A request the service does not support (answered 400)."""


@dataclass(frozen=True, slots=True)
class ImageRef:
    page_id: str
    variant: str  # orig | full | left | right

    @property
    def half(self) -> str:
        return "" if self.variant == "full" else self.variant

    @property
    def image_id(self) -> str:
        return f"{self.page_id}.{self.variant}"


def parse_image_id(image_id: str) -> ImageRef:
    m = _ID_RE.match(image_id)
    if not m:
        raise IiifError(f"bad image id {image_id!r}")
    return ImageRef(m.group(1), m.group(2))


def image_id_for(page_id: str, half: str | None) -> str:
    return f"{page_id}.{half or 'full'}"


def parse_region(region: str, width: int, height: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) in pixels, clipped to the image; full, square, x,y,w,h and pct:…"""
    if region == "full":
        return 0, 0, width, height
    if region == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    m = _REGION_PX.match(region)
    if m:
        x, y, w, h = (int(g) for g in m.groups())
    else:
        p = _REGION_PCT.match(region)
        if not p:
            raise IiifError(f"bad region {region!r}")
        fx, fy, fw, fh = (float(g) / 100 for g in p.groups())
        x, y = round(fx * width), round(fy * height)
        w, h = round(fw * width), round(fh * height)
    x, y = min(x, width), min(y, height)
    w, h = min(w, width - x), min(h, height - y)
    if w <= 0 or h <= 0:
        raise IiifError(f"region {region!r} is outside the image")
    return x, y, w, h


def parse_size(size: str, w: int, h: int) -> tuple[int, int]:
    """Output size for a region of w×h: max, w,  ,h  w,h  !w,h (no upscaling)."""
    if size == "max":
        tw, th = w, h
    else:
        m = _SIZE.match(size)
        if not m or (not m.group(2) and not m.group(3)):
            raise IiifError(f"bad size {size!r}")
        bang, sw, sh = m.group(1), m.group(2), m.group(3)
        if sw and sh:
            tw, th = int(sw), int(sh)
            if bang:
                scale = min(tw / w, th / h)
                tw, th = max(1, round(w * scale)), max(1, round(h * scale))
        elif sw:
            tw = int(sw)
            th = max(1, round(h * tw / w))
        else:
            th = int(sh)
            tw = max(1, round(w * th / h))
    if tw > w or th > h:  # level 1 does not upscale; clamp instead of refusing
        scale = min(w / tw, h / th)
        tw, th = max(1, round(tw * scale)), max(1, round(th * scale))
    if tw > MAX_SIDE or th > MAX_SIDE:
        raise IiifError(f"size {size!r} is larger than {MAX_SIDE} px")
    return tw, th


def info_json(base_id: str, width: int, height: int) -> dict[str, Any]:
    factors = [1]
    while max(width, height) / factors[-1] > TILE:
        factors.append(factors[-1] * 2)
    return {
        "@context": "http://iiif.io/api/image/3/context.json",
        "id": base_id, "type": "ImageService3", "protocol": "http://iiif.io/api/image",
        "profile": "level1", "width": width, "height": height,
        "tiles": [{"width": TILE, "height": TILE, "scaleFactors": factors}],
        "extraFormats": [], "extraQualities": [],
    }


class ImageCache:
    """Decoded images (LRU, a few) and rendered tiles (files under ``root``)."""

    def __init__(self, root: Path, keep: int = 6) -> None:
        self.root = root
        self.keep = keep
        self._images: OrderedDict[str, Image.Image] = OrderedDict()
        self._lock = threading.Lock()

    def image(self, path: Path) -> Image.Image:
        key = f"{path}:{path.stat().st_mtime_ns}"
        with self._lock:
            img = self._images.get(key)
            if img is not None:
                self._images.move_to_end(key)
                return img
        with Image.open(path) as im:
            im.load()
            img = im.convert("RGB") if im.mode not in ("RGB", "L") else im.copy()
        with self._lock:
            self._images[key] = img
            while len(self._images) > self.keep:
                self._images.popitem(last=False)
        return img

    def size(self, path: Path) -> tuple[int, int]:
        w, h = self.image(path).size
        return w, h

    def render(self, path: Path, region: str, size: str) -> bytes:
        """JPEG bytes of ``region`` scaled to ``size``; cached on disk."""
        digest = hashlib.sha256(f"{path}|{path.stat().st_mtime_ns}|{region}|{size}".encode())
        name = digest.hexdigest()
        cached = self.root / name[:2] / f"{name}.jpg"
        if cached.exists():
            return cached.read_bytes()
        img = self.image(path)
        x, y, w, h = parse_region(region, *img.size)
        tw, th = parse_size(size, w, h)
        tile = img.crop((x, y, x + w, y + h))
        if (tw, th) != (w, h):
            tile = tile.resize((tw, th), Image.Resampling.LANCZOS if tw * th < 1_000_000
                               else Image.Resampling.BILINEAR)
        buf = io.BytesIO()
        tile.save(buf, "JPEG", quality=85)
        data = buf.getvalue()
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(cached)
        return data


def crop_region(bbox: list[float] | None, aspect: float = 1.0, pad: float = 0.3) -> str | None:
    """IIIF ``pct:`` region of a relative bbox [x0, y0, x1, y1] with a margin around it.

    The margin is a fraction ``pad`` of the box's *height* on every side (``aspect`` =
    image width / height turns it into the same number of pixels across), so a crop
    shows the field's own line and not the lines above and below it: a fixed share of
    the page would be several text lines tall on a small field.
    """
    if not bbox or len(bbox) != 4:
        return None
    x0, y0, x1, y1 = (float(v) for v in bbox)
    if x1 <= x0 or y1 <= y0:
        return None
    my = pad * (y1 - y0)
    mx = max(my / aspect if aspect > 0 else my, 0.004)
    x0, y0 = max(0.0, x0 - mx), max(0.0, y0 - my)
    x1, y1 = min(1.0, x1 + mx), min(1.0, y1 + my)
    if x1 <= x0 or y1 <= y0:
        return None
    return f"pct:{x0 * 100:.3f},{y0 * 100:.3f},{(x1 - x0) * 100:.3f},{(y1 - y0) * 100:.3f}"
