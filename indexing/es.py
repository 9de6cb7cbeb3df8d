"""Elasticsearch 9 backend: versioned index behind an alias, bulk writes with retries.

- The index name carries ``SCHEMA_VERSION`` (``dangan-records-v1``); searches and
  writes go through the alias (``dangan-records``). A new version is built beside
  the live one from the records stored in it, then the alias is swapped in one
  atomic ``update_aliases`` call: searches never see a missing or half-built index.
- Match keys are computed in Python (``indexing._text``) and stored as keyword
  fields, scored with ``constant_score`` tiers, so ranking equals the embedded
  backend's. The free-text field holds pre-tokenized CJK unigrams+bigrams under
  the ``whitespace`` analyzer: the integ-test distribution ships no
  ``analysis-common`` module, hence no ``cjk`` analyzer, and this keeps the two
  backends' tokens identical anyway.
- ``refresh_interval`` is 1 s, so a correction is searchable within a second;
  ``index(..., refresh=True)`` makes it visible at once.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from elasticsearch import Elasticsearch, NotFoundError, helpers

from indexing.access import Viewer, check_allowed
from indexing.query import EXACT, PINYIN, TYPO, VARIANT, SearchQuery
from indexing.result import FACET_FIELDS, FACET_SIZE, SearchResult, make_hit
from indexing.schema import SCHEMA_VERSION, build_doc

DEFAULT_ALIAS = "dangan-records"
_KW = {"type": "keyword"}
_INT = {"type": "integer"}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KW, "kind": _KW, "status": _KW, "book_id": _KW,
        "office": {"type": "keyword", "fields": {"text": {"type": "text",
                                                          "analyzer": "standard"}}},
        "office_grams": _KW, "year": _INT, "date_lo": _INT, "date_hi": _INT,
        "names_exact": _KW, "names": _KW, "names_py": _KW, "names_mask": _KW,
        "ids": _KW, "certs": _KW, "birth_years": _INT, "ages": _INT,
        "grams": {"type": "text", "analyzer": "whitespace", "norms": False,
                  "index_options": "docs"},
        "indexed_at": {"type": "long"},
        "record": {"type": "object", "enabled": False},
    },
}
SETTINGS: dict[str, Any] = {
    "number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "1s",
}


_CHUNK = 2000


def _chunks(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _cs(query: dict[str, Any], boost: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": boost}}


class ElasticsearchBackend:
    """Search through an Elasticsearch 9 cluster (official Python client)."""

    name = "es"

    def __init__(
        self, url: str, alias: str = DEFAULT_ALIAS, schema_version: int = SCHEMA_VERSION,
        client: Elasticsearch | None = None,
    ) -> None:
        self.client = client or Elasticsearch(
            url, request_timeout=60, retry_on_timeout=True, max_retries=3,
            retry_on_status=(429, 502, 503, 504)
        )
        self.alias = alias
        self.schema_version = schema_version

    @property
    def index_name(self) -> str:
        return f"{self.alias}-v{self.schema_version}"

    # -- schema -------------------------------------------------------------

    def _live_indices(self) -> list[str]:
        try:
            return sorted(self.client.indices.get_alias(name=self.alias).keys())
        except NotFoundError:
            return []

    def _create_index(self, name: str) -> None:
        if not self.client.indices.exists(index=name):
            self.client.indices.create(index=name, settings=SETTINGS, mappings=MAPPINGS)

    def ensure_schema(self, on_copied: Callable[[], None] | None = None) -> None:
        """Point the alias at the index of this schema version, building it if needed.

        ``on_copied`` runs after the copy and before the alias swap (tests use it to
        show the old index still serves).
        """
        live = self._live_indices()
        if live == [self.index_name]:
            return
        self._create_index(self.index_name)
        if not live:
            self.client.indices.update_aliases(
                actions=[{"add": {"index": self.index_name, "alias": self.alias}}]
            )
            return
        started = int(time.time() * 1000)
        for old in live:
            self._copy(old, since=None)
        self.client.indices.refresh(index=self.index_name)
        if on_copied:
            on_copied()
        # Writes that reached the old index while copying.
        swapped_at = int(time.time() * 1000)
        for old in live:
            self._copy(old, since=started - 1000)
        actions: list[dict[str, Any]] = [{"remove": {"index": o, "alias": self.alias}}
                                         for o in live]
        actions.append({"add": {"index": self.index_name, "alias": self.alias}})
        self.client.indices.update_aliases(actions=actions)
        for old in live:  # writes that raced the swap itself
            self._copy(old, since=swapped_at - 1000)
            self.client.indices.delete(index=old)
        self.client.indices.refresh(index=self.index_name)

    def _copy(self, source: str, since: int | None) -> None:
        query: dict[str, Any] = (
            {"range": {"indexed_at": {"gte": since}}} if since is not None else {"match_all": {}}
        )
        records = (
            hit["_source"]["record"]
            for hit in helpers.scan(self.client, index=source, query={"query": query},
                                    _source=["record"], size=2000)
        )
        self._bulk(self._index_actions(records, self.index_name))

    def recreate(self) -> None:
        for name in list(self.client.indices.get(index=f"{self.alias}-v*")):
            self.client.indices.delete(index=name)
        self._create_index(self.index_name)
        self.client.indices.update_aliases(
            actions=[{"add": {"index": self.index_name, "alias": self.alias}}]
        )

    # -- writes -------------------------------------------------------------

    @staticmethod
    def _index_actions(
        records: Iterable[Mapping[str, Any]], index: str
    ) -> Iterator[dict[str, Any]]:
        for record in records:
            doc = build_doc(record).as_dict()
            doc["indexed_at"] = int(time.time() * 1000)
            yield {"_op_type": "index", "_index": index, "_id": doc["id"], "_source": doc}

    def _bulk(self, actions: Iterable[dict[str, Any]]) -> int:
        """Send chunks from two threads so building documents overlaps Elasticsearch's work."""
        n = 0
        pending: deque[Future[int]] = deque()
        with ThreadPoolExecutor(max_workers=2) as pool:
            for chunk in _chunks(actions, _CHUNK):
                pending.append(pool.submit(self._bulk_chunk, chunk))
                if len(pending) >= 3:
                    n += pending.popleft().result()
            while pending:
                n += pending.popleft().result()
        return n

    def _bulk_chunk(self, actions: list[dict[str, Any]]) -> int:
        """Bulk with retries: 429s are retried with backoff by the helper, errors raise."""
        n = 0
        for ok, item in helpers.streaming_bulk(
            self.client, actions, chunk_size=2000, max_chunk_bytes=20 * 1024 * 1024,
            max_retries=5, initial_backoff=1, max_backoff=30, raise_on_error=False,
        ):
            op = next(iter(item.values()))
            if not ok and not (op.get("status") == 404 and "delete" in item):
                raise RuntimeError(f"bulk write failed: {item}")
            n += 1
        return n

    def index(self, records: Iterable[Mapping[str, Any]], *, refresh: bool = False) -> int:
        n = self._bulk(self._index_actions(records, self.alias))
        if refresh:
            self.refresh()
        return n

    def delete(self, ids: Iterable[str]) -> int:
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in ids)
        return self._bulk(actions)

    def refresh(self) -> None:
        self.client.indices.refresh(index=self.alias)

    def count(self) -> int:
        return int(self.client.count(index=self.alias)["count"])

    def close(self) -> None:
        self.client.close()

    # -- search -------------------------------------------------------------

    def search(self, query: SearchQuery, viewer: Viewer) -> SearchResult:
        check_allowed(bool(query.ids), viewer)
        body = self.build_query(query, viewer)
        aggs = (
            {
                name: {"terms": {"field": name, "size": FACET_SIZE,
                                 "order": [{"_count": "desc"}, {"_key": "asc"}]}}
                for name in FACET_FIELDS
            }
            if query.facets else None
        )
        resp = self.client.search(
            index=self.alias, query=body, from_=query.offset, size=query.limit,
            sort=[{"_score": "desc"}, {"id": "asc"}], track_scores=True, track_total_hits=True,
            source_includes=["record"], aggs=aggs,
        )
        hits = tuple(
            make_hit(h["_source"]["record"], h["_score"] or 0.0, query, viewer)
            for h in resp["hits"]["hits"]
        )
        facets = {
            name: tuple((str(b["key"]), int(b["doc_count"]))
                        for b in resp["aggregations"][name]["buckets"])
            for name in FACET_FIELDS
        } if query.facets else {}
        return SearchResult(total=int(resp["hits"]["total"]["value"]), hits=hits, facets=facets)

    @staticmethod
    def build_query(query: SearchQuery, viewer: Viewer) -> dict[str, Any]:
        """The bool query: names scored by tier (should), numbers scored (must), rest filters."""
        filters: list[dict[str, Any]] = []
        if query.kinds:
            filters.append({"terms": {"kind": list(query.kinds)}})
        if query.statuses:
            filters.append({"terms": {"status": list(query.statuses)}})
        if query.books:
            filters.append({"terms": {"book_id": list(query.books)}})
        if query.date:
            filters.append({"range": {"date_lo": {"lte": query.date.hi}}})
            filters.append({"range": {"date_hi": {"gte": query.date.lo}}})
        if query.birth_years:
            lo, hi = query.birth_years
            filters.append({"range": {"birth_years": {"gte": lo, "lte": hi}}})
        if query.ages:
            lo, hi = query.ages
            filters.append({"range": {"ages": {"gte": lo, "lte": hi}}})
        for group in query.offices:
            filters.extend({"term": {"office_grams": g}} for g in group)
        filters.extend({"term": {"grams": g}} for g in query.free)
        must = [_cs({"terms": {"ids": list(g)}}, 100.0) for g in query.ids]
        must += [_cs({"terms": {"certs": list(g)}}, 100.0) for g in query.certs]
        should = [ElasticsearchBackend._name_clause(t) for t in query.names]
        bool_q: dict[str, Any] = {"filter": filters}
        if must:
            bool_q["must"] = must
        if should:
            bool_q["should"] = should
            bool_q["minimum_should_match"] = 1
        if viewer.hidden_kinds:
            bool_q["must_not"] = [{"terms": {"kind": list(viewer.hidden_kinds)}}]
        if not must and not should:
            # A clause-less bool scores 1.0; the embedded backend (and the tiers) say 0.
            return {"constant_score": {"filter": {"bool": bool_q}, "boost": 0.0}}
        return {"bool": bool_q}

    @staticmethod
    def _name_clause(term: Any) -> dict[str, Any]:
        tiers: list[dict[str, Any]] = []
        if term.exact:
            tiers.append(_cs({"terms": {"names_exact": list(term.exact)}}, EXACT))
        if term.variants:
            tiers.append(_cs({"bool": {"should": [
                {"terms": {"names_exact": list(term.variants)}},
                {"terms": {"names": list(term.variants)}},
            ]}}, VARIANT))
        if term.pinyin:
            tiers.append(_cs({"terms": {"names_py": list(term.pinyin)}}, PINYIN))
        if term.masks:
            tiers.append(_cs({"terms": {"names_mask": list(term.masks)}}, TYPO))
        return {"dis_max": {"queries": tiers, "tie_breaker": 0.0}}
