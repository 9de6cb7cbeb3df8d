"""The review web app through FastAPI's TestClient: safety rules and audit trails."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from dangan.runtime import Runtime, build_runtime
from dangan.settings import Settings
from records.accounts import AccessLog
from records.db import FieldHistory, FieldRow, Page, PageImageHistory, RecordRow, SourceFile
from review_ui.app import create_app
from review_ui.testing import PASSWORD, Seeded, seed


@pytest.fixture()
def env(tmp_path: Path) -> Iterator[tuple[Runtime, Seeded, TestClient]]:
    rt = build_runtime(Settings(home=tmp_path / "home", ocr_engine="fake"))
    ids = seed(rt)
    with TestClient(create_app(runtime=rt)) as client:
        yield rt, ids, client
    rt.close()


def csrf_of(client: TestClient) -> str:
    page = client.get("/login").text
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m
    return m.group(1)


def login(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token (rotated at login)."""
    r = client.post("/login", data={"username": user, "password": password,
                                    "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    m = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/search").text)
    assert m
    return m.group(1)


def version_of(rt: Runtime, rid: str) -> int:
    with rt.db.session() as s:
        rec = s.get(RecordRow, rid)
        assert rec is not None
        return rec.version


def test_login_and_posts_need_the_csrf_token(env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    r = client.post("/login", data={"username": "rev", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF" in r.text
    token = login(client, "rev")
    body = {"value": "王建国", "version": version_of(rt, ids.marriage_id)}
    url = f"/api/records/{ids.marriage_id}/fields/male_name"
    assert client.post(url, json=body).status_code == 403
    assert client.post(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert version_of(rt, ids.marriage_id) == 1  # nothing was saved
    r = client.post(url, json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200, r.text


def test_login_rate_limit(env: tuple[Runtime, Seeded, TestClient]) -> None:
    _rt, _ids, client = env
    for _ in range(5):
        r = client.post("/login", data={"username": "rev", "password": "wrong-password",
                                        "csrf_token": csrf_of(client)})
        assert r.status_code == 401
    r = client.post("/login", data={"username": "rev", "password": PASSWORD,
                                    "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 429  # even the right password: the limit is checked first
    # another user from the same address is not locked out
    r = client.post("/login", data={"username": "reg", "password": PASSWORD,
                                    "csrf_token": csrf_of(client)}, follow_redirects=False)
    assert r.status_code == 303


def test_correction_and_approval_are_audited_and_reindexed(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    token = login(client, "rev")
    h = {"X-CSRF-Token": token}
    r = client.post(f"/api/records/{ids.marriage_id}/fields/male_name",
                    json={"value": "王建國", "version": 1, "seen": 0}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["value"] == "王建国" and r.json()["version"] == 2
    r = client.post(f"/api/records/{ids.marriage_id}/approve",
                    json={"version": 2, "seen": r.json()["seen"]}, headers=h)
    assert r.status_code == 200, r.text
    with rt.db.session() as s:
        rows = list(s.scalars(select(FieldHistory).where(
            FieldHistory.record_id == ids.marriage_id).order_by(FieldHistory.id)))
        rec = s.get(RecordRow, ids.marriage_id)
        field = s.scalar(select(FieldRow).where(FieldRow.record_id == ids.marriage_id,
                                                FieldRow.key == "male_name"))
        assert rec is not None and field is not None
        assert [(h.key, h.action, h.old_value, h.new_value, h.actor) for h in rows] == [
            ("male_name", "correct", "王建困", "王建国", "rev"),
            ("status", "approved", "needs_review", "approved", "rev")]
        assert (rec.status, rec.reviewed_by, rec.version) == ("approved", "rev", 3)
        assert rec.reviewed_at is not None and rec.indexed_version == 3
        assert field.original == "王建國" and not field.needs_review
    found = client.get("/search", params={"q": "王建国"}).text
    assert ids.marriage_id in found and "已审核" in found


def test_second_save_on_a_stale_version_is_a_conflict(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    other = TestClient(client.app)
    t1, t2 = login(client, "rev"), login(other, "rev2")
    url = f"/api/records/{ids.marriage_id}/fields/male_name"
    assert client.post(url, json={"value": "王建国", "version": 1, "seen": 0},
                       headers={"X-CSRF-Token": t1}).status_code == 200
    r = other.post(url, json={"value": "王健国", "version": 1, "seen": 0},
                   headers={"X-CSRF-Token": t2})
    assert r.status_code == 409
    body = r.json()
    assert "rev" in body["detail"] and body["version"] == 2
    assert [(c["actor"], c["old"], c["new"]) for c in body["changes"]] == [
        ("rev", "王建困", "王建国")]
    with rt.db.session() as s:
        value = s.scalar(select(FieldRow.value).where(FieldRow.record_id == ids.marriage_id,
                                                      FieldRow.key == "male_name"))
    assert value == "王建国"  # the first save stands


def test_unknown_field_and_bad_value_are_clear_errors(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    token = login(client, "rev")
    r = client.post(f"/records/{ids.marriage_id}/fields",
                    data={"key": "male_shoe_size", "value": "42", "version": 1, "seen": 0,
                          "csrf_token": token})
    assert r.status_code == 422 and "unknown field" in r.text and "male_shoe_size" in r.text
    r = client.post(f"/api/records/{ids.marriage_id}/fields/registration_date",
                    json={"value": "hello", "version": 1}, headers={"X-CSRF-Token": token})
    assert r.status_code == 422 and "date" in r.json()["detail"]
    r = client.post(f"/records/{ids.marriage_id}/fields",
                    data={"key": "female_age", "value": "二十五", "version": 1, "seen": 0,
                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    with rt.db.session() as s:
        assert s.scalar(select(FieldRow.value).where(FieldRow.record_id == ids.marriage_id,
                                                     FieldRow.key == "female_age")) == 25


def test_clerk_sees_masked_id_numbers(env: tuple[Runtime, Seeded, TestClient]) -> None:
    _rt, ids, client = env
    login(client, "clerk")
    page = client.get(f"/records/{ids.marriage_id}").text
    assert "110101********0015" in page and "110101194503120015" not in page
    # a clerk may not search by ID number: "found" would disclose it
    assert "ID number" in client.get("/search", params={"q": "110101194503120015"}).text
    other = TestClient(client.app)
    login(other, "reg")
    assert "110101194503120015" in other.get(f"/records/{ids.marriage_id}").text


def test_adoption_records_are_invisible_without_permission(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    _rt, ids, client = env
    login(client, "reg")
    assert client.get(f"/records/{ids.adoption_id}").status_code == 404
    assert client.get(f"/records/{ids.adoption_id}/extract").status_code == 404
    assert client.get(f"/iiif/{ids.adoption_page}.full/info.json").status_code == 404
    assert client.get(f"/iiif/{ids.adoption_page}.orig/full/max/0/default.jpg"
                      ).status_code == 404
    assert client.get(f"/records/{'0' * 24}").status_code == 404  # same answer as missing
    assert '<b id="total">0</b>' in client.get("/search", params={"q": "赵德明"}).text
    allowed = TestClient(client.app)
    login(allowed, "reg_adopt")
    assert allowed.get(f"/records/{ids.adoption_id}").status_code == 200
    assert '<b id="total">1</b>' in allowed.get("/search", params={"q": "赵德明"}).text
    assert allowed.get(f"/iiif/{ids.adoption_page}.full/info.json").status_code == 200


def test_views_and_searches_are_in_the_access_log(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    login(client, "reg")
    client.get(f"/records/{ids.marriage_id}")
    client.get(f"/iiif/{ids.marriage_page}.full/info.json")
    client.get("/search", params={"q": "李秀英"})
    with rt.db.session() as s:
        rows = [(r.actor, r.action, r.target, r.query, r.result_count)
                for r in s.scalars(select(AccessLog).order_by(AccessLog.id))]
    assert rows == [("reg", "record_view", ids.marriage_id, None, 1),
                    ("reg", "image_view", f"{ids.marriage_page}.full", None, None),
                    ("reg", "search", None, "李秀英", 1)]
    assert client.get("/admin/access-log").status_code == 403
    admin = TestClient(client.app)
    login(admin, "admin")
    page = admin.get("/admin/access-log", params={"actor": "reg", "action": "search"}).text
    assert "李秀英" in page and ids.marriage_id not in page


def test_rotation_requeues_the_page_and_keeps_the_old_image(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    token = login(client, "rev")
    with rt.db.session() as s:
        page = s.get(Page, ids.marriage_page)
        assert page is not None
        old_key, w, h = page.image_path, page.width, page.height
    r = client.post(f"/records/{ids.marriage_id}/page/rotate",
                    data={"degrees": 90, "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    with rt.db.session() as s:
        page = s.get(Page, ids.marriage_page)
        hist = list(s.scalars(select(PageImageHistory)))
        assert page is not None
        assert (page.state, page.image_version, page.width, page.height) == ("pending", 2, h, w)
        assert page.cleanup["manual"][0]["rotation"] == 90
        assert [(x.image_path, x.image_version, x.replaced_by) for x in hist] == [
            (old_key, 1, "rev")]
    assert rt.blobs.exists(old_key or "")


def test_clerk_upload_keeps_the_file_name_and_rescan_replaces_a_page(
        env: tuple[Runtime, Seeded, TestClient]) -> None:
    rt, ids, client = env
    token = login(client, "clerk")
    buf = io.BytesIO()
    Image.new("L", (800, 1100), 255).save(buf, "PNG")
    r = client.post("/books/upload", data={"book": "新卷", "csrf_token": token},
                    files=[("files", ("第1册 扫描.png", buf.getvalue(), "image/png"))])
    assert r.status_code == 200, r.text
    with rt.db.session() as s:
        names = set(s.scalars(select(SourceFile.original_name)))
    assert "第1册 扫描.png" in names
    r = client.post(f"/pages/{ids.marriage_page}/rescan", data={"csrf_token": token},
                    files={"file": ("rescan.png", buf.getvalue(), "image/png")},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    with rt.db.session() as s:
        page = s.get(Page, ids.marriage_page)
        assert page is not None and page.image_version == 2 and page.state == "pending"
    # the adoption page is not there for this clerk
    r = client.post(f"/pages/{ids.adoption_page}/rescan", data={"csrf_token": token},
                    files={"file": ("x.png", buf.getvalue(), "image/png")})
    assert r.status_code == 404
