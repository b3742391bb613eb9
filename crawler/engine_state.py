"""When a crawl is closing, and making it close on time.

Scrapy says a spider is closing only on its engine's private slot, and a close waits for every
request already handed to the downloader, including those queued there to wait out a download
delay or AutoThrottle: with a long delay, a limit or a SIGTERM would take as long as the queue.
``ClosingWatch`` (an extension) wraps the engine's public ``close_spider_async`` of each crawl,
so that from the moment any close begins — a limit, Ctrl-C or SIGTERM, a storage failure — the
crawl knows it (``closing``), the requests queued in the downloader are dropped (they stay
pending in the frontier, for ``--resume``), and a shutdown that still hangs on a download ends
after ``SHUTDOWN_GRACE`` seconds with every open run recorded as interrupted.

The downloader's queues (``Downloader.slots[…].queue``) and the engine slot's ``nextcall`` are
Scrapy internals: they are read here and nowhere else, so a Scrapy upgrade that moves them breaks
one module (``tests/test_faults.py`` holds each behaviour to its job).
"""

from __future__ import annotations

import logging
from typing import Any
from weakref import WeakSet

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from twisted.python.failure import Failure

logger = logging.getLogger(__name__)
SHUTDOWN_GRACE = 5.0  # seconds a shutdown may wait for downloads in flight
_CLOSING: WeakSet[Crawler] = WeakSet()
_WATCHED: WeakSet[Crawler] = WeakSet()


def closing(crawler: Any) -> bool:
    """Whether the crawl is closing: requests not yet sent are to be dropped, not fetched."""
    return crawler in _CLOSING


def close(crawler: Any, reason: str) -> None:
    """Begin closing the crawl (once), with ``reason`` as Scrapy's close reason."""
    if crawler.engine is None or crawler in _CLOSING:
        return
    from scrapy.utils.defer import deferred_from_coro

    deferred_from_coro(crawler.engine.close_spider_async(reason=reason))


def drop_queued(crawler: Any) -> int:
    """Fail the requests waiting in the downloader's queues (not yet sent) with IgnoreRequest
    "crawl closing"; return how many."""
    dropped = 0
    downloader = getattr(crawler.engine, "downloader", None)
    for slot in list(getattr(downloader, "slots", {}).values()):
        queue = getattr(slot, "queue", None)
        while queue:
            _request, waiting = queue.popleft()
            waiting.errback(Failure(IgnoreRequest("crawl closing")))
            dropped += 1
    return dropped


def wake_after(crawler: Any, seconds: float) -> None:
    """Have the engine look at its scheduler again in ``seconds``."""
    slot = getattr(crawler.engine, "_slot", None) if crawler.engine is not None else None
    if slot is not None:
        from twisted.internet import reactor  # the installed one

        reactor.callLater(seconds, slot.nextcall.schedule)  # type: ignore[attr-defined]


class ClosingWatch:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClosingWatch:
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        crawler, engine = self.crawler, self.crawler.engine
        assert engine is not None
        original = engine.close_spider_async
        _WATCHED.add(crawler)

        async def close_spider_async(*, reason: str = "cancelled") -> None:
            if crawler not in _CLOSING:
                _CLOSING.add(crawler)
                dropped = drop_queued(crawler)
                if dropped:
                    logger.info("closing (%s): %d queued request(s) dropped, left pending", reason, dropped)
                if reason == "shutdown":
                    from twisted.internet import reactor

                    reactor.callLater(SHUTDOWN_GRACE, _force_stop)  # type: ignore[attr-defined]
            await original(reason=reason)

        engine.close_spider_async = close_spider_async  # type: ignore[method-assign]


def _force_stop() -> None:
    """A shutdown still waiting for downloads: record every open run as interrupted, and stop."""
    from twisted.internet import reactor

    for crawler in list(_WATCHED):
        session = getattr(crawler.spider, "session", None)
        if session is not None and not session.closed:
            logger.warning("shutdown: downloads still in flight after %.0f s; the run is recorded as interrupted", SHUTDOWN_GRACE)
            session.close("interrupted")
    if reactor.running:  # type: ignore[attr-defined]
        reactor.stop()  # type: ignore[attr-defined]
