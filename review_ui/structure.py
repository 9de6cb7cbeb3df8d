"""Page-level fixes: not a record page, rotate, replace by a re-scan.

A rotation or re-scan never edits an image in place: the new picture gets a new
blob key, the old key goes to ``PageImageHistory``, ``image_version`` goes up and
the page goes back to ``pending`` so the pipeline cleans, reads and extracts it
again (records a reviewer already touched are kept by ``replace_page_records``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest.blobstore import BlobStore
from ingest.sources import Limits
from records.db import Page, PageImageHistory, PageState, RecordRow, utcnow
from records.model import PageType, RecordStatus
from review_ui.accounts import Principal
from review_ui.editing import EditError, audit

_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "TIFF": ".tif"}


class PageBusy(Exception):
    """The pipeline holds the page right now; try again when it is done."""


def _check_idle(page: Page) -> None:
    if PageState(page.state).running:
        raise PageBusy(f"page {page.page_no} is being processed right now; try again in a minute")


def mark_non_record(s: Session, user: Principal, page: Page, page_type: str) -> list[str]:
    """The page holds no record (cover, blank, back side): its records are rejected."""
    if page_type not in (PageType.COVER.value, PageType.BLANK.value, PageType.UNKNOWN.value):
        raise EditError(f"page type must be cover, blank or unknown (got {page_type!r})")
    _check_idle(page)
    old = page.page_type
    page.page_type = page_type
    page.flags = [*(page.flags or []), f"non_record_by:{user.username}"]
    ids = []
    for rec in s.scalars(select(RecordRow).where(RecordRow.page_id == page.id)):
        audit(s, rec.id, "status", "page_non_record", rec.status, RecordStatus.REJECTED.value,
              user.username)
        audit(s, rec.id, "page_type", "page_non_record", old, page_type, user.username)
        rec.status = RecordStatus.REJECTED.value
        rec.reviewed_by, rec.reviewed_at = user.username, utcnow()
        rec.version += 1
        ids.append(rec.id)
    return ids


def _store(blobs: BlobStore, key: str, src: Path) -> None:
    dst = blobs.path(key)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".tmp-")
    os.close(fd)
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _new_version(s: Session, blobs: BlobStore, page: Page, src: Path, ext: str,
                 size: tuple[int, int], user: Principal, cleanup_note: dict[str, Any]) -> str:
    assert page.image_path
    version = page.image_version + 1
    key = f"pages/{page.file_sha256[:2]}/{page.id}/v{version}{ext}"
    _store(blobs, key, src)
    s.add(PageImageHistory(page_id=page.id, image_path=page.image_path,
                           image_version=page.image_version, replaced_by=user.username))
    cleanup = dict(page.cleanup or {})
    cleanup["manual"] = [*cleanup.get("manual", []),
                         {**cleanup_note, "by": user.username, "at": utcnow().isoformat(),
                          "image_version": version}]
    cleanup.pop("steps", None)  # the pipeline writes the steps for the new image
    page.cleanup = cleanup
    page.image_path, page.image_version = key, version
    page.width, page.height = size
    page.state, page.error, page.attempts = PageState.PENDING.value, None, 0
    page.lease_owner, page.lease_until = None, None
    for rec in s.scalars(select(RecordRow).where(RecordRow.page_id == page.id)):
        audit(s, rec.id, "page_image", cleanup_note["what"], None, key, user.username)
    return key


def rotate_page(s: Session, blobs: BlobStore, user: Principal, page: Page, degrees: int
                ) -> str:
    """Rotate clockwise by 90/180/270 and re-queue; the rotation is kept in ``cleanup``."""
    if degrees not in (90, 180, 270):
        raise EditError("rotate by 90, 180 or 270 degrees")
    _check_idle(page)
    assert page.image_path
    with Image.open(blobs.path(page.image_path)) as im:
        fmt = im.format or "PNG"
        turned = im.rotate(-degrees, expand=True)
    ext = _FORMATS.get(fmt, ".png")
    with tempfile.NamedTemporaryFile(suffix=ext, delete=False) as tmp:
        turned.save(tmp, fmt if fmt in _FORMATS else "PNG", **({"quality": 95}
                                                               if fmt == "JPEG" else {}))
    try:
        return _new_version(s, blobs, page, Path(tmp.name), ext, turned.size, user,
                            {"what": "rotate", "rotation": degrees})
    finally:
        os.unlink(tmp.name)


def check_image(path: Path, limits: Limits) -> tuple[str, tuple[int, int]]:
    """Extension and size of an uploaded page image; EditError if it is not a usable scan."""
    try:
        with Image.open(path) as im:
            fmt, size = im.format or "", im.size
            im.verify()
    except Exception as e:
        raise EditError(f"not an image Pillow can read: {e}") from e
    if fmt not in _FORMATS:
        raise EditError(f"page images must be JPEG, PNG or TIFF (got {fmt or 'unknown'})")
    if size[0] * size[1] > limits.max_pixels or min(size) < limits.min_side:
        raise EditError(f"image size {size[0]}x{size[1]} is outside the limits")
    return _FORMATS[fmt], size


def rescan_page(s: Session, blobs: BlobStore, limits: Limits, user: Principal, page: Page,
                src: Path, file_name: str) -> str:
    _check_idle(page)
    ext, size = check_image(src, limits)
    return _new_version(s, blobs, page, src, ext, size, user,
                        {"what": "rescan", "file": file_name})

