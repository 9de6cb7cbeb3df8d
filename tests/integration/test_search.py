"""Search behaviour registrars rely on, run against BOTH backends (real SQLite FTS5, real
Elasticsearch 9). Start Elasticsearch first: ``eval "$(scripts/elasticsearch.sh start)"``.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexing.access import SearchNotAllowed, Viewer
from indexing.backend import SearchBackend
from indexing.embedded import EmbeddedBackend
from indexing.query import EXACT, PINYIN, TYPO, VARIANT, parse_query
from indexing.result import SearchResult

pytestmark = pytest.mark.integration

ALL = Viewer.everything()
CLERK = Viewer()  # no adoption, no IDs


def rec(rid: str, kind: str = "marriage", status: str = "auto_accepted",
        book: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": rid, "kind": kind, "status": status,
        "source": {"file": "book.pdf", "page": 1},
        "fields": {},
    }
    for key, value in fields.items():
        original = value
        if isinstance(value, tuple):
            value, original = value
        out["fields"][key] = {"value": value, "original": original, "confidence": 0.99,
                              "needs_review": False}
    if book:
        out["book"] = book
    return out


BOOK = {"id": "B-1965", "archive_ref": "J1-1965", "registry_office": "北京市东城区民政局",
        "year_from": 1965, "year_to": 1967}
RECORDS: list[dict[str, Any]] = [
    rec("r-exact", male_name="王建国", female_name="李秀英", registration_date="1965-03-12",
        certificate_no="(65)京婚字第0012号", registry_office="北京市东城区民政局",
        male_id_number="11010119400312123X", book=BOOK),
    rec("r-trad", male_name=("王建国", "王建國"), female_name="张丽",
        registration_date="1966-05-01", registry_office="北京市东城区民政局", book=BOOK),
    rec("r-pinyin", male_name="汪建国", female_name="陈红", registration_date="1967-01-20",
        registry_office="北京市西城区民政局"),
    rec("r-typo", male_name="王建图", female_name="赵敏", registration_date="1968-07-07",
        registry_office="北京市西城区民政局"),
    rec("r-other-wife", male_name="刘德明", female_name="李秀英", registration_date="1972-04-02",
        male_age=25, registry_office="上海市黄浦区民政局"),
    rec("r-shan", male_name="单志强", female_name="周芳", registration_date="1980-02-02",
        male_id_number="110101550101201", registry_office="上海市黄浦区民政局"),
    rec("r-divorce", kind="divorce", status="needs_review", male_name="孙立", female_name="吴霞",
        registration_date="1985-09", certificate_no="沪离字第77号",
        registry_office="上海市黄浦区民政局"),
    rec("r-adopt", kind="adoption", adopter_name="王建国", adoptee_name="王小宝",
        registration_date="1990-06-01", registry_office="北京市东城区民政局"),
]
FILLERS = [
    rec(f"r-fill-{i:02d}", male_name=f"钱{c}", female_name=f"郑{c}",
        registration_date=f"1975-{1 + i % 12:02d}-01", registry_office="天津市和平区民政局")
    for i, c in enumerate("一二三四五六七八九十百千万亿甲乙丙丁戊己庚辛壬癸")
]


def _es_url() -> str | None:
    url = os.environ.get("DANGAN_TEST_ES_URL")
    if not url and os.environ.get("DANGAN_REQUIRE_SERVICES") == "1":
        pytest.fail("DANGAN_TEST_ES_URL is not set but DANGAN_REQUIRE_SERVICES=1: "
                    'run eval "$(scripts/elasticsearch.sh start)" first')
    return url


def _open(kind: str, tmp: Path, alias: str | None = None, version: int | None = None
          ) -> SearchBackend:
    if kind == "embedded":
        from indexing.schema import SCHEMA_VERSION
        return EmbeddedBackend(tmp / "search.sqlite3", schema_version=version or SCHEMA_VERSION)
    url = _es_url()
    if not url:
        pytest.skip("Elasticsearch not running: set DANGAN_TEST_ES_URL "
                    '(eval "$(scripts/elasticsearch.sh start)")')
    from indexing.es import ElasticsearchBackend
    from indexing.schema import SCHEMA_VERSION
    return ElasticsearchBackend(url, alias=alias or f"dangan-test-{uuid.uuid4().hex[:8]}",
                                schema_version=version or SCHEMA_VERSION)


def _drop(backend: SearchBackend) -> None:
    from indexing.es import ElasticsearchBackend
    if isinstance(backend, ElasticsearchBackend):
        backend.client.indices.delete(index=f"{backend.alias}-v*")
    backend.close()


@pytest.fixture(scope="module", params=["embedded", "es"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[SearchBackend]:
    b = _open(request.param, tmp_path_factory.mktemp(request.param))
    b.recreate()
    assert b.index(RECORDS + FILLERS, refresh=True) == len(RECORDS) + len(FILLERS)
    yield b
    _drop(b)


def search(b: SearchBackend, text: str, viewer: Viewer = ALL, **kw: Any) -> SearchResult:
    return b.search(parse_query(text, **kw), viewer)


def test_count(backend: SearchBackend) -> None:
    assert backend.count() == len(RECORDS) + len(FILLERS)


def test_name_ranking_exact_variant_pinyin_typo(backend: SearchBackend) -> None:
    result = search(backend, "王建国", CLERK)
    assert result.ids[:4] == ["r-exact", "r-trad", "r-pinyin", "r-typo"]
    assert [h.score for h in result.hits[:4]] == [EXACT, VARIANT, PINYIN, TYPO]
    assert result.total == 4  # the adoption record (adopter 王建国) stays hidden


def test_traditional_query_finds_simplified(backend: SearchBackend) -> None:
    result = search(backend, "王建國")
    assert result.ids[0] == "r-trad"  # exactly as written
    assert result.ids[1] == "r-adopt" or result.ids[1] == "r-exact"
    assert {"r-exact", "r-trad", "r-adopt"} <= set(result.ids)


def test_surname_reading_pinyin(backend: SearchBackend) -> None:
    # 单 as a surname reads "shan": the homophone 善 and typed pinyin both find it.
    assert search(backend, "善志强").ids[0] == "r-shan"
    assert search(backend, "shan zhiqiang").ids == ["r-shan"]


def test_couple_query_ranks_couple_first(backend: SearchBackend) -> None:
    result = search(backend, "王建国 李秀英", CLERK)
    assert result.ids[0] == "r-exact"
    assert result.hits[0].score == 2 * EXACT
    assert "r-other-wife" in result.ids  # one party alone still matches, lower


def test_year_month_and_range(backend: SearchBackend) -> None:
    assert search(backend, "王建国 1965", CLERK).ids == ["r-exact"]
    assert search(backend, "王建国 1965-03", CLERK).ids == ["r-exact"]
    assert search(backend, "王建国 1965-04", CLERK).ids == []
    assert search(backend, "王建国 1965年至1967年", CLERK).ids == ["r-exact", "r-trad", "r-pinyin"]
    assert search(backend, "1985年9月").ids == ["r-divorce"]  # month-only record date


def test_age_in_ledger(backend: SearchBackend) -> None:
    # Age 25 at a 1972 registration: born 1946 or 1947.
    assert search(backend, "1947年生").ids == ["r-other-wife"]
    assert search(backend, "出生1946").ids == ["r-other-wife"]
    assert search(backend, "1948年生").ids == []
    assert search(backend, "刘德明 25岁").ids == ["r-other-wife"]


def test_id_15_and_18(backend: SearchBackend) -> None:
    assert search(backend, "110101400312123").ids == ["r-exact"]  # 15 finds 18
    assert search(backend, "11010119550101201X".replace("X", "")).ids == []  # 17 digits: no ID
    from records.normalize import id15_to_18
    assert search(backend, id15_to_18("110101550101201")).ids == ["r-shan"]  # 18 finds 15


def test_certificate_number_ignores_punctuation(backend: SearchBackend) -> None:
    for text in ("(65)京婚字第0012号", "〔65〕京婚字第12号", "65京婚字12", "京婚字第12号"):
        assert search(backend, text).ids == ["r-exact"], text
    assert search(backend, "沪离字77").ids == ["r-divorce"]


def test_filters_office_kind_status_book(backend: SearchBackend) -> None:
    assert search(backend, "东城区", CLERK).ids == ["r-exact", "r-trad"]
    assert search(backend, "离婚").ids == ["r-divorce"]
    assert search(backend, "status:needs_review").ids == ["r-divorce"]
    assert search(backend, "book:B-1965").ids == ["r-exact", "r-trad"]
    assert search(backend, "王建国", kind="marriage", office="西城区").ids == [
        "r-pinyin", "r-typo"]


def test_adoption_hidden_without_permission(backend: SearchBackend) -> None:
    assert search(backend, "王小宝", CLERK).total == 0
    assert search(backend, "收养", CLERK).ids == []
    assert search(backend, "王小宝", Viewer(may_see_adoption=True)).ids == ["r-adopt"]
    facets = dict(search(backend, "", CLERK).facets["kind"])
    assert "adoption" not in facets


def test_id_masked_unless_allowed(backend: SearchBackend) -> None:
    hit = search(backend, "王建国 李秀英", CLERK).hits[0]
    masked = hit.record["fields"]["male_id_number"]
    assert masked["value"] == "110101********123X" and masked["original"] == masked["value"]
    hit = search(backend, "王建国 李秀英", ALL).hits[0]
    assert hit.record["fields"]["male_id_number"]["value"] == "11010119400312123X"
    with pytest.raises(SearchNotAllowed):
        search(backend, "110101400312123", CLERK)


def test_highlights(backend: SearchBackend) -> None:
    hit = search(backend, "王建国 1965-03 东城区").hits[0]
    assert hit.highlights["male_name"] == "<em>王建国</em>"
    assert hit.highlights["registration_date"] == "<em>1965-03-12</em>"
    assert "registry_office" in hit.highlights
    typo = next(h for h in search(backend, "王建国").hits if h.id == "r-typo")
    assert typo.highlights["male_name"] == "<em>王</em><em>建</em>图"


def test_pagination(backend: SearchBackend) -> None:
    full = search(backend, "天津市和平区", limit=50)
    assert full.total == len(FILLERS)
    pages = [search(backend, "天津市和平区", limit=7, offset=o).ids for o in range(0, 28, 7)]
    assert [i for page in pages for i in page] == full.ids
    assert search(backend, "天津市和平区", limit=7, offset=7).total == full.total


def test_facets(backend: SearchBackend) -> None:
    facets = search(backend, "", ALL).facets
    assert dict(facets["kind"]) == {"marriage": 30, "divorce": 1, "adoption": 1}
    assert facets["office"][0] == ("天津市和平区民政局", 24)
    assert dict(facets["year"])["1975"] == 24
    assert dict(facets["year"])["1965"] == 1


def test_to_json_shape(backend: SearchBackend) -> None:
    out = search(backend, "王建国", CLERK).to_json()
    assert out["total"] == 4
    assert set(out["hits"][0]) >= {"id", "score", "record"}
    assert out["hits"][0]["record"]["fields"]["male_name"]["value"] == "王建国"


def test_backends_agree(tmp_path: Path) -> None:
    """The embedded backend is the reference: Elasticsearch gives the same hits."""
    backend = _open("es", tmp_path / "es")
    backend.recreate()
    backend.index(RECORDS + FILLERS, refresh=True)
    ref = EmbeddedBackend(tmp_path / "ref.sqlite3")
    ref.recreate()
    ref.index(RECORDS + FILLERS)
    for text in ("王建国", "王建國", "王建国 李秀英", "汪建国 1967", "单志强", "李秀英 东城区",
                 "1965年至1990年", "", "北京市"):
        a, b = search(ref, text), search(backend, text)
        assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits], text
        assert a.total == b.total and a.facets == b.facets, text
    ref.close()
    _drop(backend)


@pytest.mark.parametrize("kind", ["embedded", "es"])
def test_correction_searchable_within_a_second(kind: str, tmp_path: Path) -> None:
    b = _open(kind, tmp_path)
    try:
        b.recreate()
        b.index(RECORDS[:2], refresh=True)
        fixed = rec("r-exact", male_name="王建民", female_name="李秀英")
        started = time.monotonic()
        b.index([fixed])  # no explicit refresh: the refresh interval must do it
        def corrected() -> bool:
            hits = search(b, "王建民").hits
            return bool(hits) and hits[0].id == "r-exact" and hits[0].score == EXACT

        while not corrected():
            assert time.monotonic() - started < 1.5, "correction not searchable within ~1 s"
            time.sleep(0.05)
        b.delete(["r-exact"])
        b.refresh()
        assert "r-exact" not in search(b, "王建民").ids
        assert b.count() == 1
    finally:
        _drop(b)


@pytest.mark.parametrize("kind", ["embedded", "es"])
def test_schema_version_change_reindexes_and_keeps_serving(kind: str, tmp_path: Path) -> None:
    alias = f"dangan-test-{uuid.uuid4().hex[:8]}"
    v1 = _open(kind, tmp_path, alias=alias, version=1)
    v1.ensure_schema()
    v1.index(RECORDS, refresh=True)
    v2 = _open(kind, tmp_path, alias=alias, version=2)
    try:
        from indexing.es import ElasticsearchBackend
        if isinstance(v2, ElasticsearchBackend):
            seen: list[list[str]] = []

            def during() -> None:
                # New index built, alias not yet swapped: the live index still answers.
                assert v2._live_indices() == [f"{alias}-v1"]
                seen.append(search(v1, "王建国", CLERK).ids)

            v2.ensure_schema(on_copied=during)
            assert seen == [["r-exact", "r-trad", "r-pinyin", "r-typo"]]
            assert v2._live_indices() == [f"{alias}-v2"]
            assert not v2.client.indices.exists(index=f"{alias}-v1")
        else:
            v2.ensure_schema()
        assert v2.count() == len(RECORDS)
        assert search(v2, "王建国", CLERK).ids == ["r-exact", "r-trad", "r-pinyin", "r-typo"]
    finally:
        v1.close()
        _drop(v2)
