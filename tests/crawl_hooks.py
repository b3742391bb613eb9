"""``portal-archive`` with test-only hooks, for a child process: ``python -m tests.crawl_hooks ARGS``.

The command line is the real one (``portal_archive.cli``); two environment variables adjust it first:

* ``PA_TEST_SETTINGS``: a JSON object of Scrapy settings for knobs the CLI has no option for
  (``DOWNLOAD_TIMEOUT``, ``ARCHIVE_BATCH_SIZE`` …), set as the crawler's project defaults.
* ``PA_TEST_KILL``: where the process SIGKILLs itself, in the middle of an operation:
  ``db:N:K`` — in the N-th batch write to the archive, at its K-th SQL statement (statement 1
  is ``BEGIN``; a K past the batch's last statement kills just before ``COMMIT``);
  ``warc:TYPE:N:FRACTION`` — in the N-th WARC record of TYPE (``warcinfo``, ``response`` or
  ``request``), once FRACTION of its compressed bytes are on disk (0: none).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import warcio.warcwriter

import archive.store
import crawler.settings

REPO_ROOT = Path(__file__).resolve().parent.parent


def command(*args: str) -> list[str]:
    """The command line that runs ``portal-archive ARGS`` through these hooks (cwd: ``REPO_ROOT``)."""
    return [sys.executable, "-m", "tests.crawl_hooks", *args]


def environment(settings: dict[str, Any] | None = None, kill: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    env.pop("PORTAL_ARCHIVE_DB", None)
    env.pop("PA_TEST_SETTINGS", None)
    env.pop("PA_TEST_KILL", None)
    if settings:
        env["PA_TEST_SETTINGS"] = json.dumps(settings)
    if kill:
        env["PA_TEST_KILL"] = kill
    return env


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def apply_settings(raw: str) -> None:
    for name, value in json.loads(raw).items():
        setattr(crawler.settings, name, value)


def kill_in_batch_write(nth: int, statement: int) -> None:
    original = archive.store.Archive.write
    calls = 0

    def write(self: archive.store.Archive, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth:
            execute = self.db.execute
            count = 0

            def dying_execute(sql: str, *params: Any) -> Any:
                nonlocal count
                count += 1
                if count == statement or (sql == "COMMIT" and count < statement):
                    _die()
                return execute(sql, *params)

            self.db.execute = dying_execute  # type: ignore[method-assign,assignment]
        return original(self, *args, **kwargs)

    archive.store.Archive.write = write  # type: ignore[method-assign]


class _CutFile:
    """A file that takes ``keep`` more bytes, then dies."""

    def __init__(self, raw: Any, keep: float):
        self.raw, self.keep = raw, keep

    def write(self, data: bytes) -> int:
        cut = int(len(data) * self.keep)
        self.raw.write(data[:cut])
        self.raw.flush()
        _die()
        return cut

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def kill_in_warc_record(rec_type: str, nth: int, fraction: float) -> None:
    original = warcio.warcwriter.WARCWriter._write_warc_record
    calls = 0

    def write_record(self: Any, out: Any, record: Any) -> Any:
        nonlocal calls
        if record.rec_type == rec_type:
            calls += 1
            if calls == nth:
                out = _CutFile(out, fraction)
        return original(self, out, record)

    warcio.warcwriter.WARCWriter._write_warc_record = write_record  # type: ignore[method-assign]


def install(kill: str) -> None:
    where, *args = kill.split(":")
    if where == "db":
        kill_in_batch_write(int(args[0]), int(args[1]))
    elif where == "warc":
        kill_in_warc_record(args[0], int(args[1]), float(args[2]))
    else:
        raise ValueError(f"PA_TEST_KILL: unknown place {kill!r}")


def main() -> None:
    if os.environ.get("PA_TEST_SETTINGS"):
        apply_settings(os.environ["PA_TEST_SETTINGS"])
    if os.environ.get("PA_TEST_KILL"):
        install(os.environ["PA_TEST_KILL"])
    from portal_archive.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
