"""The benchmark harness (benchmarks/): the synthetic portal is what it claims to be, and
``run.py --smoke`` runs end to end. No timing is asserted anywhere: figures depend on the machine."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.synthetic import Portal, PortalServer, records, search_queries
from portals.extract import analyse
from portals.links import classify_links
from portals.profiles import get_profile

ROOT = Path(__file__).resolve().parent.parent
LAST_LINE = re.compile(
    r"bench extract_ms=(?P<extract_ms>[\d.]+) trafilatura_ms=[\d.]+ extract_speedup=[\d.]+ crawl_pages_s=[\d.]+ "
    r"bare_pages_s=[\d.]+ crawl_efficiency=[\d.]+ peak_rss_mb=[\d.]+ ingest_rows_s=\d+ ingest_fts5_ratio=[\d.]+ "
    r"merge_rows_s=\d+ search_p95_ms=[\d.]+ search_rel_p95_ms=[\d.]+ recrawl_request_share=[\d.]+ "
    r"sitemap_recrawl_extra=(?P<sitemap_recrawl_extra>\d+)"
)


@pytest.fixture(scope="module")
def portal() -> Portal:
    return Portal(600, seed=3)


def test_every_family_is_served_with_its_url_scheme_and_read_back(portal: Portal) -> None:
    assert len({site.family.name for site in portal.sites.values()}) >= 3
    for site in portal.sites.values():
        profile = get_profile(site.family.name)
        for a in site.articles[:: max(1, len(site.articles) // 3)]:
            url = site.url(a)
            kind, response = portal.get(url)
            assert (kind, response.status) == ("article", 200), url
            assert 8 * 1024 <= len(response.body) <= 60 * 1024, url
            page = analyse(response.body, url)
            assert profile.is_article(url) and page.is_article, url
            _, paragraphs, author, _ = site.content(a)
            record = page.record
            assert record.family == site.family.name
            assert (record.title, record.body) == (a.title, "\n\n".join(paragraphs)), url
            assert record.date and record.date[:10] == a.published.date().isoformat(), url
            assert record.visitor_stats and record.source and author in record.source.text, url
        listing = f"http://{site.host}{site.family.listing_path(0, 2)}"
        kind, response = portal.get(listing)
        assert (kind, response.status) == ("listing", 200), listing
        found = Counter(classify_links(analyse(response.body, listing), [site.host]).values())
        assert found["article"] >= site.family.per_page and found["listing"] >= 2, (listing, found)


def test_conditional_requests_and_edits(portal: Portal) -> None:
    site = next(iter(portal.sites.values()))
    url = site.url(site.articles[5])
    _, first = portal.get(url)
    _, again = portal.get(url, {"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and again.body == b""
    _, since = portal.get(url, {"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status == 304
    edited = Portal(600, seed=3)
    changed = edited.change(40, seed=9)
    assert len(changed) == 40
    for changed_url in changed[:5]:
        _, before = portal.get(changed_url)
        _, after = edited.get(changed_url, {"If-None-Match": before.headers["ETag"]})
        assert after.status == 200 and after.body != before.body


def test_unknown_pages_answer_404_and_the_server_works_as_a_proxy(portal: Portal) -> None:
    site = next(iter(portal.sites.values()))
    assert portal.get(f"http://{site.host}{site.family.listing_path(0, 10_000)}")[1].status == 404
    assert portal.get("http://example.org/")[1].status == 502
    import http.client

    with PortalServer(portal) as server:
        conn = http.client.HTTPConnection("127.0.0.1", int(server.url.rsplit(":", 1)[1]), timeout=10)
        for path in ("/robots.txt", site.family.listing_path(1, 1)):
            conn.request("GET", f"http://{site.host}{path}")
            response = conn.getresponse()
            assert response.status == 200 and response.read()
        conn.close()
        assert server.stats.requests == 2


def test_generation_is_deterministic() -> None:
    one, two = Portal(200, seed=5), Portal(200, seed=5)
    for site in one.sites.values():
        url = site.url(site.articles[-1])
        assert one.get(url) == two.get(url)
    first = [r.to_dict() for r, _ in records(20)]
    assert first == [r.to_dict() for r, _ in records(20)]
    words, phrases = search_queries(10)
    assert all(len(q.split()) == 2 for q in words) and all(q.startswith('"') for q in phrases)


def test_run_smoke_prints_a_well_formed_last_line(tmp_path: Path) -> None:
    pytest.importorskip("trafilatura")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    last = LAST_LINE.fullmatch(lines[-1])
    assert last, lines[-1]
    assert any(line.startswith("crawl_efficiency") for line in lines), result.stdout
    # Led by its sitemaps, an incremental re-crawl asks for the edited articles and the sitemaps only.
    assert last["sitemap_recrawl_extra"] == "0", result.stdout


def test_the_copies_benchmark_runs_and_writes_what_it_says(tmp_path: Path) -> None:
    from archive.store import Archive
    from benchmarks.copies import measure

    result = measure(60, tmp_path)
    assert result["template_s"] > 0 and result["distinct_s"] > 0
    assert result["ratio"] == pytest.approx(result["template_s"] / result["distinct_s"])
    for kind in ("template", "distinct"):  # 60 articles of one site each, none linked to another
        with Archive(tmp_path / f"{kind}.sqlite", readonly=True) as archive:
            assert archive.db.execute("SELECT count(*), count(DISTINCT site) FROM articles").fetchone() == (60, 1)
            assert archive.db.execute("SELECT count(*) FROM article_copies").fetchone() == (0,)
            assert archive.db.execute("SELECT count(DISTINCT article_id) FROM copy_bands").fetchone() == (60,)
