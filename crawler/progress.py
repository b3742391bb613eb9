"""Progress of a running crawl: one live line on a terminal, plain lines in a log."""

from __future__ import annotations

import sys
import time

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet.task import LoopingCall


class Progress:
    """``PROGRESS = "live"``: an updating line on stderr; ``"plain"``: a line every 10 seconds."""

    def __init__(self, crawler: Crawler, mode: str):
        self.crawler = crawler
        self.mode = mode
        self.started = time.monotonic()
        self.loop: LoopingCall | None = None
        self._last_plain = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        mode = crawler.settings.get("PROGRESS")
        if mode not in ("live", "plain"):
            raise NotConfigured
        return cls(crawler, mode)

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        self.loop = LoopingCall(self.tick, spider)
        self.loop.start(0.5 if self.mode == "live" else 1.0, now=False)

    def line(self, spider: Spider) -> str:
        session = getattr(spider, "session", None)
        elapsed = time.monotonic() - self.started
        pages = session.counts.pages if session else 0
        new = session.counts.new if session else 0
        changed = session.counts.changed if session else 0
        errors = session.counts.failed if session else 0
        rate = pages / elapsed if elapsed > 0 else 0.0
        minutes, seconds = divmod(int(elapsed), 60)
        site = getattr(spider, "site_id", spider.name)
        return (
            f"{site}: {pages} pages, {new} new, {changed} changed articles, {errors} errors, "
            f"{rate:.1f} pages/s, {minutes}:{seconds:02d}"
        )

    def tick(self, spider: Spider) -> None:
        if self.mode == "live":
            sys.stderr.write("\r\x1b[K" + self.line(spider))
            sys.stderr.flush()
        elif time.monotonic() - self._last_plain >= 10:
            self._last_plain = time.monotonic()
            print(self.line(spider), file=sys.stderr, flush=True)

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.mode == "live":
            sys.stderr.write("\r\x1b[K" + self.line(spider) + "\n")
        else:
            print(self.line(spider), file=sys.stderr, flush=True)
