"""Record linkage: one registration seen twice, a divorce and its marriage, a person
married twice.

Candidates come from the database by blocking keys (certificate number, the
couple's names, ID numbers, name + birth date), so each record is compared only
with the few that share a key. A link whose evidence is certain (the same
certificate number and both names, both ID numbers, …) is confirmed at once;
anything weaker is stored as a ``candidate`` for a reviewer (:func:`decide_link`).
Linked duplicates export once: :func:`same_event_groups` gives the groups.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from rapidfuzz.distance import Levenshtein
from sqlalchemy import select
from sqlalchemy.orm import Session

from national.db import RecordLink
from records.db import FieldRow, RecordRow, utcnow
from records.idnum import ID15_RE, clean_id_number, id15_to_18

SAME_EVENT, DIVORCE_OF, SAME_PERSON = "same_event", "divorce_of", "same_person"
CONFIRMED, CANDIDATE, REJECTED = "confirmed", "candidate", "rejected"
AUTO = "linkage"
_KEYS = ("male_name", "female_name", "registration_date", "certificate_no",
         "male_id_number", "female_id_number", "male_birth_date", "female_birth_date")
_CERT_NOISE = re.compile(r"[()（）\[\]【】\s第号字]")


@dataclass(frozen=True, slots=True)
class Facts:
    """What linkage looks at, for one record."""

    id: str
    kind: str
    status: str
    v: Mapping[str, str]

    def get(self, key: str) -> str | None:
        return self.v.get(key)

    def person(self, party: str) -> tuple[str | None, str | None, str | None]:
        return self.get(f"{party}_name"), self.get(f"{party}_id_number"), \
            self.get(f"{party}_birth_date")


@dataclass(frozen=True, slots=True)
class Found:
    a: str
    b: str
    relation: str
    score: float
    evidence: str

    @property
    def certain(self) -> bool:
        return self.score >= 0.95


def _norm_id(v: str) -> str:
    n = clean_id_number(v)
    return id15_to_18(n) if ID15_RE.fullmatch(n) else n


def _norm_cert(v: str) -> str:
    return _CERT_NOISE.sub("", v)


def load_facts(s: Session, kinds: Iterable[str] = ("marriage", "divorce")) -> list[Facts]:
    recs = {r.id: r for r in s.scalars(select(RecordRow).where(
        RecordRow.kind.in_(list(kinds)), RecordRow.status != "rejected"))}
    values: dict[str, dict[str, str]] = defaultdict(dict)
    q = select(FieldRow.record_id, FieldRow.key, FieldRow.value).where(
        FieldRow.record_id.in_(list(recs)), FieldRow.key.in_(_KEYS))
    for rid, key, value in s.execute(q):
        if isinstance(value, str) and value:
            values[rid][key] = _norm_id(value) if key.endswith("_id_number") else (
                _norm_cert(value) if key == "certificate_no" else value)
    return [Facts(r.id, r.kind, r.status, values[r.id]) for r in recs.values()]


def _names_close(a: Facts, b: Facts) -> tuple[int, int] | None:
    """Edit distances of the two names, or None when a name is missing."""
    pairs = [(a.get(k), b.get(k)) for k in ("male_name", "female_name")]
    if any(x is None or y is None for x, y in pairs):
        return None
    d = [Levenshtein.distance(x or "", y or "") for x, y in pairs]
    return d[0], d[1]


def _same_event(a: Facts, b: Facts) -> Found | None:
    if a.kind != b.kind:
        return None
    names = _names_close(a, b)
    if names is None or sum(names) > 1:
        return None
    cert = a.get("certificate_no") is not None and a.get("certificate_no") == b.get(
        "certificate_no")
    date = a.get("registration_date") is not None and a.get("registration_date") == b.get(
        "registration_date")
    ids = all(a.get(k) is not None and a.get(k) == b.get(k)
              for k in ("male_id_number", "female_id_number"))
    exact = names == (0, 0)
    if exact and (cert or ids or date):
        why = "+".join(w for w, ok in (("certificate_no", cert), ("id_numbers", ids),
                                       ("registration_date", date)) if ok)
        return Found(a.id, b.id, SAME_EVENT, 1.0 if (cert or ids) else 0.96, f"names+{why}")
    if cert or date or ids:
        return Found(a.id, b.id, SAME_EVENT, 0.8, "names differ by one character")
    return None


def _divorce_of(d: Facts, m: Facts) -> Found | None:
    if d.kind != "divorce" or m.kind != "marriage":
        return None
    md, dd = m.get("registration_date"), d.get("registration_date")
    if md and dd and md > dd:
        return None
    ids = all(d.get(k) is not None and d.get(k) == m.get(k)
              for k in ("male_id_number", "female_id_number"))
    names = _names_close(d, m)
    if ids:
        return Found(d.id, m.id, DIVORCE_OF, 1.0, "id_numbers")
    if names == (0, 0):
        return Found(d.id, m.id, DIVORCE_OF, 0.9, "names")
    if names is not None and sum(names) == 1:
        return Found(d.id, m.id, DIVORCE_OF, 0.7, "names differ by one character")
    return None


def _same_person(a: Facts, b: Facts) -> Found | None:
    """One person in two different marriages."""
    if a.kind != "marriage" or b.kind != "marriage":
        return None
    for party in ("male", "female"):
        name_a, id_a, born_a = a.person(party)
        name_b, id_b, born_b = b.person(party)
        other = "female" if party == "male" else "male"
        if a.get(f"{other}_name") == b.get(f"{other}_name"):
            continue  # same couple: that is the same event, not a second marriage
        if id_a and id_a == id_b:
            return Found(a.id, b.id, SAME_PERSON, 1.0, f"{party}_id_number")
        if name_a and name_a == name_b and born_a and born_a == born_b:
            return Found(a.id, b.id, SAME_PERSON, 0.9, f"{party}_name+birth_date")
    return None


def find_links(facts: list[Facts]) -> list[Found]:
    """Every link among ``facts``; pairs come only from shared blocking keys."""
    blocks: dict[tuple[str, str], list[Facts]] = defaultdict(list)
    for f in facts:
        for key in ("certificate_no", "male_id_number", "female_id_number",
                    "registration_date"):
            if f.get(key):
                blocks[(key, f.get(key) or "")].append(f)
        for party in ("male", "female"):
            if f.get(f"{party}_name"):
                blocks[(f"{party}_name", f.get(f"{party}_name") or "")].append(f)
    seen: set[tuple[str, str]] = set()
    found: dict[tuple[str, str, str], Found] = {}
    for members in blocks.values():
        if len(members) > 200:  # a key shared by hundreds (a common date) decides nothing
            continue
        for x, y in combinations(members, 2):
            pair = (min(x.id, y.id), max(x.id, y.id))
            if pair in seen or x.id == y.id:
                continue
            seen.add(pair)
            a, b = (x, y) if x.id < y.id else (y, x)
            for link in (_same_event(a, b), _divorce_of(a, b), _divorce_of(b, a)):
                if link:
                    found[(link.a, link.b, link.relation)] = link
                    break
            else:
                link = _same_person(a, b)
                if link:
                    found[(link.a, link.b, link.relation)] = link
    return list(found.values())


def refresh_links(s: Session) -> int:
    """Store newly found links; links a reviewer already decided are left as they are."""
    existing = {(lk.record_a, lk.record_b, lk.relation): lk for lk in s.scalars(select(RecordLink))}
    n = 0
    for f in find_links(load_facts(s)):
        if (f.a, f.b, f.relation) in existing:
            continue
        certain = f.certain
        s.add(RecordLink(record_a=f.a, record_b=f.b, relation=f.relation, score=f.score,
                         evidence=f.evidence, status=CONFIRMED if certain else CANDIDATE,
                         decided_by=AUTO if certain else None,
                         decided_at=utcnow() if certain else None))
        n += 1
    s.flush()
    return n


def decide_link(s: Session, link_id: int, reviewer: str, *, confirm: bool,
                at: datetime | None = None) -> RecordLink:
    """A reviewer confirms or rejects a candidate link."""
    link = s.get(RecordLink, link_id)
    if link is None:
        raise LookupError(f"no record link {link_id}: list them with the review queue")
    link.status = CONFIRMED if confirm else REJECTED
    link.decided_by, link.decided_at = reviewer, at or utcnow()
    return link


def links_of(s: Session, ids: Iterable[str]) -> list[RecordLink]:
    ids = list(ids)
    q = select(RecordLink).where(RecordLink.status != REJECTED,
                                 (RecordLink.record_a.in_(ids)) | (RecordLink.record_b.in_(ids)))
    return list(s.scalars(q.order_by(RecordLink.id)))


def same_event_groups(links: Iterable[RecordLink]) -> list[set[str]]:
    """Connected groups of records joined by confirmed ``same_event`` links."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for lk in links:
        if lk.relation == SAME_EVENT and lk.status == CONFIRMED:
            parent[find(lk.record_a)] = find(lk.record_b)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in list(parent):
        groups[find(x)].add(x)
    return [g for g in groups.values() if len(g) > 1]


def link_json(lk: RecordLink) -> dict[str, Any]:
    return {"a": lk.record_a, "b": lk.record_b, "relation": lk.relation,
            "score": round(lk.score, 3), "evidence": lk.evidence, "status": lk.status,
            "decided_by": lk.decided_by,
            "decided_at": lk.decided_at.isoformat() if lk.decided_at else None}
