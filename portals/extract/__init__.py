"""The extraction library: ``extract(html, url, profile=None) -> Record``.

A pure function over a page's bytes (or text) and URL, used alike by the spider, by
``portal-archive extract`` and by re-extraction from WARC files. It never touches the network
or the database, and never raises on malformed input: what it cannot read is left empty and
named in ``Record.warnings``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

from ..copies import Fingerprint
from ..profiles import PortalProfile, ProfileError, detect_profile, get_profile, profile_for_host
from ..record import VISITOR_KEYS, Attachment, Record, Source
from ..registry import find_site
from ..text import clean, has_unprintable, printable
from ..urls import canonicalize, host_of, site_of
from .article import read_article
from .bounds import MAX_ATTRIBUTES, MAX_LINKS, MAX_PAGE, MAX_TAGS, cut_markup, depth_cut
from .dom import Document, parse, parse_tree, text_content
from .encoding import cut, decode
from .listing import looks_like_listing

__all__ = [
    "MAX_ATTRIBUTES",
    "MAX_LINKS",
    "MAX_PAGE",
    "MAX_TAGS",
    "VISITOR_KEYS",
    "Attachment",
    "PageAnalysis",
    "Record",
    "Source",
    "analyse",
    "canonical_url",
    "extract",
]

_MIN_ARTICLE_BODY = 120  # characters: shorter bodies are notices or navigation pages
MAX_BODY = 1_000_000  # characters: no article is that long; past it, the body is cut and said so


@dataclass
class PageAnalysis:
    """Everything the crawler needs from one fetched page, from a single parse."""

    url: str  # canonical
    profile: PortalProfile | None
    record: Record
    is_article: bool
    links: list[tuple[str, str]] = field(default_factory=list)  # (absolute URL, link text)
    # An article's ``portals.copies.Fingerprint``, where the caller computed it (the crawl's
    # extraction workers do: ``crawler.offload``); ``analyse`` leaves it out.
    fingerprint: Fingerprint | None = None


def _resolve_profile(url: str, text: str, profile: PortalProfile | None) -> PortalProfile | None:
    """The given profile; else the family of the site in the registry; else a profile that lists
    the host; else the family whose markers the page shows."""
    if profile is not None:
        return profile
    site = find_site(url)
    if site is not None and site.family:
        try:
            return get_profile(site.family)
        except ProfileError:  # a registry row naming a family this version does not know
            pass
    return profile_for_host(host_of(url)) or detect_profile(text)


def analyse(
    html: bytes | str,
    url: str,
    profile: PortalProfile | None = None,
    *,
    content_type: str | None = None,
    links: bool = True,
) -> PageAnalysis:
    """Parse a page once and return its record, whether it is an article, and (unless ``links``
    is false) its links."""
    html, page_cut = cut(html, MAX_PAGE)  # the limits, and why: portals/extract/bounds.py
    text, encoding = decode(html, content_type)
    text, markup_cut = cut_markup(text)
    profile = _resolve_profile(url, text, profile)
    utf8 = html if isinstance(html, bytes) and encoding == "utf-8" and not markup_cut else None
    doc = parse(text, remove=profile.remove if profile else (), utf8=utf8)
    links_cut = len(doc.anchors) > MAX_LINKS
    if links_cut:  # what reads links and images (attachments, menus, the crawl's links) reads these
        del doc.anchors[MAX_LINKS:]
    canonical = canonicalize(url, profile.drop_params if profile else frozenset())
    article = read_article(doc, canonical, profile)
    warnings = [
        code for code, value in (("no_title", article.title), ("no_date", article.date), ("no_body", article.body)) if not value
    ]
    if doc.legacy:
        warnings.append(f"legacy_{doc.legacy}")
    body = article.body
    if body is not None and len(body) > MAX_BODY:
        body = body[:MAX_BODY].rsplit("\n\n", 1)[0] if "\n\n" in body[:MAX_BODY] else body[:MAX_BODY]
        warnings.append("body_cut")
    cuts = (("page_cut", page_cut or markup_cut), ("depth_cut", depth_cut(doc.root)), ("links_cut", links_cut))
    warnings += [code for code, done in cuts if done]
    record = Record(
        url=canonical,
        site=site_of(canonical),
        family=profile.name if profile else None,
        title=_clean(article.title),
        date=article.date,
        updated=article.updated,
        summary=_clean(article.summary),
        body=printable(body) if body else body,
        source=_clean_source(article.source),
        views=article.views,
        visitor_stats=article.visitor_stats,
        attachments=[_clean_attachment(a) for a in article.attachments],
        warnings=warnings,
    )
    if profile and profile.article:  # the family's URL scheme says; an empty page is no article
        is_article = profile.is_article(canonical) and bool(article.title or article.body)
    else:  # the page itself says: a title, a date, a body, and not a list of other pages
        is_article = bool(article.title and article.body and len(article.body) >= _MIN_ARTICLE_BODY and article.date)
        is_article = is_article and not looks_like_listing(doc, canonical, article.body, article.dated_link_lines)
    return PageAnalysis(canonical, profile, record, is_article, _links(doc, url) if links else [])


# Every stored text field holds no control or format character (``portals.text.UNPRINTABLE``):
# text read from blocks is clean already; these check, and clean what came another way.
def _clean(text: str | None) -> str | None:
    return clean(text) or None if text and has_unprintable(text) else text


def _clean_source(source: Source | None) -> Source | None:
    if source is None or not any(has_unprintable(t) for t in (source.text, source.publisher or "", source.author or "")):
        return source
    text = clean(source.text)
    return Source(text, _clean(source.publisher), _clean(source.author)) if text else None


def _clean_attachment(attachment: Attachment) -> Attachment:
    if not has_unprintable(attachment.url) and not (attachment.text and has_unprintable(attachment.text)):
        return attachment
    return Attachment(_quote_unprintable(attachment.url), _clean(attachment.text))


def _quote_unprintable(url: str) -> str:
    """A URL with its control and format characters percent-encoded (as a browser sends them)."""
    return "".join(quote(c, safe="") if has_unprintable(c) else c for c in url)


def extract(html: bytes | str, url: str, profile: PortalProfile | None = None, *, content_type: str | None = None) -> Record:
    """The article record of a page (see ``tests/fixtures/README.md`` for the contract)."""
    return analyse(html, url, profile, content_type=content_type, links=False).record


def canonical_url(html: bytes | str, *, content_type: str | None = None) -> str | None:
    """The URL a saved page names as its own (``<link rel="canonical">``, else ``og:url``),
    absolute http(s), or None: for a page saved without the URL it was fetched from."""
    text, _encoding = decode(cut(html, MAX_PAGE)[0], content_type)
    root = parse_tree(cut_markup(text[:_CANONICAL_HEAD])[0])
    for el in root.iter("link", "meta"):
        if el.tag == "link" and "canonical" in (el.get("rel") or "").lower().split():
            value = el.get("href")
        elif el.tag == "meta" and (el.get("property") or "").lower() == "og:url":
            value = el.get("content")
        else:
            continue
        value = (value or "").strip()
        with contextlib.suppress(ValueError):
            if urlsplit(value).scheme in ("http", "https") and urlsplit(value).hostname:
                return value
    return None


_CANONICAL_HEAD = 200_000  # characters: the head of a page, where it names its URL


def _links(doc: Document, url: str) -> list[tuple[str, str]]:
    """The page's links as absolute http(s) URLs (of its first ``MAX_LINKS`` links and images);
    a link no URL parser can read is left out."""
    base = url
    for el in doc.root.iter("base"):
        if el.get("href"):
            with contextlib.suppress(ValueError):
                base = urljoin(url, el.get("href").strip())
        break
    out = []
    for _order, el in doc.anchors:
        if el.tag != "a":
            continue
        href = (el.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            continue
        try:
            absolute = urljoin(base, href)
            if urlsplit(absolute).scheme not in ("http", "https"):
                continue
        except ValueError:  # "http://[…", "//[x": not a URL
            continue
        out.append((absolute, " ".join(text_content(el).split())))
    return out
