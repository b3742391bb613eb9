"""Registry proposals: grow the registry from the portals themselves.

A provincial portal lists its departments' and districts' portals in its "Liên kết website"
box — selects whose first option names the group ("Sở, Ban, Ngành", "UBND Huyện, Thị xã, Thành
phố", "UBND xã, phường") — and in footer link blocks. ``propose`` reads those lists from a page
and returns candidate registry rows (``portal-archive discover`` fetches the page, and one page
of each candidate, where it is reachable, to detect its platform family).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html

from .folding import fold
from .text import clean
from .urls import site_of

# What the first option of a link select, or a heading over a link block, says of the group.
GROUP_LEVELS = (
    (re.compile(r"\b(?:so|ban|nganh)\b"), "department"),  # Sở, Ban, Ngành
    (re.compile(r"\b(?:huyen|quan|thi xa)\b"), "district"),  # UBND Huyện, Thị xã, Thành phố; Quận
    (re.compile(r"\b(?:xa|phuong|thi tran|dac khu)\b"), "commune"),  # UBND xã, phường, thị trấn
)
# Or what a linked portal's own name says of it.
NAME_LEVELS = (
    (re.compile(r"^(?:so|ban|van phong|thanh tra|chi cuc|trung tam|bo chi huy|cong an|kho bac|cuc)\b"), "department"),
    (re.compile(r"^(?:ubnd |uy ban nhan dan )?(?:huyen|quan|thi xa|thanh pho)\b"), "district"),
    (re.compile(r"^(?:ubnd |uy ban nhan dan )?(?:xa|phuong|thi tran|dac khu)\b"), "commune"),
)


@dataclass(frozen=True)
class Proposal:
    domain: str
    name: str
    level: str
    start_url: str
    found_in: str  # "select: Sở, Ban, Ngành" or "links"


def _level(text: str, table: tuple[tuple[re.Pattern[str], str], ...]) -> str | None:
    folded = fold(text)
    return next((level for pattern, level in table if pattern.search(folded)), None)


def _portal_url(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return None
    url = urljoin(base, href.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.hostname.endswith(".vn"):
        return None
    return f"{parts.scheme}://{parts.netloc}/"


def propose(html: str | bytes, url: str) -> list[Proposal]:
    """Portals a page links to from its link lists, with their level (department, district,
    commune), in order; the page's own site excluded."""
    root = lxml.html.document_fromstring(html or "<html/>")
    own = site_of(url)
    found: dict[str, Proposal] = {}

    def add(href: str | None, name: str, level: str | None, where: str) -> None:
        start = _portal_url(url, href)
        if start is None or not name:
            return
        domain = site_of(start)
        level = level or _level(name, NAME_LEVELS)
        if domain == own or domain in found or level is None:
            return
        found[domain] = Proposal(domain, name, level, start, where)

    for select in root.iter("select"):
        options = list(select.iter("option"))
        if not options:
            continue
        group = clean(options[0].text_content())
        level = _level(group, GROUP_LEVELS)
        for option in options[1:]:
            add(option.get("value"), clean(option.text_content()), level, f"select: {group}")
    for link in root.iter("a"):
        name = clean(link.text_content()) or clean(link.get("title") or "")
        add(link.get("href"), name, None, "links")
    return list(found.values())
