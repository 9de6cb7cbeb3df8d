"""Split and merge records on the review page: versions, audit, export, search, secrecy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from dangan.runtime import Runtime, build_runtime
from dangan.settings import Settings
from indexing.access import Viewer
from indexing.query import parse_query
from records.db import FieldHistory, FieldRow, Page, RecordRow
from records.export import iter_contract
from records.model import ExtractedField, ExtractedRecord, Kind
from records.repository import record_id_for, replace_page_records
from review_ui.app import create_app
from review_ui.editing import reindex
from review_ui.testing import (
    MARRIAGE_FIELDS,
    PASSWORD,
    SHA,
    Seeded,
    _page_image,
    add_page,
    add_record,
    seed,
)

# A second registration written on the marriage page: same date, a different
# reading of the husband's name (a conflict), and a field the first one lacks.
SECOND_FIELDS: list[tuple[str, Any, str, float, bool, list[str], list[float]]] = [
    ("registration_date", "1972-05-04", "1972年5月4日", 0.97, False, [], [.55, .62, .9, .66]),
    ("male_name", "张国强", "张国强", 0.9, False, [], [.2, .7, .4, .75]),
    ("female_age", 25, "25", 0.92, False, [], [.6, .8, .7, .84]),
]


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Runtime, Seeded, TestClient]]:
    rt = build_runtime(Settings(home=tmp_path / "home", ocr_engine="fake"))
    ids = seed(rt)
    with TestClient(create_app(runtime=rt)) as client:
        yield rt, ids, client
    rt.close()


def login(client: TestClient, user: str) -> dict[str, str]:
    """Log in; the headers a JSON call needs (the session's CSRF token)."""
    page = client.get("/login").text
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    r = client.post("/login", data={"username": user, "password": PASSWORD,
                                    "csrf_token": m.group(1)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/search").text)
    assert m
    return {"X-CSRF-Token": m.group(1)}


def fields_of(rt: Runtime, rid: str) -> dict[str, Any]:
    with rt.db.session() as s:
        return {f.key: f.value for f in s.scalars(select(FieldRow)
                                                  .where(FieldRow.record_id == rid))}


def record(rt: Runtime, rid: str) -> RecordRow | None:
    with rt.db.session() as s:
        return s.get(RecordRow, rid)


def history(rt: Runtime, rid: str) -> list[tuple[str, str, Any, Any, str]]:
    with rt.db.session() as s:
        return [(h.key, h.action, h.old_value, h.new_value, h.actor)
                for h in s.scalars(select(FieldHistory).where(FieldHistory.record_id == rid)
                                   .order_by(FieldHistory.id))]


def found(rt: Runtime, text: str) -> set[str]:
    res = rt.search().search(parse_query(text), Viewer(may_see_adoption=True, may_see_ids=True))
    return {h.id for h in res.hits}


def exported(rt: Runtime) -> dict[str, dict[str, Any]]:
    with rt.db.session() as s:
        return {d["id"]: d for d in iter_contract(s)}


def second_on_page_1(rt: Runtime, ids: Seeded) -> str:
    rid = add_record(rt, ids.marriage_page, 1, "marriage", 1, SECOND_FIELDS)
    assert reindex(rt, [rid])
    return rid


# --------------------------------------------------------------------------- split


def test_split_moves_the_chosen_fields_into_a_new_record(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    h = login(client, "rev")
    r = client.post(f"/api/records/{ids.marriage_id}/split",
                    json={"keys": ["female_name", "male_age"], "version": 1, "seen": 0},
                    headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    new_id = body["new_id"]
    assert new_id == record_id_for(SHA, 1, None, None, 1)  # next free slot of the page
    assert body["version"] == 2 and body["moved"] == ["male_age", "female_name"]  # form order
    assert body["indexed"] is True

    assert fields_of(rt, new_id) == {"female_name": "李秀英", "male_age": 27}
    assert set(fields_of(rt, ids.marriage_id)) == {
        "registration_date", "registry_office", "male_name", "male_id_number"}
    src, new = record(rt, ids.marriage_id), record(rt, new_id)
    assert src is not None and new is not None
    assert (src.version, src.reviewed_by) == (2, "rev")
    assert (new.kind, new.status, new.reviewed_by, new.page_id, new.slot) == (
        "marriage", "needs_review", "rev", ids.marriage_page, 1)
    assert new.bbox == [.2, .25, .8, .44]  # the moved fields' boxes
    assert history(rt, ids.marriage_id) == [
        ("record", "split", ids.marriage_id, new_id, "rev"),
        ("male_age", "split", 27, None, "rev"),
        ("female_name", "split", "李秀英", None, "rev")]
    assert history(rt, new_id) == [
        ("record", "split", ids.marriage_id, new_id, "rev"),
        ("male_age", "split", None, 27, "rev"),
        ("female_name", "split", None, "李秀英", "rev")]

    out = exported(rt)
    assert set(out[new_id]["fields"]) == {"female_name", "male_age"}
    assert "female_name" not in out[ids.marriage_id]["fields"]
    assert found(rt, "李秀英") == {new_id}  # the index follows the fields
    # the new record opens like any other, and the source's page offers it for merging
    assert client.get(f"/records/{new_id}").status_code == 200
    assert f'value="{new_id}"' in client.get(f"/records/{ids.marriage_id}").text

    # re-extracting the page does not undo the split: both records are reviewed
    with rt.db.session() as s:
        page = s.get(Page, ids.marriage_page)
        assert page is not None
        fields = {k: ExtractedField(k, v, o, c, nr, tuple(rs))
                  for k, v, o, c, nr, rs, _ in MARRIAGE_FIELDS}
        replace_page_records(s, page, [ExtractedRecord(Kind.MARRIAGE, fields, slot=0)])
    assert set(fields_of(rt, ids.marriage_id)) == {
        "registration_date", "registry_office", "male_name", "male_id_number"}
    assert fields_of(rt, new_id) == {"female_name": "李秀英", "male_age": 27}


def test_split_with_another_kind_and_bad_requests(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    h = login(client, "rev")
    url = f"/api/records/{ids.marriage_id}/split"
    for body, words in (
            ({"keys": [], "version": 1}, "choose the fields"),
            ({"keys": ["female_age"], "version": 1}, "no such field"),
            ({"keys": ["male_shoe_size"], "version": 1}, "male_shoe_size"),
            ({"keys": [k for k, *_ in MARRIAGE_FIELDS], "version": 1}, "at least one field"),
            ({"keys": ["female_name"], "kind": "adoption", "version": 1},
             "adoption permission"),
            ({"keys": ["female_name"], "kind": "funeral", "version": 1}, "unknown kind"),
            ({"keys": ["female_name"]}, "version")):
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert words in r.json()["detail"], (body, r.text)
    assert record(rt, ids.marriage_id).version == 1  # type: ignore[union-attr]
    r = client.post(url, json={"keys": ["female_name"], "kind": "divorce", "version": 1},
                    headers=h)
    assert r.status_code == 200, r.text
    new_id = r.json()["new_id"]
    assert record(rt, new_id).kind == "divorce"  # type: ignore[union-attr]
    assert ("kind", "split", "marriage", "divorce", "rev") in history(rt, new_id)


def test_split_form_redirects_to_the_new_record(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    token = login(client, "rev")["X-CSRF-Token"]
    page = client.get(f"/records/{ids.marriage_id}").text
    assert 'id="split-form"' in page and 'name="keys" value="female_name"' in page
    r = client.post(f"/records/{ids.marriage_id}/split",
                    data={"keys": ["female_name"], "kind": "marriage", "version": 1,
                          "seen": 0, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    new_id = r.headers["location"].rsplit("/", 1)[1]
    assert fields_of(rt, new_id) == {"female_name": "李秀英"}
    # the same form again, from the page as it was: a stale version
    r = client.post(f"/records/{ids.marriage_id}/split",
                    data={"keys": ["male_age"], "version": 1, "seen": 0, "csrf_token": token})
    assert r.status_code == 409 and "冲突" in r.text and "your change was not saved" in r.text
    assert "male_age" in fields_of(rt, ids.marriage_id)


# --------------------------------------------------------------------------- merge


def test_merge_fills_missing_keys_and_lists_conflicts(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = second_on_page_1(rt, ids)
    assert found(rt, "张国强") == {other}
    h = login(client, "rev")
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": other, "version": 1, "seen": 0, "other_version": 1},
                    headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["removed"] == other and body["version"] == 2 and body["indexed"] is True
    assert body["conflicts"] == [
        {"key": "male_name", "first": "王建困", "second": "张国强", "kept": "first"}]
    assert body["taken"] == ["female_age"]

    assert record(rt, other) is None
    merged = fields_of(rt, ids.marriage_id)
    assert merged["male_name"] == "王建困" and merged["female_age"] == 25
    assert merged["registration_date"] == "1972-05-04"
    with rt.db.session() as s:
        assert s.scalar(select(FieldRow.id).where(FieldRow.record_id == other)) is None
        age = s.scalar(select(FieldRow).where(FieldRow.record_id == ids.marriage_id,
                                              FieldRow.key == "female_age"))
        assert age is not None and age.bbox == [.6, .8, .7, .84]  # same page: box kept
    first = record(rt, ids.marriage_id)
    assert first is not None and first.reviewed_by == "rev" and first.version == 2
    assert history(rt, ids.marriage_id) == [
        ("female_age", "merge", None, 25, "rev"),
        ("record", "merge", other, ids.marriage_id, "rev")]
    [(key, action, old, new, actor)] = history(rt, other)
    assert (key, action, new, actor) == ("merged_into", "merge", ids.marriage_id, "rev")
    assert old["male_name"]["value"] == "张国强"  # what was thrown away stays on record

    out = exported(rt)
    assert other not in out and out[ids.marriage_id]["fields"]["female_age"]["value"] == 25
    assert len(out) == 2  # the marriage and the adoption record, nothing twice
    assert found(rt, "张国强") == set()
    assert found(rt, "李秀英") == {ids.marriage_id}
    assert client.get(f"/records/{other}").status_code == 404
    # the merged record's page shows the merge in its history
    assert "整条记录" in client.get(f"/records/{ids.marriage_id}").text


def test_merge_can_take_the_second_records_value(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = second_on_page_1(rt, ids)
    h = login(client, "rev")
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": other, "version": 1, "other_version": 1,
                          "choices": {"male_name": "second"}}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"][0]["kept"] == "second"
    assert fields_of(rt, ids.marriage_id)["male_name"] == "张国强"
    assert ("male_name", "merge", "王建困", "张国强", "rev") in history(rt, ids.marriage_id)
    assert found(rt, "张国强") == {ids.marriage_id}
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": other, "version": 2, "other_version": 1}, headers=h)
    assert r.status_code == 404  # it is gone


def test_merge_form_with_an_explicit_choice(env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = second_on_page_1(rt, ids)
    token = login(client, "rev")["X-CSRF-Token"]
    page = client.get(f"/records/{ids.marriage_id}").text
    assert 'id="merge-with"' in page and f'value="{other}"' in page
    preview = client.get(f"/records/{ids.marriage_id}/merge", params={"with": other})
    assert preview.status_code == 200, preview.text
    assert 'name="choice:male_name" value="second"' in preview.text
    r = client.post(f"/records/{ids.marriage_id}/merge",
                    data={"other": other, "version": 1, "seen": 0, "other_version": 1,
                          "other_seen": 0, "choice:male_name": "second",
                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/records/{ids.marriage_id}"
    assert fields_of(rt, ids.marriage_id)["male_name"] == "张国强"
    assert record(rt, other) is None


def test_stale_versions_are_a_conflict_and_change_nothing(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = second_on_page_1(rt, ids)
    h = login(client, "rev")
    peer = TestClient(client.app)
    h2 = login(peer, "rev2")
    # rev2 corrects the second record; rev still has version 1 of it
    r = peer.post(f"/api/records/{other}/fields/male_name",
                  json={"value": "张国栋", "version": 1, "seen": 0}, headers=h2)
    assert r.status_code == 200, r.text
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": other, "version": 1, "seen": 0, "other_version": 1,
                          "other_seen": 0}, headers=h)
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["record"] == other and other in body["detail"] and "rev2" in body["detail"]
    assert "not saved" in body["detail"] and body["version"] == 2
    assert [(c["actor"], c["old"], c["new"]) for c in body["changes"]] == [
        ("rev2", "张国强", "张国栋")]
    assert record(rt, other) is not None and record(rt, ids.marriage_id).version == 1  # type: ignore[union-attr]
    assert "female_age" not in fields_of(rt, ids.marriage_id)
    assert found(rt, "张国栋") == {other}
    # a stale version of the record being split
    r = peer.post(f"/api/records/{ids.marriage_id}/approve", json={"version": 1}, headers=h2)
    assert r.status_code == 200
    r = client.post(f"/api/records/{ids.marriage_id}/split",
                    json={"keys": ["female_name"], "version": 1, "seen": 0}, headers=h)
    assert r.status_code == 409 and "rev2" in r.json()["detail"]
    assert r.json()["record"] is None  # the record itself, not the other one
    assert "female_name" in fields_of(rt, ids.marriage_id)
    with rt.db.session() as s:
        assert s.scalar(select(RecordRow.id).where(RecordRow.slot == 2)) is None


def test_merge_across_pages_and_what_cannot_be_merged(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    p3 = add_page(rt, 3, _page_image(3))
    p4 = add_page(rt, 4, _page_image(4))
    top = add_record(rt, p3, 3, "marriage", 0, MARRIAGE_FIELDS[:3])
    rest = add_record(rt, p4, 4, "marriage", 0, MARRIAGE_FIELDS[3:])
    divorce = add_record(rt, p4, 4, "divorce", 1, SECOND_FIELDS)
    h = login(client, "rev")

    def merge(first: str, second: str) -> Any:
        v1, v2 = record(rt, first), record(rt, second)
        assert v1 is not None and v2 is not None
        return client.post(f"/api/records/{first}/merge",
                           json={"other": second, "version": v1.version,
                                 "other_version": v2.version}, headers=h)

    for first, second, words in (
            (top, top, "itself"),
            (rest, top, "next page"),  # the earlier record takes the later one
            (top, divorce, "different kinds"),
            (ids.marriage_id, top, "next page")):  # page 1 and page 3
        r = merge(first, second)
        assert r.status_code == 422 and words in r.json()["detail"], r.text
    page = client.get(f"/records/{top}").text
    assert f'value="{rest}"' in page and f'value="{divorce}"' not in page
    r = merge(top, rest)
    assert r.status_code == 200, r.text
    assert r.json()["conflicts"] == []
    assert set(fields_of(rt, top)) == {k for k, *_ in MARRIAGE_FIELDS}
    with rt.db.session() as s:
        boxes = {f.key: f.bbox for f in s.scalars(select(FieldRow)
                                                   .where(FieldRow.record_id == top))}
    assert boxes["registration_date"] is not None
    assert boxes["female_name"] is None  # read on page 4: no box on page 3's scan
    assert record(rt, rest) is None


def test_adoption_records_are_not_there_for_reviewers_without_permission(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    h = login(client, "rev")
    r = client.post(f"/api/records/{ids.adoption_id}/split",
                    json={"keys": ["adoptee_name"], "version": 1}, headers=h)
    assert r.status_code == 404
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": ids.adoption_id, "version": 1, "other_version": 1},
                    headers=h)
    assert r.status_code == 404  # not "different kinds": that would say it exists
    r = client.get(f"/records/{ids.marriage_id}/merge", params={"with": ids.adoption_id})
    assert r.status_code == 404
    r = client.post(f"/api/records/{'0' * 24}/split",
                    json={"keys": ["male_name"], "version": 1}, headers=h)
    assert r.status_code == 404
    assert fields_of(rt, ids.adoption_id)["adoptee_name"] == "赵小红"
    # registrars may not restructure at all
    reg = TestClient(client.app)
    hr = login(reg, "reg_adopt")
    r = reg.post(f"/api/records/{ids.marriage_id}/split",
                 json={"keys": ["female_name"], "version": 1}, headers=hr)
    assert r.status_code == 403
    # an admin (adoption permission) may split an adoption record
    admin = TestClient(client.app)
    ha = login(admin, "admin")
    r = admin.post(f"/api/records/{ids.adoption_id}/split",
                   json={"keys": ["adoptee_name"], "version": 1}, headers=ha)
    assert r.status_code == 200, r.text
    assert record(rt, r.json()["new_id"]).kind == "adoption"  # type: ignore[union-attr]


def test_reextraction_does_not_bring_back_a_merged_record(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = second_on_page_1(rt, ids)
    h = login(client, "rev")
    r = client.post(f"/api/records/{ids.marriage_id}/merge",
                    json={"other": other, "version": 1, "other_version": 1}, headers=h)
    assert r.status_code == 200, r.text
    with rt.db.session() as s:
        page = s.get(Page, ids.marriage_page)
        assert page is not None
        mk = {k: ExtractedField(k, v, o, c, nr, tuple(rs)) for k, v, o, c, nr, rs, _ in
              MARRIAGE_FIELDS}
        sk = {k: ExtractedField(k, v, o, c, nr, tuple(rs)) for k, v, o, c, nr, rs, _ in
              SECOND_FIELDS}
        replace_page_records(s, page, [ExtractedRecord(Kind.MARRIAGE, mk, slot=0),
                                       ExtractedRecord(Kind.MARRIAGE, sk, slot=1)])
    assert record(rt, other) is None
