"""Sites that move or go dark, crawled over HTTP with the real crawler and read through the CLI:
a provincial portal that redirects every page to the portal of the province it merged into
(recorded ``moved``, with the successor, the date and the redirect), a portal that fails every
request for three crawls in a row (``dark`` since the first of them) and then answers again
(``back``); and the storage rules (``archive.site_status``) on runs as the crawler records them."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest

from archive.site_status import SiteMove, observe_run, statuses
from archive.store import Archive
from crawler.moves import MoveWatch
from portal_archive.sample_portal import SamplePortalServer, SavedSite

from .conftest import CliResult, run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "site_moves"
FAST = ("--delay", "0", "--set", "RETRY_TIMES=0", "--set", "EXTRACT_PROCESSES=0")


def _crawl(db: Path, proxy: str, *args: str) -> CliResult:
    return run_cli("crawl", *args, "--db", str(db), "--proxy", proxy, *FAST, timeout=120)


def _sites(db: Path, *args: str) -> dict[str, dict]:
    result = run_cli("sites", "--db", str(db), "--format", "json", *args)
    assert result.code == 0, result.err
    return {row["domain"]: row for row in result.json()}  # type: ignore[union-attr]


def _runs(db: Path) -> dict[int, dict]:
    result = run_cli("runs", "--db", str(db), "--format", "json", "--limit", "50")
    assert result.code == 0, result.err
    return {run["id"]: run for run in result.json()}  # type: ignore[union-attr]


def _closed_port() -> str:
    """A proxy address nothing listens on: every request is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_portals_that_move_go_dark_and_come_back(tmp_path: Path) -> None:
    """Four crawls, as a schedule would run them: all up; Quảng Bình's portal redirecting to Quảng
    Trị's and Lai Châu's in maintenance (503); Lai Châu refusing connections (dark, with
    PORTAL_DARK_AFTER=2); Lai Châu up again (back) while Quảng Bình still redirects."""
    db = tmp_path / "archive.sqlite"
    old, new, down = "http://quangbinh.gov.vn/", "http://quangtri.gov.vn/", "http://laichau.gov.vn/"
    dark_after = ("--set", "PORTAL_DARK_AFTER=2")
    with SamplePortalServer(FIXTURES / "live") as server:
        first = _crawl(db, server.url, old, new, down, *dark_after)
        assert first.code == 0, first.err
        before = _sites(db)
        assert {before[h]["observed"] for h in ("quangbinh.gov.vn", "quangtri.gov.vn", "laichau.gov.vn")} == {"active"}
        # 1 July 2025: the old portal answers every request with the merged province's address;
        # Lai Châu's shows its maintenance notice.
        server.sites["quangbinh.gov.vn"] = SavedSite.load(FIXTURES / "moved" / "quangbinh.gov.vn")
        portal = server.sites["laichau.gov.vn"]
        server.sites["laichau.gov.vn"] = SavedSite.load(FIXTURES / "down" / "laichau.gov.vn")
        asked_before = len(server.requests_seen)
        second = _crawl(db, server.url, old, down, "--revisit", *dark_after)
        asked = server.requests_seen[asked_before:]
        assert second.code == 1 and "ended failed" in second.err  # nothing fetched: the runs failed, and say so
        # The old portal's pages were asked for, never the new portal's through their redirects.
        assert asked and not any(url.startswith(new) for url in asked)
        assert _sites(db)["laichau.gov.vn"]["observed"] == "active"  # one crawl that fetched nothing is not dark
        third = _crawl(db, _closed_port(), down, *dark_after)  # connection refused
        assert third.code == 1
        server.sites["laichau.gov.vn"] = portal  # it answers again
        fourth = _crawl(db, server.url, old, down, "--revisit", *dark_after)
        assert fourth.code == 1  # Quảng Bình's run fetched nothing
    runs = _runs(db)
    run_of = {(r["site"], n): r for n, group in enumerate(([1, 2, 3], [4, 5], [6], [7, 8]), 1) for r in (runs[i] for i in group)}

    # Moved: with the successor, when, and the redirect as evidence; beside the registry's columns.
    moved = _sites(db, "--status", "moved")
    row = moved["quangbinh.gov.vn"]
    assert (row["observed"], row["moved_to"]) == ("moved", "quangtri.gov.vn")
    second_run = run_of[("quangbinh.gov.vn", 2)]
    assert second_run["started_at"] <= row["observed_since"] <= second_run["finished_at"]
    assert row["evidence"] == {
        "url": "http://quangbinh.gov.vn/",
        "status": 301,
        "location": "http://quangtri.gov.vn/",
        "final_url": "http://quangtri.gov.vn/",
        "start_url": True,
        "redirects": 4,  # the home page and the three archived articles, re-checked
        "pages": 4,
    }
    assert (row["status"], row["successor"], row["status_since"]) == ("merged", "quangtri.gov.vn", "2025-07-01")
    assert row["last_success"] == run_of[("quangbinh.gov.vn", 1)]["finished_at"]
    assert moved["thuathienhue.gov.vn"]["observed"] is None  # registered as moved, never crawled here
    assert "quangtri.gov.vn" not in moved and _sites(db)["quangtri.gov.vn"]["observed"] == "active"
    table = run_cli("sites", "--db", str(db), "--province", "quang binh")
    assert table.code == 0, table.err
    line = next(line for line in table.out.splitlines() if line.startswith("quangbinh.gov.vn"))
    assert f"merged quangtri.gov.vn moved {row['observed_since'][:10]} quangtri.gov.vn" in " ".join(line.split()), line

    # Dark after two crawls in a row that fetched nothing (503, then connection refused), since the
    # first of them; back when it answered again.
    conn = sqlite3.connect(db)
    events = conn.execute("SELECT site, status, since, evidence, run_id FROM site_events ORDER BY id").fetchall()
    conn.close()
    laichau = [e for e in events if e[0] == "laichau.gov.vn"]
    first_silent, refused, back = run_of[("laichau.gov.vn", 2)], run_of[("laichau.gov.vn", 3)], run_of[("laichau.gov.vn", 4)]
    assert [(e[1], e[4]) for e in laichau] == [("active", 3), ("dark", refused["id"]), ("back", back["id"])]
    dark = json.loads(laichau[1][3])
    assert laichau[1][2] == first_silent["started_at"] and dark["runs"] == [first_silent["id"], refused["id"]]
    assert set(dark["error_kinds"]) == {"http_503", "DownloadConnectionRefusedError"}
    row = _sites(db)["laichau.gov.vn"]
    assert (row["observed"], row["observed_since"], row["last_success"]) == ("back", back["started_at"], back["finished_at"])
    assert row["evidence"] == {"pages": back["pages"], "after": "dark"}
    assert _sites(db, "--status", "dark") == {}
    # A site that keeps redirecting to the same place adds no event.
    assert [e[1] for e in events if e[0] == "quangbinh.gov.vn"] == ["active", "moved"]

    # The province by its former name finds the old portal's articles and its successor's, as the
    # new name does.
    for name in ("Quảng Bình", "quang tri", "Tỉnh Quảng Trị"):
        hits = run_cli("search", "tinh", "--db", str(db), "--province", name, "--format", "json")
        assert hits.code == 0, hits.err
        assert {h["site"] for h in hits.json()} == {"quangbinh.gov.vn", "quangtri.gov.vn"}, name  # type: ignore[union-attr]


# -- the rules, on runs as crawls record them ---------------------------------------------------------
def _run(archive: Archive, site: str, status: str, pages: int, kinds: dict[str, int]) -> int:
    run = archive.start_run(site, [f"http://{site}/"])
    archive.finish_run(run, status, pages=pages, errors=sum(kinds.values()), error_kinds=kinds)
    return run


def test_dark_after_is_configurable_and_only_changes_are_events(tmp_path: Path) -> None:
    site = "laichau.gov.vn"
    with Archive(tmp_path / "a.sqlite") as archive:
        assert observe_run(archive, _run(archive, site, "finished", 5, {}), dark_after=2) == "active"
        # a run that tells nothing (stopped before any request) neither breaks nor extends a streak
        assert observe_run(archive, _run(archive, site, "failed", 0, {"TimeoutError": 1}), dark_after=2) is None
        assert observe_run(archive, _run(archive, site, "interrupted", 0, {}), dark_after=2) is None
        assert observe_run(archive, _run(archive, site, "failed", 0, {"DNSLookupError": 1}), dark_after=2) == "dark"
        assert observe_run(archive, _run(archive, site, "failed", 0, {"DNSLookupError": 1}), dark_after=2) is None
        # a 4xx answer on every page is no answer; a redirect elsewhere is one (a move, not darkness)
        other = "kontum.gov.vn"
        assert observe_run(archive, _run(archive, other, "failed", 0, {"http_404": 1}), dark_after=1) == "dark"
        move = SiteMove("quangngai.gov.vn", "2025-07-01T08:00:00+07:00", {"status": 302})
        redirected = _run(archive, other, "failed", 0, {"redirect_offsite": 1})
        assert observe_run(archive, redirected, move=move, dark_after=1) == "moved"
        assert observe_run(archive, _run(archive, other, "failed", 0, {"redirect_offsite": 1}), move=move) is None
        assert observe_run(archive, _run(archive, other, "failed", 0, {"redirect_offsite": 1}), dark_after=1) is None
        # by default, three in a row (the crawl's setting declares the same default)
        from crawler import settings as crawl_settings
        from crawler.moves import DARK_AFTER

        assert crawl_settings.PORTAL_DARK_AFTER == DARK_AFTER == 3
        third = "dienbien.gov.vn"
        seen = [observe_run(archive, _run(archive, third, "failed", 0, {"http_500": 1})) for _ in range(3)]
        assert seen == [None, None, "dark"]
        rows = archive.db.execute(
            "SELECT site, status, since, successor, evidence FROM site_events WHERE site != ? ORDER BY id", [third]
        ).fetchall()
    assert [r[:2] for r in rows] == [(site, "active"), (site, "dark"), (other, "dark"), (other, "moved")]
    assert rows[-1][2:] == ("2025-07-01T08:00:00+07:00", "quangngai.gov.vn", json.dumps({"status": 302}))


def test_the_move_verdict_weighs_start_urls_and_most_pages() -> None:
    def redirect(watch: MoveWatch, url: str, depth: int, target: str, kind: str = "article") -> None:
        meta = {"frontier_url": url, "depth": depth, "kind": kind}
        watch.offsite(meta, url, 302, target, target)

    pages = MoveWatch()
    for n in range(3):
        redirect(pages, f"http://kontum.gov.vn/tin-tuc/{n}.html", 1, "http://quangngai.gov.vn/")
    redirect(pages, "http://kontum.gov.vn/uploads/a.pdf", 0, "http://cdn.example.vn/a.pdf", kind="attachment")
    redirect(pages, "http://kontum.gov.vn/robots.txt", 0, "http://quangngai.gov.vn/robots.txt", kind="page")
    assert pages.verdict(handled=7) is None  # three of seven pages: a few links, not a move
    move = pages.verdict(handled=5)
    assert move is not None and move.successor == "quangngai.gov.vn" and move.evidence["redirects"] == 3
    start = MoveWatch()
    redirect(start, "http://kontum.gov.vn/", 0, "https://www.quangngai.gov.vn/", kind="page")
    found = start.verdict(handled=40)
    assert found is not None and found.successor == "quangngai.gov.vn" and found.evidence["start_url"] is True


def test_an_archive_crawled_before_site_events_gets_its_sites_active_since_their_first_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive import schema

    names = [name for name, _ in schema.MIGRATIONS]
    before = schema.MIGRATIONS[: names.index("m011_site_status")]
    path = tmp_path / "old.sqlite"
    with monkeypatch.context() as patched:
        patched.setattr(schema, "MIGRATIONS", before)
        with Archive(path) as archive:
            _run(archive, "laichau.gov.vn", "failed", 0, {"http_503": 1})
            first = _run(archive, "laichau.gov.vn", "finished", 7, {})
            _run(archive, "laichau.gov.vn", "finished", 3, {})
            _run(archive, "kontum.gov.vn", "failed", 0, {"DNSLookupError": 1})
    with Archive(path, readonly=True) as archive:  # not migrated: the crawls' times only
        old = statuses(archive)
    assert old["laichau.gov.vn"]["status"] is None and old["laichau.gov.vn"]["last_success"]
    with Archive(path) as archive:  # migrated
        now = statuses(archive)
        started = archive.run(first)["started_at"]  # type: ignore[index]
    assert (now["laichau.gov.vn"]["status"], now["laichau.gov.vn"]["since"]) == ("active", started)
    assert now["laichau.gov.vn"]["last_success"] == old["laichau.gov.vn"]["last_success"]
    assert now["kontum.gov.vn"]["status"] is None and now["kontum.gov.vn"]["last_success"] is None


def test_a_merged_shard_tells_the_main_archive_what_its_runs_found(tmp_path: Path) -> None:
    """A worker's shard whose crawls found a site moved (with the redirect as evidence), and
    another site answering after the main archive had it dark: merged, the main archive shows
    the move with its evidence and the return (``back``, not the shard's ``active``); merging
    again adds nothing."""
    from archive.merge import merge

    moved, returned = "kontum.gov.vn", "dienbien.gov.vn"
    move = SiteMove("quangngai.gov.vn", "2025-07-01T08:00:00+07:00", {"status": 302, "location": "https://quangngai.gov.vn/"})
    with Archive(tmp_path / "main.sqlite") as main:
        assert [observe_run(main, _run(main, returned, "failed", 0, {"http_500": 1})) for _ in range(3)][-1] == "dark"
    with Archive(tmp_path / "shard.sqlite") as shard:
        assert observe_run(shard, _run(shard, moved, "failed", 0, {"redirect_offsite": 3}), move=move) == "moved"
        assert observe_run(shard, _run(shard, returned, "finished", 4, {})) == "active"
    with Archive(tmp_path / "main.sqlite") as main:
        assert merge(main, tmp_path / "shard.sqlite", warc_dir=tmp_path / "warc").runs == 2
        found = statuses(main)
        assert (found[moved]["status"], found[moved]["successor"], found[moved]["evidence"]) == (
            "moved",
            move.successor,
            move.evidence,
        )
        assert found[moved]["since"] == move.since
        assert found[returned]["status"] == "back" and found[returned]["evidence"] == {"pages": 4, "after": "dark"}
        events = main.db.execute("SELECT count(*) FROM site_events").fetchone()[0]
        assert merge(main, tmp_path / "shard.sqlite", warc_dir=tmp_path / "warc").runs == 0
        assert main.db.execute("SELECT count(*) FROM site_events").fetchone()[0] == events
