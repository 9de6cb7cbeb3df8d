"""`dangan process`: send every unfinished page through the stages and follow it.

The loop reads page states from the database and (re-)sends what is missing, in
bounded chunks (backpressure), so a crash, a lost message or a restarted broker
only delays work. In embedded mode the workers are threads of this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq
from sqlalchemy import func, select

from dangan.jobs import Actors, make_broker, register_actors
from dangan.runtime import Runtime, default_workers
from records.db import Page, PageState, RecordRow
from records.repository import pages_in_states, reset_running

UNFINISHED = (PageState.PENDING, PageState.OCR_RUNNING, PageState.OCR_DONE,
              PageState.EXTRACT_RUNNING)
FINISHED = (PageState.DONE, PageState.FAILED, PageState.DEAD)
MAX_INDEX_SENDS = 3


class AlreadyRunning(Exception):
    pass


@contextlib.contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Only one embedded `dangan process` per data directory."""
    home.mkdir(parents=True, exist_ok=True)
    with (home / "process.lock").open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise AlreadyRunning(
                f"another `dangan process` is running on {home}: wait for it or stop it") from e
        yield


@dataclass
class Progress:
    """Counts per book, for the progress display."""

    started: float = field(default_factory=time.monotonic)
    done_at_start: int = 0
    books: dict[str, tuple[int, int]] = field(default_factory=dict)  # book -> (finished, total)

    def rate_per_min(self, finished_now: int) -> float:
        minutes = max(1e-6, (time.monotonic() - self.started) / 60)
        return (finished_now - self.done_at_start) / minutes


@dataclass(frozen=True)
class ProcessSummary:
    pages_by_state: dict[str, int]
    records: int
    seconds: float


class Processor:
    def __init__(self, rt: Runtime, *, max_inflight: int | None = None,
                 resend_after: float | None = None) -> None:
        self.rt = rt
        self.broker = make_broker(rt.settings.broker_url)
        dramatiq.set_broker(self.broker)
        self.actors: Actors = register_actors(self.broker, rt)
        self.workers = default_workers(rt.settings)
        self.max_inflight = max_inflight or self.workers * 4
        self.resend_after = resend_after or float(rt.settings.lease_seconds)
        self.sent: dict[str, tuple[str, float]] = {}
        self.index_sends: dict[str, int] = {}

    def run(self, on_tick: Callable[[dict[str, tuple[int, int]], float], None] | None = None,
            poll: float = 0.3) -> ProcessSummary:
        t0 = time.monotonic()
        if self.rt.settings.is_embedded:
            with home_lock(self.rt.settings.home):
                with self.rt.db.session() as s:
                    reset_running(s, only_expired=False)  # nobody else can hold a lease here
                worker = dramatiq.Worker(self.broker, worker_threads=self.workers)
                worker.start()
                try:
                    self._loop(on_tick, poll)
                finally:
                    worker.stop()
        else:
            with self.rt.db.session() as s:
                reset_running(s, only_expired=True)
            self._loop(on_tick, poll)
        return self.summary(time.monotonic() - t0)

    def _loop(self, on_tick: Callable[[dict[str, tuple[int, int]], float], None] | None,
              poll: float) -> None:
        progress = Progress()
        while True:
            outstanding = self._send_missing()
            counts = self._book_counts()
            if on_tick:
                finished = sum(f for f, _ in counts.values())
                if not progress.done_at_start and not progress.books:
                    progress.done_at_start = finished
                progress.books = counts
                on_tick(counts, progress.rate_per_min(finished))
            if not outstanding:
                return
            time.sleep(poll)

    def _send_missing(self) -> int:
        """Send messages for pages whose next stage nobody is doing; return work left."""
        now = time.monotonic()
        with self.rt.db.session() as s:
            pending = pages_in_states(s, [PageState.PENDING])
            ocr_done = pages_in_states(s, [PageState.OCR_DONE])
            running = pages_in_states(s, [PageState.OCR_RUNNING, PageState.EXTRACT_RUNNING])
            unindexed = list(s.scalars(
                select(RecordRow.page_id).distinct().join(Page, RecordRow.page_id == Page.id)
                .where(RecordRow.indexed_version < RecordRow.version,
                       Page.state == PageState.DONE)))
        # indexing that keeps failing must not hold `process` forever: the records are
        # safe in the database and `dangan reindex` can catch up later
        unindexed = [p for p in unindexed if self.index_sends.get(p, 0) < MAX_INDEX_SENDS]
        wanted = ([(p, "ocr") for p in pending] + [(p, "extract") for p in ocr_done]
                  + [(p, "index") for p in unindexed])
        live = {pid for pid, (stage, at) in self.sent.items()
                if now - at < (self.resend_after if stage != "index" else 60.0)}
        inflight = sum(1 for pid, stage in wanted if pid in live and
                       self.sent[pid][0] == stage) + len(running)
        for pid, stage in wanted:
            if inflight >= self.max_inflight:
                break
            if pid in live and self.sent[pid][0] == stage:
                continue
            getattr(self.actors, stage).send(pid)
            self.sent[pid] = (stage, now)
            if stage == "index":
                self.index_sends[pid] = self.index_sends.get(pid, 0) + 1
            inflight += 1
        return len(wanted) + len(running)

    def _book_counts(self) -> dict[str, tuple[int, int]]:
        with self.rt.db.session() as s:
            rows = s.execute(select(Page.book_id, Page.state, func.count())
                             .group_by(Page.book_id, Page.state)).all()
        out: dict[str, tuple[int, int]] = {}
        for book, state, n in rows:
            f, t = out.get(book, (0, 0))
            out[book] = (f + (n if state in FINISHED else 0), t + n)
        return out

    def summary(self, seconds: float) -> ProcessSummary:
        with self.rt.db.session() as s:
            states = dict(s.execute(select(Page.state, func.count())
                                    .group_by(Page.state)).tuples().all())
            recs = s.scalar(select(func.count()).select_from(RecordRow)) or 0
        return ProcessSummary({str(k): int(v) for k, v in states.items()}, int(recs), seconds)
