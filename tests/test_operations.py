"""Archivist operations against portals served on 127.0.0.1: raw capture in WARC, incremental
and conditional re-crawls, kill and resume, robots.txt Crawl-delay, limits, schedules, locks."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive.locks import acquire_lock, is_locked, release_lock
from archive.warc import complete_length, read_record
from portal_archive.sample_portal import SamplePortalServer
from portals.urls import canonicalize

from .conftest import SITES, expected_articles, run_cli

HOST = "sdl.thuathienhue.gov.vn"
START = f"http://{HOST}/"


@pytest.fixture
def portal() -> SamplePortalServer:
    """A fresh server per test: tests change pages and delays."""
    with SamplePortalServer(SITES) as server:
        yield server


def crawl(server: SamplePortalServer, db: Path, *options: str, site: str = START) -> tuple[object, list[str]]:
    before = len(server.requests_seen)
    result = run_cli("crawl", site, "--db", str(db), "--proxy", server.url, "--delay", "0", *options)
    return result, server.requests_seen[before:]


def query(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_warc_capture_attachments_and_reextract(portal: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    result, fetched = crawl(portal, db)
    assert result.code == 0, result.err

    # Every response of the crawl (robots.txt, pages, attachments) is in the WARC files.
    warc_dir = tmp_path / "warc"
    files = sorted(warc_dir.glob("*.warc.gz"))
    assert files and all(complete_length(f) == f.stat().st_size for f in files)
    index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", *map(str, files)], capture_output=True, check=True)
    entries = [json.loads(line) for line in index.stdout.splitlines()]
    assert entries[0]["warc-type"] == "warcinfo"
    responses = [e["warc-target-uri"] for e in entries if e["warc-type"] == "response"]
    assert sorted(responses) == sorted(fetched)
    assert json.loads(query(db, "SELECT warc_files FROM crawl_runs")[0][0]) == [f.name for f in files]

    # Attachments: listed per article, fetched, captured.
    rows = query(
        db,
        "SELECT a.url, t.url, t.status, t.media_type, t.size, t.warc_file, t.warc_offset FROM attachments t "
        "JOIN articles a ON a.id = t.article_id",
    )
    expected = {(u, att["url"]) for u, rec in expected_articles(HOST).items() for att in rec["attachments"]}
    assert {(r[0], r[1]) for r in rows} == expected
    for _, url, status, media_type, size, file, offset in rows:
        assert status == "fetched" and size > 0
        assert (
            media_type
            == {
                "pdf": "application/pdf",
                "jpg": "image/jpeg",
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            }[url.rsplit(".", 1)[1]]
        )
        assert read_record(warc_dir, file, offset).url == url

    # Re-extraction with no network: nothing changed; then one record as an older extractor
    # stored it gets a new version, pointing to the same capture.
    assert run_cli("reextract", "--db", str(db)).code == 0
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == len(expected_articles(HOST))
    url = f"http://{HOST}/?cn=121&gd=4&tc=4335"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE articles SET content_hash = 'from-an-older-extractor' WHERE url = ?", [url])
    conn.commit()
    conn.close()
    requests_before = len(portal.requests_seen)
    out = run_cli("reextract", "--db", str(db))
    assert out.code == 0 and "1 changed" in out.out, out.out + out.err
    assert len(portal.requests_seen) == requests_before, "re-extraction used the network"
    versions = query(
        db,
        "SELECT v.version, v.warc_file, v.warc_offset, r.mode FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id JOIN crawl_runs r ON r.id = v.crawl_run_id "
        "WHERE a.url = ? ORDER BY v.version",
        url,
    )
    assert [v[0] for v in versions] == [1, 2] and versions[0][1:3] == versions[1][1:3] and versions[1][3] == "reextract"
    assert run_cli("verify", "--db", str(db)).code == 0


def test_incremental_and_conditional_recrawls(portal: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    first, _ = crawl(portal, db)
    assert first.code == 0
    articles = expected_articles(HOST)
    bytes_first = query(db, "SELECT bytes FROM crawl_runs WHERE id = 1")[0][0]

    # Incremental: listings only, and paging stops at a page of known articles.
    second, fetched_second = crawl(portal, db)
    assert second.code == 0
    assert not [u for u in fetched_second if "tc=" in u], "an archived article was fetched again"
    assert not [u for u in fetched_second if "p=2" in u], "paging went on past a page of known articles"

    # Revisit: every archived article is asked for conditionally; the portal answers 304.
    changed_url = f"http://{HOST}/?cn=121&gd=4&tc=4335"
    page = (SITES / HOST / "pages" / "article-4335.html").read_bytes()
    portal.set_page(
        HOST, "/?cn=121&gd=4&tc=4335", page.replace("có hiệu quả cao./.".encode(), "có hiệu quả cao, bền vững./.".encode())
    )
    third, fetched_third = crawl(portal, db, "--revisit")
    assert third.code == 0, third.err
    assert {canonicalize(u) for u in fetched_third} >= set(articles), "an archived article was not re-checked"
    mode, new, changed, unchanged, bytes_revisit = query(
        db, "SELECT mode, articles_new, articles_changed, articles_unchanged, bytes FROM crawl_runs WHERE id = 3"
    )[0]
    assert (mode, new, changed, unchanged) == ("revisit", 0, 1, len(articles) - 1)
    assert bytes_revisit < bytes_first / 2
    versions = query(db, "SELECT versions, last_changed, body FROM articles WHERE url = ?", changed_url)[0]
    assert versions[0] == 2 and versions[2].endswith("có hiệu quả cao, bền vững./.")
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == len(articles) + 1


def test_kill_then_resume(portal: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    portal.response_delay = 0.15
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal_archive", "crawl", START, "--db", str(db), "--proxy", portal.url, "--delay", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill once some articles are safely stored, mid-crawl
        if db.exists():
            try:
                if query(db, "SELECT count(*) FROM articles")[0][0] >= 5:
                    break
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored_before = query(db, "SELECT count(*) FROM articles")[0][0]
    assert 5 <= stored_before < len(expected_articles(HOST)), "the kill did not land mid-crawl"
    done_before = {u for (u,) in query(db, "SELECT url FROM frontier WHERE status = 'done'")}
    assert not is_locked(db, HOST), "a killed crawl left its lock behind"

    portal.response_delay = 0
    result, fetched = crawl(portal, db, "--resume")
    assert result.code == 0, result.err + result.out
    again = {u for u in fetched if u in done_before}
    assert not again, f"done pages fetched again: {sorted(again)[:5]}"
    assert query(db, "SELECT count(*), count(DISTINCT url) FROM articles")[0] == (len(expected_articles(HOST)),) * 2
    assert {u for (u,) in query(db, "SELECT url FROM articles")} == set(expected_articles(HOST))
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    runs = query(db, "SELECT id, status, resumed_from FROM crawl_runs ORDER BY id")
    assert runs == [(1, "interrupted", None), (2, "finished", 1)]
    check = run_cli("verify", "--db", str(db), "--repair")
    assert check.code == 0, check.out + check.err
    assert run_cli("verify", "--db", str(db)).code == 0


def test_robots_crawl_delay_and_limits(portal: SamplePortalServer, tmp_path: Path) -> None:
    portal.set_page(HOST, "/robots.txt", b"User-agent: *\nCrawl-delay: 1\nDisallow: /Admin/\nDisallow: /TimKiem.aspx\n")
    db = tmp_path / "archive.sqlite"
    before = len(portal.request_times)
    result, fetched = crawl(portal, db, "--max-pages", "4")
    assert result.code == 0, result.err
    times = [t for t, u in zip(portal.request_times[before:], fetched, strict=True) if not u.endswith("/robots.txt")]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) >= 3 and min(gaps) >= 0.9, gaps
    status, limit, pages = query(db, "SELECT status, limit_reached, pages FROM crawl_runs")[0]
    assert (status, limit) == ("limit_reached", "max_pages")
    assert pages <= 6


def test_overlapping_crawl_is_refused_and_a_dead_holder_frees_the_lock(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    path = acquire_lock(db, HOST)
    try:
        refused = run_cli("crawl", START, "--db", str(db))
        assert refused.code == 1 and "already running" in refused.err
    finally:
        release_lock(path)
    script = (
        f"from archive.locks import acquire_lock; import time; acquire_lock({str(db)!r}, {HOST!r}); "
        "print('held', flush=True); time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        assert is_locked(db, HOST)
        holder.kill()  # SIGKILL: the holder cannot clean anything up
        holder.wait()
    assert not is_locked(db, HOST)


def test_schedules_come_due_collapse_missed_runs_and_isolate_failures(portal: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    agent = "portal-archive-lich (+https://example.org/luu-tru)"
    add = run_cli(
        "schedule", "add", HOST, "--cron", "0 2 * * *", "--db", str(db), "--proxy", portal.url, "--delay", "0",
        "--set", f"USER_AGENT={agent}", "--set", "PORTAL_DARK_AFTER=5",
    )  # fmt: skip
    assert add.code == 0, add.err
    assert "+07:00" in add.out
    broken = run_cli(
        "schedule",
        "add",
        "http://khongton.tai.example/",
        "--every",
        "day",
        "--db",
        str(db),
        "--proxy",
        portal.url,
        "--delay",
        "0",
        "--set",
        "RETRY_TIMES=0",  # no retries: its crawl fails at once
    )
    assert broken.code == 0, broken.err
    listed = {r["site"]: r for r in run_cli("schedule", "list", "--db", str(db), "--format", "json").json()}
    next_run = listed[HOST]["next_run_at"]
    assert next_run.endswith("T02:00:00+07:00")

    early = run_cli("schedule", "run-due", "--db", str(db), "--now", "2000-01-01T00:00:00+07:00")
    assert early.code == 0 and "nothing is due" in early.out

    # Three days of missed runs: each site runs once; the failing one does not stop the other.
    late = next_run.replace("T02:00:00", "T02:00:00")
    day = int(late[8:10]) + 3
    when = f"{late[:8]}{day:02d}T09:30:00+07:00" if day <= 28 else f"{late[:10]}T23:30:00+07:00"
    ran = run_cli("schedule", "run-due", "--db", str(db), "--now", when)
    assert ran.code == 1, ran.out + ran.err  # one scheduled crawl failed
    assert f"{HOST}: ok" in ran.out and "khongton.tai.example" in ran.out
    runs = query(db, "SELECT site, status FROM crawl_runs ORDER BY id")
    assert runs.count((HOST, "finished")) == 1 and len(runs) == 2
    # The schedule's --set reached the crawl (its run records the user agent it sent).
    settings = query(db, "SELECT settings FROM crawl_runs WHERE site = ?", HOST)
    assert json.loads(settings[0][0])["USER_AGENT"] == agent
    listed = {r["site"]: r for r in run_cli("schedule", "list", "--db", str(db), "--format", "json").json()}
    assert listed[HOST]["last_status"] == "ok"
    assert listed[HOST]["next_run_at"] > when
    assert listed["http://khongton.tai.example/"]["last_status"].startswith("failed")
    assert run_cli("schedule", "run-due", "--db", str(db), "--now", when).out.strip() == "nothing is due"

    # A site already being crawled is skipped, not overlapped, and stays due.
    again = run_cli("schedule", "add", HOST, "--cron", "* * * * *", "--db", str(db))
    assert again.code == 0
    path = acquire_lock(db, HOST)
    try:
        skipped = run_cli("schedule", "run-due", "--db", str(db), "--now", "2099-01-01T00:00:00+07:00")
        assert f"{HOST}: skipped" in skipped.out
    finally:
        release_lock(path)
    assert run_cli("schedule", "remove", HOST, "--db", str(db)).code == 0
    assert HOST not in {r["site"] for r in run_cli("schedule", "list", "--db", str(db), "--format", "json").json()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schedule", "add", HOST, "--cron", "61 * * * *"], "not a cron expression"),
        (["schedule", "add", HOST], "either --cron"),
        (["schedule", "add", HOST, "--every", "day", "--set", "PORTAL_DARK_AFTER=often"], "takes a number"),
        (["schedule", "add", HOST, "--every", "day", "--set", "dark=5"], "upper-case setting name"),
        (["schedule", "add", "khongton.tai.gov.vn", "--every", "day"], "unknown site"),
        (["schedule", "remove", "nonesuch"], "no archive at"),  # only crawl, demo, merge, schedule add make one
        (["schedule", "run-due", "--now", "yesterday"], "not an ISO 8601 time"),
    ],
)
def test_schedule_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    db = tmp_path / "archive.sqlite"
    result = run_cli(*args, "--db", str(db))
    assert result.code == 2, result.out + result.err
    assert message in result.err and len(result.err.strip().splitlines()) == 1


def test_a_changed_template_marks_the_run_degraded(portal: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    assert crawl(portal, db)[0].code == 0
    assert query(db, "SELECT degraded FROM crawl_runs")[0][0] is None
    # The portal's new template: article pages keep their chrome but lose the date line and body.
    blank = (SITES / HOST / "pages" / "gioi-thieu.html").read_bytes()
    for url in expected_articles(HOST):
        portal.set_page(HOST, url.split(HOST, 1)[1], blank)
    result, _ = crawl(portal, db, "--full")
    assert "looks degraded" in result.err
    degraded = query(db, "SELECT degraded FROM crawl_runs WHERE id = 2")[0][0]
    assert degraded and "have no date or no body" in degraded
