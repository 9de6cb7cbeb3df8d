"""The review UI in real Chromium: keyboard review, search, adoption secrecy, conflicts, IME.

The app runs under uvicorn in a thread on a free port, against a temp home seeded
without OCR (``review_ui.testing.seed``); screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dangan.runtime import Runtime
from records.db import FieldRow, RecordRow
from review_ui.testing import MARRIAGE_FIELDS, PASSWORD, Seeded, add_page, add_record

pytestmark = pytest.mark.e2e

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - the dev extra installs it
    expect = None  # type: ignore[assignment]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@dataclass
class LiveApp:
    url: str
    rt: Runtime
    ids: Seeded


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    import uvicorn

    from dangan.runtime import build_runtime
    from dangan.settings import Settings
    from review_ui.app import create_app
    from review_ui.testing import seed

    home: Path = tmp_path_factory.mktemp("uihome")
    rt = build_runtime(Settings(home=home, ocr_engine="fake"))
    ids = seed(rt)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime=rt), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveApp(f"http://127.0.0.1:{port}", rt, ids)
    server.should_exit = True
    thread.join(10)
    rt.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    chromium = os.environ.get("DANGAN_CHROMIUM")
    if not chromium or not Path(chromium).exists():
        msg = "Chromium not available: set DANGAN_CHROMIUM (scripts/test.sh sets it)"
        if os.environ.get("DANGAN_REQUIRE_SERVICES") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True,
                              args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def login(browser: Any, app: Any, user: str) -> Any:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{app.url}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def db_value(app: Any, rid: str, key: str) -> Any:
    with app.rt.db.session() as s:
        return s.scalar(select(FieldRow.value).where(FieldRow.record_id == rid,
                                                     FieldRow.key == key))


def db_record(app: Any, rid: str) -> tuple[str, int]:
    with app.rt.db.session() as s:
        rec = s.get(RecordRow, rid)
        assert rec is not None
        return rec.status, rec.version


@pytest.fixture(scope="module")
def second(live_app: Any) -> str:
    """A second marriage record for the conflict and IME tests."""
    from review_ui.testing import _page_image

    pid = add_page(live_app.rt, 3, _page_image(3))
    return add_record(live_app.rt, pid, 3, "marriage", 0, MARRIAGE_FIELDS)


def test_keyboard_review_then_search(browser: Any, live_app: Any, artifacts: Path,
                                     second: str) -> None:
    ids = live_app.ids
    page = login(browser, live_app, "rev")
    page.goto(f"{live_app.url}/review")
    start = page.locator("#start")
    # the marriage record is the most doubtful one; the adoption record is not listed
    assert ids.adoption_id not in page.content()
    start.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/records/{ids.marriage_id}**")
    name = page.locator("#f-male_name")
    expect(name).to_be_focused()  # the first field that needs review
    page.wait_for_selector(".box.current", timeout=15000)  # scan loaded, boxes drawn
    page.keyboard.insert_text("王建国")  # replaces the selected text, like an IME commit
    page.keyboard.press("Enter")
    expect(page.locator("#version")).to_have_text("2")
    expect(page.locator("#f-male_age")).to_be_focused()  # Enter moved on
    assert db_value(live_app, ids.marriage_id, "male_name") == "王建国"
    page.wait_for_timeout(500)  # let the viewer settle on the current field
    page.screenshot(path=str(artifacts / "record-page.png"), full_page=True)
    page.keyboard.press("Escape")  # leave the input: single-key commands work now
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    page.keyboard.press("Control+Enter")  # approve
    page.wait_for_url(lambda url: ids.marriage_id not in url)
    assert db_record(live_app, ids.marriage_id) == ("approved", 3)
    page.context.close()

    reg = login(browser, live_app, "reg")
    reg.goto(f"{live_app.url}/search")
    reg.fill("input[name=q]", "王建国")
    reg.press("input[name=q]", "Enter")
    hit = reg.locator(".hit", has_text="王建国").first
    expect(hit).to_contain_text("已审核")
    expect(hit.locator("em")).to_have_text("王建国")
    reg.screenshot(path=str(artifacts / "search-page.png"), full_page=True)
    hit.locator("a").first.click()
    reg.wait_for_url(f"**/records/{ids.marriage_id}")
    expect(reg.locator("#f-male_name")).to_have_value("王建国")
    reg.context.close()


def test_registrar_without_adoption_permission_sees_nothing(browser: Any,
                                                            live_app: Any) -> None:
    ids = live_app.ids
    page = login(browser, live_app, "reg")
    response = page.goto(f"{live_app.url}/records/{ids.adoption_id}")
    assert response is not None and response.status == 404
    for url in (f"/iiif/{ids.adoption_page}.full/info.json",
                f"/iiif/{ids.adoption_page}.orig/full/max/0/default.jpg"):
        assert page.context.request.get(live_app.url + url).status == 404
    page.goto(f"{live_app.url}/search?q=赵德明")
    expect(page.locator("#total")).to_have_text("0")
    page.context.close()
    allowed = login(browser, live_app, "reg_adopt")
    allowed.goto(f"{live_app.url}/search?q=赵德明")
    expect(allowed.locator("#total")).to_have_text("1")
    allowed.context.close()


def test_two_reviewers_get_a_conflict_not_a_lost_update(browser: Any, live_app: Any,
                                                        second: str) -> None:
    a = login(browser, live_app, "rev")
    b = login(browser, live_app, "rev2")
    for p in (a, b):
        p.goto(f"{live_app.url}/records/{second}")
        expect(p.locator("#f-male_name")).to_be_focused()
    a.keyboard.insert_text("王建华")
    a.keyboard.press("Enter")
    expect(a.locator("#version")).to_have_text("2")
    b.keyboard.insert_text("王建民")
    b.keyboard.press("Enter")
    conflict = b.locator("#conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("rev")
    expect(conflict).to_contain_text("王建华")
    assert db_value(live_app, second, "male_name") == "王建华"
    expect(b.locator("#version")).to_have_text("1")
    a.context.close()
    b.context.close()


def test_enter_during_ime_composition_does_not_save(browser: Any, live_app: Any,
                                                    second: str) -> None:
    page = login(browser, live_app, "rev")
    page.goto(f"{live_app.url}/records/{second}")
    saves: list[str] = []
    page.on("request", lambda r: saves.append(r.url) if "/api/records/" in r.url else None)
    field = page.locator("#f-female_name")
    field.focus()
    _status, version = db_record(live_app, second)
    field.dispatch_event("compositionstart", {"data": ""})
    page.keyboard.insert_text("李秀")
    page.keyboard.press("Enter")  # confirms the candidate in a real IME: must not save
    page.wait_for_timeout(400)
    assert saves == []
    expect(field).to_be_focused()
    expect(field).to_have_value("李秀")  # characters kept
    page.keyboard.insert_text("兰")
    field.dispatch_event("compositionend", {"data": "李秀兰"})
    page.wait_for_timeout(300)  # the app clears its composing flag on a 0 ms timer
    page.keyboard.press("Enter")
    expect(page.locator("#version")).to_have_text(str(version + 1))
    assert len(saves) == 1
    assert db_value(live_app, second, "female_name") == "李秀兰"
    page.context.close()


def test_merge_then_split_by_keyboard(browser: Any, live_app: Any, artifacts: Path) -> None:
    from review_ui.testing import _page_image

    rt = live_app.rt
    pid = add_page(rt, 5, _page_image(5))
    first = add_record(rt, pid, 5, "marriage", 0, MARRIAGE_FIELDS)
    other = add_record(rt, pid, 5, "marriage", 1, [
        ("registration_date", "1972-05-04", "1972年5月4日", 0.97, False, [], [.55, .6, .9, .64]),
        ("male_name", "张国强", "张国强", 0.9, False, [], [.2, .7, .4, .75]),
        ("female_age", 25, "25", 0.92, False, [], [.6, .8, .7, .84])])
    page = login(browser, live_app, "rev")
    page.goto(f"{live_app.url}/records/{first}")
    expect(page.locator("#f-male_name")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("m")  # the merge menu: the other record of this page
    expect(page.locator("#merge-with")).to_be_focused()
    expect(page.locator("#merge-with")).to_have_value(other)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/records/{first}/merge?with={other}")
    keep_first = page.locator('input[name="choice:male_name"][value="first"]')
    expect(keep_first).to_be_focused()  # the one conflict, the first's value preselected
    page.keyboard.press("ArrowRight")  # keep the second record's reading instead
    expect(page.locator('input[name="choice:male_name"][value="second"]')).to_be_checked()
    page.screenshot(path=str(artifacts / "merge-preview.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/records/{first}")
    assert db_value(live_app, first, "male_name") == "张国强"
    assert db_value(live_app, first, "female_age") == 25
    with rt.db.session() as s:
        assert s.get(RecordRow, other) is None

    # split the wife's name off again: s, Tab to the field, Space, Enter
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    for _ in range(12):
        if page.evaluate("document.activeElement.value") == "female_name":
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: first not in url and "/records/" in url)
    new_id = page.url.rsplit("/", 1)[1]
    assert db_value(live_app, new_id, "female_name") == "李秀英"
    assert db_value(live_app, first, "female_name") is None
    with rt.db.session() as s:
        new = s.get(RecordRow, new_id)
        assert new is not None and new.reviewed_by == "rev" and new.page_id == pid
    page.context.close()
