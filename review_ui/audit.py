"""The access log: every record view, image view and search, with who, when and what.

Written in its own short transaction so a failing page still leaves its trace,
and read by admins at ``/admin/access-log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from records.accounts import AccessLog
from records.database import Database

ACTIONS: tuple[str, ...] = ("record_view", "image_view", "search", "extract_view", "upload")


def log_access(db: Database, actor: str, action: str, *, target: str | None = None,
               query: str | None = None, result_count: int | None = None,
               ip: str | None = None) -> None:
    with db.session() as s:
        s.add(AccessLog(actor=actor, action=action, target=target, query=query,
                        result_count=result_count, ip=ip))


@dataclass(frozen=True, slots=True)
class LogFilter:
    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 200


def read_log(db: Database, f: LogFilter) -> list[AccessLog]:
    q = select(AccessLog).order_by(AccessLog.id.desc()).limit(f.limit)
    if f.actor:
        q = q.where(AccessLog.actor == f.actor)
    if f.action:
        q = q.where(AccessLog.action == f.action)
    if f.target:
        q = q.where(AccessLog.target == f.target)
    if f.since:
        q = q.where(AccessLog.at >= f.since)
    if f.until:
        q = q.where(AccessLog.at < f.until)
    with db.session() as s:
        return list(s.scalars(q))
