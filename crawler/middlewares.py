"""Downloader middlewares: exact-host scope and an optional proxy for every request."""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.utils.httpobj import urlparse_cached


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
