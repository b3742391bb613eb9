"""Downloader middlewares: exact-host scope, retries with backoff, redirect guards, robots.txt
Crawl-delay, an optional proxy."""

from __future__ import annotations

import time
import zlib
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import CloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.task import deferLater

from portals.urls import canonicalize

from .engine_state import closing


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


class PageBudgetMiddleware:
    """``--max-pages N``: at most N URLs fetched, of every kind (listings, articles, revisits,
    attachments; robots.txt aside, and a URL's retries and redirects counting once). Requests
    past the budget are dropped unsent and stay pending, for ``--resume``; once the N are done
    the crawl ends with the limit reached."""

    def __init__(self, crawler: Crawler, budget: int):
        self.crawler = crawler
        self.budget = budget
        self.spent: set[str] = set()
        self.refused = 0
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageBudgetMiddleware:
        budget = crawler.settings.getint("PORTAL_MAX_PAGES")
        if budget <= 0:
            raise NotConfigured
        return cls(crawler, budget)

    def process_request(self, request: Request) -> None:
        if urlparse_cached(request).path == "/robots.txt":
            return
        url = request.meta.get("frontier_url", request.url)
        if url in self.spent:
            return
        if len(self.spent) >= self.budget:
            self.refused += 1
            raise IgnoreRequest("crawl closing: max_pages")
        self.spent.add(url)

    def spider_idle(self) -> None:
        if self.refused:
            raise CloseSpider("closespider_pagecount")


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


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries (5xx, timeouts, cut connections), each waiting longer than the one before:
    RETRY_BACKOFF_BASE seconds, multiplied by RETRY_BACKOFF_FACTOR at each retry, at most
    RETRY_BACKOFF_MAX. A portal that is briefly down gets time to come back instead of three
    requests in a row."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.factor = settings.getfloat("RETRY_BACKOFF_FACTOR", 3.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 30.0)

    def _retry(self, request: Request, reason: str | Exception | type[Exception]) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            retry.meta["retry_wait"] = min(self.cap, self.base * self.factor ** (retry.meta["retry_times"] - 1))
        return retry


class RedirectGuardMiddleware:
    """Redirects that lead nowhere are failures of the page, recorded as such: a loop back to a
    URL of the same chain, or a jump to another site (Scrapy would drop either silently). A jump
    to another site is also told to the spider's ``moves`` (``crawler.moves``): its site may have
    moved there."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if not 300 <= response.status < 400 or not location:
            return response
        try:
            target = urljoin(request.url, location.decode("latin-1").strip())
            host = urlsplit(target).hostname or ""
            # "?gd=4&cn=1" and "?cn=1&gd=4" are one page (and one fingerprint); an added parameter
            # (a session id, say) is not a loop.
            chain = {_page_key(u) for u in (*request.meta.get("redirect_urls", []), request.url)}
            looped = _page_key(target) in chain
        except ValueError:
            raise IgnoreRequest(f"redirect_broken: to {location!r}") from None
        if looped:
            raise IgnoreRequest(f"redirect_loop: back to {target}")
        spider = self.crawler.spider
        allowed = getattr(spider, "allowed_domains", None)
        if allowed and host not in allowed:
            watch = getattr(spider, "moves", None)  # crawler.moves: did the site move there?
            if watch is not None:
                watch.offsite(request.meta, request.url, response.status, location.decode("latin-1").strip(), target)
            raise IgnoreRequest(f"redirect_offsite: to {target}")
        session = getattr(spider, "session", None)
        landing = canonicalize(target, getattr(spider, "_drop", frozenset()))
        asked = landing != request.meta.get("frontier_url") and landing in getattr(spider, "requested", ())
        if session is not None and (session.is_done(landing) or asked):
            # A page this crawl has, or has asked for (its answer may not be in yet): Scrapy would
            # drop the redirect as a duplicate and this URL would stay pending forever. (A redirect
            # to another spelling of the page itself, a session id added, say, is followed.)
            raise IgnoreRequest(f"redirect_duplicate: to {target}")
        return response


def _page_key(url: str) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower(), parts.path, tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))


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
        now = time.monotonic()
        start = now + request.meta.pop("retry_wait", 0.0)  # a retry's backoff (BackoffRetryMiddleware)
        delay = self.delays.get(parsed.netloc)
        if delay and parsed.path != "/robots.txt":
            start = max(start, self._next.get(parsed.netloc, 0.0))
            self._next[parsed.netloc] = start + delay
        while (remaining := start - time.monotonic()) > 0:
            if closing(self.crawler):  # a limit was reached: waiting requests are dropped, not fetched
                raise IgnoreRequest("crawl closing")
            await sleep(min(remaining, 0.25))


async def sleep(seconds: float) -> None:
    # The reactor is imported here, not at module level: importing it early would install
    # Twisted's default reactor before Scrapy installs the one it is configured for.
    from twisted.internet import reactor

    await deferred_to_future(deferLater(reactor, seconds, lambda: None))


class TruncatedEncodingMiddleware:
    """Flag a gzip/deflate body whose compressed stream ends early (``meta["truncated"]``).

    The HTTP transfer can be complete (Content-Length honoured) while the compressed stream in
    it is cut; Scrapy's decompression then hands on whatever it could inflate, a page without its
    end. Sits before HttpCompressionMiddleware (590) so it sees the bytes as sent.
    """

    CHECK_LIMIT = 64 << 20  # inflated bytes: past this the stream is taken as whole (size caps apply)

    def process_response(self, request: Request, response: Response) -> Response:
        encoding = (response.headers.get("Content-Encoding") or b"").decode("latin-1").strip().lower()
        if (
            encoding in ("gzip", "x-gzip", "deflate")
            and response.body
            and not _complete(response.body, encoding, self.CHECK_LIMIT)
        ):
            request.meta["truncated"] = True
        return response


def _complete(body: bytes, encoding: str, limit: int) -> bool:
    if encoding == "deflate":
        return _inflates_to_end(body, zlib.MAX_WBITS, limit) or _inflates_to_end(body, -zlib.MAX_WBITS, limit)
    return _inflates_to_end(body, 16 + zlib.MAX_WBITS, limit)


def _inflates_to_end(body: bytes, wbits: int, limit: int) -> bool:
    inflater = zlib.decompressobj(wbits)
    data, total = body, 0
    try:
        while data:
            total += len(inflater.decompress(data, 1 << 20))
            data = inflater.unconsumed_tail
            if inflater.eof or total > limit:
                return True
    except zlib.error:
        return False
    return inflater.eof
