"""`dangan export --batch --out DIR`: one validated national batch, optionally submitted."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from sqlalchemy import select

from dangan.exitcodes import ExitCode
from dangan.runtime import Runtime
from national.batch import ACTOR, BatchOutcome, build_batch, send_back_to_review
from national.db import BatchRecord, ExportBatch, SentRecord
from national.mapping import MappingError, load_mapping
from national.settings import NationalSettings
from national.submit import submit_batch
from national.validation import Problem
from records.database import Database
from records.db import utcnow

PENDING_SUBMISSION = ("written", "submit_failed")


def run_batch_export(rt: Runtime, out: Path, console: Console,
                     settings: NationalSettings | None = None) -> ExitCode:
    settings = settings or NationalSettings()
    try:
        mapping = load_mapping(settings.mapping_version)
    except MappingError as e:
        console.print(f"dangan: {e}")
        return ExitCode.bad_args
    if out.exists() and not out.is_dir():
        console.print(f"dangan: --out {out} is a file: give a folder for the batch packages")
        return ExitCode.bad_args
    outcome = build_batch(rt.db, rt.blobs, out, mapping, pdf=settings.pdf)
    _report(outcome, out, console)
    if settings.endpoint:
        return submit_pending(rt.db, settings, console)
    return ExitCode.ok


def _report(o: BatchOutcome, out: Path, console: Console) -> None:
    for h in o.failed_validation:
        console.print(f"held for review: {h.record_id}: " + "; ".join(h.reasons))
    for h in o.awaiting_link_review:
        console.print(f"held: {h.record_id}: " + "; ".join(h.reasons))
    held = [{"id": h.record_id, "why": "failed_validation", "reasons": list(h.reasons)}
            for h in o.failed_validation] + \
        [{"id": h.record_id, "why": "awaiting_link_review", "reasons": list(h.reasons)}
         for h in o.awaiting_link_review]
    if held:
        out.mkdir(parents=True, exist_ok=True)
        (out / "held-records.json").write_text(json.dumps(held, ensure_ascii=False, indent=1),
                                               encoding="utf-8")
    if o.batch_id is None:
        console.print("no new records to send: every approved or auto-accepted record is "
                      "already in a batch (or held above)")
        return
    console.print(f"batch {o.batch_id}: {len(o.exported)} record(s), "
                  f"{len(o.merged or {})} linked duplicate(s) merged → {o.path}")


def submit_pending(db: Database, settings: NationalSettings, console: Console) -> ExitCode:
    """Send every written or earlier failed batch; the idempotency key is the batch id."""
    assert settings.endpoint
    code = ExitCode.ok
    with db.session() as s:
        pending = [(b.id, b.path, b.mapping_version) for b in s.scalars(
            select(ExportBatch).where(ExportBatch.state.in_(PENDING_SUBMISSION))
            .order_by(ExportBatch.created_at))]
    for batch_id, path, version in pending:
        national = Path(path or "") / "national.jsonl"
        if not national.is_file():
            console.print(f"dangan: batch {batch_id}: {national} is missing: restore the "
                          "package folder, then run the export again")
            code = ExitCode.other_error
            continue
        rows = [json.loads(line) for line in national.read_text(encoding="utf-8").splitlines()]
        body = {"batch": batch_id, "mapping_version": version, "records": rows}
        res = submit_batch(settings.endpoint, batch_id, body, token=settings.token,
                           retries=settings.retries, backoff=settings.backoff)
        with db.session() as s:
            batch = s.get(ExportBatch, batch_id)
            assert batch is not None
            batch.attempts += res.attempts
            if not res.ok:
                batch.state, batch.error = "submit_failed", res.error
                console.print(f"dangan: batch {batch_id} not submitted: {res.error}")
                code = ExitCode.other_error
                continue
            batch.state, batch.submitted_at, batch.error = "acknowledged", utcnow(), None
            entries = {e.record_id: e for e in s.scalars(
                select(BatchRecord).where(BatchRecord.batch_id == batch_id))}
            rejected = 0
            for ack in res.acks:
                e = entries.get(ack.record_id)
                if e is None:
                    continue
                e.ack_status, e.ack_detail, e.ack_at = ack.status, ack.message, utcnow()
                if ack.status != "accepted":
                    rejected += 1
                    sent = s.get(SentRecord, ack.record_id)
                    if sent is not None:
                        s.delete(sent)  # not in an accepted batch: may go again once fixed
                    send_back_to_review(s, ack.record_id, [Problem(
                        "record", f"national system rejected it: {ack.message or 'no reason'}")])
            console.print(f"batch {batch_id} submitted: {len(res.acks) - rejected} accepted, "
                          f"{rejected} rejected (back in review, by {ACTOR})")
    return code
