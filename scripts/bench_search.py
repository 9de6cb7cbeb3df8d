#!/usr/bin/env python
"""Search benchmark: recall@10 per query type, latency percentiles, bulk indexing rate.

Indexes N synthetic records (generated directly as RECORDS.md dicts) into each
backend, runs a fixed query mix built from the truth (exact couple names,
traditional forms, same-pinyin homophones, one-character typos, name + date
range, 15↔18 ID numbers, certificate numbers without punctuation) and the same
mix on a plain SQL ``LIKE`` scan as the baseline.

    .venv/bin/python scripts/bench_search.py --backend both --records 100000
    eval "$(scripts/elasticsearch.sh start)"; .venv/bin/python scripts/bench_search.py \
        --backend es --records 1000000

The last line per backend: ``recall10=… p95_ms=… index_rps=… backend=…``.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from indexing._text import _readings, to_traditional
from indexing.access import Viewer
from indexing.backend import SearchBackend
from indexing.query import parse_query
from records.normalize import id15_to_18

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红文辉玉梅凤云春海金荣"
    "庆德胜利民生光林宝成永福祥瑞贵东晓波鹏飞宏亮新斌正清淑珍琴燕萍玲莉雪梅兵锋俊峰"
    "松柏山水泉江河湖月星晨阳光辉耀宇宁安康泰和顺昌盛兴旺富有德仁义礼智信忠孝廉耻"
)
OFFICES = [f"{c}市{d}区民政局" for c in ("北京", "上海", "天津", "重庆", "广州", "成都")
           for d in ("东城", "西城", "和平", "黄浦", "河西", "南岸", "越秀")]
ABBR = {"北京": "京", "上海": "沪", "天津": "津", "重庆": "渝", "广州": "穗", "成都": "蓉"}


def field(value: Any, original: Any = None) -> dict[str, Any]:
    return {"value": value, "original": original if original is not None else value,
            "confidence": 0.99, "needs_review": False}


def check_digit(first17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def make_records(n: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    for i in range(n):
        def name() -> str:
            k = 2 if rnd.random() < 0.75 else 1
            return rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(k))

        male, female = name(), name()
        year = rnd.randint(1950, 1999)
        date = f"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        office = rnd.choice(OFFICES)
        fields = {
            "male_name": field(male, to_traditional(male) if rnd.random() < 0.1 else male),
            "female_name": field(female),
            "registration_date": field(date),
            "registry_office": field(office),
            "certificate_no": field(f"({year % 100:02d}){ABBR[office[:2]]}婚字第{i:07d}号"),
        }
        if year >= 1985 or rnd.random() < 0.3:
            by = year - rnd.randint(20, 35)
            first = f"{110101 + rnd.randint(0, 9999):06d}{by}{rnd.randint(1, 12):02d}" \
                    f"{rnd.randint(1, 28):02d}{i % 1000:03d}"
            id18 = first + check_digit(first)
            fields["male_id_number"] = field(id18 if year >= 1999 or rnd.random() < 0.5
                                             else id18[:6] + id18[8:17])
        kind = "divorce" if rnd.random() < 0.15 else "marriage"
        yield {"id": f"rec-{i:08d}", "kind": kind, "status": "auto_accepted",
               "source": {"file": f"book-{year}.pdf", "page": 1 + i % 300, "row": 1 + i % 12},
               "fields": fields}


@dataclass(frozen=True)
class Probe:
    kind: str
    text: str
    target: str
    like: tuple[str, str]  # (column, pattern) for the LIKE baseline


def homophones() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for c in dict.fromkeys(GIVEN):
        groups[(_readings(c) or ("",))[0]].append(c)
    return {c: [o for o in g if o != c] for g in groups.values() for c in g if len(g) > 1}


def make_probes(records: list[dict[str, Any]], per_type: int, seed: int = 11) -> list[Probe]:
    rnd = random.Random(seed)
    homo = homophones()
    out: list[Probe] = []
    sample = rnd.sample(records, min(len(records), per_type * 20))
    by_type: dict[str, int] = defaultdict(int)

    def add(kind: str, text: str, target: str, like: tuple[str, str]) -> None:
        if by_type[kind] < per_type:
            by_type[kind] += 1
            out.append(Probe(kind, text, target, like))

    for r in sample:
        f = r["fields"]
        male, female = f["male_name"]["value"], f["female_name"]["value"]
        rid = r["id"]
        add("exact", f"{male} {female}", rid, ("male_name", male))
        add("traditional", f"{to_traditional(male)} {to_traditional(female)}", rid,
            ("male_name", to_traditional(male)))
        spots = [i for i, c in enumerate(male) if i > 0 and c in homo]
        if spots:
            i = rnd.choice(spots)
            alt = male[:i] + rnd.choice(homo[male[i]]) + male[i + 1:]
            add("pinyin", f"{alt} {female}", rid, ("male_name", alt))
        i = rnd.randrange(1, len(male))
        typo = male[:i] + rnd.choice([c for c in GIVEN if c != male[i]]) + male[i + 1:]
        add("typo", f"{typo} {female}", rid, ("male_name", typo))
        year = int(f["registration_date"]["value"][:4])
        add("date_range", f"{male} {year - 1}年至{year + 1}年", rid, ("male_name", male))
        if "male_id_number" in f:
            number = f["male_id_number"]["value"]
            other = id15_to_18(number) if len(number) == 15 else number[:6] + number[8:17]
            add("id_15_18", other, rid, ("male_id_number", other))
        cert = f["certificate_no"]["value"]
        bare = "".join(c for c in cert if c not in "()第号")
        add("certificate", bare, rid, ("certificate_no", bare))
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_probes(search: Any, probes: list[Probe]) -> tuple[dict[str, float], list[float]]:
    found: dict[str, list[bool]] = defaultdict(list)
    latencies: list[float] = []
    for p in probes:
        t = time.perf_counter()
        ids = search(p)
        latencies.append((time.perf_counter() - t) * 1000)
        found[p.kind].append(p.target in ids[:10])
    return {k: sum(v) / len(v) for k, v in found.items()}, latencies


def like_baseline(records: list[dict[str, Any]], probes: list[Probe], path: Path
                  ) -> tuple[dict[str, float], list[float]]:
    db = sqlite3.connect(str(path))
    db.execute("CREATE TABLE plain (id TEXT, male_name TEXT, female_name TEXT,"
               " male_id_number TEXT, certificate_no TEXT)")
    db.executemany("INSERT INTO plain VALUES (?, ?, ?, ?, ?)", (
        (r["id"], r["fields"]["male_name"]["original"], r["fields"]["female_name"]["value"],
         (r["fields"].get("male_id_number") or {}).get("value"),
         r["fields"]["certificate_no"]["value"]) for r in records))
    db.commit()

    def search(p: Probe) -> list[str]:
        column, pattern = p.like
        rows = db.execute(f"SELECT id FROM plain WHERE {column} LIKE ? LIMIT 10",
                          (f"%{pattern}%",)).fetchall()
        return [r[0] for r in rows]

    result = run_probes(search, probes)
    db.close()
    return result


def open_named(name: str, tmp: Path) -> SearchBackend:
    if name == "embedded":
        from indexing.embedded import EmbeddedBackend
        return EmbeddedBackend(tmp / "bench.sqlite3")
    from indexing.es import ElasticsearchBackend
    url = os.environ.get("DANGAN_TEST_ES_URL") or os.environ.get("DANGAN_ES_URL")
    if not url:
        sys.exit('set DANGAN_TEST_ES_URL (eval "$(scripts/elasticsearch.sh start)")')
    return ElasticsearchBackend(url, alias="dangan-bench")


def bench(name: str, records: list[dict[str, Any]], probes: list[Probe],
          like: tuple[dict[str, float], list[float]], tmp: Path) -> str:
    backend = open_named(name, tmp)
    backend.recreate()
    t = time.perf_counter()
    chunk = 20_000
    for start in range(0, len(records), chunk):
        backend.index(records[start:start + chunk])
    backend.refresh()
    index_s = time.perf_counter() - t
    rps = len(records) / index_s
    print(f"[{name}] indexed {backend.count()} records in {index_s:.1f}s = {rps:,.0f} records/s")
    viewer = Viewer.everything()
    for p in probes[:20]:  # warm-up
        backend.search(parse_query(p.text), viewer)
    recall, lat = run_probes(lambda p: backend.search(parse_query(p.text), viewer).ids, probes)
    like_recall, like_lat = like
    per_type_lat: dict[str, list[float]] = defaultdict(list)
    for p, ms in zip(probes, lat, strict=True):
        per_type_lat[p.kind].append(ms)
    print(f"[{name}] {'type':<12} {'recall@10':>9} {'p50_ms':>7} {'p95_ms':>7} "
          f"{'LIKE_recall':>11} {'LIKE_p95':>8}")
    like_by_type: dict[str, list[float]] = defaultdict(list)
    for p, ms in zip(probes, like_lat, strict=True):
        like_by_type[p.kind].append(ms)
    for kind in recall:
        print(f"[{name}] {kind:<12} {recall[kind]:>9.1%} {pct(per_type_lat[kind], 50):>7.1f} "
              f"{pct(per_type_lat[kind], 95):>7.1f} {like_recall.get(kind, 0):>11.1%} "
              f"{pct(like_by_type[kind], 95):>8.1f}")
    p50, p95, p99 = (pct(lat, q) for q in (50, 95, 99))
    like_p95 = pct(like_lat, 95)
    print(f"[{name}] latency p50={p50:.1f}ms p95={p95:.1f}ms p99={p99:.1f}ms; "
          f"LIKE scan p95={like_p95:.1f}ms (x{like_p95 / p95:.1f} slower), "
          f"LIKE recall@10={statistics.mean(like_recall.values()):.1%}")
    backend.close()
    return (f"recall10={min(recall.values()):.4f} p95_ms={p95:.1f} index_rps={rps:.0f} "
            f"backend={name} records={len(records)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--backend", choices=["embedded", "es", "both"], default="both")
    ap.add_argument("--queries", type=int, default=200, help="queries per type")
    args = ap.parse_args()
    t = time.perf_counter()
    records = list(make_records(args.records))
    probes = make_probes(records, args.queries)
    print(f"generated {len(records):,} records, {len(probes)} queries "
          f"in {time.perf_counter() - t:.1f}s")
    names = ["embedded", "es"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory() as tmp:
        like = like_baseline(records, probes, Path(tmp) / "like.sqlite3")
        lines = [bench(n, records, probes, like, Path(tmp)) for n in names]
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
