"""Scan degradation: what decades in a cabinet and a flatbed scanner do to a page.

Yellowed paper, faded ink, a red seal over a value, noise, blur, skew, whole-page
rotation and JPEG artefacts. Parameters are drawn per page from a seeded rng and
returned with the image so the truth can say exactly what was done.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from .fonts import font
from .model import CleanPage

SEAL_RED = np.array([0.80, 0.12, 0.12], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class ScanParams:
    """One page's degradation; ``rotation`` is clockwise degrees (0/90/180/270)."""

    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    fade: float = 1.0  # ink contrast kept, 1.0 = untouched
    noise: float = 0.0  # gaussian sigma, grey levels
    blur: float = 0.0  # gaussian sigma, pixels at 200 dpi
    skew: float = 0.0  # degrees, counter-clockwise positive
    rotation: int = 0
    seal: bool = False
    grayscale: bool = False
    jpeg_quality: int | None = None


def random_scan_params(rng: random.Random, *, rotation: int | None = None,
                       mild: bool = False) -> ScanParams:
    """Varied degradation; ``mild`` keeps demo pages comfortably readable."""
    yellow = rng.uniform(0.0, 0.10 if mild else 0.18)
    return ScanParams(
        tint=(1.0 - yellow * 0.25, 1.0 - yellow * 0.55, 1.0 - yellow * 1.4),
        fade=rng.uniform(0.8 if mild else 0.6, 1.0),
        noise=rng.uniform(1.0, 5.0 if mild else 9.0),
        blur=rng.uniform(0.0, 0.6 if mild else 1.1),
        skew=rng.uniform(-1.5, 1.5) if mild else rng.uniform(-3.0, 3.0),
        rotation=rotation if rotation is not None else
        (rng.choice((90, 180, 270)) if rng.random() < 0.08 else 0),
        seal=rng.random() < 0.6,
        grayscale=rng.random() < 0.15,
        jpeg_quality=rng.randint(45, 85) if rng.random() < 0.5 else None,
    )


def make_seal(text: str, diameter: int, rng: random.Random) -> np.ndarray:
    """Alpha mask (0..1) of an official seal: ring, star, name along the upper arc."""
    im = Image.new("L", (diameter, diameter), 0)
    d = ImageDraw.Draw(im)
    ring = max(2, diameter // 28)
    d.ellipse((ring, ring, diameter - ring, diameter - ring), outline=255, width=ring)
    c, r_star = diameter / 2, diameter * 0.17
    pts = [(c + (r_star if i % 2 == 0 else r_star * 0.4) * math.sin(i * math.pi / 5),
            c - (r_star if i % 2 == 0 else r_star * 0.4) * math.cos(i * math.pi / 5))
           for i in range(10)]
    d.polygon(pts, fill=255)
    text = text[:16]
    size = max(10, int(diameter * 0.11))
    f = font("sans_sc", size)
    radius = diameter / 2 - ring * 2 - size * 0.7
    span = min(math.radians(250), len(text) * size * 1.1 / radius)
    for i, ch in enumerate(text):
        angle = -span / 2 + span * (i + 0.5) / len(text)
        glyph = Image.new("L", (size * 2, size * 2), 0)
        ImageDraw.Draw(glyph).text((size, size), ch, font=f, fill=255, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle), resample=Image.Resampling.BILINEAR)
        x = c + radius * math.sin(angle) - size
        y = c - radius * math.cos(angle) - size
        im.paste(255, (int(x), int(y)), glyph)
    mask = np.asarray(im, dtype=np.float32) / 255.0
    return mask * rng.uniform(0.55, 0.85)


def _stamp(arr: np.ndarray, page: CleanPage, rng: random.Random) -> None:
    """Multiply a red seal over one of the page's seal spots (uint8 array, in place)."""
    diameter = round(page.dpi * rng.uniform(1.35, 1.7))  # ~38 mm, like real seals
    mask = make_seal(page.seal_text or "婚姻登记专用章", diameter, rng)
    cx, cy = rng.choice(page.seal_spots)
    x0 = int(cx - diameter / 2 + rng.uniform(-0.2, 0.2) * diameter)
    y0 = int(cy - diameter / 2 + rng.uniform(-0.2, 0.2) * diameter)
    h, w = arr.shape[:2]
    sx0, sy0, sx1, sy1 = max(0, x0), max(0, y0), min(w, x0 + diameter), min(h, y0 + diameter)
    if sx1 <= sx0 or sy1 <= sy0:
        return
    m = mask[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0, None]
    window = arr[sy0:sy1, sx0:sx1].astype(np.float32) * (1.0 - m * (1.0 - SEAL_RED))
    arr[sy0:sy1, sx0:sx1] = window.astype(np.uint8)


def _paper(shape: tuple[int, int], tint: tuple[float, float, float],
           nprng: np.random.Generator) -> np.ndarray:
    """Paper colour (uint8 RGB) with slow blotchy variation.

    Built at 1/8 size and scaled up: the blotches are smooth anyway, and full-size
    float maths would dominate generation time.
    """
    h, w = shape
    low = nprng.normal(0.0, 0.025, size=(9, 7)).astype(np.float32)
    small = cv2.resize(low, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_CUBIC)
    tinted = (1.0 + small)[:, :, None] * np.asarray(tint, dtype=np.float32) * 255.0
    return cv2.resize(np.clip(tinted, 0, 255).astype(np.uint8), (w, h),
                      interpolation=cv2.INTER_LINEAR)


def degrade(page: CleanPage, params: ScanParams, rng: random.Random) -> Image.Image:
    """Apply ``params`` to a clean page; the result looks like a scan of it.

    Done in uint8 with OpenCV (LUT, multiply, add with saturation) because float
    numpy passes over 300 dpi pages made generation several times slower.
    """
    nprng = np.random.default_rng(rng.getrandbits(64))
    arr: np.ndarray = np.array(page.image.convert("RGB"), dtype=np.uint8)
    lut = (255.0 - (255.0 - np.arange(256, dtype=np.float32)) * params.fade).astype(np.uint8)
    arr = cv2.LUT(arr, lut)
    if params.seal and page.seal_spots:
        _stamp(arr, page, rng)
    arr = cv2.multiply(arr, _paper(arr.shape[:2], params.tint, nprng), scale=1 / 255)
    if params.blur > 0.05:
        arr = cv2.GaussianBlur(arr, (0, 0), params.blur * page.dpi / 200)
    if params.noise > 0:
        noise = np.empty(arr.shape[:2], dtype=np.int16)
        cv2.setRNGSeed(int(nprng.integers(0, 2**31 - 1)))
        cv2.randn(noise, np.zeros(1), np.full(1, params.noise))
        arr = cv2.add(arr, cv2.merge([noise, noise, noise]), dtype=cv2.CV_8U)
    out: np.ndarray = _skew(arr, params.skew, params.tint)
    out = np.ascontiguousarray(np.rot90(out, k=-(params.rotation // 90)))
    if params.grayscale:
        out = cv2.cvtColor(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    if params.jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, params.jpeg_quality])
        decoded = cv2.imdecode(buf, cv2.IMREAD_UNCHANGED) if ok else None
        if decoded is not None:
            out = decoded
    return Image.fromarray(out)


def _skew(img: np.ndarray, degrees: float, tint: tuple[float, float, float]) -> np.ndarray:
    """Rotate by a few degrees around the centre, filling corners with paper colour."""
    if abs(degrees) < 0.01:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    fill = tuple(int(255 * t * 0.97) for t in tint)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
