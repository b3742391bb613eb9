"""End to end: the saved portals served over HTTP on 127.0.0.1, crawled by the real spider
(in its own process, through the CLI) into a real SQLite file."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from archive.warc import read_record
from portal_archive.sample_portal import SamplePortalServer, route_key
from portals.extract import extract
from portals.urls import canonicalize

from .conftest import SITES, expected_articles, run_cli

HOSTS = sorted(p.name for p in SITES.iterdir() if (p / "expected.json").exists())


def _stored(db: Path) -> dict[str, dict]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT a.url, v.record FROM articles a JOIN version_records v ON v.article_id = a.id AND v.version = a.versions"
    ).fetchall()
    conn.close()
    return {url: json.loads(record) for url, record in rows}


def _crawl(host: str, proxy: SamplePortalServer, db: Path, *options: str) -> list[str]:
    before = len(proxy.requests_seen)
    result = run_cli("crawl", f"http://{host}/", "--db", str(db), "--proxy", proxy.url, "--delay", "0", *options)
    assert result.code == 0, result.err + result.out
    return proxy.requests_seen[before:]


@pytest.mark.parametrize("host", HOSTS)
def test_crawl_stores_every_article_once_and_only_on_site(host: str, portal_proxy: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    fetched = _crawl(host, portal_proxy, db)

    # Every article stored exactly once, with every field as written down by hand.
    expected = expected_articles(host)
    stored = _stored(db)
    assert sorted(stored) == sorted(expected)
    for url, record in expected.items():
        wrong = {k: (v, stored[url][k]) for k, v in record.items() if stored[url][k] != v}
        assert not wrong, f"{url}: {wrong}"

    # Nothing off-site, nothing robots.txt forbids, no trap, no URL twice.
    hosts = {urlsplit(u).hostname for u in fetched}
    assert hosts == {host}, f"fetched off-site: {hosts - {host}}"
    robots = (SITES / host / "robots.txt").read_text(encoding="utf-8")
    disallowed = [line.split(":", 1)[1].strip() for line in robots.splitlines() if line.lower().startswith("disallow:")]
    for url in fetched:
        path = urlsplit(url).path
        assert not any(rule and path.startswith(rule) for rule in disallowed), f"robots.txt forbids {url}"
    keys = Counter(route_key(urlsplit(u).path, urlsplit(u).query) for u in fetched)
    assert [k for k, n in keys.items() if n > 1] == [], "a URL was fetched twice"

    # Every stored version points to its raw response in a valid WARC file.
    conn = sqlite3.connect(db)
    warc_dir = db.parent / "warc"
    for url, file, offset in conn.execute(
        "SELECT a.url, v.warc_file, v.warc_offset FROM article_versions v JOIN articles a ON a.id = v.article_id"
    ):
        stored_response = read_record(warc_dir, file, offset)
        assert stored_response.status == 200
        assert extract(stored_response.body, stored_response.url).to_dict() == stored[url]
    for warc in warc_dir.glob("*.warc.gz"):
        check = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(warc)], capture_output=True, check=False)
        assert check.returncode == 0, check.stdout + check.stderr

    # A second crawl (incremental): no article fetched again, no duplicate, one more
    # visitor-statistics row. A third (--full): every article refetched, none changed.
    again = _crawl(host, portal_proxy, db)
    assert not {u for u in again if canonicalize(u) in expected}, "an archived article was fetched again"
    assert len(again) <= len(fetched) - len(expected)
    _crawl(host, portal_proxy, db, "--full")
    assert conn.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone() == (
        len(expected),
        len(expected),
    )
    assert conn.execute("SELECT count(*) FROM article_versions").fetchone()[0] == len(expected)
    site = host.removeprefix("www.")
    assert conn.execute("SELECT count(*) FROM visitor_stats WHERE site = ?", [site]).fetchone()[0] == 3
    runs = conn.execute("SELECT mode, status, articles_new, articles_unchanged FROM crawl_runs ORDER BY id").fetchall()
    n = len(expected)
    assert runs == [("incremental", "finished", n, 0), ("incremental", "finished", 0, 0), ("full", "finished", 0, n)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_crawl_of_an_unregistered_portal_by_url(tmp_path: Path) -> None:
    """A portal on 127.0.0.1 that the registry does not know: generic discovery, family detected
    from the pages, the same articles as through the registered site."""
    host = "sdl.thuathienhue.gov.vn"
    with SamplePortalServer(SITES, default_host=host) as server:
        db = tmp_path / "archive.sqlite"
        result = run_cli("crawl", server.url + "/", "--db", str(db), "--delay", "0")
        assert result.code == 0, result.err + result.out
        fetched = list(server.requests_seen)
        netloc = urlsplit(server.url).netloc
    stored = _stored(db)
    expected = {urlsplit(u)._replace(scheme="", netloc="").geturl(): r for u, r in expected_articles(host).items()}
    got = {urlsplit(u)._replace(scheme="", netloc="").geturl(): r for u, r in stored.items()}
    assert sorted(got) == sorted(expected)
    for path, record in expected.items():
        assert got[path]["site"] == netloc
        assert got[path]["family"] == "hue_subsite"
        for key in ("title", "date", "body", "source", "visitor_stats"):
            assert got[path][key] == record[key], f"{path} {key}"
    assert all(urlsplit(u).netloc == netloc for u in fetched)
