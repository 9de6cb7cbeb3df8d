#!/usr/bin/env python
"""Pages/min of the whole pipeline: embedded mode against 1 and 2 `dangan worker` processes.

    eval "$(scripts/services.sh start)"     # Redis and PostgreSQL on loopback
    scripts/bench_workers.py [--pages 12] [--seed 3] [--processes 1 2]

The same generated pages (``dangan.samplegen``, real OCR with RapidOCR) go through
``dangan process`` three ways, each on a fresh home:

* embedded: SQLite, dramatiq worker threads inside ``dangan process``;
* distributed: PostgreSQL (a fresh database each run) and Redis, ``dangan process``
  only enqueues, ``dangan worker --processes N`` consumes (threads and ONNX threads
  sized to the cores, as the command does by default).

The clock runs from the start of ``dangan process`` until it returns (workers are
started and have loaded their models before that). Printed: seconds, pages/min
and the speed-up over embedded mode; the last line is machine-readable.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DANGAN = [sys.executable, "-m", "dangan.cli"]


def need(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        sys.exit(f"bench_workers: {name} is unset: run `eval \"$(scripts/services.sh start)\"` "
                 "first (Redis and PostgreSQL on loopback)")
    return value


def run(args: list[str], env: dict[str, str]) -> None:
    res = subprocess.run([*DANGAN, *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"bench_workers: dangan {' '.join(args)} failed:\n{res.stdout}{res.stderr}")


def timed_process(env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    run(["process", "--quiet"], env)
    return time.perf_counter() - t0


def embedded(files: list[str], base: Path) -> float:
    env = {**os.environ, "DANGAN_HOME": str(base / "embedded")}
    for k in ("DANGAN_DATABASE_URL", "DANGAN_BROKER_URL", "DANGAN_ELASTICSEARCH_URL"):
        env.pop(k, None)
    run(["ingest", *files], env)
    return timed_process(env)


def distributed(files: list[str], base: Path, processes: int, pg: str, redis_url: str
                ) -> float:
    import psycopg
    import redis

    name = f"dangan_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    broker = f"{redis_url.rsplit('/', 1)[0]}/8"
    redis.Redis.from_url(broker).flushdb()
    env = {**os.environ, "DANGAN_HOME": str(base / f"dist{processes}"),
           "DANGAN_DATABASE_URL": f"{pg.rsplit('/', 1)[0]}/{name}", "DANGAN_BROKER_URL": broker}
    env.pop("DANGAN_ELASTICSEARCH_URL", None)
    log = base / f"worker{processes}.log"
    worker = None
    try:
        run(["ingest", *files], env)
        with log.open("w") as out:
            worker = subprocess.Popen([*DANGAN, "-v", "worker", "--processes", str(processes)],
                                      env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while log.read_text().count(" ready") < processes:  # models loaded
            if worker.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"bench_workers: the workers did not start:\n{log.read_text()}")
            time.sleep(0.2)
        return timed_process(env)
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        with psycopg.connect(pg, autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=12)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    a = ap.parse_args()
    pg = need("DANGAN_TEST_DATABASE_URL")
    redis_url = need("DANGAN_TEST_REDIS_URL")
    sys.path.insert(0, str(ROOT))
    from dangan.samplegen import generate_set

    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        base = Path(tmp)
        gen = generate_set(base / "pages", pages=a.pages, seed=a.seed)
        files = [str(f) for f in gen.files]
        print(f"{a.pages} generated pages, {os.cpu_count()} cores, real OCR (RapidOCR)")
        results: dict[str, float] = {"embedded": embedded(files, base)}
        for n in a.processes:
            results[f"workers{n}"] = distributed(files, base, n, pg, redis_url)
    base_rate = a.pages / results["embedded"] * 60
    for mode, secs in results.items():
        rate = a.pages / secs * 60
        print(f"{mode:>10}: {secs:6.1f} s  {rate:6.1f} pages/min  x{rate / base_rate:.2f}")
    print(" ".join(f"{m}_pages_per_min={a.pages / s * 60:.1f}" for m, s in results.items()))


if __name__ == "__main__":
    main()
