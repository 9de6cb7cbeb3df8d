"""Optional submission of a batch to the national system over HTTP.

POST ``{endpoint}`` with the batch's national records as JSON and an
``Idempotency-Key`` header (the batch id): a retry after a lost answer can never
register a batch twice. Connection errors, 429 and 5xx are retried with
exponential backoff; other 4xx are final. The answer lists an acknowledgement
per record: ``{"acks": [{"id": …, "status": "accepted"|"rejected", "message": …}]}``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Ack:
    record_id: str
    status: str  # accepted | rejected
    message: str = ""


@dataclass(frozen=True, slots=True)
class Submission:
    ok: bool
    attempts: int
    acks: tuple[Ack, ...] = ()
    error: str | None = None


class SubmitError(RuntimeError):
    pass


def submit_batch(endpoint: str, batch_id: str, body: Mapping[str, Any], *, token: str | None,
                 retries: int = 4, backoff: float = 0.5, timeout: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep) -> Submission:
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": batch_id}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    last = ""
    for attempt in range(1, retries + 2):
        req = urllib.request.Request(endpoint, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                answer = json.loads(resp.read().decode("utf-8") or "{}")
            return Submission(True, attempt, _acks(answer))
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code} from {endpoint}"
            if e.code != 429 and e.code < 500:
                return Submission(False, attempt, error=f"{last}: the national system refused "
                                                        "the batch; see its message and fix")
        except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as e:
            last = f"{type(e).__name__}: {e}"
        if attempt <= retries:
            sleep(backoff * 2 ** (attempt - 1))
    return Submission(False, retries + 1, error=f"{last} (after {retries + 1} attempts): "
                                                "run the export again to retry")


def _acks(answer: Any) -> tuple[Ack, ...]:
    rows: Sequence[Any] = answer.get("acks", []) if isinstance(answer, dict) else []
    return tuple(Ack(str(a["id"]), str(a.get("status", "accepted")), str(a.get("message", "")))
                 for a in rows if isinstance(a, dict) and "id" in a)
