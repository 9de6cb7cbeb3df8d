"""`dangan search` and `dangan reindex`: the CLI face of ``indexing``."""

from __future__ import annotations

import json

from rich.console import Console
from rich.markup import escape
from sqlalchemy import update

from dangan.exitcodes import ExitCode
from dangan.runtime import Runtime
from indexing.access import Viewer
from records.contract import TOP_KEYS as CONTRACT_KEYS
from records.db import RecordRow
from records.export import iter_contract


def viewer_for_role(role: str) -> Viewer:
    allowed = role in ("admin", "adoption")
    return Viewer(may_see_adoption=allowed, may_see_ids=role in ("admin", "registrar",
                                                                 "reviewer", "adoption"))


def run_search(rt: Runtime, text: str, *, as_json: bool, limit: int, offset: int, role: str,
               console: Console) -> ExitCode:
    from indexing.access import SearchNotAllowed
    from indexing.query import parse_query

    query = parse_query(text, limit=limit, offset=offset)
    try:
        result = rt.search().search(query, viewer_for_role(role))
    except SearchNotAllowed as e:
        console.print(f"dangan: {e}")
        return ExitCode.bad_args
    if as_json:
        out = result.to_json()
        for hit in out["hits"]:  # exactly the export contract: the book is not part of it
            hit["record"] = {k: v for k, v in hit["record"].items() if k in CONTRACT_KEYS}
        print(json.dumps(out, ensure_ascii=False))
        return ExitCode.ok
    console.print(f"{result.total} record(s)")
    for hit in result.hits:
        rec = hit.record
        f = rec["fields"]
        names = " / ".join(str(f[k]["value"]) for k in ("male_name", "female_name",
                                                        "adopter_name", "adoptee_name")
                           if k in f and f[k]["value"])
        date = f.get("registration_date", {}).get("value") or "?"
        src = rec["source"]
        console.print(escape(f"{hit.score:7.1f}  {rec['kind']:8} {date:10}  {names}   "
                             f"[{src['file']} p.{src['page']}]  {hit.id}"))
    return ExitCode.ok


def reindex_all(rt: Runtime) -> int:
    backend = rt.search()
    backend.recreate()
    n = 0
    with rt.db.session() as s:
        batch = []
        for doc in iter_contract(s, include_book=True):
            batch.append(doc)
            if len(batch) >= 1000:
                n += backend.index(batch)
                batch = []
        n += backend.index(batch)
        s.execute(update(RecordRow).values(indexed_version=RecordRow.version))
    backend.refresh()
    return n
