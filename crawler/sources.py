"""Feeds and sitemaps as sources of a crawl's frontier.

A portal's sitemaps (named by robots.txt ``Sitemap:`` lines, or at ``/sitemap.xml``; indexes and
gzip included) and its RSS/Atom feeds (``<link rel="alternate">`` in a page's head, or the
platform's usual feed path from its profile) list its articles with when they last changed. The
crawl asks for the entries it has not archived, and for archived ones only when they changed
since they were fetched; an article that a sitemap listed and no longer lists is a removal to
record. Sitemaps are read with Scrapy's own parser (``scrapy.utils.sitemap``), feeds with
feedparser; both are bounded like any page (``MAX_SOURCE`` bytes, decompressed).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from archive.schema import VIETNAM
from portals.folding import fold

MAX_SOURCE = 16 * 1024 * 1024  # a sitemap may hold 50,000 URLs (about 10 MB); a feed far less
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")
_LINK_TAG = re.compile(rb"<link\b[^>]*>", re.I)
_ATTR = re.compile(rb"""([a-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_HEAD_END = re.compile(rb"</head\s*>|<body\b", re.I)


class RobotsSitemapsMiddleware:
    """Hands the ``Sitemap:`` lines of a robots.txt to the spider (``sources_in_robots``)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsSitemapsMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        spider = self.crawler.spider
        if response.status == 200 and urlparse_cached(request).path == "/robots.txt" and hasattr(spider, "sources_in_robots"):
            urls = sitemaps_in_robots(response.body)
            if urls:
                spider.sources_in_robots(urls)
        return response


class SourceError(ValueError):
    """A document that was to be a sitemap or a feed is neither (or is too large)."""


@dataclass(frozen=True)
class Entry:
    url: str
    modified: str | None = None  # ISO 8601, +07:00


@dataclass
class Source:
    kind: str  # sitemap | sitemapindex | feed
    entries: list[Entry] = field(default_factory=list)  # pages (sitemap, feed) or sitemaps (index)


def read_source(body: bytes, url: str) -> Source:
    """The entries of a sitemap, sitemap index or feed (gzip or not); SourceError otherwise."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gunzip(body, max_size=MAX_SOURCE)
        except Exception as exc:  # a cut or oversized stream: scrapy raises OSError / _DecompressionMaxSizeExceeded
            raise SourceError(f"gzip: {exc}") from None
    if len(body) > MAX_SOURCE:
        raise SourceError(f"larger than {MAX_SOURCE} bytes")
    head = body[:2048].lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        return _sitemap(body, url)
    if b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head:
        return _feed(body, url)
    raise SourceError("neither a sitemap nor an RSS/Atom feed")


def _sitemap(body: bytes, url: str) -> Source:
    try:
        sitemap = Sitemap(body)
        entries = [Entry(urljoin(url, item["loc"].strip()), _lastmod(item.get("lastmod"))) for item in sitemap if item.get("loc")]
    except Exception as exc:  # lxml's XMLSyntaxError and the like: a broken document
        raise SourceError(f"sitemap: {exc}") from None
    return Source("sitemapindex" if sitemap.type == "sitemapindex" else "sitemap", entries)


def _feed(body: bytes, url: str) -> Source:
    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if parsed.bozo and not parsed.entries:
        raise SourceError(f"feed: {parsed.get('bozo_exception')}")
    entries = []
    for item in parsed.entries:
        link = item.get("link")
        if not link:
            continue
        when = item.get("updated_parsed") or item.get("published_parsed")
        modified = datetime.fromtimestamp(calendar.timegm(when), UTC).astimezone(VIETNAM).isoformat() if when else None
        entries.append(Entry(urljoin(url, link.strip()), modified))
    return Source("feed", entries)


def _lastmod(value: str | None) -> str | None:
    """A sitemap's ``lastmod`` (W3C datetime: a day, or a time with its offset) in +07:00."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # a day, or a time without offset: the portal's own (Vietnam's)
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(VIETNAM).isoformat()


def sitemaps_in_robots(body: bytes) -> list[str]:
    return [u.strip() for u in sitemap_urls_from_robots(body) if u.strip()]


def feed_links(html: bytes, base: str) -> list[str]:
    """The RSS/Atom feeds a page's head names (``<link rel="alternate" type="application/rss+xml">``)."""
    end = _HEAD_END.search(html, 0, 262_144)
    head = html[: end.start() if end else 262_144]
    found = []
    for tag in _LINK_TAG.findall(head):
        attrs = {m[0].lower(): (m[1] or m[2] or m[3]) for m in _ATTR.findall(tag)}
        rel = attrs.get(b"rel", b"").lower().split()
        kind = attrs.get(b"type", b"").lower().decode("latin-1")
        href = attrs.get(b"href", b"").strip()
        if b"alternate" in rel and kind in FEED_TYPES and href:
            found.append(urljoin(base, href.decode("utf-8", errors="replace")))
    return found


# What a portal's "page not found" answers with a 200 say (its own error page, a search page).
NOT_FOUND = tuple(
    fold(w)
    for w in (
        "không tìm thấy",
        "không tồn tại",
        "đã bị xóa",
        "đã bị gỡ",
        "trang bạn yêu cầu",
        "page not found",
        "not found",
    )
)


def soft_404(title: str | None, body: str | None, url: str, redirects: list[str] | None, home: list[str]) -> str | None:
    """Why an archived article's URL, answered 200, is a removal (a redirect to the home page, a
    "not found" page: its title says so, or the few words that are all its text), or None."""
    if redirects and url in home:
        return "soft_404: redirected to the home page"
    short = body if body and len(body) < 500 else None
    text = fold(" ".join(t for t in (title, short) if t))
    for words in NOT_FOUND:
        if words in text:
            return f"soft_404: says {words!r}"
    return None
