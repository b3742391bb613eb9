"""Downloader middlewares: exact-host scope, robots.txt Crawl-delay, an optional proxy."""

from __future__ import annotations

import time

from protego import Protego
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import reactor
from twisted.internet.task import deferLater


class ExactHostOffsiteMiddleware(OffsiteMiddleware):
    """Keep a crawl on its site's own hosts, redirects and robots.txt included.

    Scrapy's offsite filter treats every subdomain as in scope, but a province portal
    (thuathienhue.gov.vn) and its department sub-sites (sdl.thuathienhue.gov.vn) are different
    sites with different owners, profiles and crawls: only the exact hosts in the spider's
    ``allowed_domains`` (and only http/https) are fetched.
    """

    def should_follow(self, request: Request, spider: Spider) -> bool:
        parsed = urlparse_cached(request)
        allowed = getattr(spider, "allowed_domains", None)
        if parsed.scheme not in ("http", "https"):
            return False
        return not allowed or (parsed.hostname or "") in allowed


class LocalProxyMiddleware:
    """Send every request (robots.txt included) through ``PORTAL_PROXY`` when it is set."""

    def __init__(self, proxy: str | None):
        self.proxy = proxy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LocalProxyMiddleware:
        return cls(crawler.settings.get("PORTAL_PROXY"))

    def process_request(self, request: Request) -> None:
        if self.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = self.proxy


class CrawlDelayMiddleware:
    """Honour robots.txt ``Crawl-delay``, which Scrapy reads but does not enforce.

    When a host's robots.txt names a delay for us, its requests are spaced by at least that
    many seconds (each request reserves the next free moment of its host, so concurrent
    requests queue up instead of firing together).
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.user_agent = crawler.settings.get("ROBOTSTXT_USER_AGENT") or crawler.settings.get("USER_AGENT") or "*"
        self.delays: dict[str, float] = {}
        self._next: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        parsed = urlparse_cached(request)
        if parsed.path == "/robots.txt" and response.status == 200:
            parser = Protego.parse(response.body.decode("utf-8", errors="replace"))
            delay = parser.crawl_delay(self.user_agent)
            if delay:
                self.delays[parsed.netloc] = float(delay)
                if self.crawler.stats is not None:
                    self.crawler.stats.set_value(f"robotstxt/crawl_delay/{parsed.netloc}", float(delay))
        return response

    async def process_request(self, request: Request) -> None:
        parsed = urlparse_cached(request)
        delay = self.delays.get(parsed.netloc)
        if not delay or parsed.path == "/robots.txt":
            return None
        now = time.monotonic()
        start = max(now, self._next.get(parsed.netloc, 0.0))
        self._next[parsed.netloc] = start + delay
        while (remaining := start - time.monotonic()) > 0:
            if self._closing():  # a limit was reached: waiting requests are dropped, not fetched
                raise IgnoreRequest("crawl closing")
            await deferred_to_future(deferLater(reactor, min(remaining, 0.25), lambda: None))
        return None

    def _closing(self) -> bool:
        # Scrapy keeps "the spider is closing" on the engine's private slot; no public signal
        # fires before close completes, which is exactly what waiting requests must not await.
        slot = getattr(self.crawler.engine, "_slot", None)
        return slot is not None and getattr(slot, "closing", None) is not None
