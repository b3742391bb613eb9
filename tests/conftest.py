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

from portal_archive.sample_portal import DEFAULT_SITES_DIR, SamplePortalServer

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
        [sys.executable, "-m", "portal_archive", *args],
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


# -- figures the reliability tests measured (faults survived, kill points, fuzz examples) --------
RELIABILITY_FIGURES: dict[str, object] = {}


@pytest.fixture(scope="session")
def reliability_figures() -> dict[str, object]:
    """Where a test puts what it measured; printed at the end of the run (docs/reliability.md)."""
    return RELIABILITY_FIGURES


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker: hand what its tests measured to the controller, which prints it."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["reliability_figures"] = {name: str(value) for name, value in RELIABILITY_FIGURES.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """On the pytest-xdist controller: a worker finished, with the figures its tests measured."""
    RELIABILITY_FIGURES.update(getattr(node, "workeroutput", {}).get("reliability_figures", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RELIABILITY_FIGURES:
        terminalreporter.write_sep("-", "reliability figures")
        for name, value in RELIABILITY_FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


# -- the suite on several workers (pytest-xdist, ``--dist loadgroup``) ------------------------------
# The tests of these modules share a costly module- or session-scoped setup (crawls, a built
# wheel, Chromium, Redis, Scrapyd): each group runs on one worker, so that setup is made once.
# Every other test goes to whichever worker is free.
XDIST_GROUPS = {
    # the session's research_archive (every sample portal crawled), and Chromium in test_web
    "test_research": "research-archive",
    "test_export_versions": "research-archive",
    "test_web": "research-archive",
    # both build the project from the source tree (a wheel; Scrapyd's egg, in the tree itself)
    "test_package": "source-tree",
    "test_scaling": "source-tree",
    **{
        name: name
        for name in (
            "test_attachments",
            "test_bad_input",
            "test_benchmarks",
            "test_bounded_work",
            "test_cli",
            "test_cli_contract",
            "test_crash_safety",
            "test_faults",
            "test_hostile_input",
            "test_replay",
            "test_web_safety",
        )
    },
}


def xdist_group(nodeid: str) -> str:
    """The unit of work a test belongs to: its module's group, else the test alone."""
    if nodeid.rfind("@") > nodeid.rfind("]"):  # an xdist_group mark, where pytest-xdist could add it
        return nodeid.rsplit("@", 1)[1]
    return XDIST_GROUPS.get(Path(nodeid.split("::", 1)[0]).stem) or nodeid


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``--dist loadgroup`` by ``XDIST_GROUPS``: pytest-xdist's own reads xdist_group marks from a
    suffix it adds to node ids, which pytest 9 no longer lets it change."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    return GroupScheduling(config, log)


# -- the researchers' demo archive: every sample portal crawled, and one article edited ---------
EDITED_URL = "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335"
EDITED_TITLE = "Thừa Thiên Huế tiếp tục dẫn đầu toàn quốc về ứng dụng công nghệ thông tin"


@pytest.fixture(scope="session")
def research_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every sample portal crawled over HTTP with the real spider, then the Huế tourism
    department's portal crawled again after it edited one article (a second version) and its
    visitor counter moved on (a second observation)."""
    db = tmp_path_factory.mktemp("research") / "archive.sqlite"
    with SamplePortalServer(SITES) as server:
        hosts = sorted(server.sites)
        first = run_cli("crawl", *[f"http://{h}/" for h in hosts], "--db", str(db), "--proxy", server.url, "--delay", "0")
        assert first.code == 0, first.err + first.out
        host = "sdl.thuathienhue.gov.vn"
        site = server.sites[host]
        for key, spec in site.routes.items():  # the visitor counter moved on, on every page
            if spec.get("file", "").endswith(".html"):
                server.set_page(host, key, site.folder.joinpath("pages", spec["file"]).read_bytes().replace(b"53.957", b"54.321"))
        page = (site.folder / "pages" / "article-4335.html").read_text(encoding="utf-8").replace("53.957", "54.321")
        edited = page.replace("Thừa Thiên Huế dẫn đầu toàn quốc", "Thừa Thiên Huế tiếp tục dẫn đầu toàn quốc").replace(
            "có hiệu quả cao./.", "có hiệu quả cao. Năm 2020, tỉnh tiếp tục giữ vị trí thứ nhất./."
        )
        assert edited != page
        server.set_page(host, "/?cn=121&gd=4&tc=4335", edited.encode("utf-8"))
        second = run_cli("crawl", f"http://{host}/", "--db", str(db), "--proxy", server.url, "--delay", "0", "--revisit")
        assert second.code == 0, second.err + second.out
    return db
