"""Is a page a list of articles rather than one? For pages no profile describes.

A portal's home page, category listings, date archives and document lists look much like an
article: a heading, a date, and more than enough text. What a reader sees instead is a *list*:
several entries, each a headline linking to another page of the site, most with a lead or a
date beside it. Two measures, each a shape of the page rather than a word on it:

- **a list of leads outweighs the text read as the body**: sibling elements of one kind (same
  tag and class), at least ``MIN_ITEMS`` of them, each linking to exactly one other page of the
  site by a headline (≥ 4 words) and carrying a lead (≥ ``MIN_LEAD`` characters of text
  besides its links), whose leads together hold at least as many characters as the body read
  from the page (an article's related list carries headlines, not leads; an article's text
  outweighs a sidebar's teasers);
- **the text read as the body is itself a list**: ``MIN_ITEMS`` or more of its lines are a link
  with a date beside it (document lists, news lists without leads).

The URL speaks too: a page of a paginated series (``?trang=3``, ``/page/2``) is a listing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import urljoin, urlsplit

from lxml import etree

from ..urls import canonicalize, site_of
from .dom import Document, text_content

MIN_ITEMS = 3  # entries that make a list
MIN_LEAD = 60  # characters of an entry's own text (besides its links) that make it a lead
MIN_HEADLINE_WORDS = 4
MIN_HEADLINE_CHARS = 20
_FILES = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z|jpe?g|png|gif|webp|bmp|svg)$", re.I)
# Later pages of a series: a page number in the query or the path. (Not WordPress's "?p=123",
# an article; not "page=1", which article URLs carry from the listing they were linked from.)
PAGINATED = re.compile(r"(?:[?&](?:page|trang|pageindex|paged|pg)=|/(?:page|trang)[/-]?)(\d+)(?:[&#/]|$)", re.I)


def is_paginated(url: str) -> bool:
    """A second or later page of a paginated listing."""
    return any(int(m.group(1)) >= 2 for m in PAGINATED.finditer(url))


def lead_list_chars(doc: Document, url: str) -> int:
    """Characters of lead text in the page's largest list of leads (see the module), or 0."""
    site = site_of(url)
    own = canonicalize(url)
    headline_of: dict[etree._Element, str | None] = {}

    def headline(a: etree._Element) -> str | None:
        if a not in headline_of:
            headline_of[a] = _headline(a, url, site, own)
        return headline_of[a]

    # Only parents of at least MIN_ITEMS children that each hold a link named like a headline can
    # hold a list of leads: found from those links up, not by visiting every element of the page;
    # where the links go (URL work) is asked only of the entries that carry a lead.
    members_of: defaultdict[etree._Element, dict[etree._Element, None]] = defaultdict(dict)  # in document order
    for a in _NAMED_LINKS(doc.root):
        if not _named(a):
            continue
        child, parent = a, a.getparent()
        while parent is not None:
            members = members_of[parent]
            if child in members:  # an earlier link came this way: what is above is recorded
                break
            members[child] = None
            child, parent = parent, parent.getparent()
    best = 0
    for with_headlines in members_of.values():
        if len(with_headlines) < MIN_ITEMS:
            continue
        kinds: defaultdict[tuple[str, str], list[etree._Element]] = defaultdict(list)
        for child in with_headlines:
            if isinstance(child.tag, str):
                kinds[(child.tag, child.get("class") or "")].append(child)
        for members in kinds.values():
            if len(members) < MIN_ITEMS:
                continue
            leads: dict[str, int] = {}
            for member in members:
                anchors = [member] if member.tag == "a" else list(member.iter("a"))
                own_text = _chars(member) - sum(_chars(a) for a in anchors)
                if own_text < MIN_LEAD:
                    continue
                targets = {t for a in anchors if (t := headline(a)) is not None}
                if len(targets) == 1:
                    leads[targets.pop()] = own_text
            if len(leads) >= MIN_ITEMS:
                best = max(best, sum(leads.values()))
    return best


def has_headline(el: etree._Element, url: str) -> bool:
    """The element holds a link to another page of the site named like a headline: an entry of a
    list of articles, not a part of one."""
    site, own = site_of(url), canonicalize(url)
    return any(_headline(a, url, site, own) is not None for a in el.iter("a"))


# Links named by enough text to be a headline, picked in C (most of a page's links are not).
_NAMED_LINKS = etree.XPath(f"//a[@href][string-length(normalize-space()) >= {MIN_HEADLINE_CHARS}]")


def _chars(el: etree._Element) -> int:
    return len(" ".join(text_content(el).split()))


def _named(a: etree._Element) -> bool:
    """Named by at least a few words, as a headline is."""
    words = text_content(a).split()
    return len(words) >= MIN_HEADLINE_WORDS and len(" ".join(words)) >= MIN_HEADLINE_CHARS


def _headline(a: etree._Element, url: str, site: str, own: str) -> str | None:
    """The page an anchor links to by a headline: another page of the site (no file), named by
    at least a few words."""
    href = (a.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")) or not _named(a):
        return None
    try:
        absolute = urljoin(url, href)
        if site_of(absolute) != site or _FILES.search(urlsplit(absolute).path):
            return None
        target = canonicalize(absolute)
    except ValueError:
        return None
    if target == own:
        return None
    return target


def looks_like_listing(doc: Document, url: str, body: str | None, dated_link_lines: int) -> bool:
    """Whether the page is a list of articles (see the module); ``body`` is the text read as its
    body, ``dated_link_lines`` how many of the lines it was read from are links with a date."""
    if is_paginated(url) or dated_link_lines >= MIN_ITEMS:
        return True
    return lead_list_chars(doc, url) >= len(body or "")
