"""Where every exported value came from, and who vouched for it.

Per field: the page image and box it was read from (relative and in pixels of
the clean image in the package), the OCR text under that box, the text as
written, the canonical value, and the audit trail of changes (who, when, old →
new). Per record: its status and who reviewed it when.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from national.archive import Region
from ocr.types import BBox, OcrPage
from records.db import FieldHistory, FieldRow, RecordRow


def _overlap(a: BBox, b: BBox) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    if w <= 0 or h <= 0:
        return 0.0
    smaller = min(a.width * a.height, b.width * b.height) or 1e-9
    return w * h / smaller


def ocr_text_under(ocr: OcrPage, box: BBox) -> str:
    """The OCR lines that the field's box covers, in reading order."""
    return " ".join(ln.text for ln in ocr.lines if _overlap(ln.bbox, box) >= 0.3)


def record_provenance(s: Session, records: Sequence[RecordRow], contracts: Mapping[str, Any],
                      regions: Mapping[tuple[str, str], Region]) -> dict[str, dict[str, Any]]:
    """Provenance of each record, keyed by record id."""
    ids = [r.id for r in records]
    fields: dict[str, list[FieldRow]] = defaultdict(list)
    for f in s.scalars(select(FieldRow).where(FieldRow.record_id.in_(ids))):
        fields[f.record_id].append(f)
    history: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for h in s.scalars(select(FieldHistory).where(FieldHistory.record_id.in_(ids))
                       .order_by(FieldHistory.at, FieldHistory.id)):
        history[(h.record_id, h.key)].append(
            {"action": h.action, "old": h.old_value, "new": h.new_value, "actor": h.actor,
             "at": h.at.isoformat()})
    out: dict[str, dict[str, Any]] = {}
    for rec in records:
        region = regions.get((rec.page_id, rec.half or ""))
        src = dict(contracts[rec.id]["source"])
        if region is not None:
            src.update(image=f"images/{region.name}.jpg", alto=f"alto/{region.name}.xml")
        per_field: dict[str, Any] = {}
        for f in fields[rec.id]:
            entry: dict[str, Any] = {"value": f.value, "original": f.original,
                                     "confidence": round(float(f.confidence), 4),
                                     "bbox": f.bbox, "reasons": list(f.reasons or [])}
            if f.bbox and region is not None:
                box = BBox.from_list(f.bbox)
                entry["bbox_pixels"] = list(box.to_pixels(region.ocr.width, region.ocr.height))
                entry["ocr_text"] = ocr_text_under(region.ocr, box)
            entry["history"] = history.get((rec.id, f.key), [])
            per_field[f.key] = entry
        record_history = history.get((rec.id, ""), [])
        out[rec.id] = {
            "id": rec.id, "status": rec.status, "version": rec.version,
            "reviewed_by": rec.reviewed_by,
            "reviewed_at": rec.reviewed_at.isoformat() if rec.reviewed_at else None,
            "accepted_by": rec.reviewed_by or ("auto" if rec.status == "auto_accepted" else None),
            "source": src, "fields": per_field, "history": record_history,
        }
    return out
