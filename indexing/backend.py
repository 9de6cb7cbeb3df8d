"""The search backend interface, and the choice between Elasticsearch and the embedded index.

Everything above this layer (CLI, review UI) talks to a :class:`SearchBackend`
and never to an engine. An installation without Elasticsearch still searches:
the embedded SQLite FTS5 index in its own file is the default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from indexing.access import Viewer
from indexing.query import SearchQuery
from indexing.result import SearchResult


@runtime_checkable
class SearchBackend(Protocol):
    """What every search engine adapter provides."""

    name: str

    def ensure_schema(self) -> None:
        """Create the index, or rebuild it when ``SCHEMA_VERSION`` changed."""

    def recreate(self) -> None:
        """Drop everything and start with an empty index of the current schema."""

    def index(self, records: Iterable[Mapping[str, Any]], *, refresh: bool = False) -> int:
        """Add or replace records (RECORDS.md export shape); returns how many."""

    def delete(self, ids: Iterable[str]) -> int:
        """Remove records by id; unknown ids are ignored. Returns how many were asked."""

    def refresh(self) -> None:
        """Make everything indexed so far visible to search."""

    def count(self) -> int:
        """Records in the index, regardless of any viewer."""

    def search(self, query: SearchQuery, viewer: Viewer) -> SearchResult:
        """Matching records, best first, as ``viewer`` may see them."""

    def close(self) -> None:
        """Release connections."""


def open_backend(elasticsearch_url: str | None, embedded_path: Path) -> SearchBackend:
    """Elasticsearch when a URL is configured, else the embedded index at ``embedded_path``."""
    if elasticsearch_url:
        from indexing.es import ElasticsearchBackend

        backend: SearchBackend = ElasticsearchBackend(elasticsearch_url)
    else:
        from indexing.embedded import EmbeddedBackend

        backend = EmbeddedBackend(embedded_path)
    backend.ensure_schema()
    return backend
