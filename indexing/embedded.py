"""Embedded search index: SQLite FTS5 over pre-computed keys, in its own SQLite file.

Why FTS5 and not ``trigram``: a trigram index cannot match a two-character name
(王芳), and most Chinese names are two or three characters. Here every key
(exact name, simplified/traditional form, pinyin, one-character mask, CJK
unigram/bigram, ID form, certificate key) is a whole token of FTS5's unicode61
tokenizer, so each ranking tier is one inverted-index lookup. Scoring is the
same tier arithmetic the Elasticsearch backend uses, so both rank alike.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from indexing.access import Viewer, check_allowed
from indexing.query import EXACT, PINYIN, TYPO, VARIANT, SearchQuery
from indexing.result import FACET_FIELDS, FACET_SIZE, SearchResult, make_hit
from indexing.schema import SCHEMA_VERSION, IndexedDoc, build_doc

_FTS_COLUMNS = (
    "names_exact", "names", "names_py", "names_mask", "ids", "certs", "facts", "office", "grams",
)
_DOC_COLUMNS = ("id", "kind", "status", "book_id", "office", "year", "date_lo", "date_hi", "record")


def _q(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _any(columns: str, tokens: Iterable[str]) -> str:
    """FTS5: any of ``tokens`` in ``columns`` (e.g. "{names names_exact}")."""
    return f"{columns} : ({' OR '.join(_q(t) for t in tokens)})"


def _all(column: str, tokens: Iterable[str]) -> str:
    return f"{column} : ({' AND '.join(_q(t) for t in tokens)})"


class EmbeddedBackend:
    """Search index in one SQLite file (WAL mode; one writer, readers see commits)."""

    name = "embedded"

    def __init__(self, path: Path, schema_version: int = SCHEMA_VERSION) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.schema_version = schema_version
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.execute("PRAGMA cache_size=-65536")
        self._lock = threading.RLock()

    # -- schema -------------------------------------------------------------

    def _create(self) -> None:
        db = self._db
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute(
            "CREATE TABLE IF NOT EXISTS docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
            " kind TEXT, status TEXT, book_id TEXT, office TEXT, year INTEGER,"
            " date_lo INTEGER, date_hi INTEGER, record TEXT NOT NULL)"
        )
        for col in ("kind", "date_lo", "year"):
            db.execute(f"CREATE INDEX IF NOT EXISTS docs_{col} ON docs({col})")
        db.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5({', '.join(_FTS_COLUMNS)},"
            " tokenize='unicode61 remove_diacritics 0', detail=column)"
        )
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(self.schema_version),)
        )

    def _stored_version(self) -> int | None:
        row = self._db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
        ).fetchone()
        if not row:
            return None
        got = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(got[0]) if got else None

    def ensure_schema(self) -> None:
        """Create tables; on a schema version change rebuild every doc from its stored record.

        The rebuild is one transaction: readers keep the old index until it commits.
        """
        with self._lock:
            stored = self._stored_version()
            if stored == self.schema_version:
                return
            if stored is None:
                self._create()
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                records = [json.loads(r) for (r,) in self._db.execute("SELECT record FROM docs")]
                self._drop()
                self._create()
                self._insert(records)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _drop(self) -> None:
        for table in ("fts", "docs", "meta"):
            self._db.execute(f"DROP TABLE IF EXISTS {table}")

    def recreate(self) -> None:
        with self._lock:
            self._drop()
            self._create()

    # -- writes -------------------------------------------------------------

    def index(self, records: Iterable[Mapping[str, Any]], *, refresh: bool = False) -> int:
        with self._lock:
            self._db.execute("BEGIN")
            try:
                n = self._insert(records)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return n

    def _insert(self, records: Iterable[Mapping[str, Any]]) -> int:
        db = self._db
        n = 0
        for record in records:
            doc = build_doc(record)
            rowid = self._upsert_doc(doc)
            db.execute("DELETE FROM fts WHERE rowid = ?", (rowid,))
            db.execute(
                f"INSERT INTO fts(rowid, {', '.join(_FTS_COLUMNS)}) VALUES (?{', ?' * 9})",
                (rowid, *self._fts_values(doc)),
            )
            n += 1
        return n

    def _upsert_doc(self, doc: IndexedDoc) -> int:
        values = (
            doc.id, doc.kind, doc.status, doc.book_id, doc.office, doc.year, doc.date_lo,
            doc.date_hi, json.dumps(doc.record, ensure_ascii=False),
        )
        sets = ", ".join(f"{c}=excluded.{c}" for c in _DOC_COLUMNS[1:])
        row = self._db.execute(
            f"INSERT INTO docs({', '.join(_DOC_COLUMNS)}) VALUES ({', '.join('?' * 9)})"
            f" ON CONFLICT(id) DO UPDATE SET {sets} RETURNING rowid",
            values,
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _fts_values(doc: IndexedDoc) -> tuple[str, ...]:
        facts = [f"by{y}" for y in doc.birth_years] + [f"age{a}" for a in doc.ages]
        return (
            " ".join(doc.names_exact), " ".join(doc.names), " ".join(doc.names_py),
            " ".join(doc.names_mask), " ".join(doc.ids), " ".join(doc.certs), " ".join(facts),
            " ".join(doc.office_grams), " ".join(doc.grams),
        )

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        with self._lock:
            self._db.execute("BEGIN")
            for record_id in ids:
                row = self._db.execute(
                    "SELECT rowid FROM docs WHERE id = ?", (record_id,)
                ).fetchone()
                if row:
                    self._db.execute("DELETE FROM fts WHERE rowid = ?", (row[0],))
                    self._db.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
            self._db.execute("COMMIT")
        return len(ids)

    def refresh(self) -> None:
        """Nothing to do: a committed write is visible at once."""

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM docs").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    # -- search -------------------------------------------------------------

    def search(self, query: SearchQuery, viewer: Viewer) -> SearchResult:
        check_allowed(bool(query.ids), viewer)
        where, params = self._filters(query, viewer)
        must = self._must(query)
        if must:
            where.append("d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(must)
        cond = " AND ".join(where) or "1"
        if query.names:
            ctes, cte_params = self._name_ctes(query)
            sql = (
                f"WITH {ctes} SELECT d.rowid, d.id, s.score + ? AS score, d.year, d.office, d.kind"
                f" FROM scored s JOIN docs d ON d.rowid = s.rowid WHERE {cond}"
            )
            all_params: list[Any] = [*cte_params, query.base_score, *params]
        else:
            sql = (
                "SELECT d.rowid, d.id, ? AS score, d.year, d.office, d.kind FROM docs d"
                f" WHERE {cond}"
            )
            all_params = [query.base_score, *params]
        with self._lock:
            db = self._db
            db.execute("DROP TABLE IF EXISTS temp.hits")
            db.execute(f"CREATE TEMP TABLE hits AS {sql}", all_params)
            total = int(db.execute("SELECT count(*) FROM temp.hits").fetchone()[0])
            page = db.execute(
                "SELECT h.id, h.score, d.record FROM temp.hits h JOIN docs d ON d.rowid = h.rowid"
                " ORDER BY h.score DESC, h.id ASC LIMIT ? OFFSET ?",
                (query.limit, query.offset),
            ).fetchall()
            facets = self._facets() if query.facets else {}
            db.execute("DROP TABLE IF EXISTS temp.hits")
        hits = tuple(make_hit(json.loads(rec), score, query, viewer) for _id, score, rec in page)
        return SearchResult(total=total, hits=hits, facets=facets)

    def _facets(self) -> dict[str, tuple[tuple[str, int], ...]]:
        out: dict[str, tuple[tuple[str, int], ...]] = {}
        for name in FACET_FIELDS:
            rows = self._db.execute(
                f"SELECT CAST({name} AS TEXT) AS k, count(*) AS n FROM temp.hits"
                f" WHERE {name} IS NOT NULL GROUP BY k ORDER BY n DESC, k ASC LIMIT ?",
                (FACET_SIZE,),
            ).fetchall()
            out[name] = tuple((str(k), int(n)) for k, n in rows)
        return out

    @staticmethod
    def _filters(query: SearchQuery, viewer: Viewer) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []

        def among(column: str, values: Sequence[str], negate: bool = False) -> None:
            if values:
                op = "NOT IN" if negate else "IN"
                where.append(f"d.{column} {op} ({', '.join('?' * len(values))})")
                params.extend(values)

        among("kind", query.kinds)
        among("kind", viewer.hidden_kinds, negate=True)
        among("status", query.statuses)
        among("book_id", query.books)
        if query.date:
            where.append("d.date_lo <= ? AND d.date_hi >= ?")
            params.extend((query.date.hi, query.date.lo))
        return where, params

    @staticmethod
    def _must(query: SearchQuery) -> str:
        parts: list[str] = []
        parts.extend(_any("ids", group) for group in query.ids)
        parts.extend(_any("certs", group) for group in query.certs)
        parts.extend(_all("office", group) for group in query.offices)
        if query.free:
            parts.append(_all("grams", query.free))
        if query.birth_years:
            lo, hi = query.birth_years
            parts.append(_any("facts", [f"by{y}" for y in range(lo, hi + 1)]))
        if query.ages:
            lo, hi = query.ages
            parts.append(_any("facts", [f"age{a}" for a in range(lo, hi + 1)]))
        return " AND ".join(f"({p})" for p in parts)

    @staticmethod
    def _name_ctes(query: SearchQuery) -> tuple[str, list[Any]]:
        """One CTE per query name (its best tier per row), summed into ``scored``."""
        ctes: list[str] = []
        params: list[Any] = []
        for i, term in enumerate(query.names):
            tiers = [
                (EXACT, term.exact, "names_exact"),
                (VARIANT, term.variants, "{names_exact names}"),
                (PINYIN, term.pinyin, "names_py"),
                (TYPO, term.masks, "names_mask"),
            ]
            selects: list[str] = []
            for score, keys, columns in tiers:
                if keys:
                    selects.append(f"SELECT rowid, {score} AS s FROM fts WHERE fts MATCH ?")
                    params.append(_any(columns, keys))
            ctes.append(
                f"n{i} AS (SELECT rowid, MAX(s) AS s FROM ({' UNION ALL '.join(selects)})"
                " GROUP BY rowid)"
            )
        union = " UNION ALL ".join(f"SELECT rowid, s FROM n{i}" for i in range(len(query.names)))
        ctes.append(f"scored AS (SELECT rowid, SUM(s) AS score FROM ({union}) GROUP BY rowid)")
        return ", ".join(ctes), params
