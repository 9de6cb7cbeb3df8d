"""The repository layer (leases, records) on SQLite and PostgreSQL, the same tests.

PostgreSQL gets a fresh database per module on the test server (scripts/services.sh).
The concurrency tests race real threads, each with its own connection, for the same
pages: a guarded UPDATE must hand every page to exactly one of them.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import require_env
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from records.database import Database
from records.db import Book, Page, PageState, RecordRow, SourceFile, utcnow
from records.model import ExtractedField, ExtractedRecord, Kind
from records.repository import (
    claim_page,
    extend_lease,
    finish_page,
    recover_expired,
    release_page,
    replace_page_records,
)

pytestmark = pytest.mark.integration

OCR, EXTRACT = PageState.OCR_RUNNING, PageState.EXTRACT_RUNNING


def fresh_pg_database(base_url: str) -> tuple[str, str]:
    """CREATE DATABASE with a random name; returns (sqlalchemy url, name)."""
    import psycopg

    name = f"dangan_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    root = base_url.rsplit("/", 1)[0]
    return f"{root}/{name}", name


def drop_pg_database(base_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    if request.param == "sqlite":
        d = Database(f"sqlite:///{tmp_path_factory.mktemp('repo') / 'repo.db'}")
        yield d
        d.dispose()
        return
    base = require_env("DANGAN_TEST_DATABASE_URL", "PostgreSQL")
    url, name = fresh_pg_database(base)
    d = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        yield d
    finally:
        d.dispose()
        drop_pg_database(base, name)


def make_pages(db: Database, n: int, state: PageState = PageState.PENDING) -> list[str]:
    sha = uuid.uuid4().hex * 2
    with db.session() as s:
        book = Book(id=sha[:16], name=f"book-{sha[:8]}")
        s.add(book)
        s.add(SourceFile(sha256=sha, book_id=book.id, original_name="b.pdf",
                         original_path="/b.pdf", size=1))
        s.flush()
        ids = [f"{sha[:20]}-{i:04d}" for i in range(n)]
        s.add_all(Page(id=pid, file_sha256=sha, book_id=book.id, page_no=i, state=state,
                       image_path=f"pages/{pid}.png") for i, pid in enumerate(ids))
    return ids


def page(db: Database, pid: str) -> Page:
    with db.session() as s:
        p = s.get(Page, pid)
        assert p is not None
        return p


def expire(db: Database, pid: str) -> None:
    with db.session() as s:
        s.execute(update(Page).where(Page.id == pid)
                  .values(lease_until=utcnow() - timedelta(seconds=30)))


def test_claim_is_exclusive_and_finish_needs_the_owner(db: Database) -> None:
    (pid,) = make_pages(db, 1)
    with db.session() as s:
        assert claim_page(s, pid, OCR, "w1", 60)
    with db.session() as s:
        assert not claim_page(s, pid, OCR, "w2", 60)
        assert not finish_page(s, pid, OCR, "w2", PageState.OCR_DONE)
        assert not claim_page(s, pid, EXTRACT, "w2", 60), "not OCR'd yet"
    p = page(db, pid)
    assert (p.state, p.lease_owner, p.attempts) == (OCR, "w1", 1)
    assert p.lease_until is not None and p.lease_until > utcnow() + timedelta(seconds=50)
    with db.session() as s:
        assert finish_page(s, pid, OCR, "w1", PageState.OCR_DONE)
        assert not finish_page(s, pid, OCR, "w1", PageState.OCR_DONE), "finished twice"
    with db.session() as s:
        assert claim_page(s, pid, EXTRACT, "w2", 60)
    assert page(db, pid).lease_until is not None


def test_expired_lease_moves_to_the_next_worker_and_the_old_one_loses(db: Database) -> None:
    (pid,) = make_pages(db, 1)
    with db.session() as s:
        assert claim_page(s, pid, OCR, "dead-worker", 60)
    expire(db, pid)
    with db.session() as s:
        assert claim_page(s, pid, OCR, "w2", 60)
    with db.session() as s:
        assert not extend_lease(s, pid, OCR, "dead-worker", 60)
        assert not finish_page(s, pid, OCR, "dead-worker", PageState.OCR_DONE)
        assert not release_page(s, pid, OCR, "dead-worker", PageState.PENDING)
        assert finish_page(s, pid, OCR, "w2", PageState.OCR_DONE)
    assert page(db, pid).attempts == 2


def test_the_same_owner_takes_back_its_own_live_lease(db: Database) -> None:
    """A retried message (same owner) after an error that left the page claimed."""
    (pid,) = make_pages(db, 1)
    with db.session() as s:
        assert claim_page(s, pid, OCR, "host:1:msg-a", 60)
    with db.session() as s:
        assert not claim_page(s, pid, OCR, "host:1:msg-b", 60)
        assert claim_page(s, pid, OCR, "host:1:msg-a", 60)
    assert page(db, pid).attempts == 2


def test_heartbeat_extends_only_the_owners_lease(db: Database) -> None:
    (pid,) = make_pages(db, 1)
    with db.session() as s:
        assert claim_page(s, pid, OCR, "w1", 5)
    before = page(db, pid).lease_until
    with db.session() as s:
        assert extend_lease(s, pid, OCR, "w1", 120)
        assert not extend_lease(s, pid, OCR, "w2", 120)
        assert not extend_lease(s, pid, EXTRACT, "w1", 120)
    after = page(db, pid).lease_until
    assert before is not None and after is not None
    assert after - before > timedelta(seconds=100)


def test_recover_expired_requeues_then_dead_letters(db: Database) -> None:
    live, expired, worn_out, extracting = make_pages(db, 4)
    with db.session() as s:
        for pid in (live, expired, worn_out):
            assert claim_page(s, pid, OCR, f"w-{pid}", 60)
        s.execute(update(Page).where(Page.id == worn_out).values(attempts=3))
        s.execute(update(Page).where(Page.id == extracting).values(state=PageState.OCR_DONE))
        assert claim_page(s, extracting, EXTRACT, "w-x", 60)
    for pid in (expired, worn_out, extracting):
        expire(db, pid)
    with db.session() as s:
        rec = recover_expired(s, max_attempts=3)
    assert set(rec.requeued) >= {expired, extracting} and worn_out in rec.dead
    assert live not in rec.requeued + rec.dead
    assert page(db, live).state == OCR
    assert page(db, expired).state == PageState.PENDING
    assert page(db, extracting).state == PageState.OCR_DONE
    dead = page(db, worn_out)
    assert dead.state == PageState.DEAD and dead.lease_owner is None
    assert dead.error and "dangan retry" in dead.error
    with db.session() as s:
        again = recover_expired(s, max_attempts=3)
    assert not set(again.requeued + again.dead) & {live, expired, worn_out, extracting}


@pytest.mark.parametrize("stage", [OCR, EXTRACT])
def test_racing_workers_claim_every_page_exactly_once(db: Database, stage: PageState) -> None:
    waiting = PageState.PENDING if stage == OCR else PageState.OCR_DONE
    pids = make_pages(db, 40, waiting)
    wins: Counter[str] = Counter()
    lock = threading.Lock()
    go = threading.Barrier(8)

    def race(n: int) -> None:
        go.wait()
        for pid in pids:
            with db.session() as s:
                if claim_page(s, pid, stage, f"w{n}", 60):
                    with lock:
                        wins[pid] += 1

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wins == Counter({pid: 1 for pid in pids})
    with db.session() as s:
        attempts = s.scalars(select(Page.attempts).where(Page.id.in_(pids))).all()
    assert set(attempts) == {1}


def test_racing_recovery_and_claims_never_share_a_page(db: Database) -> None:
    """Expired leases taken back by `process` while workers grab them: one owner each."""
    pids = make_pages(db, 30)
    with db.session() as s:
        for pid in pids:
            claim_page(s, pid, OCR, "killed", 60)
    for pid in pids:
        expire(db, pid)
    owners: dict[str, list[str]] = {pid: [] for pid in pids}
    lock = threading.Lock()
    go = threading.Barrier(5)

    def worker(n: int) -> None:
        go.wait()
        for r in range(3):  # a new owner each round: a new message
            for pid in pids:
                with db.session() as s:
                    if claim_page(s, pid, OCR, f"w{n}-{r}", 60):
                        with lock:
                            owners[pid].append(f"w{n}-{r}")

    def recoverer() -> None:
        go.wait()
        for _ in range(10):
            with db.session() as s:
                recover_expired(s, max_attempts=5)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    threads.append(threading.Thread(target=recoverer))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(len(v) == 1 for v in owners.values()), owners
    with db.session() as s:
        held = dict(s.execute(select(Page.id, Page.lease_owner).where(Page.id.in_(pids))).all())
    assert {pid: held[pid] for pid in pids} == {pid: v[0] for pid, v in owners.items()}


def _records(n: int) -> list[ExtractedRecord]:
    return [ExtractedRecord(Kind.MARRIAGE, {"male_name": ExtractedField(
        "male_name", f"王{i}", f"王{i}", 0.9)}, row=i) for i in range(n)]


def test_records_have_stable_ids_and_rerunning_never_duplicates(db: Database) -> None:
    (pid,) = make_pages(db, 1)
    for n in (3, 3, 2):
        with db.session() as s:
            p = s.get(Page, pid)
            assert p is not None
            replace_page_records(s, p, _records(n))
    with db.session() as s:
        ids = s.scalars(select(RecordRow.id).where(RecordRow.page_id == pid)
                        .order_by(RecordRow.row)).all()
    assert len(ids) == 2 == len(set(ids))
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(RecordRow(id=ids[0], page_id=pid, book_id=page(db, pid).book_id, kind="marriage",
                        status="auto_accepted"))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(RecordRow)
                        .where(RecordRow.page_id == pid)) == 2


def test_sqlite_and_postgresql_urls(tmp_path: Path) -> None:
    """A plain postgresql:// URL means psycopg 3 (no driver name needed)."""
    from dangan.settings import Settings

    s = Settings(home=tmp_path, database_url="postgresql://u@h:5/db")
    assert s.resolved_database_url == "postgresql+psycopg://u@h:5/db"
    assert Settings(home=tmp_path).resolved_database_url.startswith("sqlite:///")
