"""Distributed mode under faults: `dangan worker` processes on real Redis and PostgreSQL.

A 30-page book goes through `dangan process` (enqueue and follow only) and separate
`dangan worker` processes while things break: a worker is SIGKILLed, Redis restarts,
PostgreSQL goes away for a few seconds, a page crashes the engine. Each time every
page must end done exactly once (or dead, for the poison page), with one record per
page and nothing left in progress.

OCR here is the scripted fake engine (dangan/scripted_engine.py): real OCR is not the
point, and it lets the test slow pages down and poison chosen ones. Each test gets a
fresh PostgreSQL database and its own Redis database number. About 2 minutes in all.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psycopg
import pytest
import redis
from conftest import ROOT, require_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PAGES = 30
LEASE_S = 5
MAX_INFLIGHT = 6
DANGAN = [sys.executable, "-m", "dangan.cli"]
_redis_db = iter(range(9, 16))  # a Redis database of its own for each test


def _book(out: Path) -> list[Path]:
    """30 distinct page images, each with one dark text band where the fake finds text."""
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(PAGES):
        img = np.full((800, 600, 3), 255, np.uint8)
        cv2.rectangle(img, (60, 60), (540, 120), (0, 0, 0), -1)
        cv2.putText(img, f"page {i}", (80, 400), cv2.FONT_HERSHEY_SIMPLEX, 2, (0, 0, 0), 4)
        f = out / f"p{i:03d}.png"
        cv2.imwrite(str(f), img)
        files.append(f)
    return files


def _form_page() -> dict[str, object]:
    """What the fake engine reads on every page: a marriage form, one record."""
    from ocr.types import BBox, Line, OcrPage

    lines = [("结婚登记审查处理表", 0.3, 0.05, 0.7, 0.09),
             ("男方姓名：王建国", 0.1, 0.15, 0.4, 0.17), ("出生日期", 0.5, 0.15, 0.6, 0.17),
             ("1965年3月12日", 0.62, 0.15, 0.8, 0.17),
             ("女方姓名", 0.1, 0.30, 0.2, 0.32), ("李红梅", 0.22, 0.30, 0.35, 0.32),
             ("登记日期", 0.1, 0.45, 0.2, 0.47), ("1988年6月1日", 0.25, 0.45, 0.45, 0.47)]
    page = OcrPage(600, 800, tuple(Line(t, BBox(a, b, c, d), 0.999) for t, a, b, c, d in lines),
                   engine="fake")
    return page.to_dict()


def image_key(path: Path) -> str:
    """The scripted engine's key of what its detector is shown for this page."""
    from ingest.cleanup import detector_view
    from ocr.fake import FakeEngine

    img = cv2.imdecode(np.frombuffer(path.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return FakeEngine.key(detector_view(img))


@dataclass
class Cluster:
    """One home, one fresh PostgreSQL database, one Redis database, many processes."""

    base: Path
    db_url: str
    broker_url: str
    script: dict[str, object]
    procs: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        script = self.base / "script.json"
        script.write_text(json.dumps(self.script))
        return {**os.environ, "DANGAN_HOME": str(self.base / "home"),
                "DANGAN_DATABASE_URL": self.db_url, "DANGAN_BROKER_URL": self.broker_url,
                "DANGAN_BLOB_DIR": str(self.base / "blobs"),
                "DANGAN_OCR_ENGINE": "fake", "DANGAN_FAKE_OCR_SCRIPT": str(script),
                "DANGAN_LEASE_SECONDS": str(LEASE_S), "DANGAN_MAX_INFLIGHT": str(MAX_INFLIGHT),
                "DANGAN_RETRY_MIN_BACKOFF_MS": "200", "DANGAN_RETRY_MAX_BACKOFF_MS": "2000",
                "PYTHONUNBUFFERED": "1"}

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        res = subprocess.run([*DANGAN, *args], env=self.env, cwd=ROOT, capture_output=True,
                             text=True, timeout=120)
        assert res.returncode == 0, f"dangan {' '.join(args)}: {res.stdout}\n{res.stderr}"
        return res

    def start(self, *args: str, name: str) -> subprocess.Popen[str]:
        log = (self.base / f"{name}.log").open("w")
        p = subprocess.Popen([*DANGAN, "-v", *args], env=self.env, cwd=ROOT, stdout=log,
                             stderr=subprocess.STDOUT, text=True)
        self.procs.append(p)
        return p

    def worker(self, name: str, *, processes: int = 1, threads: int = 2
               ) -> subprocess.Popen[str]:
        return self.start("worker", "--processes", str(processes), "--threads", str(threads),
                          name=name)

    def sql(self, q: str, *args: object) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.db_url, autocommit=True, connect_timeout=3) as c:
            return list(c.execute(q, args).fetchall())

    def states(self) -> dict[str, int]:
        return {str(s): int(n) for s, n in
                self.sql("select state, count(*) from pages group by state")}

    def wait_for(self, what: str, cond: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if cond():
                    return
            except psycopg.OperationalError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; pages: {self.states()}\n"
                             + self.logs())

    def finish(self, proc: subprocess.Popen[str], timeout: float = 120) -> None:
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"`dangan process` did not finish; pages: {self.states()}\n"
                                 + self.logs()) from None
        assert rc == 0, self.logs()

    def logs(self) -> str:
        return "\n".join(f"--- {f.name}\n{f.read_text()[-3000:]}"
                         for f in sorted(self.base.glob("*.log")))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def assert_every_page_once(self, dead: int = 0) -> None:
        """All done (but ``dead``), one record and one OCR result per page, nothing held."""
        assert self.states() == ({"done": PAGES - dead} | ({"dead": dead} if dead else {}))
        rows = self.sql("select page_id, coalesce(half, ''), coalesce(row, 0), slot, id "
                        "from records")
        assert len(rows) == PAGES - dead, "one record per page"
        assert len({r[:4] for r in rows}) == len(rows) == len({r[4] for r in rows}), \
            "duplicate records"
        ocr = self.sql("select page_id, count(*) from ocr_results group by page_id")
        assert len(ocr) == PAGES - dead and all(n == 1 for _, n in ocr)
        assert self.sql("select count(*) from pages where lease_owner is not null") == [(0,)]
        unindexed = self.sql("select count(*) from records where indexed_version < version")
        assert unindexed == [(0,)]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return _book(tmp_path_factory.mktemp("book") / "book")


@pytest.fixture
def cluster(tmp_path: Path, book: list[Path]) -> Iterator[Cluster]:
    base_db = require_env("DANGAN_TEST_DATABASE_URL", "PostgreSQL")
    base_redis = require_env("DANGAN_TEST_REDIS_URL", "Redis")
    name = f"dangan_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_db, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    redis_url = f"{base_redis.rsplit('/', 1)[0]}/{next(_redis_db)}"
    redis.Redis.from_url(redis_url).flushdb()
    cl = Cluster(tmp_path, f"{base_db.rsplit('/', 1)[0]}/{name}", redis_url,
                 {"boxes": [[0.1, 0.075, 0.9, 0.15]], "ocr": _form_page(), "delay": 0.3})
    try:
        yield cl
    finally:
        cl.stop()
        with psycopg.connect(base_db, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def ingest(cl: Cluster, book: list[Path]) -> None:
    res = cl.run("ingest", str(book[0].parent))
    assert f"{PAGES} page(s) ingested" in res.stdout


def queued(cl: Cluster) -> int:
    """Messages waiting in Redis, read atomically (MULTI): a page moving from one queue
    to the next between two reads would otherwise be counted twice."""
    pipe = redis.Redis.from_url(cl.broker_url).pipeline(transaction=True)
    for q in ("ocr", "extract", "index"):
        pipe.llen(f"dramatiq:{q}")
    return sum(int(n) for n in pipe.execute())


def test_sigkill_one_of_two_workers(cluster: Cluster, book: list[Path]) -> None:
    ingest(cluster, book)
    victim = cluster.worker("victim")
    survivor = cluster.worker("survivor")
    proc = cluster.start("process", "--quiet", name="process")

    most_queued = 0

    def victim_holds_pages() -> bool:
        nonlocal most_queued
        most_queued = max(most_queued, queued(cluster))
        done = cluster.states().get("done", 0)
        held = cluster.sql("select count(*) from pages where lease_owner like %s",
                           f"%:{victim.pid}:%")
        return done >= 4 and held[0][0] > 0

    cluster.wait_for("the victim to hold a page", victim_holds_pages)
    held = {r[0] for r in cluster.sql("select id from pages where lease_owner like %s",
                                      f"%:{victim.pid}:%")}
    queued_before_kill = most_queued
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert cluster.states().get("done", 0) < PAGES, "the kill came too late to test anything"
    while proc.poll() is None:
        most_queued = max(most_queued, queued(cluster))
        time.sleep(0.1)
    cluster.finish(proc)
    cluster.assert_every_page_once()
    # the killed worker's pages were taken back after their leases expired, once each
    attempts: dict[str, int] = dict(cluster.sql("select id, attempts from pages"))
    # (one claim for OCR, one for extraction, one more for the page taken back)
    assert all(attempts[p] == 3 for p in held), {p: attempts[p] for p in held}
    assert sorted(attempts.values()) == [2] * (PAGES - len(held)) + [3] * len(held)
    # backpressure: `process` keeps at most MAX_INFLIGHT pages queued or running; a
    # worker thread finishing a stage sends the next stage itself, so between two of
    # `process`'s looks up to one chained message per worker thread (2 workers x 2)
    # can wait beside them. After the kill, Redis hands the dead worker's fetched
    # messages out again beside what `process` re-sends for its pages.
    threads = 2 * 2
    assert 0 < queued_before_kill <= MAX_INFLIGHT + threads, queued_before_kill
    assert most_queued <= 2 * MAX_INFLIGHT + threads, most_queued
    # `dangan status`: queue depth, the live worker and its throughput
    status = cluster.run("status").stdout
    # (the killed worker's fetched messages still count "in all" until Redis hands
    # them out again; their pages were done by the survivor)
    assert "queues: ocr 0 waiting / " in status and "extract 0 waiting / " in status, status
    line = next(x for x in status.splitlines() if f":{survivor.pid} [" in x)
    assert int(line.split("x2: ")[1].split(" done")[0]) > PAGES, line  # messages of 3 stages


def _redis_restart(url: str) -> None:
    r = redis.Redis.from_url(url)
    conf = {k: str(r.config_get(k)[k]) for k in ("port", "dir", "pidfile", "logfile", "bind")}
    with contextlib.suppress(redis.ConnectionError):  # the server hangs up as it goes
        r.shutdown(nosave=True)
    time.sleep(2)
    subprocess.run(["redis-server", "--port", conf["port"], "--bind", conf["bind"],
                    "--save", "", "--appendonly", "no", "--daemonize", "yes",
                    "--pidfile", conf["pidfile"], "--dir", conf["dir"],
                    "--logfile", conf["logfile"]], check=True)
    for _ in range(50):
        try:
            if redis.Redis.from_url(url).ping():
                return
        except redis.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("Redis did not come back")


def test_redis_restart_mid_run(cluster: Cluster, book: list[Path]) -> None:
    ingest(cluster, book)
    cluster.worker("w1")
    cluster.worker("w2")
    proc = cluster.start("process", "--quiet", name="process")
    cluster.wait_for("some pages", lambda: cluster.states().get("done", 0) >= 4)
    _redis_restart(cluster.broker_url)
    assert cluster.states().get("done", 0) < PAGES, "the restart came too late"
    cluster.finish(proc)
    cluster.assert_every_page_once()


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


def _postgres_outage(db_url: str, seconds: float) -> None:
    """Stop the test server (pg_ctl -m fast), wait, start it with the same options."""
    with psycopg.connect(db_url, autocommit=True) as c:
        data = str(c.execute("show data_directory").fetchone()[0])  # type: ignore[index]
    opts = shlex.split(Path(data, "postmaster.opts").read_text())
    args = opts[1:]
    if "-D" in args:
        i = args.index("-D")
        del args[i:i + 2]
    pg_ctl = str(Path(opts[0]).parent / "pg_ctl")
    subprocess.run(_as_postgres([pg_ctl, "-D", data, "-m", "fast", "-w", "stop"]), check=True,
                   capture_output=True)
    time.sleep(seconds)
    subprocess.run(_as_postgres([pg_ctl, "-D", data, "-l", str(Path(data).parent / "log"), "-w",
                                 "-o", shlex.join(args), "start"]), check=True,
                   capture_output=True)


def test_postgres_unreachable_for_a_few_seconds(cluster: Cluster, book: list[Path]) -> None:
    ingest(cluster, book)
    cluster.worker("w1")
    cluster.worker("w2")
    proc = cluster.start("process", "--quiet", name="process")
    cluster.wait_for("some pages", lambda: cluster.states().get("done", 0) >= 4)
    _postgres_outage(cluster.db_url, 4)
    assert cluster.states().get("done", 0) < PAGES, "the outage came too late"
    cluster.finish(proc, timeout=180)
    cluster.assert_every_page_once()
    assert proc.returncode == 0


def test_poison_pages_are_dead_lettered_and_the_rest_finish(cluster: Cluster,
                                                            book: list[Path]) -> None:
    """Page 7 makes the engine raise; page 9 kills the worker process (native crash)."""
    cluster.script |= {"delay": 0.05, "poison": [image_key(book[7])],
                       "crash": [image_key(book[9])]}
    ingest(cluster, book)
    cluster.worker("w", processes=2, threads=1)  # the supervisor restarts crashed processes
    proc = cluster.start("process", "--quiet", name="process")
    cluster.finish(proc, timeout=150)
    cluster.assert_every_page_once(dead=2)
    dead = {str(name): (str(err), int(n)) for name, err, n in
            cluster.sql("select f.original_name, p.error, p.attempts from pages p join files f "
                        "on p.file_sha256 = f.sha256 where p.state = 'dead'")}
    assert set(dead) == {"p007.png", "p009.png"}
    raised, crashed = dead["p007.png"], dead["p009.png"]
    assert "PoisonPageError" in raised[0] and "dangan retry" in raised[0]
    assert "worker stopped" in crashed[0] and "dangan retry" in crashed[0]
    assert raised[1] == crashed[1] == 3, "dead after exactly DANGAN_MAX_ATTEMPTS tries"
    status = cluster.run("status").stdout
    assert "p007.png" in status and "PoisonPageError" in status
    assert "queues: ocr 0 waiting" in status
    res = cluster.run("retry")
    assert "2 page(s) queued again" in res.stdout
    assert cluster.states() == {"done": PAGES - 2, "pending": 2}
