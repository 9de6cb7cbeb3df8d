"""A small, fast data set for the web app's tests and benchmark: no OCR is run.

One book with two pages rendered by ``dangan.samplegen`` (real images in the
blob store, so the IIIF service and the crops have something to cut): page 1
holds a marriage record that needs review, page 2 an adoption record.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from typing import Any

from dangan.runtime import Runtime
from records.db import Book, FieldRow, OcrResult, Page, PageState, RecordRow, SourceFile
from records.export import iter_contract
from records.repository import book_id_for, page_id_for, record_id_for
from review_ui.accounts import add_user

PASSWORD = "correct horse battery"
SHA = "5eed" + "0" * 60
BOOK = "测试卷 1972"
# (key, value, original, confidence, needs_review, reasons, bbox)
MARRIAGE_FIELDS: list[tuple[str, Any, str, float, bool, list[str], list[float]]] = [
    ("registration_date", "1972-05-04", "1972年5月4日", 0.97, False, [], [.55, .12, .9, .16]),
    ("registry_office", "东城区革命委员会", "东城区革命委员会", 0.95, False, [],
     [.2, .12, .5, .16]),
    ("male_name", "王建困", "王建困", 0.41, True, ["low confidence"], [.2, .25, .4, .3]),
    ("female_name", "李秀英", "李秀英", 0.96, False, [], [.6, .25, .8, .3]),
    ("male_id_number", "110101194503120015", "110101194503120015", 0.93, False, [],
     [.2, .33, .6, .37]),
    ("male_age", 27, "27", 0.9, True, ["age and birth date disagree"], [.2, .4, .3, .44]),
]
ADOPTION_FIELDS: list[tuple[str, Any, str, float, bool, list[str], list[float]]] = [
    ("registration_date", "1985-03-02", "1985年3月2日", 0.9, False, [], [.5, .1, .9, .15]),
    ("adopter_name", "赵德明", "赵德明", 0.5, True, ["low confidence"], [.2, .2, .4, .25]),
    ("adoptee_name", "赵小红", "赵小红", 0.95, False, [], [.2, .3, .4, .35]),
]


@dataclass(frozen=True, slots=True)
class Seeded:
    book_id: str
    marriage_id: str
    adoption_id: str
    marriage_page: str
    adoption_page: str

    def image_id(self, page_id: str) -> str:
        return f"{page_id}.full"


def _page_image(seed: int) -> tuple[bytes, int, int]:
    from dangan.samplegen import render_page

    img, _records, _meta = render_page("form_party", random.Random(seed))
    img = img.convert("L")
    img.thumbnail((1400, 1400))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue(), img.width, img.height


def add_page(rt: Runtime, page_no: int, image: tuple[bytes, int, int]) -> str:
    data, width, height = image
    pid = page_id_for(SHA, page_no)
    key = rt.blobs.put_bytes(f"pages/{SHA[:2]}/{pid}/v1.jpg", data)
    clean = rt.blobs.put_bytes(f"clean/{pid}/v1.jpg", data)
    with rt.db.session() as s:
        s.add(Page(id=pid, file_sha256=SHA, book_id=book_id_for(BOOK), page_no=page_no,
                   state=PageState.DONE.value, image_path=key, width=width, height=height,
                   page_type="form", cleanup={}, flags=[]))
        s.flush()
        s.add(OcrResult(page_id=pid, half="", engine="fake",
                        data={"width": width, "height": height, "engine": "fake",
                              "lines": [], "image": clean}))
    return pid


def add_record(rt: Runtime, page_id: str, page_no: int, kind: str, slot: int,
               fields: list[tuple[str, Any, str, float, bool, list[str], list[float]]]) -> str:
    rid = record_id_for(SHA, page_no, None, None, slot)
    review = any(f[4] for f in fields)
    with rt.db.session() as s:
        s.add(RecordRow(id=rid, page_id=page_id, book_id=book_id_for(BOOK), kind=kind,
                        status="needs_review" if review else "auto_accepted", slot=slot,
                        review_score=min(c / 2 if nr else c for _, _, _, c, nr, _, _ in fields)))
        s.flush()
        for key, value, original, conf, nr, reasons, bbox in fields:
            s.add(FieldRow(record_id=rid, key=key, value=value, original=original,
                           confidence=conf, needs_review=nr, reasons=reasons, bbox=bbox))
    return rid


def seed(rt: Runtime, *, users: bool = True) -> Seeded:
    """The two-page book, indexed for search, plus one account per role (see PASSWORD)."""
    with rt.db.session() as s:
        s.add(Book(id=book_id_for(BOOK), name=BOOK, registry_office="东城区"))
        s.flush()
        s.add(SourceFile(sha256=SHA, book_id=book_id_for(BOOK), original_name="测试卷.pdf",
                         original_path="/dev/null", size=0, page_count=2))
    p1 = add_page(rt, 1, _page_image(1))
    p2 = add_page(rt, 2, _page_image(2))
    m = add_record(rt, p1, 1, "marriage", 0, MARRIAGE_FIELDS)
    a = add_record(rt, p2, 2, "adoption", 0, ADOPTION_FIELDS)
    with rt.db.session() as s:
        docs = list(iter_contract(s, include_book=True))
    rt.search().index(docs, refresh=True)
    if users:
        with rt.db.session() as s:
            for name, roles, adoption in (
                    ("admin", ["admin"], True), ("rev", ["reviewer"], False),
                    ("rev2", ["reviewer"], False), ("reg", ["registrar"], False),
                    ("reg_adopt", ["registrar"], True), ("clerk", ["clerk"], False)):
                add_user(s, name, PASSWORD, roles, may_see_adoption=adoption)
    return Seeded(book_id_for(BOOK), m, a, p1, p2)
