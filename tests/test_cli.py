"""The portal-archive command as a user types it: every command, its help, its output formats,
and its answers to bad input (one line on stderr, exit code 2, nothing written)."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from portal_archive.cli import cli as cli_group
from portal_archive.sample_portal import SamplePortalServer

from .conftest import SITES, run_cli

REFERENCE = SITES / "sdl.thuathienhue.gov.vn" / "pages" / "article-4335.html"
REFERENCE_URL = "http://sdl.thuathienhue.gov.vn/?gd=4&cn=121&tc=4335"
README = Path(__file__).parent.parent / "README.md"


@pytest.fixture(scope="module")
def crawled(portal_proxy: SamplePortalServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("crawled") / "archive.sqlite"
    result = run_cli(
        "crawl",
        "sdl.thuathienhue.gov.vn",
        "thuathienhue.gov.vn",
        "--db",
        str(db),
        "--proxy",
        portal_proxy.url,
        "--delay",
        "0",
    )
    assert result.code == 0, result.err + result.out
    return db


def _one_line_error(result: object, code: int = 2) -> str:
    assert result.code == code, (result.code, result.out, result.err)  # type: ignore[attr-defined]
    lines = result.err.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err  # type: ignore[attr-defined]
    assert "Traceback" not in result.err  # type: ignore[attr-defined]
    return lines[0]


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for name, command in cli_group.commands.items():
        assert command.help and len(command.help) > 40, f"{name} has no real help text"
        assert "Exit codes" in (command.epilog or ""), f"{name} does not document its exit codes"
        assert f"portal-archive {name}" in readme, f"{name} is not documented in the README"
        result = run_cli(name, "--help")
        assert result.code == 0 and "Usage:" in result.out


# -- extract ---------------------------------------------------------------------------------
def test_extract_prints_the_record(tmp_path: Path) -> None:
    result = run_cli("extract", str(REFERENCE), "--url", REFERENCE_URL)
    assert result.code == 0, result.err
    record = result.json()
    assert record["url"] == "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335"
    assert record["title"] == "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin"
    assert record["date"] == "2020-08-27"
    assert record["source"] == {
        "text": "theo www.thuathienhue.gov.vn (HNQ)",
        "publisher": "www.thuathienhue.gov.vn",
        "author": "HNQ",
    }
    assert record["visitor_stats"] == {"total": 53957, "online": 7}
    assert record["body"].count("\n\n") == 2 and record["body"].endswith("có hiệu quả cao./.")


def test_extract_reads_stdin() -> None:
    result = run_cli("extract", "-", "--url", REFERENCE_URL, stdin=REFERENCE.read_bytes())
    assert result.code == 0 and result.json()["date"] == "2020-08-27"


def test_extract_takes_the_url_from_the_canonical_link(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    link = b'<link rel="canonical" href="http://sdl.thuathienhue.gov.vn/?gd=4&amp;cn=121&amp;tc=4335">'
    page.write_bytes(re.sub(rb"(<head[^>]*>)", rb"\1" + link, REFERENCE.read_bytes(), count=1))
    result = run_cli("extract", str(page))
    assert result.code == 0, result.err
    assert result.json()["url"] == "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "no-such-page.html", "--url", REFERENCE_URL], "cannot read"),
        (["extract", str(REFERENCE)], "--url"),
        (["extract", str(REFERENCE), "--url", "ftp://x/y"], "not an http"),
        (["extract", str(REFERENCE), "--url", REFERENCE_URL, "--family", "nonesuch"], "unknown family"),
    ],
)
def test_extract_bad_input(args: list[str], message: str) -> None:
    assert message in _one_line_error(run_cli(*args))


# -- crawl -----------------------------------------------------------------------------------
def test_crawl_unknown_site_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    line = _one_line_error(run_cli("crawl", "khongton.tai.gov.vn", "--db", str(db)))
    assert "unknown site" in line
    assert not db.exists()


def test_crawl_refuses_a_bad_db(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not an archive")
    assert "cannot use" in _one_line_error(run_cli("crawl", "sdl.thuathienhue.gov.vn", "--db", str(notes)))
    assert notes.read_text() == "not an archive"
    assert "does not exist" in _one_line_error(
        run_cli("crawl", "sdl.thuathienhue.gov.vn", "--db", str(tmp_path / "no" / "dir.sqlite"))
    )


def test_crawl_bad_option_is_one_line() -> None:
    _one_line_error(run_cli("crawl", "sdl.thuathienhue.gov.vn", "--max-pages", "zero"))


# -- search ----------------------------------------------------------------------------------
def test_search_without_diacritics_table(crawled: Path) -> None:
    result = run_cli("search", "cong nghe thong tin", "--db", str(crawled))
    assert result.code == 0, result.err
    assert "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin" in result.out


@pytest.mark.parametrize("query", ["da nang", "Đà Nẵng", "dan dau", "Thừa Thiên Huế", "thua thien hue"])
def test_search_json_finds_the_same_with_and_without_diacritics(crawled: Path, query: str) -> None:
    result = run_cli("search", query, "--db", str(crawled), "--format", "json", "--limit", "100")
    assert result.code == 0, result.err
    hits = result.json()
    assert hits, f"nothing found for {query!r}"
    for hit in hits:
        assert set(hit) == {"id", "url", "site", "title", "date", "snippet", "score", "apart", "cursor"}
        assert "<mark>" in hit["snippet"] or hit["title"]


def test_search_with_and_without_diacritics_agree(crawled: Path) -> None:
    def urls(q: str) -> list[str]:
        return [h["url"] for h in run_cli("search", q, "--db", str(crawled), "--format", "json", "--limit", "500").json()]

    assert urls("Thừa Thiên Huế") == urls("thua thien hue")
    assert urls("Đà Nẵng") == urls("da nang")
    assert "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335" in urls("dan dau")


def test_search_csv_and_filters(crawled: Path) -> None:
    result = run_cli(
        "search",
        "hue",
        "--db",
        str(crawled),
        "--format",
        "csv",
        "--site",
        "sdl.thuathienhue.gov.vn",
        "--since",
        "2020-08",
        "--until",
        "2020-08-31",
        "--limit",
        "500",
    )
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows
    assert all(r["site"] == "sdl.thuathienhue.gov.vn" and r["date"].startswith("2020-08") for r in rows)
    dated = run_cli("search", "hue", "--db", str(crawled), "--format", "json", "--sort", "date", "--limit", "500").json()
    dates = [h["date"] for h in dated]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", '"unclosed'], "bad query"),
        (["search", "AND hue"], "bad query"),
        (["search", "hue", "--since", "2020-13-01"], "is not a date"),
        (["search", "hue", "--until", "yesterday"], "is not a date"),
    ],
)
def test_search_bad_input(crawled: Path, args: list[str], message: str) -> None:
    before = crawled.read_bytes()
    assert message in _one_line_error(run_cli(*args, "--db", str(crawled)))
    assert crawled.read_bytes() == before


def test_search_missing_or_foreign_db(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite"
    assert "no archive" in _one_line_error(run_cli("search", "hue", "--db", str(missing)))
    assert not missing.exists()
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x00\x01 not sqlite at all" * 100)
    _one_line_error(run_cli("search", "hue", "--db", str(garbage)))
    assert garbage.read_bytes() == b"\x00\x01 not sqlite at all" * 100


# -- sites, runs, demo -------------------------------------------------------------------------
def test_sites_lists_and_filters_the_registry() -> None:
    rows = run_cli("sites", "--format", "json").json()
    assert {"sdl.thuathienhue.gov.vn", "thuathienhue.gov.vn"} <= {r["domain"] for r in rows}
    hue = run_cli("sites", "--province", "thua thien hue", "--family", "hue_subsite", "--format", "json").json()
    assert hue and all(r["family"] == "hue_subsite" and r["province_before_2025"] == "Thừa Thiên Huế" for r in hue)


def test_runs_lists_crawl_runs(crawled: Path) -> None:
    rows = run_cli("runs", "--db", str(crawled), "--format", "json").json()
    assert {r["site"] for r in rows} == {"sdl.thuathienhue.gov.vn", "thuathienhue.gov.vn"}
    assert all(r["status"] == "finished" and r["articles_new"] > 0 for r in rows)


def test_demo_end_to_end(tmp_path: Path) -> None:
    db = tmp_path / "demo" / "archive.sqlite"
    result = run_cli("demo", "--db", str(db), cwd=tmp_path)
    assert result.code == 0, result.err + result.out
    assert str(db.resolve()) in result.out
    assert re.search(r"sdl\.thuathienhue\.gov\.vn\s.*\s53957\s", result.out), result.out
    assert "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin" in result.out


def test_bad_command_is_one_line() -> None:
    _one_line_error(run_cli("crawlx"))


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "portal-archive"
    assert isinstance(cli_group, click.Group)
    assert script.exists()
    proc = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "portal-archive" in proc.stdout
