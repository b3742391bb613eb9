"""The README's contract, command by command (issue 21): exit 0 on success, 1 on a failure at run
time, 2 on bad input; an error is exactly one line on stderr and never a traceback; bad input
writes nothing, and a file that is not an archive (another application's SQLite database, an
empty file, a text file) is left byte for byte as it was, with nothing beside it; names are
matched alike by every command; tables read well at 80 columns.

The commands run in this process (``portal_archive.cli.main`` inside click's CliRunner
isolation), which makes a row cost milliseconds; what would reach the network or start a
server is replaced by a function that fails the row, so no row can crawl, serve or fetch."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from archive import schedules, site_status
from archive.schema import transaction
from archive.store import Archive
from portal_archive.cli import cli as cli_group
from portal_archive.cli import main
from portals.items import Provenance
from portals.record import Record, Source
from portals.registry import load_registry

from .conftest import SITES

PAGE = SITES / "sdl.thuathienhue.gov.vn" / "pages" / "article-4335.html"
HOST = "sdl.thuathienhue.gov.vn"
MARKUP_TITLE = "[bold]Huế[/bold] [/] công nghệ thông tin"
T0 = "2026-11-26T09:00:00+07:00"


# -- running a command -----------------------------------------------------------------------------
@dataclass
class Result:
    code: int
    out: str
    err: str


def invoke(*args: str, stdin: bytes | None = None, columns: int = 80) -> Result:
    """``portal-archive ARGS`` in this process, as the console script runs it (``main``): stdout,
    stderr and the exit code. An exception that escapes ``main`` fails the test."""
    env = {"COLUMNS": str(columns), "PORTAL_ARCHIVE_DB": None, "PORTAL_ARCHIVE_DEBUG": None, "LINES": "25"}
    with CliRunner().isolation(input=stdin, env=env) as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:  # what was written without click.echo (csv, rich) is still in the wrappers' buffers
            sys.stdout.flush()
            sys.stderr.flush()
    return Result(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


def assert_one_line_error(result: Result, code: int) -> str:
    assert result.code == code, (result.code, result.out[-500:], result.err)
    assert "Traceback" not in result.err, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.err
    return lines[0]


def _refuse(what: str) -> object:
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"this row would have {what}")

    return refused


@pytest.fixture(autouse=True)
def _no_network_no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever would crawl, fetch, serve or loop fails the row (exit 1, where 2 was expected)."""
    monkeypatch.setattr("crawler.run.run_crawls", _refuse("crawled"))
    monkeypatch.setattr("portal_archive.demo.crawl_samples", _refuse("crawled the samples"))
    monkeypatch.setattr("portal_archive.discover.discover", _refuse("fetched a portal"))
    monkeypatch.setattr("archive.web.app.serve", _refuse("served the archive"))
    from portal_archive import schedule

    real_run_due = schedule.run_due

    def run_due(archive: object, *args: object, **kwargs: object) -> list[object]:
        frame = sys._getframe(1)
        while frame is not None:  # the daemon would loop for ever
            assert frame.f_code.co_name != "schedule_daemon", "this row would have started the daemon"
            frame = frame.f_back
        assert not schedule.due(archive, *args[1:2]), "this row would have run due crawls"  # type: ignore[arg-type]
        return real_run_due(archive, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("portal_archive.schedule.run_due", run_due)


# -- the files every row works on --------------------------------------------------------------------
def _record(tc: int, title: str, body: str, date: str) -> Record:
    return Record(
        url=f"http://{HOST}/?cn=121&gd=4&tc={tc}",
        site=HOST,
        family="hue_subsite",
        title=title,
        date=date,
        body=body,
        source=Source("theo www.thuathienhue.gov.vn (HNQ)", "www.thuathienhue.gov.vn", "HNQ"),
    )


def _make_archive(path: Path) -> None:
    """An archive as the commands leave one: the registry synced, two runs (one finished with
    errors of two kinds, bytes and a WARC file; one failed), three articles (one titled with
    rich markup), URLs a run did not archive, a schedule not due before 2099."""
    with Archive(path) as archive:
        archive.sync_sites(site.as_row() for site in load_registry().values())
        run = archive.start_run(HOST, [f"http://{HOST}/"], {"DOWNLOAD_DELAY": 0}, mode="incremental")
        records = [
            _record(4335, "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin", "Theo báo cáo …", "2020-08-27"),
            _record(4336, "Đoàn công tác thành phố Đà Nẵng thăm Huế", "Sáng 12/9, đoàn công tác đã làm việc.", "2021-09-12"),
            _record(4337, MARKUP_TITLE, "Bài viết có [italic]dấu ngoặc[/italic] và [/] trong nội dung.", "2019-04-07"),
        ]
        archive.add_articles([(r, Provenance(T0, r.url, 200)) for r in records], run)
        archive.finish_run(
            run,
            "finished",
            pages=12,
            errors=5,
            error_kinds={"http_404": 3, "timeout": 2},
            bytes=812_345,
            warc_files=[f"{HOST}-run1-00000.warc.gz"],
        )
        with transaction(archive.db):
            archive.db.conn.executemany(
                "INSERT INTO run_missing (run_id, url, kind, fate, reason, http_status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (run, f"http://{HOST}/uploads/{'rat-dai-' * 12}{n}.pdf", "attachment", "failed", "http_404", 404, 1)
                    for n in range(3)
                ],
            )
            archive.db.execute("UPDATE crawl_runs SET fates = ? WHERE id = ?", [json.dumps({"article": {"new": 3}}), run])
        site_status.observe_run(archive, run)  # the site answered: active
        failed = archive.start_run("thuathienhue.gov.vn", ["http://thuathienhue.gov.vn/"], {}, mode="full")
        archive.finish_run(failed, "failed", errors=1, error_kinds={"dns": 1})
        site_status.record(archive, "thuathienhue.gov.vn", "moved", T0, {"status": 301}, successor="hue.gov.vn")
        schedules.add(archive, HOST, "0 2 * * *", {"revisit": True}, "2099-01-01T02:00:00+07:00")


def _make_foreign(path: Path) -> None:
    """Another application's database, in WAL mode: opening it to write would check-point or
    convert it; opening it read-only the ordinary way would leave -wal and -shm files."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.execute("INSERT INTO people VALUES ('Nguyễn Văn A')")
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contract-files")
    _make_archive(folder / "archive.sqlite")
    _make_foreign(folder / "foreign.sqlite")
    (folder / "empty.sqlite").write_bytes(b"")
    (folder / "notes.txt").write_text("Ghi chú, không phải cơ sở dữ liệu.\n" * 20, encoding="utf-8")
    shutil.copy(PAGE, folder / "page.html")
    assert sorted(p.name for p in folder.iterdir()) == [
        "archive.sqlite",
        "empty.sqlite",
        "foreign.sqlite",
        "notes.txt",
        "page.html",
    ]
    return folder


@pytest.fixture
def files(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the files, and the current directory (where --db defaults)."""
    folder = tmp_path / "files"
    shutil.copytree(template, folder)
    monkeypatch.chdir(folder)
    return folder


def _hashes(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


# The companions SQLite keeps beside an archive of ours while it is open: nothing else may appear.
ALLOWED_NEW = {"archive.sqlite-wal", "archive.sqlite-shm"}

# Placeholders in the rows' arguments.
TOKENS = {
    "@A": "archive.sqlite",
    "@F": "foreign.sqlite",
    "@E": "empty.sqlite",
    "@M": "missing.sqlite",
    "@N": "notes.txt",
    "@P": "page.html",
    "@NODIR": "no-such-folder",
}


def _args(args: tuple[str, ...], folder: Path) -> list[str]:
    out = []
    for arg in args:
        value = arg
        for token in sorted(TOKENS, key=len, reverse=True):
            value = value.replace(token, str(folder / TOKENS[token]))
        out.append(value)
    return out


NESTED = "(" * 100 + "du" + ")" * 100

# (command and arguments, exit code, a fragment of the error line — or of stdout for exit 0)
ROWS: list[tuple[tuple[str, ...], int, str]] = [
    # -- the archive: another application's file, an empty file, a text file, a missing one -----
    *[
        ((*cmd, "--db", db), 2, what)
        for cmd in [
            ("crawl", HOST),
            ("search", "hue"),
            ("show", "1"),
            ("export", "articles"),
            ("report", "--out", "-"),
            ("runs",),
            ("reextract",),
            ("verify",),
            ("verify", "--repair"),
            ("merge", "@A"),
            ("serve",),
            ("demo",),
            ("schedule", "add", HOST, "--every", "day"),
            ("schedule", "list"),
            ("schedule", "remove", HOST),
            ("schedule", "run-due"),
            ("schedule", "daemon"),
            ("copies",),
            ("copies", "--rebuild"),
        ]
        for db, what in [("@F", "not a portal-archive archive"), ("@E", "an empty file"), ("@N", "not a SQLite file")]
    ],
    *[
        ((*cmd, "--db", "@M"), 2, "no archive at")
        for cmd in [
            ("search", "hue"),
            ("show", "1"),
            ("export", "runs"),
            ("report", "--out", "-"),
            ("runs",),
            ("reextract",),
            ("verify",),
            ("verify", "--repair"),
            ("serve",),
            ("schedule", "list"),
            ("schedule", "remove", HOST),
            ("schedule", "run-due"),
            ("schedule", "daemon"),
        ]
    ],
    (("merge", "@F", "--db", "@M"), 2, "not a portal-archive archive"),  # a bad shard: no archive made
    (("merge", "@N", "--db", "@A"), 2, "not a SQLite file"),
    (("merge", "@A", "--db", "@A"), 2, "main archive itself"),
    (("merge", "@M", "--db", "@A"), 2, "does not exist"),
    (("search", "hue", "--db", "@NODIR"), 2, "no archive at"),
    # -- search ----------------------------------------------------------------------------
    (("search", "hue", "--until", "9999", "--db", "@A"), 0, "Đà Nẵng"),
    (("search", "du", "--since", "0000", "--db", "@A"), 2, "is not a date"),
    (("search", "du", "--until", "10000", "--db", "@A"), 2, "is not a date"),
    (("search", "du", "--since", "2020-02-30", "--db", "@A"), 2, "is not a date"),
    (("search", "du", "--since", "2021", "--until", "2020", "--db", "@A"), 2, "is after --until"),
    (("search", NESTED, "--db", "@A"), 2, "parentheses"),
    (("search", '"unclosed', "--db", "@A"), 2, "bad query"),
    (("search", "AND", "--db", "@A"), 2, "bad query"),
    (("search", "[/] abc", "--db", "@A"), 0, "No article matches '[/] abc'."),
    (("search", "[bold]x[/bold]", "--db", "@A"), 0, "No article matches '[bold]x[/bold]'."),
    (("search", "cong nghe", "--db", "@A"), 0, MARKUP_TITLE),
    (("search", "hue", "--site", "http://[::1", "--db", "@A"), 2, "is not a site"),
    (("search", "hue", "--site", "sdl.thuathienhue", "--db", "@A"), 2, "closest: sdl.thuathienhue.gov.vn"),
    (("search", "hue", "--site", "HTTPS://WWW.SDL.thuathienhue.gov.vn/x?y=1", "--db", "@A"), 0, "Huế"),
    (("search", "hue", "--family", "HUE_SUBSITE", "--db", "@A"), 0, "Huế"),
    (("search", "hue", "--family", "hue_subsit", "--db", "@A"), 2, "closest: hue_subsite"),
    (("search", "hue", "--province", "Atlantis", "--db", "@A"), 2, "no province 'Atlantis'"),
    (("search", "hue", "--province", "thua thien hue", "--db", "@A"), 0, "Huế"),
    (("search", "hue", "--province", "Tỉnh Thừa Thiên Huế", "--db", "@A"), 0, "Huế"),
    (("search", "hue", "--province", "thua thien", "--db", "@A"), 2, "closest: Thừa Thiên Huế"),
    (("search", "hue", "--limit", "0", "--db", "@A"), 2, "--limit"),
    (("search", "hue", "--sort", "newest", "--db", "@A"), 2, "--sort"),
    (("search", "hue", "--format", "xml", "--db", "@A"), 2, "xml"),
    # -- show ------------------------------------------------------------------------------
    (("show", "#1", "--no-body", "--db", "@A"), 0, "Thừa Thiên Huế dẫn đầu"),
    (("show", "#3", "--db", "@A"), 0, MARKUP_TITLE),
    (("show", "#999", "--db", "@A"), 2, "no article"),
    (("show", "http://[::1", "--db", "@A"), 2, "no article"),
    (("show", "", "--db", "@A"), 2, "no article"),
    (("show", "1", "--format", "xml", "--db", "@A"), 2, "xml"),
    # -- export and report --------------------------------------------------------------------
    (("export", "articles", "--bom", "--format", "jsonl", "--db", "@A"), 2, "--bom"),
    (("export", "articles", "--out", "-", "--db", "@A"), 0, "id,"),
    (("export", "articles", "--until", "9999", "--db", "@A"), 0, "Đà Nẵng"),
    (("export", "articles", "--out", "@NODIR/x.csv", "--db", "@A"), 2, "does not exist"),
    (("export", "articles", "--out", "@A", "--db", "@A"), 2, "the archive itself"),
    (("export", "articles", "--query", NESTED, "--db", "@A"), 2, "parentheses"),
    (("export", "articles", "--since", "yesterday", "--db", "@A"), 2, "is not a date"),
    (("export", "runs", "--query", "hue", "--db", "@A"), 2, "apply to `export articles` only"),
    (("export", "pages", "--db", "@A"), 2, "pages"),
    (("export", "visitor-stats", "--site", "danang", "--db", "@A"), 2, "no site 'danang'"),
    (("report", "--until", "9999", "--out", "-", "--db", "@A"), 0, "<html"),
    (("report", "--db", "@A"), 2, "--out"),
    (("report", "--out", "@A", "--db", "@A"), 2, "the archive itself"),
    (("report", "--out", "@NODIR/r.html", "--db", "@A"), 2, "does not exist"),
    (("report", "--out", "-", "--family", "nosuch", "--db", "@A"), 2, "unknown family"),
    # -- copies ----------------------------------------------------------------------------
    (("copies", "--rebuild", "--format", "csv", "--db", "@A"), 0, "id,title,site,date,url,copies"),
    (("copies", "--db", "@M"), 2, "no archive at"),
    (("copies", "--limit", "0", "--db", "@A"), 2, "--limit"),
    (("copies", "--format", "xml", "--db", "@A"), 2, "xml"),
    (("search", "hue", "--collapse", "--in", "attachments", "--db", "@A"), 2, "--in attachments takes"),
    (("search", "hue", "--collapse", "--db", "@A"), 0, "Huế"),
    # -- serve -----------------------------------------------------------------------------
    (("serve", "--port", "0", "--db", "@A"), 2, "--port"),
    (("serve", "--port", "70000", "--db", "@A"), 2, "--port"),
    # -- runs ------------------------------------------------------------------------------
    (("runs", "--site", "danang", "--db", "@A"), 2, "no site 'danang'"),
    (("runs", "--site", "sdl.thuathienhue", "--db", "@A"), 2, "closest: sdl.thuathienhue.gov.vn"),
    (("runs", "--site", "http://WWW.SDL.ThuaThienHue.gov.vn/?x=1", "--db", "@A"), 0, "812.3 kB"),
    (("runs", "--site", "http://[::1", "--db", "@A"), 2, "is not a site"),
    (("runs", "999", "--db", "@A"), 2, "no run 999"),
    (("runs", "#1", "--db", "@A"), 0, "article"),
    (("runs", "abc", "--db", "@A"), 2, "is not an id"),
    (("runs", "--missing", "--db", "@A"), 2, "--missing"),
    (("runs", "--limit", "0", "--db", "@A"), 2, "--limit"),
    # -- reextract, verify, merge ------------------------------------------------------------------
    (("reextract", "--site", "nosuch", "--db", "@A"), 2, "no site 'nosuch'"),
    (("reextract", "--site", "http://[::1", "--db", "@A"), 2, "is not a site"),
    # -- crawl: every bad input refused before anything is written or fetched -------------------
    (("crawl", "http://[::1", "--db", "@M"), 2, "not a usable URL"),
    (("crawl", "http://host:port/", "--db", "@M"), 2, "not a usable URL"),
    (("crawl", "ftp://example.gov.vn/", "--db", "@M"), 2, "not an http(s) URL"),
    (("crawl", "khongton.tai.gov.vn", "--db", "@M"), 2, "unknown site"),
    (("crawl", "sdl.thuathienhue.gov", "--db", "@M"), 2, "closest: sdl.thuathienhue.gov.vn"),
    (("crawl", HOST, "--set", "DOWNLOAD_TIMEOUT=abc", "--db", "@A"), 2, "DOWNLOAD_TIMEOUT takes a number"),
    (("crawl", HOST, "--set", "DOWNLOAD_TIMEOUT=abc", "--db", "@M"), 2, "DOWNLOAD_TIMEOUT takes a number"),
    (("crawl", HOST, "--set", "ROBOTSTXT_OBEY=maybe", "--db", "@M"), 2, "takes true or false"),
    (("crawl", HOST, "--set", "download_timeout=1", "--db", "@M"), 2, "upper-case"),
    (("crawl", HOST, "--set", "DOWNLOAD_TIMEOUT", "--db", "@M"), 2, "NAME=VALUE"),
    (("crawl", HOST, "--max-pages", "0", "--db", "@M"), 2, "--max-pages"),
    (("crawl", HOST, "--max-time", "nan", "--db", "@M"), 2, "--max-time"),
    (("crawl", HOST, "--delay", "-1", "--db", "@M"), 2, "--delay"),
    (("crawl", HOST, "--proxy", "http://[::1", "--db", "@M"), 2, "--proxy"),
    (("crawl", HOST, "--revisit", "--full", "--db", "@M"), 2, "exclude each other"),
    (("crawl", HOST, "--fresh", "--db", "@M"), 2, "--frontier"),
    (("crawl", HOST, "--frontier", "http://127.0.0.1:9/", "--db", "@M"), 2, "not a redis:// URL"),
    (("crawl", HOST, "--db", "@NODIR/a.sqlite"), 2, "does not exist"),
    (("crawl", "--db", "@M"), 2, "Missing argument"),
    # -- extract, sites, discover -------------------------------------------------------------
    (("extract", "@P", "--url", "http://[::1"), 2, "not a usable URL"),
    (("extract", "@P", "--url", "ftp://x/y"), 2, "not an http(s) URL"),
    (("extract", "@P", "--url", f"http://{HOST}/?tc=1", "--family", "HUE_SUBSITE"), 0, '"family": "hue_subsite"'),
    (("extract", "@P", "--url", f"http://{HOST}/?tc=1", "--family", "nosuch"), 2, "unknown family"),
    (("extract", "@M", "--url", f"http://{HOST}/"), 2, "cannot read"),
    (("sites", "--province", "Atlantis"), 2, "no province 'Atlantis'"),
    (("sites", "--province", "da nag"), 2, "closest: Đà Nẵng"),
    (("sites", "--province", "TP. Đà Nẵng", "--format", "csv"), 0, "danang.gov.vn"),
    (("sites", "--family", "LIFERAY", "--format", "csv"), 0, "liferay"),
    (("sites", "--family", "liferey"), 2, "closest: liferay"),
    (("sites", "--status", "gone"), 2, "--status"),
    (("sites", "--status", "dark"), 2, "give the archive with --db"),
    (("sites", "--db", "@F"), 2, "not a portal-archive archive"),
    (("sites", "--db", "@M"), 2, "no archive at"),
    (("sites", "--db", "@A", "--status", "moved", "--format", "csv"), 0, f"moved,{T0},hue.gov.vn,"),
    (("sites", "--db", "@A", "--status", "dark"), 0, ""),
    (("discover", "khongton.tai.gov.vn"), 2, "unknown site"),
    (("discover", "http://[::1"), 2, "not a usable URL"),
    (("discover", HOST, "--proxy", "not a proxy"), 2, "--proxy"),
    # -- schedules --------------------------------------------------------------------------
    (("schedule", "add", HOST, "--cron", "0 2 31 2 *", "--db", "@A"), 2, "never comes due"),
    (("schedule", "add", HOST, "--cron", "0 2 30 2 *", "--db", "@M"), 2, "never comes due"),
    (("schedule", "add", HOST, "--cron", "0 0 2 * * *", "--db", "@A"), 2, "five fields"),
    (("schedule", "add", HOST, "--cron", "0 0 2 * * * 2030", "--db", "@A"), 2, "five fields"),
    (("schedule", "add", HOST, "--cron", "61 * * * *", "--db", "@A"), 2, "not a cron expression"),
    (("schedule", "add", HOST, "--cron", "@daily", "--db", "@A"), 2, "five fields"),
    (("schedule", "add", HOST, "--db", "@A"), 2, "either --cron"),
    (("schedule", "add", HOST, "--every", "day", "--cron", "0 2 * * *", "--db", "@A"), 2, "either --cron"),
    (("schedule", "add", "khongton.tai.gov.vn", "--every", "day", "--db", "@A"), 2, "unknown site"),
    (("schedule", "add", "http://[::1", "--every", "day", "--db", "@A"), 2, "not a usable URL"),
    (("schedule", "add", HOST, "--every", "day", "--proxy", "x", "--db", "@A"), 2, "--proxy"),
    (("schedule", "add", HOST, "--every", "day", "--revisit", "--full", "--db", "@A"), 2, "exclude each other"),
    (("schedule", "remove", "nonesuch", "--db", "@A"), 2, "no schedule for 'nonesuch'"),
    (("schedule", "remove", "sdl.thuathienhue.gov", "--db", "@A"), 2, "closest: sdl.thuathienhue.gov.vn"),
    (("schedule", "remove", "#99", "--db", "@A"), 2, "no schedule"),
    (("schedule", "list", "--format", "xml", "--db", "@A"), 2, "xml"),
    (("schedule", "list", "--db", "@A"), 0, HOST),
    (("schedule", "run-due", "--now", "yesterday", "--db", "@A"), 2, "not an ISO 8601 time"),
    (("schedule", "run-due", "--db", "@A"), 0, "nothing is due"),
    (("schedule", "daemon", "--poll", "0", "--db", "@A"), 2, "--poll"),
    # -- demo and the command itself ------------------------------------------------------------
    (("demo", "--sites-dir", "@NODIR", "--db", "@M"), 2, "--sites-dir"),
    (("crawlx",), 2, "No such command"),
    (("--no-such-option",), 2, "No such option"),
]


def _row_id(row: tuple[tuple[str, ...], int, str]) -> str:
    args, code, _ = row
    return f"{code}:" + " ".join(a if len(a) < 30 else a[:27] + "…" for a in args)


def _command_of(args: tuple[str, ...]) -> str | None:
    words = [a for a in args if not a.startswith("-")]
    if not words or words[0] not in cli_group.commands:
        return None
    command = cli_group.commands[words[0]]
    if isinstance(command, click.Group) and len(words) > 1:
        return f"{words[0]} {words[1]}"
    return words[0]


def _every_command(group: click.Group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found |= _every_command(command, f"{prefix}{name} ")
        else:
            found.add(f"{prefix}{name}")
    return found


def test_every_command_in_help_has_rows() -> None:
    covered = {_command_of(args) for args, _, _ in ROWS}
    missing = _every_command(cli_group) - covered
    assert not missing, f"commands with no row in ROWS: {sorted(missing)}"


@pytest.mark.parametrize(("args", "code", "fragment"), ROWS, ids=[_row_id(r) for r in ROWS])
def test_contract(files: Path, args: tuple[str, ...], code: int, fragment: str) -> None:
    before = _hashes(files)
    result = invoke(*_args(args, files))
    if code == 0:
        assert result.code == 0, (result.code, result.err)
        assert "Traceback" not in result.err, result.err
        assert fragment in result.out, result.out[-2000:]
    else:
        line = assert_one_line_error(result, code)
        assert fragment in line, line
    after = _hashes(files)
    assert {name: after.get(name) for name in before} == before, "a file changed"
    assert set(after) - set(before) <= ALLOWED_NEW, f"files appeared: {set(after) - set(before)}"
    assert not (files / "-").exists() and not (files / "missing.sqlite").exists()
    assert not (files / "warc").exists() and not (files / "no-such-folder").exists()


def test_the_foreign_file_keeps_its_journal_mode_and_content(files: Path) -> None:
    for args in (("schedule", "add", HOST, "--every", "day"), ("reextract",), ("verify", "--repair"), ("crawl", HOST)):
        assert_one_line_error(invoke(*args, "--db", str(files / "foreign.sqlite")), 2)
    assert sorted(p.name for p in files.iterdir() if p.name.startswith("foreign")) == ["foreign.sqlite"]
    assert (files / "foreign.sqlite").read_bytes()[18:20] == b"\x02\x02"  # still in WAL mode
    conn = sqlite3.connect(f"{(files / 'foreign.sqlite').as_uri()}?mode=ro&immutable=1", uri=True)
    assert conn.execute("SELECT name FROM people").fetchall() == [("Nguyễn Văn A",)]
    conn.close()


def test_a_bad_setting_writes_no_run(files: Path) -> None:
    runs = sqlite3.connect(files / "archive.sqlite").execute("SELECT count(*) FROM crawl_runs").fetchone()[0]
    assert_one_line_error(invoke("crawl", HOST, "--set", "DOWNLOAD_TIMEOUT=abc", "--db", str(files / "archive.sqlite")), 2)
    assert sqlite3.connect(files / "archive.sqlite").execute("SELECT count(*) FROM crawl_runs").fetchone()[0] == runs


# -- an unexpected error: one line, or the traceback with --debug ----------------------------------
def test_an_unexpected_error_is_one_line_and_debug_shows_it(files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the index went away\nsecond line")

    monkeypatch.setattr("archive.search.search", broken)
    line = assert_one_line_error(invoke("search", "hue", "--db", "archive.sqlite"), 1)
    assert "RuntimeError: the index went away second line" in line and "--debug" in line
    for args in (("--debug", "search", "hue"), ("search", "hue", "--debug")):
        with pytest.raises(RuntimeError, match="the index went away"):
            main([*args, "--db", "archive.sqlite"])
    assert invoke("search", "--", "--debug", "--db", "archive.sqlite").code in (0, 2)  # a query, not the flag


def test_debug_prints_the_traceback_in_a_real_process(files: Path) -> None:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("PORTAL_ARCHIVE_DB", None)
    script = (
        "import archive.search, sys\n"
        "def broken(*a, **k): raise RuntimeError('boom')\n"
        "archive.search.search = broken\n"
        "from portal_archive.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    plain = subprocess.run([sys.executable, "-c", script, "search", "hue"], capture_output=True, text=True, env=env, check=False)
    assert plain.returncode == 1 and plain.stderr.strip().splitlines() == [
        "Error: unexpected RuntimeError: boom (--debug shows the traceback)"
    ]
    debug = subprocess.run(
        [sys.executable, "-c", script, "--debug", "search", "hue"], capture_output=True, text=True, env=env, check=False
    )
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr and "RuntimeError: boom" in debug.stderr


# -- a read-only archive: exit 1 in one line, nothing beside it --------------------------------------
def _unprivileged() -> None:
    os.setgid(65534)  # nogroup
    os.setuid(65534)  # nobody


@pytest.fixture
def read_only_archive(template: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="pa-contract-ro-"))
    try:
        folder.chmod(0o777)  # the folder writable: only the file's own permission refuses
        db = folder / "archive.sqlite"
        shutil.copy(template / "archive.sqlite", db)
        db.chmod(0o444)
        yield db
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize(
    "args",
    [("reextract",), ("schedule", "add", HOST, "--every", "day"), ("schedule", "remove", HOST), ("verify", "--repair")],
    ids=" ".join,
)
def test_a_read_only_archive_is_one_line_exit_1(read_only_archive: Path, args: tuple[str, ...]) -> None:
    before = _hashes(read_only_archive.parent)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HOME": str(read_only_archive.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "portal_archive", *args, "--db", str(read_only_archive)],
        capture_output=True,
        text=True,
        env=env,
        cwd=read_only_archive.parent,
        preexec_fn=_unprivileged if os.getuid() == 0 else None,
        check=False,
        timeout=120,
    )
    assert_one_line_error(Result(proc.returncode, proc.stdout, proc.stderr), 1)
    assert "cannot write" in proc.stderr
    after = _hashes(read_only_archive.parent)
    assert {name: after.get(name) for name in before} == before and set(after) - set(before) <= ALLOWED_NEW


# -- output: JSON that is JSON, tables at 80 columns -------------------------------------------------
def test_runs_json_gives_json_columns_as_json(files: Path) -> None:
    runs = json.loads(invoke("runs", "--format", "json", "--db", "archive.sqlite").out)
    finished = next(r for r in runs if r["status"] == "finished")
    assert finished["error_kinds"] == {"http_404": 3, "timeout": 2}
    assert finished["warc_files"] == [f"{HOST}-run1-00000.warc.gz"]
    assert finished["seeds"] == [f"http://{HOST}/"] and finished["settings"] == {"DOWNLOAD_DELAY": 0}
    assert finished["fates"] == {"article": {"new": 3}}
    listed = json.loads(invoke("schedule", "list", "--format", "json", "--db", "archive.sqlite").out)
    assert listed[0]["options"] == {"revisit": True}


def _lines_fit(text: str, width: int) -> list[str]:
    lines = text.splitlines()
    too_wide = [line for line in lines if cell_len(line) > width]
    assert not too_wide, too_wide
    return lines


def _column_widths(lines: list[str], labels: list[str]) -> dict[str, int]:
    """The width of each column of a table, from where its header starts."""
    header = next(line for line in lines if all(label in line for label in labels))
    starts = [header.index(label) for label in labels]
    assert starts == sorted(starts), header
    widths = {label: b - a - 3 for label, a, b in zip(labels, starts, starts[1:], strict=False)}
    widths[labels[-1]] = len(header.rstrip()) - starts[-1]
    return widths


def test_tables_at_80_columns(files: Path) -> None:
    # The runs table: everything the README promises, as records at 80 columns
    runs = _lines_fit(invoke("runs", "--db", "archive.sqlite").out, 80)
    text = "\n".join(runs)
    promised = ["status finished", "pages 12", "new 3", "changed 0", "unchanged 0", "http_404 3, timeout 2", "812.3 kB"]
    for shown in [*promised, "warc files 1"]:
        assert shown in text, text
    assert "status failed" in text and "dns 1" in text
    # … and as a table where it fits
    wide = _lines_fit(invoke("runs", "--db", "archive.sqlite", columns=160).out, 160)
    labels = ["id", "site", "started", "status", "pages", "new", "changed", "unchanged", "errors", "bytes", "warc files"]
    assert all(w >= len(label) for label, w in _column_widths(wide, labels).items())
    assert any("5: http_404 3, timeout 2" in line and "812.3 kB" in line for line in wide), wide

    # Tables that fit: no column squeezed below 10 characters (or its header, or its values)
    sites = _lines_fit(invoke("sites", "--province", "hue").out, 80)
    widths = _column_widths(sites, ["domain", "name", "province", "family", "status"])
    assert min(widths.values()) >= 6 and widths["domain"] >= 10 and widths["name"] >= 10, widths
    assert any("hue_subsite" in line and "active" in line and "Huế" in line for line in sites)
    assert "not shown at this width: before 2025, level, successor" in " ".join(sites)
    observed = _lines_fit(invoke("sites", "--db", "archive.sqlite", "--province", "hue").out, 80)
    widths = _column_widths(observed, ["domain", "observed", "since", "moved to", "last success"])
    assert widths["domain"] >= len("snnptnt.thuathienhue.gov.vn"), widths
    assert any(line.split() == ["thuathienhue.gov.vn", "moved", "2026-11-26", "hue.gov.vn"] for line in observed), observed
    missing = _lines_fit(invoke("runs", "1", "--missing", "--db", "archive.sqlite").out, 80)
    widths = _column_widths(missing, ["url", "kind", "fate", "reason", "http", "attempts"])
    assert widths["url"] >= 20 and all(w >= 4 for w in widths.values()), widths
    assert any("attachment" in line and "http_404" in line and "…" in line for line in missing)
    fates = _lines_fit(invoke("runs", "1", "--db", "archive.sqlite").out, 80)
    assert any("article" in line and "new" in line and "3" in line for line in fates)
    schedule_list = _lines_fit(invoke("schedule", "list", "--db", "archive.sqlite").out, 80)
    assert any("0 2 * * *" in line for line in schedule_list)

    # Search results and the crawl's table fit too, and print markup from the archive as text
    hits = _lines_fit(invoke("search", "cong nghe thong tin", "--db", "archive.sqlite").out, 80)
    assert any(MARKUP_TITLE in line for line in hits)

    from portal_archive.cli.archivists import report_runs

    with CliRunner().isolation(env={"COLUMNS": "80"}) as (out, _, _), pytest.raises(click.ClickException) as failed:
        report_runs(str(files / "archive.sqlite"), [1, 2])
    printed = out.getvalue().decode().splitlines()
    _lines_fit("\n".join(line for line in printed if not line.startswith("archive: ")), 80)  # a path is as long as it is
    assert "table above" not in failed.value.message and "thuathienhue.gov.vn ended failed (run 2)" in failed.value.message


# -- random arguments ------------------------------------------------------------------------------
TEXT = st.text(alphabet=st.sampled_from(list('abdu019-*"()[]/\\#:%{} .,đĐàẠ\t\x00\x1b')), max_size=14)
SEARCH_OPTIONS = ["--since", "--until", "--limit", "--site", "--province", "--family", "--sort", "--format"]
SEARCH_VALUES = ["2020", "9999", "0000", "2020-02-30", "0", "20", "date", "json", "csv", "HUE_SUBSITE", "huế", NESTED]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.one_of(TEXT, st.sampled_from(["[/] abc", "[bold]x[/bold]", NESTED, "du", '"da nang" OR hue*'])),
    options=st.lists(st.tuples(st.sampled_from(SEARCH_OPTIONS), st.one_of(TEXT, st.sampled_from(SEARCH_VALUES))), max_size=4),
)
def test_search_with_random_arguments(files: Path, query: str, options: list[tuple[str, str]]) -> None:
    archive = files / "archive.sqlite"
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    result = invoke("search", query, *(a for pair in options for a in pair), "--db", str(archive))
    if result.code != 0:
        assert_one_line_error(result, 2)
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before


CRAWL_SITES = [HOST, "http://127.0.0.1:9/", "http://[::1", "ftp://x/", "khongton.tai.gov.vn", "HTTP://SDL.ThuaThienHue.gov.vn"]
CRAWL_OPTIONS = ["--max-pages", "--max-time", "--max-depth", "--delay", "--proxy", "--set", "--frontier", "--worker"]
CRAWL_VALUES = ["0", "1", "-1", "nan", "inf", "1e309", "0.01", "http://127.0.0.1:9", "http://[::1", "x"]
CRAWL_VALUES += ["DOWNLOAD_TIMEOUT=abc", "DOWNLOAD_TIMEOUT=0.01", "RETRY_TIMES=x", "ROBOTSTXT_OBEY=1", "X=1", "=", "A="]
CRAWL_FLAGS = ["--revisit", "--full", "--resume", "--fresh", "-v"]
# Values each option takes, so that many examples get past the checks to the crawl (a stand-in)
CRAWL_GOOD = {
    "--max-pages": ["1", "25"],
    "--max-time": ["1", "30.5"],
    "--max-depth": ["0", "3"],
    "--delay": ["0", "0.25"],
    "--proxy": ["http://127.0.0.1:9"],
    "--set": ["DOWNLOAD_TIMEOUT=0.01", "RETRY_TIMES=0", "ROBOTSTXT_OBEY=false", "MY_SETTING=[1, 2]"],
}
CRAWL_OPTION = st.sampled_from(CRAWL_OPTIONS).flatmap(
    lambda name: st.tuples(
        st.just(name),
        st.one_of(
            st.sampled_from(CRAWL_GOOD.get(name, ["x"])),
            st.sampled_from(CRAWL_GOOD.get(name, ["x"])),
            st.sampled_from(CRAWL_VALUES),
            TEXT,
        ),
    )
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    site=st.one_of(st.sampled_from(CRAWL_SITES[:2]), st.sampled_from(CRAWL_SITES), TEXT),
    options=st.lists(CRAWL_OPTION, max_size=4),
    flags=st.lists(st.sampled_from(CRAWL_FLAGS), max_size=2),
)
def test_crawl_with_random_arguments(
    files: Path, monkeypatch: pytest.MonkeyPatch, site: str, options: list[tuple[str, str]], flags: list[str]
) -> None:
    """Random crawl options are refused in one line (exit 2, no archive made), or reach the
    crawl — here a stand-in that builds the crawl's settings and fetches nothing."""
    from crawler.run import build_settings

    started: list[object] = []

    def stand_in(targets: list[object], db_path: str, options: object = None, **kwargs: object) -> list[int]:
        build_settings(db_path, options, extra=kwargs.get("extra"))  # type: ignore[arg-type]
        started.append(targets)
        return []

    monkeypatch.setattr("crawler.run.run_crawls", stand_in)
    db = files / f"crawl-{len(list(files.glob('crawl-*')))}.sqlite"
    if any(name == "--frontier" for name, _ in options):  # a real frontier would be joined: not here
        options = [(name, value) for name, value in options if name != "--frontier"] + [("--frontier", "x")]
    args = ["crawl", site, *(a for pair in options for a in pair), *flags, "--db", str(db)]
    result = invoke(*args)
    if result.code == 0:
        assert started and db.exists()
    else:
        assert_one_line_error(result, 2)
        assert not started and not db.exists()
