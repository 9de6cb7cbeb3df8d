"""Dramatiq actors, one per stage. Messages carry a page id, never an image.

Embedded mode runs a :class:`dramatiq.Worker` with a stub (in-memory) broker inside
`dangan process`; distributed mode uses Redis and `dangan worker` processes. The
database, not the queue, is the truth: a lost message is re-sent by `dangan process`
from the page states, and a duplicated one does nothing (stages claim the page).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage, Middleware, Retries

from dangan import stages
from dangan.runtime import Runtime
from dangan.settings import Settings

log = logging.getLogger(__name__)

QUEUES = ("ocr", "extract", "index")
STATS_KEY = "dangan:workers"  # Redis hash: worker process -> JSON stats
STATS_TTL_S = 15  # a worker not heard from for this long (3 beats) is not listed


def make_broker(settings: Settings) -> dramatiq.Broker:
    """Redis when DANGAN_BROKER_URL is set, else an in-process stub broker.

    Transient errors are retried ``max_attempts`` times with exponential backoff;
    the stages themselves decide when a page is dead (the database is the truth).
    """
    broker: dramatiq.Broker
    if settings.broker_url:
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=settings.broker_url)
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    for m in list(broker.middleware):
        if isinstance(m, Retries):
            broker.middleware.remove(m)
    broker.add_middleware(Retries(max_retries=settings.max_attempts,
                                  min_backoff=settings.retry_min_backoff_ms,
                                  max_backoff=settings.retry_max_backoff_ms))
    broker.add_middleware(CurrentMessage())
    return broker


@dataclass(frozen=True)
class Actors:
    ocr: dramatiq.Actor[Any, Any]
    extract: dramatiq.Actor[Any, Any]
    index: dramatiq.Actor[Any, Any]


def message_owner() -> str:
    """Lease owner for the running message: host, process and message id.

    A retry of the same message may then take back a lease it left behind, and
    nothing else can (see `records.repository.claim_page`).
    """
    msg = CurrentMessage.get_current_message()
    tail = msg.message_id if msg is not None else f"t{threading.get_ident()}"
    return f"{socket.gethostname()}:{os.getpid()}:{tail}"


def register_actors(broker: dramatiq.Broker, rt: Runtime) -> Actors:
    """Declare the actors on ``broker``, closing over the wired runtime."""
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}

    def chain(stage: str, page_id: str) -> None:
        # the next stage is sent right away for speed; if this send is lost (the
        # broker is down), `dangan process` sends it from the page state instead
        try:
            actors[stage].send(page_id)
        except Exception as e:  # any broker error
            log.warning("could not send %s for page %s (%s); `dangan process` will",
                        stage, page_id, e)

    def ocr_page(page_id: str) -> None:
        res = stages.run_ocr(rt, page_id, message_owner())
        if res.next_stage == "extract":
            chain("extract", page_id)

    def extract_page(page_id: str) -> None:
        res = stages.run_extract(rt, page_id, message_owner())
        if res.next_stage == "index":
            chain("index", page_id)

    def index_page(page_id: str) -> None:
        stages.run_index(rt, page_id)

    retries = rt.settings.max_attempts
    for name, fn, queue in (("ocr", ocr_page, "ocr"), ("extract", extract_page, "extract"),
                            ("index", index_page, "index")):
        actors[name] = dramatiq.Actor(
            fn, broker=broker, actor_name=f"dangan.{name}_page", queue_name=queue, priority=0,
            options={"max_retries": retries, "time_limit": 15 * 60 * 1000})
    return Actors(actors["ocr"], actors["extract"], actors["index"])


# ---- queue depth and worker throughput (for `dangan status` and `process`) ----

@dataclass(frozen=True, slots=True)
class QueueDepth:
    queue: str
    waiting: int  # not yet fetched by any worker (retries due later included)
    total: int  # waiting + fetched-but-unacknowledged + delayed (retry backoff)


def queue_depths(broker: dramatiq.Broker) -> dict[str, QueueDepth]:
    """Messages per stage queue. Raises the broker's error when it is unreachable."""
    out: dict[str, QueueDepth] = {}
    client = getattr(broker, "client", None)
    if client is not None:  # Redis: list of ids + hash of bodies (kept until ack)
        ns = getattr(broker, "namespace", "dramatiq")
        pipe = client.pipeline(transaction=False)
        for q in QUEUES:
            pipe.llen(f"{ns}:{q}")
            pipe.llen(f"{ns}:{q}.DQ")
            pipe.hlen(f"{ns}:{q}.msgs")
            pipe.hlen(f"{ns}:{q}.DQ.msgs")
        r = [int(x) for x in pipe.execute()]
        for i, q in enumerate(QUEUES):
            out[q] = QueueDepth(q, r[4 * i] + r[4 * i + 1], r[4 * i + 2] + r[4 * i + 3])
        return out
    queues = getattr(broker, "queues", {})
    for q in QUEUES:
        n = sum(queues[name].qsize() for name in (q, f"{q}.DQ") if name in queues)
        out[q] = QueueDepth(q, n, n)
    return out


class WorkerStats(Middleware):
    """Counts what this worker process finished and publishes it to Redis.

    `dangan status` lists the live workers with their throughput from there.
    """

    def __init__(self, broker_url: str, queues: tuple[str, ...], threads: int,
                 every_s: float = 5.0) -> None:
        self.broker_url, self.queues, self.threads, self.every_s = (
            broker_url, queues, threads, every_s)
        self.id = f"{socket.gethostname()}:{os.getpid()}"
        self.started = time.time()
        self.counts: dict[str, int] = {}
        self.failures = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def after_process_message(self, broker: dramatiq.Broker, message: Any, *,
                              result: Any = None, exception: BaseException | None = None
                              ) -> None:
        with self._lock:
            if exception is None:
                q = message.queue_name.removesuffix(".DQ")
                self.counts[q] = self.counts.get(q, 0) + 1
            else:
                self.failures += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._publish_loop, daemon=True,
                                        name="dangan-stats")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        try:
            import redis

            redis.Redis.from_url(self.broker_url).hdel(STATS_KEY, self.id)
        except Exception:  # best effort; entries age out anyway
            pass

    def _publish_loop(self) -> None:
        import redis

        client = redis.Redis.from_url(self.broker_url)
        while True:
            with self._lock:
                doc = {"queues": list(self.queues), "threads": self.threads,
                       "started": self.started, "seen": time.time(),
                       "processed": dict(self.counts), "failures": self.failures}
            try:
                client.hset(STATS_KEY, self.id, json.dumps(doc))
            except Exception as e:  # Redis restarting: try again later
                log.debug("could not publish worker stats: %s", e)
            if self._stop.wait(self.every_s):
                return


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    id: str
    queues: tuple[str, ...]
    threads: int
    processed: int
    failures: int
    pages_per_min: float  # messages finished per minute since the worker started


def live_workers(broker_url: str) -> list[WorkerInfo]:
    """Workers that published stats recently (`dangan worker` processes)."""
    import redis

    client = redis.Redis.from_url(broker_url, socket_connect_timeout=2, socket_timeout=2)
    now = time.time()
    out = []
    for wid, raw in sorted(client.hgetall(STATS_KEY).items()):
        doc = json.loads(raw)
        if now - float(doc["seen"]) > STATS_TTL_S:
            continue
        n = sum(int(v) for v in doc["processed"].values())
        minutes = max(1e-6, (float(doc["seen"]) - float(doc["started"])) / 60)
        out.append(WorkerInfo(wid.decode() if isinstance(wid, bytes) else str(wid),
                              tuple(doc["queues"]), int(doc["threads"]), n,
                              int(doc["failures"]), round(n / minutes, 1)))
    return out


@dataclass(frozen=True, slots=True)
class PipelineStatus:
    """What `dangan status` shows about the machinery rather than the books."""

    broker: str  # "embedded" or the broker URL without credentials
    queues: dict[str, QueueDepth]
    broker_error: str | None
    workers: list[WorkerInfo]
    pages_per_min: float  # pages finished per minute over the last THROUGHPUT_MINUTES
    leases: dict[str, int]  # worker process -> pages it holds now

    def describe(self) -> str:
        lines = [f"pages finished: {self.pages_per_min:.1f}/min over the last "
                 f"{THROUGHPUT_MINUTES} min"]
        if self.broker_error:
            lines.append(f"broker {self.broker}: unreachable ({self.broker_error}): start it "
                         "or check DANGAN_BROKER_URL")
        elif self.queues:
            lines.append("queues: " + ", ".join(
                f"{q.queue} {q.waiting} waiting / {q.total} in all" for q in self.queues.values()))
        for w in self.workers:
            lines.append(f"worker {w.id} [{','.join(w.queues)}] x{w.threads}: {w.processed} "
                         f"done ({w.pages_per_min}/min), {w.failures} failed tries, "
                         f"{self.leases.get(w.id, 0)} page(s) in hand")
        if self.broker != "embedded" and not self.workers and not self.broker_error:
            lines.append("no live workers: start `dangan worker` on the worker machines")
        return "\n".join(lines)


THROUGHPUT_MINUTES = 5


def pipeline_status(rt: Runtime) -> PipelineStatus:
    from datetime import timedelta

    from records.repository import lease_holders, now, pages_finished_since

    with rt.db.session() as s:
        finished = pages_finished_since(s, now() - timedelta(minutes=THROUGHPUT_MINUTES))
        leases = lease_holders(s)
    url = rt.settings.broker_url
    if not url:
        return PipelineStatus("embedded", {}, None, [], finished / THROUGHPUT_MINUTES, leases)
    from dramatiq.brokers.redis import RedisBroker

    shown = url.split("@", 1)[-1] if "@" in url else url
    try:
        broker = RedisBroker(url=url, socket_connect_timeout=2, socket_timeout=2)
        try:
            depths = queue_depths(broker)
        finally:
            broker.close()
        workers = live_workers(url)
    except Exception as e:  # any Redis error: say so instead of failing `status`
        return PipelineStatus(shown, {}, str(e).splitlines()[0] if str(e) else type(e).__name__,
                              [], finished / THROUGHPUT_MINUTES, leases)
    return PipelineStatus(shown, depths, None, workers, finished / THROUGHPUT_MINUTES, leases)
