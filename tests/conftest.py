"""Shared test fixtures: saved portals served on 127.0.0.1, and the CLI run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawler.sample_portal import DEFAULT_SITES_DIR, SamplePortalServer

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = FIXTURES / "pages"
SITES = DEFAULT_SITES_DIR


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


def run_cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None, timeout: float = 300) -> CliResult:
    """Run ``portal-archive ARGS`` in a fresh process, exactly as a user would."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    env.pop("PORTAL_ARCHIVE_DB", None)
    proc = subprocess.run(
        [sys.executable, "-m", "archive.cli", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
    return CliResult(proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"))


@pytest.fixture
def cli() -> object:
    return run_cli


@pytest.fixture(scope="session")
def portal_proxy() -> Iterator[SamplePortalServer]:
    """Every saved portal, answering as an HTTP proxy on 127.0.0.1 (crawls see the real URLs)."""
    with SamplePortalServer(SITES) as server:
        yield server


def expected_articles(host: str) -> dict[str, dict]:
    data = json.loads((SITES / host / "expected.json").read_text(encoding="utf-8"))
    return {article["url"]: article for article in data["articles"]}
