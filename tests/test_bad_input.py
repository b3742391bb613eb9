"""Bad input to every command that opens an archive: one line on stderr, exit code 2 (1 for a
failure at run time), and the file untouched. A full disk stops a crawl the same way, with
what was stored before intact."""

from __future__ import annotations

import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import click
import pytest

from archive.schema import SCHEMA_VERSION
from archive.store import Archive
from portal_archive.cli import cli as cli_group
from portal_archive.sample_portal import SamplePortalServer

from .conftest import run_cli

# Every command that takes --db, with arguments that are otherwise valid.
DB_COMMANDS: dict[str, list[str]] = {
    "crawl": ["crawl", "sdl.thuathienhue.gov.vn"],
    "search": ["search", "hue"],
    "runs": ["runs"],
    "reextract": ["reextract"],
    "verify": ["verify"],
    "demo": ["demo"],
    "schedule add": ["schedule", "add", "sdl.thuathienhue.gov.vn", "--every", "day"],
    "schedule list": ["schedule", "list"],
    "schedule remove": ["schedule", "remove", "sdl.thuathienhue.gov.vn"],
    "schedule run-due": ["schedule", "run-due"],
    "schedule daemon": ["schedule", "daemon"],
    "merge": ["merge", str(Path(__file__).resolve())],  # any existing file as the shard: --db fails first
    "show": ["show", "1"],
    "export": ["export", "articles"],
    "report": ["report", "--out", str(Path(__file__).resolve().parent / "never-written.html")],
    "serve": ["serve"],
    "sites": ["sites"],
    "copies": ["copies"],
}


def _commands_with_db(group: click.Group, prefix: str = "") -> set[str]:
    found = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found |= _commands_with_db(command, path + " ")
        elif any("--db" in p.opts for p in command.params):
            found.add(path)
    return found


def test_every_archive_command_is_checked() -> None:
    assert _commands_with_db(cli_group) == set(DB_COMMANDS)


def _one_line(result: object, code: int) -> str:
    assert result.code == code, (result.code, result.out, result.err)  # type: ignore[attr-defined]
    lines = result.err.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.err, result.err  # type: ignore[attr-defined]
    return lines[0]


@pytest.fixture(scope="module")
def newer_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("newer") / "archive.sqlite"
    Archive(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    return path


@pytest.mark.parametrize("command", sorted(DB_COMMANDS))
@pytest.mark.parametrize("bad", ["not-sqlite", "newer-schema", "directory"])
def test_bad_db(command: str, bad: str, tmp_path: Path, newer_archive: Path) -> None:
    if bad == "not-sqlite":
        db = tmp_path / "notes.sqlite"
        db.write_bytes("Ghi chú của phòng lưu trữ, không phải cơ sở dữ liệu.\n".encode() * 50)
    elif bad == "newer-schema":
        db = tmp_path / "newer.sqlite"
        shutil.copy(newer_archive, db)
    else:
        db = tmp_path / "a-folder"
        db.mkdir()
    before = db.read_bytes() if db.is_file() else None
    line = _one_line(run_cli(*DB_COMMANDS[command], "--db", str(db), timeout=60), 2)
    assert str(db.name) in line or "archive" in line
    if before is not None:
        assert db.read_bytes() == before


def test_a_full_disk_stops_the_crawl_and_keeps_what_was_stored(portal_proxy: SamplePortalServer, tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    first = run_cli("crawl", "http://sdl.thuathienhue.gov.vn/", "--db", str(db), "--proxy", portal_proxy.url, "--delay", "0")
    assert first.code == 0, first.err
    stored = sqlite3.connect(db).execute("SELECT url, content_hash FROM articles ORDER BY url").fetchall()

    def small_files() -> None:  # as if the disk filled up: no file may grow past 150 kB
        resource.setrlimit(resource.RLIMIT_FSIZE, (150_000, 150_000))

    # Every response written whole (no revisit of the first crawl's records): the WARC file fills the disk.
    args = ["crawl", "http://sdl.thuathienhue.gov.vn/", "--db", str(db), "--proxy", portal_proxy.url, "--delay", "0", "--full"]
    args += ["--set", "WARC_REVISITS=false"]
    # The archive written once, at the end: the WARC file is the one that fills the disk, whatever
    # the machine's pace (a batch written mid-crawl could fill it first and leave no room for the
    # run's status).
    args += ["--set", "ARCHIVE_BATCH_SIZE=100000", "--set", "ARCHIVE_FLUSH_SECONDS=3600"]
    proc = subprocess.run(
        [sys.executable, "-m", "portal_archive", *args],
        preexec_fn=small_files,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "File too large" in errors[0] and "Traceback" not in proc.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT url, content_hash FROM articles ORDER BY url").fetchall() == stored
    assert conn.execute("SELECT status FROM crawl_runs ORDER BY id").fetchall() == [("finished",), ("failed",)]
    repaired = run_cli("verify", "--db", str(db), "--repair")
    assert repaired.code == 0, repaired.out + repaired.err
