"""Page analysis off the crawl's event loop.

Parsing and extraction cost more CPU than everything else a crawl does per page, and Scrapy
runs on one thread: analysed in the reactor's thread, pages wait for each other's extraction
while the network sits idle. ``Analyser`` runs ``analyse`` and link discovery in worker
processes (``EXTRACT_PROCESSES``; by default one when the machine has a second core, none on
one core), so the reactor only fetches, stores and schedules. Crawls running in one process
share one pool (``Analyser.shared``): a pool per crawl would start a worker, and import the
extractor, once per site. The result is the same ``PageAnalysis``
and link set as in-process analysis (a test holds them equal).

A worker that dies (a page that crashes the parser, the kernel's OOM killer) takes only its page
with it: the pool is started again and the page is reported as failed (``extract_crashed``).
A pool that keeps dying (workers that cannot start, e.g. a script that starts a crawl without an
``if __name__ == "__main__"`` guard) is given up after a few restarts: pages are analysed in the
crawl's own process from then on, as with ``EXTRACT_PROCESSES = 0``.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Collection
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, ClassVar

from twisted.internet.defer import Deferred

from portals.copies import record_fingerprint
from portals.extract import PageAnalysis, analyse
from portals.links import followed_links
from portals.profiles import get_profile

logger = logging.getLogger(__name__)
MAX_RESTARTS = 3


class ExtractCrashed(RuntimeError):
    """The worker process analysing a page died."""


Links = tuple[dict[str, str], dict[str, str]]  # canonical URL → kind, canonical URL → URL as linked


def analyse_links(
    body: bytes, url: str, profile_name: str | None, content_type: str | None, hosts: Collection[str]
) -> tuple[PageAnalysis, Links]:
    """The page (its links dropped: they are in the second value) and the links a crawl of
    ``hosts`` follows, canonical URL → kind, as if none were archived yet (and the traps it
    does not follow, kind ``trap``), with each followed one as the page links it."""
    page = analyse(body, url, get_profile(profile_name) if profile_name else None, content_type=content_type)
    links = followed_links(page, hosts, traps=True)
    page.links = []
    if page.is_article and page.record.body:  # what its copies are found by, here rather than in the writer
        page.fingerprint = record_fingerprint(page.record)
    return page, links


def _remote(body: bytes, url: str, profile_name: str | None, content_type: str | None, hosts: tuple[str, ...]) -> tuple:
    page, links = analyse_links(body, url, profile_name, content_type, hosts)
    # Profiles hold compiled selectors, which do not pickle: they travel by name.
    return page.url, page.profile.name if page.profile else None, page.record, page.is_article, links, page.fingerprint


def _warm() -> None:
    """Nothing: starting a worker imports this module, and with it the extraction library."""


def _die_with(parent: int) -> None:
    """A worker ends when the crawl's process does, however that ends (a SIGKILL included):
    an orphan would hold the crawl's output pipes open and its memory for nothing."""
    with contextlib.suppress(Exception):  # Linux: the kernel kills us when the parent dies
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # died before prctl took effect
        os._exit(0)

    def watch() -> None:  # elsewhere: notice within a second
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def default_processes() -> int:
    return 1 if (os.cpu_count() or 1) >= 2 else 0


class Analyser:
    """``analyse(...)`` → a Deferred firing with ``(PageAnalysis, links)``, in-process or in a worker."""

    _shared: ClassVar[dict[int, Analyser]] = {}

    def __init__(self, processes: int | None = None, *, call_from_thread: Callable[..., Any] | None = None):
        self.processes = default_processes() if processes is None else max(0, processes)
        self.restarts = 0
        self.users = 0
        self._pool: ProcessPoolExecutor | None = None
        self._call_from_thread = call_from_thread
        if self.processes:
            self._start()

    @classmethod
    def shared(cls, processes: int | None = None) -> Analyser:
        """The process's analyser with this many workers, started by its first user; each user
        calls ``release`` when done, and the last one closes it."""
        count = default_processes() if processes is None else max(0, processes)
        analyser = cls._shared.get(count)
        if analyser is None:
            analyser = cls._shared[count] = cls(count)
        analyser.users += 1
        return analyser

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0:
            if Analyser._shared.get(self.processes) is self:
                del Analyser._shared[self.processes]
            self.close()

    def _start(self) -> None:
        # Spawned, not forked: a fork of a process running a reactor and threads is not safe.
        self._pool = ProcessPoolExecutor(
            self.processes, mp_context=multiprocessing.get_context("spawn"), initializer=_die_with, initargs=(os.getpid(),)
        )
        self._pool.submit(_warm)

    def analyse(
        self, body: bytes, url: str, profile_name: str | None, content_type: str | None, hosts: Collection[str]
    ) -> Deferred[tuple[PageAnalysis, Links]]:
        if self._pool is None:
            d: Deferred[tuple[PageAnalysis, Links]] = Deferred()
            try:
                d.callback(analyse_links(body, url, profile_name, content_type, hosts))
            except Exception as exc:
                d.errback(exc)
            return d
        return self._submit(body, url, profile_name, content_type, tuple(hosts))

    def _submit(
        self, body: bytes, url: str, profile_name: str | None, content_type: str | None, hosts: tuple[str, ...]
    ) -> Deferred[tuple[PageAnalysis, Links]]:
        pool = self._pool
        assert pool is not None
        try:
            future = pool.submit(_remote, body, url, profile_name, content_type, hosts)
        except BrokenProcessPool:  # died since the last page: start again and take this one
            self._restart(pool)
            return self.analyse(body, url, profile_name, content_type, hosts)
        d: Deferred[tuple[PageAnalysis, Links]] = Deferred()

        call = self._call_from_thread
        if call is None:
            from twisted.internet import reactor  # the installed one (importing it earlier would install the default)

            call = reactor.callFromThread  # type: ignore[attr-defined]

        def settle(done: Future[Any]) -> None:  # in the pool's thread: hand over to the reactor's
            call(self._settle, d, done, url, pool)

        future.add_done_callback(settle)
        return d

    def _settle(self, d: Deferred[tuple[PageAnalysis, Links]], done: Future[Any], url: str, pool: ProcessPoolExecutor) -> None:
        try:
            page_url, profile_name, record, is_article, links, fingerprint = done.result()
        except BrokenProcessPool:
            self._restart(pool)
            d.errback(ExtractCrashed(f"the process analysing {url} died"))
            return
        except Exception as exc:
            d.errback(exc)
            return
        profile = get_profile(profile_name) if profile_name else None
        d.callback((PageAnalysis(page_url, profile, record, is_article, fingerprint=fingerprint), links))

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        old = self._pool
        if old is not broken:
            return  # already started again (or given up) for another page of the same crash
        old.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        if self.restarts > MAX_RESTARTS:
            logger.error("extraction workers died %d times: pages are analysed in this process from now on", self.restarts)
            self._pool = None
            return
        logger.warning("an extraction worker died; starting it again")
        self._start()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
