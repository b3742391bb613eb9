"""Hard limits, refusals and address rules of a crawl, through the real CLI against portals served
on 127.0.0.1: a limit ends a crawl whatever the politeness delays, SIGTERM ends it within seconds
and says so, numbers that are no numbers are refused, a storage that cannot be written fails, and
no crawl connects to an address it may not reach."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import defer

from crawler import addresses
from portal_archive.sample_portal import SamplePortalServer

from .conftest import SITES, run_cli

HOST = "sdl.thuathienhue.gov.vn"


def _query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _pages(server: SamplePortalServer, since: int = 0) -> list[str]:
    return [u for u in server.requests_seen[since:] if not u.endswith("/robots.txt")]


def test_a_delay_longer_than_the_time_left_ends_the_crawl_on_time(tmp_path: Path) -> None:
    """--delay 100 --max-time 5: the requests waiting out the delay are dropped at the deadline
    (left pending, for --resume), not fetched 100 s apart. The subprocess's timeout, far below
    what waiting would take, fails the test if they are waited for."""
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(SITES) as server:
        result = run_cli(
            "crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "100", "--max-time", "5", timeout=45
        )
        fetched = _pages(server)
    assert result.code == 0, result.err
    assert len(fetched) <= 1, fetched  # at most the first page went before the delay held the rest
    assert _query(db, "SELECT status, limit_reached FROM crawl_runs") == [("limit_reached", "max_time")]
    assert _query(db, "SELECT count(*) FROM frontier WHERE status = 'pending'")[0][0] >= 1


def test_sigterm_ends_a_crawl_within_seconds_and_marks_the_run(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(SITES) as server:
        proc = subprocess.Popen(
            [sys.executable, "-m", "portal_archive", "crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 60
            while not _pages(server) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)  # until it has begun crawling (the default delay is 1 s a page)
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=15)  # "within seconds": far less than the crawl would take
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 1, err.decode()
    assert "did not finish" in err.decode()
    assert _query(db, "SELECT status FROM crawl_runs") == [("interrupted",)]


@pytest.mark.parametrize(
    "options",
    [
        ("--delay", "nan"),
        ("--delay", "inf"),
        ("--delay", "-1"),
        ("--max-time", "nan"),
        ("--max-time", "inf"),
        ("--max-time", "0"),
        ("--max-pages", "0"),
        ("--full", "--revisit"),
        ("--fresh",),
        ("--worker", "w1"),
    ],
)
def test_numbers_that_are_no_numbers_and_conflicting_flags_are_refused(options: tuple[str, ...], tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    result = run_cli("crawl", HOST, "--db", str(db), *options)
    assert result.code == 2, result.out + result.err
    assert result.err.startswith("Error: ") and len(result.err.strip().splitlines()) == 1, result.err
    assert not db.exists(), "nothing is written"
    if options[0] in ("--delay", "--max-time"):
        scheduled = run_cli("schedule", "add", HOST, "--every", "day", "--db", str(db), *options)
        assert scheduled.code == 2 and not db.exists(), scheduled.err


def test_max_pages_bounds_every_fetch_revisits_included(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(SITES) as server:
        first = run_cli("crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0")
        assert first.code == 0, first.err
        since = len(server.requests_seen)
        result = run_cli(
            "crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0", "--revisit", "--max-pages", "1"
        )
        fetched = _pages(server, since)
    assert result.code == 0, result.err
    assert len(fetched) == 1, fetched
    assert _query(db, "SELECT status, limit_reached, pages FROM crawl_runs ORDER BY id DESC LIMIT 1") == [
        ("limit_reached", "max_pages", 1)
    ]


def test_an_archive_that_cannot_be_written_fails_the_crawl_in_one_line(tmp_path: Path) -> None:
    """An archive shared read-only (the file and its folder): a crawl into it says so in one line
    and exits 1, fetching nothing and changing nothing. Run as an unprivileged user when the
    suite runs as root (root writes read-only files)."""
    folder = Path(tempfile.mkdtemp(prefix="pa-readonly-"))
    try:
        db = folder / "archive.sqlite"
        with SamplePortalServer(SITES) as server:
            first = run_cli(
                "crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0", "--max-pages", "2"
            )
            assert first.code == 0, first.err
            for companion in folder.glob("archive.sqlite-*"):
                companion.unlink()
            shutil.rmtree(folder / "archive.sqlite.locks", ignore_errors=True)
            before = db.read_bytes()
            db.chmod(0o444)
            folder.chmod(0o555)
            since = len(server.requests_seen)
            proc = subprocess.run(
                [sys.executable, "-m", "portal_archive", "crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url],
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=_unprivileged if os.getuid() == 0 else None,
                check=False,
            )
            fetched = server.requests_seen[since:]
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert proc.stderr.startswith("Error: ") and "cannot write" in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert fetched == [] and db.read_bytes() == before
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder, ignore_errors=True)


def _unprivileged() -> None:
    os.setgid(65534)  # nogroup
    os.setuid(65534)  # nobody


# -- addresses -------------------------------------------------------------------------------------
@pytest.fixture
def address_rules() -> Any:
    """The module's allowance, empty for the test and as it was after."""
    saved = (set(addresses._START_HOSTS), set(addresses._ALLOWED))
    addresses._START_HOSTS.clear()
    addresses._ALLOWED.clear()
    yield addresses
    addresses._START_HOSTS.clear()
    addresses._ALLOWED.clear()
    addresses._START_HOSTS.update(saved[0])
    addresses._ALLOWED.update(saved[1])


def test_which_addresses_a_crawl_may_reach(address_rules: Any) -> None:
    refusal = address_rules.refusal
    assert address_rules.kind_of("169.254.169.254") == "forbidden" and address_rules.kind_of("fe80::1") == "forbidden"
    assert address_rules.kind_of("::ffff:169.254.169.254") == "forbidden"
    assert [address_rules.kind_of(a) for a in ("127.0.0.1", "::1", "10.1.2.3", "192.168.1.9", "203.162.1.1")] == [
        "loopback",
        "loopback",
        "private",
        "private",
        "public",
    ]
    address_rules.allow_start(["https://portal.example.vn/"])  # a public portal by name
    assert refusal("203.162.1.1") is None
    assert "link-local" in refusal("169.254.169.254", "portal.example.vn")
    assert refusal("10.1.2.3", "intranet.example.vn") and refusal("127.0.0.1", "localhost")
    # The start URL's own name resolving to a private address: that kind is allowed from then on.
    assert refusal("10.1.2.3", "portal.example.vn") is None and refusal("10.9.9.9") is None
    assert refusal("127.0.0.1") is not None, "loopback is another kind"
    address_rules.allow_start(["http://127.0.0.1:8000/"])  # a sample portal on this machine
    assert refusal("127.0.0.1") is None and refusal("169.254.169.254") is not None


def test_a_name_is_checked_after_it_resolves(address_rules: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The resolver checks what a name resolves to: a public portal's name answering with a
    link-local address is refused, whatever the URL's text says."""
    address_rules.allow_start(["https://portal.example.vn/"])
    resolver = address_rules.GuardedResolver.__new__(address_rules.GuardedResolver)
    answers = {"portal.example.vn": "203.162.1.1", "rebound.example.vn": "169.254.169.254", "intra.example.vn": "10.0.0.7"}
    monkeypatch.setattr(
        address_rules.CachingThreadedResolver, "getHostByName", lambda self, name, timeout=(): defer.succeed(answers[name])
    )
    results: dict[str, Any] = {}
    for name in answers:
        resolver.getHostByName(name).addBoth(lambda r, name=name: results.__setitem__(name, r))
    assert results["portal.example.vn"] == "203.162.1.1"
    for name in ("rebound.example.vn", "intra.example.vn"):
        assert isinstance(results[name].value, address_rules.AddressRefused), results[name]


def test_a_crawl_never_connects_to_a_link_local_address(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    result = run_cli("crawl", "http://169.254.169.254/latest/meta-data/", "--db", str(db), "--delay", "0", timeout=60)
    assert result.code == 1, result.out + result.err
    # The start page and the sitemap a first crawl looks for: neither connected to.
    rows = _query(db, "SELECT kind, status, error FROM frontier ORDER BY kind")
    assert [kind for kind, _, _ in rows] == ["page", "source"]
    for _, status, error in rows:
        assert status in ("failed", "skipped") and "address_refused" in error and "link-local" in error, rows


def test_a_redirect_to_an_address_the_crawl_may_not_reach_is_refused(tmp_path: Path) -> None:
    """A sample portal on 127.0.0.1 (so loopback is allowed) whose home page links to pages that
    redirect to a link-local and to a private address: neither is connected to, both are
    accounted for (runs RUN --missing), the rest of the crawl goes on."""
    sites = tmp_path / "sites"
    shutil.copytree(SITES / HOST, sites / HOST)
    routes = json.loads((sites / HOST / "routes.json").read_text(encoding="utf-8"))
    routes["/?cn=901&gd=4"] = {"redirect": "http://169.254.169.254/latest/meta-data/", "status": 302}
    routes["/?cn=902&gd=4"] = {"redirect": "http://10.20.30.40/noi-bo/", "status": 301}
    (sites / HOST / "routes.json").write_text(json.dumps(routes), encoding="utf-8")
    home = sites / HOST / "pages" / "home.html"
    html = home.read_text(encoding="utf-8")
    links = '<a href="/?cn=901&amp;gd=4">Thông tin nội bộ</a> <a href="/?cn=902&amp;gd=4">Cổng nội bộ</a>'
    home.write_text(html.replace("</body>", links + "</body>"), encoding="utf-8")
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(sites, default_host=HOST) as server:
        result = run_cli("crawl", server.url + "/", "--db", str(db), "--delay", "0", timeout=120)
        fetched = list(server.requests_seen)
    assert result.code == 0, result.out + result.err
    (run_id,) = _query(db, "SELECT id FROM crawl_runs")[0]
    missing = run_cli("runs", str(run_id), "--missing", "--db", str(db), "--format", "json").json()
    # Refused before any connection: to another host (the redirect guard), or, on the site's own
    # host, to an address the crawl may not reach (the address guard).
    refused = {m["url"].rsplit("?", 1)[1]: m for m in missing if m["reason"] in ("redirect_offsite", "address_refused")}
    assert set(refused) == {"cn=901&gd=4", "cn=902&gd=4"}, missing
    assert all(m["fate"] == "failed" for m in refused.values())
    assert not [u for u in fetched if "169.254" in u or "10.20.30.40" in u]
    assert _query(db, "SELECT count(*) FROM articles")[0][0] == 24  # the rest of the portal


# -- what became of every URL ----------------------------------------------------------------------
def test_every_discovered_url_has_a_fate_and_runs_lists_what_was_not_archived(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(SITES) as server:
        full = run_cli("crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0")
        assert full.code == 0, full.err
        limited_db = tmp_path / "limited.sqlite"
        limited = run_cli(
            "crawl", f"http://{HOST}/", "--db", str(limited_db), "--proxy", server.url, "--delay", "0", "--max-pages", "5"
        )
        assert limited.code == 0, limited.err

    shown = run_cli("runs", "1", "--db", str(db), "--format", "json").json()
    counts = {(r["kind"], r["fate"], r["reason"]): r["urls"] for r in shown}
    assert counts[("article", "new", "")] == 24
    assert counts[("page", "skipped", "trap")] >= 1  # print views, date pages, searches: never followed
    assert counts.get(("page", "skipped", "robots.txt"), 0) + counts.get(("listing", "skipped", "robots.txt"), 0) >= 0
    assert not [k for k in counts if k[1] == "not fetched"], "a finished crawl leaves nothing unfetched"
    text = run_cli("runs", "1", "--db", str(db))
    assert text.code == 0 and "finished" in text.out and "trap" in text.out

    missing = run_cli("runs", "1", "--missing", "--db", str(limited_db), "--format", "json").json()
    reasons = {m["reason"] for m in missing}
    assert {"limit", "trap"} <= reasons, reasons
    assert all(m["fate"] in ("failed", "skipped", "not fetched") for m in missing)
    stored = _query(limited_db, "SELECT count(*) FROM articles")[0][0]
    not_fetched_articles = sum(1 for m in missing if m["fate"] == "not fetched" and m["kind"] == "article")
    assert stored + not_fetched_articles <= 24 and not_fetched_articles >= 1

    assert run_cli("runs", "--missing", "--db", str(db)).code == 2
    assert run_cli("runs", "99", "--db", str(db)).code == 2
