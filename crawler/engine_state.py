"""What the crawl needs to know of Scrapy's engine that Scrapy does not publish.

Scrapy keeps "this spider is closing" (a limit was reached, Ctrl-C, a storage failure) and its
"look at the queue again" call on the engine's private slot; no public signal fires before a
close completes, which is exactly what requests still waiting out a Crawl-delay must not
await, and an idle worker on a shared frontier must poll sooner than the engine's 5-second
heartbeat. Both reads are here, and nowhere else, so a Scrapy upgrade that moves them breaks one
module: ``closing`` is held to its job by ``tests/test_faults.py`` (a crawl ended by a limit while
its requests wait out a long Crawl-delay); ``wake_after`` only makes an idle worker look sooner.
"""

from __future__ import annotations

from typing import Any


def _slot(crawler: Any) -> Any:
    return getattr(crawler.engine, "_slot", None) if crawler.engine is not None else None


def closing(crawler: Any) -> bool:
    """Whether the crawl is closing: requests not yet sent are to be dropped, not fetched."""
    slot = _slot(crawler)
    return slot is not None and getattr(slot, "closing", None) is not None


def wake_after(crawler: Any, seconds: float) -> None:
    """Have the engine look at its scheduler again in ``seconds``."""
    slot = _slot(crawler)
    if slot is not None:
        from twisted.internet import reactor  # the installed one

        reactor.callLater(seconds, slot.nextcall.schedule)  # type: ignore[attr-defined]
