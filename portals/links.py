"""Which links of a page a crawl follows, and as what: one rule set for the spider and the tests.

A link is followed when it stays on the site's hosts, is a page (not a file: attachments are
fetched from their article), and is not a trap (print views, calendars, searches, logins; by
its URL, or by its text: "In bài", "Gửi email").
Its kind (article, listing, page) comes from the family profile's URL patterns; without a
profile, archived articles are articles and paginated URLs listings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from urllib.parse import urldefrag, urlsplit

from .extract import PageAnalysis
from .extract.vocabulary import UNFOLLOWED_LINKS
from .folding import fold
from .profiles import PortalProfile
from .urls import canonicalize, host_of

# Links to files are not pages to crawl (attachments are fetched as such, from their article).
NOT_PAGES = re.compile(
    r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|gz|jpe?g|png|gif|bmp|svg|webp|ico|mp3|mp4|avi|wmv|flv|css|js"
    r"|xml|rss|exe|msi)$",
    re.I,
)
# Pages a generic crawl never needs: logins, searches, print views, feeds, calendars.
GENERIC_TRAPS = re.compile(
    r"(?:[?&](?:print|in|lang|returnurl|redirect|search|keyword|tukhoa|q|s)="
    r"|/(?:login|dang-?nhap|admin|print|rss|feed|tim-?kiem|search)(?:[/.?]|$)"
    r"|[?&](?:ngay|date|year|month|thang|nam)=)",
    re.I,
)
GENERIC_PAGINATION = re.compile(r"(?:[?&](?:page|p|trang|pageindex|start|limitstart|cur)=\d+|/(?:page|trang)[/-]\d+)", re.I)


# Links named as another view of their page (print, e-mail), by their whole text.
_UNFOLLOWED = frozenset(fold(label) for label in UNFOLLOWED_LINKS)


def kind_of(url: str, profile: PortalProfile | None, known: bool = False) -> str:
    """``article``, ``listing`` or ``page``, by the profile's URL patterns."""
    if profile is not None and profile.article:
        if profile.is_article(url):
            return "article"
        return "listing" if profile.is_listing(url) else "page"
    if known:
        return "article"
    return "listing" if GENERIC_PAGINATION.search(url) else "page"


def is_pagination(url: str, profile: PortalProfile | None) -> bool:
    if profile is not None and profile.pagination:
        return any(p.search(url) for p in profile.pagination)
    return bool(GENERIC_PAGINATION.search(url))


def classify_links(
    page: PageAnalysis, hosts: Collection[str], is_known: Callable[[str], bool] = lambda url: False, *, traps: bool = False
) -> dict[str, str]:
    """canonical URL → kind, for every link of ``page`` a crawl of ``hosts`` follows, in order;
    with ``traps``, also the links on those hosts it does not follow as traps (kind ``trap``)."""
    return followed_links(page, hosts, is_known, traps=traps)[0]


def followed_links(
    page: PageAnalysis, hosts: Collection[str], is_known: Callable[[str], bool] = lambda url: False, *, traps: bool = False
) -> tuple[dict[str, str], dict[str, str]]:
    """``classify_links``, and canonical URL → the URL as the page links it (its first link,
    absolute, without fragment): what a crawl asks for. The canonical form only decides what
    was seen already and which article a page is."""
    profile = page.profile
    drop = profile.drop_params if profile else frozenset()
    found: dict[str, str] = {}
    linked: dict[str, str] = {}
    for href, text in page.links:
        if host_of(href) not in hosts:
            continue
        try:
            url = canonicalize(href, drop)
        except ValueError:  # a link with a port no server has: nothing to fetch
            continue
        if url in found or url == page.url or NOT_PAGES.search(urlsplit(url).path):
            continue
        if GENERIC_TRAPS.search(url) or (profile is not None and profile.is_trap(url)) or fold(text) in _UNFOLLOWED:
            if traps:
                found[url] = "trap"
            continue
        found[url] = kind_of(url, profile, is_known(url))
        linked[url] = urldefrag(href)[0]
    return found, linked
