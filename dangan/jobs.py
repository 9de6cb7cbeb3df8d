"""Dramatiq actors, one per stage. Messages carry a page id, never an image.

Embedded mode runs a :class:`dramatiq.Worker` with a stub (in-memory) broker inside
`dangan process`; distributed mode uses Redis and `dangan worker` processes. The
database, not the queue, is the truth: a lost message is re-sent by `dangan process`
from the page states, and a duplicated one does nothing (stages claim the page).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Retries

from dangan import stages
from dangan.runtime import Runtime

log = logging.getLogger(__name__)

QUEUES = ("ocr", "extract", "index")
MIN_BACKOFF_MS = 1_000
MAX_BACKOFF_MS = 60_000


def make_broker(broker_url: str | None) -> dramatiq.Broker:
    if broker_url:
        from dramatiq.brokers.redis import RedisBroker

        broker: dramatiq.Broker = RedisBroker(url=broker_url)
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    for m in list(broker.middleware):
        if isinstance(m, Retries):
            broker.middleware.remove(m)
    broker.add_middleware(Retries(max_retries=5, min_backoff=MIN_BACKOFF_MS,
                                  max_backoff=MAX_BACKOFF_MS))
    return broker


@dataclass(frozen=True)
class Actors:
    ocr: dramatiq.Actor[Any, Any]
    extract: dramatiq.Actor[Any, Any]
    index: dramatiq.Actor[Any, Any]


def register_actors(broker: dramatiq.Broker, rt: Runtime) -> Actors:
    """Declare the actors on ``broker``, closing over the wired runtime."""
    actors: dict[str, dramatiq.Actor[Any, Any]] = {}

    def ocr_page(page_id: str) -> None:
        res = stages.run_ocr(rt, page_id)
        if res.next_stage == "extract":
            actors["extract"].send(page_id)

    def extract_page(page_id: str) -> None:
        res = stages.run_extract(rt, page_id)
        if res.next_stage == "index":
            actors["index"].send(page_id)

    def index_page(page_id: str) -> None:
        stages.run_index(rt, page_id)

    retries = rt.settings.max_attempts
    for name, fn, queue in (("ocr", ocr_page, "ocr"), ("extract", extract_page, "extract"),
                            ("index", index_page, "index")):
        actors[name] = dramatiq.Actor(
            fn, broker=broker, actor_name=f"dangan.{name}_page", queue_name=queue, priority=0,
            options={"max_retries": retries, "time_limit": 15 * 60 * 1000})
    return Actors(actors["ocr"], actors["extract"], actors["index"])
