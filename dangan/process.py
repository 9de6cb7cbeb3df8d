"""`dangan process`: send every unfinished page through the stages and follow it.

The loop reads page states from the database and (re-)sends what is missing, in
bounded chunks (backpressure), so a crash, a lost message or a restarted broker
only delays work. In embedded mode the workers are threads of this process.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dramatiq
from dramatiq.errors import ConnectionClosed
from redis.exceptions import RedisError
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from dangan.jobs import (
    Actors,
    QueueDepth,
    live_workers,
    make_broker,
    queue_depths,
    register_actors,
)
from dangan.runtime import Runtime, default_workers
from records.db import Page, PageState, RecordRow
from records.repository import recover_expired, reset_running

log = logging.getLogger(__name__)

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


CHAINED_FROM = {"extract": "ocr", "index": "extract"}  # actors send these themselves
CHAIN_GRACE_S = 2.0  # a chained message may land this long after the page state changes
RECOVER_EVERY_S = 1.0
WORKER_CHECK_EVERY_S = 15.0


class Processor:
    """Keeps the stage queues fed from the page states until no work is left.

    Embedded (no broker URL): the workers are threads of this process. Distributed:
    this process only enqueues and follows; `dangan worker` processes consume.
    """

    def __init__(self, rt: Runtime, *, max_inflight: int | None = None,
                 resend_after: float | None = None) -> None:
        self.rt = rt
        self.broker = make_broker(rt.settings)
        dramatiq.set_broker(self.broker)
        self.actors: Actors = register_actors(self.broker, rt)
        self.workers = default_workers(rt.settings)
        default_inflight = self.workers * 4 if rt.settings.is_embedded else 64
        self.max_inflight = max_inflight or rt.settings.max_inflight or default_inflight
        self.resend_after = resend_after or float(rt.settings.lease_seconds)
        self.sent: dict[str, tuple[str, float]] = {}
        self.index_sends: dict[str, int] = {}
        self.max_queued_seen = 0  # most messages seen in the broker at once (backpressure)
        self._last_recover = 0.0
        self._last_error = ""
        self._last_worker_check = time.monotonic()  # give workers time to publish stats
        self._warned_no_workers = False

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
            self._loop(on_tick, poll)
        return self.summary(time.monotonic() - t0)

    def _loop(self, on_tick: Callable[[dict[str, tuple[int, int]], float], None] | None,
              poll: float) -> None:
        progress = Progress()
        while True:
            try:
                self._recover()
                outstanding = self._send_missing()
                counts = self._book_counts()
            except (DBAPIError, RedisError, ConnectionClosed) as e:
                # the database or the broker is restarting: the workers retry, and so do we
                self._note_error(e)
                time.sleep(max(poll, 1.0))
                continue
            if self._last_error:
                log.warning("connection is back; going on")
                self._last_error = ""
            if on_tick:
                finished = sum(f for f, _ in counts.values())
                if not progress.done_at_start and not progress.books:
                    progress.done_at_start = finished
                progress.books = counts
                on_tick(counts, progress.rate_per_min(finished))
            if not outstanding:
                return
            self._check_workers()
            time.sleep(poll)

    def _check_workers(self) -> None:
        """Distributed mode: say so when no `dangan worker` is alive to do the work."""
        url = self.rt.settings.broker_url
        now = time.monotonic()
        if not url or now - self._last_worker_check < WORKER_CHECK_EVERY_S:
            return
        self._last_worker_check = now
        try:
            alive = live_workers(url)
        except RedisError:
            return
        if not alive and not self._warned_no_workers:
            log.warning("no live `dangan worker` on %s: pages wait until one starts",
                        url.split("@", 1)[-1])
        self._warned_no_workers = not alive

    def _note_error(self, e: Exception) -> None:
        msg = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if msg != self._last_error:
            log.warning("waiting for the database or broker (%s); retrying", msg)
        self._last_error = msg

    def _recover(self) -> None:
        """Take back pages whose worker died; their next stage is sent again at once."""
        now = time.monotonic()
        if now - self._last_recover < RECOVER_EVERY_S:
            return
        with self.rt.db.session() as s:
            rec = recover_expired(s, self.rt.settings.max_attempts)
        self._last_recover = now
        for pid in rec.requeued:
            self.sent.pop(pid, None)
        if rec.requeued or rec.dead:
            log.warning("leases expired: %d page(s) queued again, %d dead",
                        len(rec.requeued), len(rec.dead))

    def _send_missing(self) -> int:
        """Send messages for pages whose next stage nobody is doing; return work left.

        At most ``max_inflight`` pages are queued or running at once (backpressure),
        so a million-page batch does not become a million messages in Redis. A page
        counts as in flight while its last message is younger than the lease
        (embedded), or with Redis while its stage's queue still holds messages: an
        empty queue with pages still waiting means messages were lost (Redis
        restarted, a send failed), so they go again.
        """
        now = time.monotonic()
        with self.rt.db.session() as s:
            # one statement, one snapshot: a page moving between states while separate
            # queries ran would be missed and the bound overrun
            by_state: dict[str, list[str]] = {st: [] for st in UNFINISHED}
            for pid, st in s.execute(
                    select(Page.id, Page.state).where(Page.state.in_([str(x) for x in UNFINISHED]))
                    .order_by(Page.book_id, Page.file_sha256, Page.page_no)):
                by_state[st].append(pid)
            pending, ocr_done = by_state[PageState.PENDING], by_state[PageState.OCR_DONE]
            running = by_state[PageState.OCR_RUNNING] + by_state[PageState.EXTRACT_RUNNING]
            unindexed = list(s.scalars(
                select(RecordRow.page_id).distinct().join(Page, RecordRow.page_id == Page.id)
                .where(RecordRow.indexed_version < RecordRow.version,
                       Page.state == PageState.DONE)))
        # indexing that keeps failing must not hold `process` forever: the records are
        # safe in the database and `dangan reindex` can catch up later
        unindexed = [p for p in unindexed if self.index_sends.get(p, 0) < MAX_INDEX_SENDS]
        wanted = ([(p, "ocr") for p in pending] + [(p, "extract") for p in ocr_done]
                  + [(p, "index") for p in unindexed])
        depth = self._queue_depths()
        if depth is not None:
            self.max_queued_seen = max(self.max_queued_seen,
                                       sum(d.waiting for d in depth.values()))

        def live(pid: str, stage: str) -> bool:
            sent = self.sent.get(pid)
            if sent is None:
                return False
            was, at = sent
            if was == CHAINED_FROM.get(stage):
                # the actor that did `was` sent `stage` itself: count it as sent now
                self.sent[pid] = (stage, now)
                return True
            if was != stage:
                return False
            if depth is not None and stage in depth:
                # Redis: a message may wait in a long queue for any time. It is gone
                # when its stage holds no message at all (Redis lost them), or when
                # none is waiting and it is older than a lease (a dead worker had
                # fetched it; Redis would hand it out again only much later).
                d = depth[stage]
                gone = d.total == 0 or (d.waiting == 0 and now - at > self.resend_after)
                return not (gone and now - at > CHAIN_GRACE_S)
            return now - at < (self.resend_after if stage != "index" else 60.0)

        in_flight = {(pid, stage) for pid, stage in wanted if live(pid, stage)}
        inflight = len(in_flight) + len(running)
        for pid, stage in wanted:
            if inflight >= self.max_inflight:
                break
            if (pid, stage) in in_flight:
                continue
            getattr(self.actors, stage).send(pid)
            self.sent[pid] = (stage, now)
            if stage == "index":
                self.index_sends[pid] = self.index_sends.get(pid, 0) + 1
            inflight += 1
        return len(wanted) + len(running)

    def _queue_depths(self) -> dict[str, QueueDepth] | None:
        """Messages per stage queue in Redis; None in embedded mode (nothing is lost)."""
        if self.rt.settings.is_embedded:
            return None
        return queue_depths(self.broker)

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
