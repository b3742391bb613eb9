"""Page analysis in worker processes: the same pages and links as in the crawl's own process,
and a worker that dies costs only its page."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from crawler.offload import MAX_RESTARTS, Analyser, ExtractCrashed, analyse_links

from .conftest import SITES


def _pages() -> list[tuple[str, bytes]]:
    """The saved pages of the sample portals (articles, listings, home pages) at their real URLs."""
    pages = []
    for routes in sorted(SITES.glob("*/routes.json")):
        for key, spec in sorted(json.loads(routes.read_text(encoding="utf-8")).items())[:14]:
            file = spec if isinstance(spec, str) else spec.get("file", "")
            if file.endswith(".html"):
                pages.append((f"http://{routes.parent.name}{key}", (routes.parent / "pages" / file).read_bytes()))
    return pages


def _direct(fn: Any, *args: Any) -> None:  # the reactor's callFromThread, without a reactor
    fn(*args)


class Results:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.done = threading.Event()
        self.expected = 0

    def collect(self, url: str, d: Any) -> None:
        self.expected += 1

        def keep(value: Any) -> None:
            self.values[url] = value
            if len(self.values) == self.expected:
                self.done.set()

        d.addCallbacks(keep, lambda failure: keep(failure.value))

    def wait(self, timeout: float = 120) -> dict[str, Any]:
        assert self.done.wait(timeout), f"{len(self.values)} of {self.expected} pages analysed"
        return self.values


def _same(a: Any, b: Any) -> None:
    page_a, (found_a, linked_a) = a
    page_b, (found_b, linked_b) = b
    assert page_a.url == page_b.url
    assert (page_a.profile.name if page_a.profile else None) == (page_b.profile.name if page_b.profile else None)
    assert page_a.record.to_dict() == page_b.record.to_dict()
    assert page_a.is_article == page_b.is_article
    assert list(found_a.items()) == list(found_b.items())  # same links, same kinds, same order
    assert list(linked_a.items()) == list(linked_b.items())  # each as the page links it


def test_worker_processes_give_what_in_process_analysis_gives() -> None:
    pages = _pages()
    assert len(pages) > 60
    analyser = Analyser(1, call_from_thread=_direct)
    try:
        results = Results()
        for url, body in pages:
            hosts = (url.split("/")[2],)
            results.collect(url, analyser.analyse(body, url, None, "text/html", hosts))
        remote = results.wait()
    finally:
        analyser.close()
    articles = 0
    for url, body in pages:
        local = analyse_links(body, url, None, "text/html", (url.split("/")[2],))
        _same(remote[url], local)
        articles += local[0].is_article
    assert articles > 20 and any(found for _, found in remote.values())


def _slow_page() -> bytes:
    paragraph = "<p>Ủy ban nhân dân tỉnh Thừa Thiên Huế tổ chức hội nghị tổng kết công tác năm 2024.</p>"
    return f"<html><body><h1>Tiêu đề</h1><div>{paragraph * 60_000}</div></body></html>".encode()


def _kill_worker(analyser: Analyser) -> None:
    pool: Any = analyser._pool
    deadline = time.monotonic() + 30
    while not pool._processes and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in list(pool._processes):
        os.kill(pid, signal.SIGKILL)


def test_a_dying_worker_costs_only_its_page(tmp_path: Path) -> None:
    small_url, small = _pages()[0]
    analyser = Analyser(1, call_from_thread=_direct)
    try:
        results = Results()
        results.collect("slow", analyser.analyse(_slow_page(), "http://example.gov.vn/a.html", None, None, ("example.gov.vn",)))
        time.sleep(1.0)  # the worker is inside the slow page now (it takes seconds)
        _kill_worker(analyser)
        values = results.wait()
        assert isinstance(values["slow"], ExtractCrashed)
        assert analyser.restarts == 1

        after = Results()
        after.collect(small_url, analyser.analyse(small, small_url, None, None, (small_url.split("/")[2],)))
        _same(after.wait()[small_url], analyse_links(small, small_url, None, None, (small_url.split("/")[2],)))
    finally:
        analyser.close()


def test_a_pool_that_keeps_dying_is_given_up_for_in_process_analysis() -> None:
    url, body = _pages()[0]
    hosts = (url.split("/")[2],)
    analyser = Analyser(1, call_from_thread=_direct)
    try:
        for _ in range(MAX_RESTARTS + 1):
            results = Results()
            results.collect(
                "slow", analyser.analyse(_slow_page(), "http://example.gov.vn/a.html", None, None, ("example.gov.vn",))
            )
            time.sleep(1.0)
            _kill_worker(analyser)
            assert isinstance(results.wait()["slow"], ExtractCrashed)
        assert analyser._pool is None  # given up: the crawl's own process analyses from now on
        results = Results()
        results.collect(url, analyser.analyse(body, url, None, None, hosts))
        _same(results.wait()[url], analyse_links(body, url, None, None, hosts))
    finally:
        analyser.close()


@pytest.mark.parametrize("processes", [0, 2])
def test_process_count_is_honoured(processes: int) -> None:
    analyser = Analyser(processes, call_from_thread=_direct)
    try:
        assert (analyser._pool is None) == (processes == 0)
    finally:
        analyser.close()


def test_workers_end_with_the_crawl_process_even_on_sigkill() -> None:
    script = (
        "import time\n"
        "from crawler.offload import Analyser\n"
        "if __name__ == '__main__':\n"
        "    a = Analyser(1)\n"
        "    a._pool.submit(int).result()\n"
        "    print(*a._pool._processes, flush=True)\n"
        "    time.sleep(300)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, cwd=Path(__file__).parent.parent)
    assert proc.stdout is not None
    workers = [int(pid) for pid in proc.stdout.readline().split()]
    assert workers
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived the crawl"
    assert proc.stdout.read() == b""  # and nothing holds the crawl's output open
    proc.stdout.close()


def _alive(pid: int) -> bool:
    try:
        with Path(f"/proc/{pid}/stat").open() as fh:
            return fh.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_crawls_in_one_process_share_one_pool_until_the_last_is_done() -> None:
    first = Analyser.shared(1)
    second = Analyser.shared(1)
    try:
        assert second is first  # one worker for every site crawled in this process, not one each
        pool = first._pool
        assert pool is not None
        (pid,) = _worker_pids(first)
        first.release()
        assert first._pool is pool and _alive(pid)  # the other crawl still uses it
        third = Analyser.shared(1)
        assert third is first
        third.release()
    finally:
        second.release()
    assert first._pool is None
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    fresh = Analyser.shared(1)  # a later crawl starts a new one
    try:
        assert fresh is not first and fresh._pool is not None
    finally:
        fresh.release()


def _worker_pids(analyser: Analyser) -> list[int]:
    pool: Any = analyser._pool
    pool.submit(int).result(timeout=60)  # started
    return list(pool._processes)
