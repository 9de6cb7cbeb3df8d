"""`dangan worker`: N processes x T threads of dramatiq workers on the Redis broker.

Run it on any machine that sees the database, the broker and the blob directory;
`dangan process` on one machine enqueues and follows. OCR is CPU-bound and holds
the GIL only part of the time, so processes give the parallelism and threads fill
the gaps while a page waits on the database or the blob store.

SIGTERM (or Ctrl-C) stops gracefully: no new messages are taken, pages in progress
finish, prefetched messages go back to Redis. A process that dies (SIGKILL, a crash
in native code) is started again by the supervisor; its pages come back when their
leases expire (`dangan process` takes them back).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

from dangan.settings import Settings

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 15 * 60  # a page in progress may take this long to finish on SIGTERM
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


class WorkerConfigError(Exception):
    """`dangan worker` cannot start with this configuration (message says what to do)."""


@dataclass(frozen=True, slots=True)
class WorkerPlan:
    queues: tuple[str, ...]
    processes: int
    threads: int
    ocr_threads: int  # ONNX intra-op threads per inference


def plan_workers(settings: Settings, queues: str | None = None, processes: int | None = None,
                 threads: int | None = None) -> WorkerPlan:
    """Check the options and size threads so that workers x ONNX threads ≈ cores."""
    from dangan.jobs import QUEUES

    if not settings.broker_url:
        raise WorkerConfigError(
            "`dangan worker` needs a shared broker: set DANGAN_BROKER_URL=redis://HOST:PORT/0 "
            "(without it `dangan process` runs the workers itself)")
    names = tuple(q.strip() for q in (queues or settings.worker_queues).split(",") if q.strip())
    unknown = [q for q in names if q not in QUEUES]
    if unknown or not names:
        raise WorkerConfigError(f"unknown queue(s) {', '.join(unknown) or '(none)'}: "
                                f"choose from {', '.join(QUEUES)}, comma-separated")
    n_proc = processes or settings.worker_processes
    if n_proc < 1 or (threads is not None and threads < 1):
        raise WorkerConfigError("--processes and --threads must be at least 1")
    cores = os.cpu_count() or 1
    n_thr = threads or settings.worker_threads or max(1, min(4, cores // n_proc))
    ocr_threads = settings.ocr_threads or max(1, cores // (n_proc * n_thr))
    return WorkerPlan(names, n_proc, n_thr, ocr_threads)


def run_worker(settings: Settings, plan: WorkerPlan,
               echo: Callable[[str], None] = print) -> int:
    """Serve until SIGTERM/SIGINT; return the exit status."""
    settings = settings.model_copy(update={"ocr_threads": plan.ocr_threads})
    echo(f"dangan worker: {plan.processes} process(es) x {plan.threads} thread(s) on "
         f"queues {','.join(plan.queues)} ({_safe_url(settings.broker_url)})")
    if plan.processes == 1:
        return serve(settings, plan)
    return Supervisor(settings, plan).run()


def _safe_url(url: str | None) -> str:
    if url and "@" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url or ""


# ---- one worker process ------------------------------------------------------

def serve(settings: Settings, plan: WorkerPlan) -> int:
    """One process: a dramatiq Worker with ``plan.threads`` threads, until a signal."""
    import dramatiq

    from dangan.jobs import WorkerStats, make_broker, register_actors
    from dangan.runtime import build_runtime

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        log.warning("signal %d: finishing the pages in progress, then stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    rt = build_runtime(settings)
    try:
        if "ocr" in plan.queues or "extract" in plan.queues:
            rt.engine()  # load the models now: a broken install fails here, not per page
        broker = make_broker(settings)
        dramatiq.set_broker(broker)
        register_actors(broker, rt)
        assert settings.broker_url
        stats = WorkerStats(settings.broker_url, plan.queues, plan.threads)
        broker.add_middleware(stats)
        worker = dramatiq.Worker(broker, queues=set(plan.queues), worker_threads=plan.threads)
        worker.start()
        stats.start()
        log.info("worker %d ready", os.getpid())
        try:
            while not stop.wait(1.0):
                pass
        finally:
            worker.stop(timeout=STOP_TIMEOUT_S * 1000)
            stats.stop()
            broker.close()
    finally:
        rt.close()
    return 0


def _child_main(settings: Settings, plan: WorkerPlan, log_level: int) -> None:
    _die_with_parent()
    logging.basicConfig(level=log_level,
                        format="%(levelname)s %(name)s[%(process)d]: %(message)s")
    raise SystemExit(serve(settings, plan))


def _die_with_parent() -> None:
    """Linux: get SIGTERM when the supervisor dies (even by SIGKILL), never orphans."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


# ---- supervisor for several processes -------------------------------------------

class Supervisor:
    """Starts ``plan.processes`` workers, restarts any that die, stops them on a signal."""

    def __init__(self, settings: Settings, plan: WorkerPlan) -> None:
        self.settings, self.plan = settings, plan
        self.ctx = mp.get_context("spawn")  # no forked copies of threads or sockets
        self.children: list[BaseProcess | None] = [None] * plan.processes
        self.deaths: list[list[float]] = [[] for _ in range(plan.processes)]
        self.stop = threading.Event()

    def _start(self, i: int) -> None:
        p = self.ctx.Process(target=_child_main, args=(self.settings, self.plan,
                                                         logging.getLogger().getEffectiveLevel()),
                             name=f"dangan-worker-{i}", daemon=False)
        p.start()
        self.children[i] = p

    def run(self) -> int:
        def on_signal(signum: int, _frame: object) -> None:
            self.stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        restart_at: dict[int, float] = {}
        for i in range(self.plan.processes):
            self._start(i)
        while not self.stop.wait(0.5):
            now = time.monotonic()
            for i, p in enumerate(self.children):
                if p is not None and not p.is_alive():
                    log.warning("worker process %s exited with %s; starting it again",
                                p.pid, p.exitcode)
                    recent = [t for t in self.deaths[i] if now - t < 300]
                    self.deaths[i] = [*recent, now]
                    delay = RESTART_BACKOFF_S[min(len(recent), len(RESTART_BACKOFF_S) - 1)]
                    restart_at[i] = now + delay
                    self.children[i] = None
            for i, at in list(restart_at.items()):
                if now >= at:
                    del restart_at[i]
                    self._start(i)
        return self._stop_children()

    def _stop_children(self) -> int:
        live = [p for p in self.children if p is not None and p.is_alive()]
        for p in live:
            if p.pid:
                os.kill(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for p in live:
            p.join(max(0.0, deadline - time.monotonic()))
            if p.is_alive():
                log.error("worker process %s did not stop in time; killing it", p.pid)
                p.kill()
                p.join()
        return 0
