"""The layers keep their direction: the pure core (portals) ← storage (archive) ← the Scrapy
crawler (crawler) ← the command (portal_archive), checked by import-linter's contracts in
pyproject.toml, and by what importing each layer actually loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Every contract was checked, and kept.
    assert "Contracts: 3 kept, 0 broken." in proc.stdout, proc.stdout


def _loaded_by(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after ``statement``."""
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        # `import archive` (and every storage module but the browser's) loads no crawler, no parser.
        ("import archive", {"scrapy", "twisted", "lxml", "bs4", "crawler", "portal_archive"}),
        (
            "import archive.store, archive.search, archive.history, archive.export, archive.report, "
            "archive.merge, archive.verify, archive.warc, archive.schedules, archive.tables, archive.locks",
            {"scrapy", "twisted", "lxml", "bs4", "cssselect", "crawler", "portal_archive"},
        ),
        ("import archive.web.app", {"scrapy", "twisted", "lxml", "crawler", "portal_archive"}),
        # The record, text rules, URLs and the registry: what storage needs of the core, light.
        (
            "import portals.record, portals.items, portals.folding, portals.text, portals.urls, portals.registry",
            {"lxml", "bs4", "scrapy", "twisted", "sqlite3", "archive", "crawler", "portal_archive"},
        ),
        # The whole pure core, extraction included: no Scrapy, no SQLite.
        ("import portals.extract, portals.links, portals.proposals", {"scrapy", "twisted", "sqlite3", "archive", "crawler"}),
        # The crawler package itself imports no Scrapy (its modules do).
        ("import crawler, crawler.options", {"scrapy", "twisted", "portal_archive"}),
    ],
)
def test_importing_a_layer_loads_nothing_above_it(statement: str, forbidden: set[str]) -> None:
    assert not _loaded_by(statement) & forbidden


def test_import_archive_shows_no_scrapy_twisted_or_lxml_in_its_import_time() -> None:
    """The check as `python -X importtime -c "import archive"` shows it."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import archive"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    modules = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert "archive" in modules and "sqlite_utils" in modules
    assert not modules & {"scrapy", "twisted", "lxml"}
