"""One spider for every portal: ``scrapy crawl portal -a site=sdl.thuathienhue.gov.vn``.

The site is a registered domain (its registry row gives the start URLs and the family profile)
or any start URL (``-a site=http://127.0.0.1:8000/``: generic discovery and extraction, family
detected from the pages). The spider follows listing pages, pagination and article links within
the site's own hosts, skips the profile's traps, requests every page by its canonical URL (so a
URL is fetched once, whatever parameter order or tracking junk a link carries), and hands article
records and visitor statistics to the pipeline.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse

from archive.schema import now

from ..extract import analyse
from ..items import ArticleItem, VisitorStatsItem
from ..profiles import PortalProfile, get_profile
from ..registry import find_site
from ..urls import canonicalize, host_of, site_of

# Links to files are not pages to crawl (attachments are listed on their article's record).
_NOT_PAGES = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|gz|jpe?g|png|gif|bmp|svg|webp|ico|mp3|mp4|avi|wmv|flv|css|js|xml|rss|exe|msi)$",
    re.I,
)
# Pages a generic crawl never needs: logins, searches, print views, feeds, calendars.
_GENERIC_TRAPS = re.compile(
    r"(?:[?&](?:print|in|lang|returnurl|redirect|search|keyword|tukhoa|q|s)=|/(?:login|dang-?nhap|admin|print|rss|feed|tim-?kiem|search)(?:[/.?]|$)"
    r"|[?&](?:ngay|date|year|month|thang|nam)=)",
    re.I,
)


class SiteError(ValueError):
    """The site argument names no registered site and is not a URL."""


def resolve_site(site: str) -> tuple[str, list[str], PortalProfile | None]:
    """(site id, start URLs, profile) for a registered domain or a start URL."""
    registered = find_site(site)
    if "://" in site:
        if urlsplit(site).scheme not in ("http", "https") or not urlsplit(site).hostname:
            raise SiteError(f"{site!r} is not an http(s) URL")
        profile = get_profile(registered.family) if registered and registered.family else None
        return site_of(site), [site], profile
    if registered is None:
        raise SiteError(f"unknown site {site!r}: give a registered domain (see `portal-archive sites`) or a start URL")
    profile = get_profile(registered.family) if registered.family else None
    return registered.domain, list(registered.start_urls), profile


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, site: str | None = None, start_url: str | None = None, family: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not site:
            raise SiteError("the portal spider needs a site: -a site=DOMAIN_OR_URL")
        self.site_id, starts, self.profile = resolve_site(site)
        if start_url:
            starts = [start_url]
        if family:
            self.profile = get_profile(family)
        self.start_urls = [canonicalize(u, self._drop) for u in starts]
        hosts = {host_of(u) for u in self.start_urls}
        self.allowed_domains = sorted(
            hosts | {f"www.{h}" for h in hosts if not h.startswith("www.")} | {h.removeprefix("www.") for h in hosts}
        )

    @property
    def _drop(self) -> frozenset[str]:
        return self.profile.drop_params if self.profile else frozenset()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse, priority=10)

    def parse(self, response: Response) -> Iterator[Any]:
        if (
            not isinstance(response, TextResponse)
            or b"html" not in (response.headers.get("Content-Type") or b"text/html").lower()
        ):
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        page = analyse(response.body, response.url, self.profile, content_type=content_type)
        fetched_at = now()
        if page.is_article:
            yield ArticleItem(page.record, fetched_at, response.url, response.status)
        elif page.record.visitor_stats:
            yield VisitorStatsItem(page.record.site, page.record.visitor_stats, fetched_at, page.url)
        yield from self._follow(page.links, page.profile)

    def _follow(self, links: list[tuple[str, str]], profile: PortalProfile | None) -> Iterator[scrapy.Request]:
        for href, _text in links:
            if host_of(href) not in self.allowed_domains:
                continue
            url = canonicalize(href, self._drop)
            path = urlsplit(url).path
            if _NOT_PAGES.search(path):
                continue
            if profile is not None and profile.is_trap(url):
                continue
            if profile is None and _GENERIC_TRAPS.search(url):
                continue
            priority = 0
            if profile is not None:
                priority = 5 if profile.is_listing(url) else (1 if profile.is_article(url) else 0)
            yield scrapy.Request(url, callback=self.parse, priority=priority)
