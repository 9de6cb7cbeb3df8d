"""Registrar search: free text through ``indexing`` (the same engine as ``dangan search``).

The viewer's permissions go into the search itself, so adoption records are not
counted, not paged and not faceted for someone who may not see them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from indexing.access import SearchNotAllowed
from indexing.query import parse_query
from indexing.result import SearchResult
from review_ui.accounts import Principal
from review_ui.audit import log_access
from review_ui.web import client_ip, ctx, render, require

router = APIRouter()
PER_PAGE = 20


@router.get("/search")
def search(request: Request,
           user: Annotated[Principal, Depends(require("registrar", "reviewer", "clerk"))],
           q: str = "", page: int = 1) -> Response:
    rt = ctx(request).runtime
    result: SearchResult | None = None
    error = None
    page = max(1, page)
    if q.strip():
        try:
            query = parse_query(q, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
            result = rt.search().search(query, user.viewer)
        except SearchNotAllowed as e:
            error = str(e)
        except ValueError as e:
            error = f"无法理解的查询 / cannot parse the query: {e}"
        log_access(rt.db, user.username, "search", query=q,
                   result_count=result.total if result else 0, ip=client_ip(request))
    pages = max(1, -(-result.total // PER_PAGE)) if result else 1
    return render(request, "search.html", q=q, result=result, error=error, page=page,
                  pages=pages)
