#!/usr/bin/env python3
"""Measure search on a large generated archive: how long typical researcher queries take, and
whether SQLite answers them from the FTS index and the date indexes (not by scanning).

    python tools/measure_search.py                      # 100,000 articles in /tmp, then measure
    python tools/measure_search.py --articles 20000 --db /tmp/a.sqlite --json

The archive is made of real Vietnamese sentences (the sample portals' articles, recombined),
spread over the registry's sites and 2015-2025, written through ``Archive.write`` exactly as a
crawl writes them (search index included). An existing --db with enough articles is reused.
Prints one line per query (median of --repeat runs, in ms) or, with --json, one JSON object;
exits 1 when a query is slower than --budget-ms or a query plan scans instead of using an index.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.search import Filters, count, search
from archive.store import Archive, Batch
from portal_archive.sample_portal import DEFAULT_SITES_DIR
from portals.extract import Record
from portals.items import Provenance
from portals.registry import load_registry

# (label, query, filters, order)
QUERIES: list[tuple[str, str, dict[str, object], str]] = [
    ("common word, no diacritics", "thanh pho", {}, "relevance"),
    ("words apart allowed", "thanh nang", {}, "relevance"),
    ("common word, diacritics", "Thành phố", {}, "relevance"),
    ("phrase", '"cong nghe thong tin"', {}, "relevance"),
    ("rare word", "vac xin", {}, "relevance"),
    ("prefix", "du*", {}, "relevance"),
    ("boolean", "(da nang OR hue) AND NOT covid", {}, "relevance"),
    ("newest first", "thanh pho", {}, "date"),
    ("one site", "thanh pho", {"site": "danang.gov.vn"}, "relevance"),
    ("province (pre-2025 name)", "du lich", {"province": "thua thien hue"}, "relevance"),
    ("one year", "thanh pho", {"since": "2020-01-01", "until": "2020-12-31"}, "relevance"),
    ("site + year, newest first", "thanh pho", {"site": "danang.gov.vn", "since": "2020-01-01"}, "date"),
    ("platform family", "thanh pho", {"family": "liferay"}, "relevance"),
]


def sentences() -> list[str]:
    found = []
    for expected in sorted(DEFAULT_SITES_DIR.glob("*/expected.json")):
        for article in json.loads(expected.read_text(encoding="utf-8"))["articles"]:
            for part in (article.get("title"), article.get("body")):
                found += [s.strip() for s in (part or "").replace("\n", " ").split(". ") if len(s.strip()) > 20]
    return found


def build(path: Path, n: int, seed: int = 5) -> None:
    rng = random.Random(seed)
    pool = sentences()
    sites = sorted(load_registry().values(), key=lambda s: s.domain)
    with Archive(path) as archive:
        archive.sync_sites(s.as_row() for s in sites)
        have = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        batch = Batch()
        for i in range(have, n):
            site = rng.choice(sites)
            day = f"{rng.randint(2015, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            record = Record(
                url=f"https://{site.domain}/tin-tuc/{i}",
                site=site.domain,
                family=site.family,
                title=" ".join(rng.sample(pool, 1))[:140],
                date=day,
                body="\n\n".join(". ".join(rng.sample(pool, 4)) + "." for _ in range(rng.randint(2, 6))),
            )
            batch.articles.append((record, Provenance(f"{day}T12:00:00+07:00", record.url)))
            if len(batch.articles) == 2000:
                archive.write(batch)
                batch = Batch()
                print(f"  {i + 1:,} articles", file=sys.stderr, end="\r")
        archive.write(batch)


def plan(archive: Archive, sql: str, params: list[object]) -> str:
    return " | ".join(row[3] for row in archive.db.execute(f"EXPLAIN QUERY PLAN {sql}", params))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=Path("/tmp/portal-archive-measure.sqlite"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--budget-ms", type=float, default=750.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    started = time.perf_counter()
    build(args.db, args.articles)
    built_s = time.perf_counter() - started
    results, ok = [], True
    with Archive(args.db, readonly=True) as archive:
        total = archive.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        for label, query, options, order in QUERIES:
            filters = Filters.of(**options)  # type: ignore[arg-type]
            times, hits, matches = [], [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                hits = search(archive, query, filters, order=order, limit=20)
                matches = count(archive, query, filters)
                times.append((time.perf_counter() - t0) * 1000)
            ms = statistics.median(times)
            ok &= ms <= args.budget_ms
            results.append({"query": label, "text": query, "ms": round(ms, 1), "hits": len(hits), "matches": matches})
        # The plans: the index of the FTS table for every match, the date indexes for exports by date.
        plans = {
            "search": plan(archive, "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?", ['"hue"']),
            "titles": plan(archive, "SELECT rowid FROM articles_title_fts WHERE articles_title_fts MATCH ?", ['"hue"']),
            "site and date": plan(
                archive, "SELECT id FROM articles a WHERE a.site = ? AND a.date >= ?", ["danang.gov.vn", "2020-01-01"]
            ),
            "date": plan(archive, "SELECT id FROM articles a WHERE a.date >= ? AND a.date < ?", ["2020-01-01", "2021-01-01"]),
            "family": plan(archive, "SELECT id FROM articles a WHERE a.family IN (?)", ["liferay"]),
        }
        ok &= "VIRTUAL TABLE INDEX" in plans["search"] and "VIRTUAL TABLE INDEX" in plans["titles"]
        ok &= "articles_site_date" in plans["site and date"] and "articles_date" in plans["date"]
        ok &= "articles_family_date" in plans["family"]
    report = {"articles": total, "build_s": round(built_s, 1), "budget_ms": args.budget_ms, "queries": results, "plans": plans}
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"{total:,} articles in {args.db} (built or topped up in {built_s:.1f} s)")
        for r in results:
            print(f"{r['ms']:8.1f} ms  {r['matches']:7,} matches  {r['query']}: {r['text']}")
        for name, text in plans.items():
            print(f"plan ({name}): {text}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
