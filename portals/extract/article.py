"""Read an article out of a parsed portal page.

The page is a sequence of text blocks (``dom``). The body is found by content density (the
element holding the most non-link text, readability-style), then read line by line as a reader
would: the date line and the title just above the body, the paragraphs, the attribution as the
last line, and the end of the article where related lists ("Các tin khác") begin. A profile may
name elements with CSS selectors; where it does, the selector wins over the heuristic.
"""

from __future__ import annotations

import contextlib
import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from ..folding import alternation, fold, fold_many
from ..profiles import PortalProfile
from ..record import Attachment, Source
from ..text import clean, clean_many, parse_count
from ..urls import canonicalize, site_of
from .attribution import (
    byline_source,
    is_source_label,
    label_value_source,
    parse_source,
    plausible_credit,
    split_inline_source,
    starts_with_source_label,
)
from .counters import is_counter_line, view_count, visitor_stats
from .dates import FoundDate, before_label, find_dates
from .dom import BLOCK_TAGS, Block, Document, ancestors_and_self, attr_tokens, attr_words, heading_level, text_content
from .listing import has_headline
from .vocabulary import (
    CHROME_HINTS,
    CONTENT_HINTS,
    CONTROLS,
    END_MARKERS,
    FOOTER_LABELS,
    RELATED_HINTS,
    SOURCE_HINTS,
    SUMMARY_HINTS,
    TITLE_HINTS,
)

# Elements that hold paragraphs directly (their text runs are the paragraphs).
_CONTAINERS = frozenset({"td", "th", "article", "section", "main", "body", "form", "blockquote", "dd"})
_DOC_EXT = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar|7z)$", re.I)
_MEDIA_EXT = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?)$", re.I)
_MIN_PARAGRAPH = 25  # characters of non-link text that make a run count as content
_HEAD_WINDOW = 15  # blocks above the body where the title and date line may stand


# The longest marker a line starts with (alternatives longest first), for the length allowance.
_END = re.compile("|".join(re.escape(m) for m in sorted({fold(m) for m in END_MARKERS}, key=len, reverse=True)))
_TRAILING_END = re.compile(rf"\s(?:{alternation(END_MARKERS)})\s*:?$")
_TRAILING_CONTROLS = re.compile(rf"(?:[\s|·•\-]*(?<!\w)(?:{alternation(CONTROLS)})(?!\w))+[\s|·•\-]*$")


def _rstrip(text: str, chars: str) -> str:
    """The text without the whitespace and ``chars`` that end it."""
    end = len(text)
    while end and (text[end - 1] in chars or text[end - 1].isspace()):
        end -= 1
    return text[:end]


# The patterns ending a line, each with the words one of which ends what it matches (but for the
# whitespace and characters the pattern allows after them) and those characters.
_TRAILERS = [
    (pattern, tuple(_rstrip(fold(word), after) for word in words), after)
    for pattern, words, after in ((_TRAILING_END, END_MARKERS, ":"), (_TRAILING_CONTROLS, CONTROLS, "|·•-"))
]
_CONTROL_LINE = re.compile(rf"^(?:(?:{alternation(CONTROLS)})(?!\w)[\s|:/,.\-]*|a\+?\s|a-\s|\d+%\s?)+$")
_FOOTER_LINE = re.compile(rf"^(?:{alternation(FOOTER_LABELS)})(?!\w)")


def _any_of(hints: Iterable[str]) -> re.Pattern[str]:
    """One search for "any of these words in the class/id words"."""
    return re.compile("|".join(map(re.escape, hints)) or "(?!)")


_TITLE_HINT, _SOURCE_HINT, _CONTENT_HINT, _CHROME_HINT = map(_any_of, (TITLE_HINTS, SOURCE_HINTS, CONTENT_HINTS, CHROME_HINTS))
_SUMMARY_HINT, _SUMMARY_DASHED = _any_of(SUMMARY_HINTS), _any_of(h for h in SUMMARY_HINTS if "-" in h)
_TODAY = re.compile(r"(?<!\w)hom nay(?!\w)")
_BREADCRUMB = re.compile(r"\s[>»›/]\s")
_META_DATES = (
    "article:published_time",
    "og:published_time",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "datepublished",
)


def is_end_marker(block: Block) -> bool:
    """A related-list heading ("Các tin khác", "Tin liên quan" …): the article has ended."""
    m = _END.match(block.folded)
    return m is not None and len(block.folded) <= m.end() + 12


def strip_tail(block: Block) -> str:
    """The text of a line without the related-list heading or the controls that end it
    ("… (HNQ) Các tin khác", "www.thuathienhue.gov.vn Bản in")."""
    text, folded = block.text, block.folded
    for pattern, words, after in _TRAILERS:
        if not _rstrip(folded, after).endswith(words):  # what the pattern needs, found without searching
            continue
        m = pattern.search(folded)
        if m and m.start() > 0:
            text, folded = text[: m.start()].rstrip(), folded[: m.start()].rstrip()
    return text


def is_control(block: Block) -> bool:
    """ "Bản in", "Gửi email", "Cỡ chữ A+ A-", "100%": controls around an article, never content."""
    return bool(_CONTROL_LINE.match(block.folded + " ")) or (block.link_ratio > 0.9 and len(block.text) <= 12)


def _is_navigation(block: Block) -> bool:
    """Mostly link text, and not a link to a document ("Toàn văn: Thông báo số …" is content)."""
    return block.link_ratio > 0.5 and not any(_DOC_EXT.search(_path(h)) for h in block.hrefs)


def _is_link_line(block: Block, url: str) -> bool:
    """A line that is a link to another page of the site and nothing else (a related article's
    headline); not a link to a document, nor to another site (a product, a source the article
    names), nor an address written out ("http://…": a reference the article gives)."""
    return (
        block.link_ratio > 0.9
        and bool(block.hrefs)  # (an <a name> around a heading leads nowhere)
        and not _WRITTEN_URL.match(block.text)
        and all(_same_site(h, url) and not _DOC_EXT.search(_path(h)) for h in block.hrefs)
    )


def _same_site(href: str, url: str) -> bool:
    """The link leads to the site of ``url`` (or one of its subdomains, or the site's parent)."""
    try:
        host = site_of(urljoin(url, href.strip()))
    except ValueError:  # no URL a parser reads
        return False
    here = site_of(url)
    return host == here or host.endswith("." + here) or here.endswith("." + host)


_WRITTEN_URL = re.compile(r"(?:https?://|www\.)\S+$", re.I)


def _hinted(el: etree._Element | None, hints: re.Pattern[str], depth: int = 2) -> bool:
    """The element or a close ancestor has a class/id word from ``hints``."""
    return any(hints.search(attr_words(node)) for node in (ancestors_and_self(el, depth) if el is not None else ()))


def _right_aligned(el: etree._Element | None) -> bool:
    for node in ancestors_and_self(el, 2) if el is not None else ():
        style = (node.get("style") or "").replace(" ", "").lower()
        if (node.get("align") or "").lower() == "right" or "text-align:right" in style:
            return True
    return False


@dataclass
class Article:
    """What was read from the page, before it becomes a Record."""

    title: str | None
    date: str | None
    updated: str | None
    summary: str | None
    body: str | None
    source: Source | None
    views: int | None
    visitor_stats: dict[str, int] | None
    attachments: list[Attachment]
    dated_link_lines: int = 0  # lines of the body that are a link with a date: a list's entries


class _Page:
    """A page's blocks with what the heuristics ask of them: which blocks an element holds,
    how link-heavy a range is (prefix sums over the block sequence)."""

    def __init__(self, doc: Document, url: str, profile: PortalProfile | None):
        self.doc = doc
        self.url = url
        self.profile = profile
        self.blocks = doc.blocks
        self._starts = [b.start for b in self.blocks]
        self._ends = [b.order for b in self.blocks]
        self._chars = [0, *accumulate(len(b.text) for b in self.blocks)]
        self._links = [0, *accumulate(b.link_chars for b in self.blocks)]
        self._dates: dict[int, list[FoundDate]] = {}

    def dates(self, i: int) -> list[FoundDate]:
        """The dates on line ``i`` (each line is read once)."""
        found = self._dates.get(i)
        if found is None:
            found = self._dates[i] = find_dates(self.blocks[i].text, self.blocks[i].folded)
        return found

    def range_of(self, el: etree._Element) -> range:
        """Indexes of the blocks whose text lies (at least partly) inside ``el``."""
        enter, leave = self.doc.spans.get(el, (0, -1))
        return range(bisect_right(self._ends, enter), bisect_left(self._starts, leave))

    def link_density(self, r: range) -> float:
        total = self._chars[r.stop] - self._chars[r.start]
        return (self._links[r.stop] - self._links[r.start]) / total if total else 1.0

    def selected(self, field: str) -> etree._Element | None:
        """The first element the profile's selector for ``field`` picks, if any."""
        if self.profile is None or field not in self.profile.selectors:
            return None
        found = self.profile.selectors[field](self.doc.root)
        return found[0] if found else None


def read_article(doc: Document, url: str, profile: PortalProfile | None = None) -> Article:
    page = _Page(doc, url, profile)
    blocks = page.blocks
    container = page.selected("body")
    sections: list[etree._Element] = []
    if container is None:
        container, sections = find_container(page)
    cspan = page.range_of(container) if container is not None else range(0)
    parts = [page.range_of(el) for el in sections]
    if parts:  # the body in sections of one kind: read from the first to the last
        cspan = range(parts[0].start, parts[-1].stop)
    if not cspan:
        cspan = range(len(blocks))
    end = _article_end(blocks, cspan, parts)

    date, updated, date_idx = _find_date(page, max(0, cspan.start - _HEAD_WINDOW), end, cspan)
    # A date line under the body ("Đăng bởi … 08/06/2019" in a footer) says nothing of where the
    # title and the body start; one over the body does.
    body_top = next((i for i in cspan if len(blocks[i].text) - blocks[i].link_chars >= 80), cspan.start)
    head_date = date_idx if date_idx is not None and date_idx <= body_top else None
    title, title_idx = _find_title(page, head_date, cspan, end)
    summary, summary_idx = _find_summary(page, title_idx, cspan, end)

    start = max([cspan.start] + [i + 1 for i in (title_idx, head_date) if i is not None and cspan.start <= i < end])
    insets = _Insets(sections or [container])
    body_idx = [
        i
        for i in range(start, end)
        if i not in summary_idx
        and i not in (date_idx, title_idx)
        and not is_control(blocks[i])
        and not is_counter_line(blocks[i])
        and (not parts or any(i in part for part in parts))
        and not insets.within(blocks[i].element)
        and not _is_link_line(blocks[i], url)
    ]
    body_idx = _without_repeats(blocks, body_idx)
    while body_idx and (_is_navigation(blocks[body_idx[0]]) or _is_breadcrumb(blocks[body_idx[0]])):
        body_idx.pop(0)
    while body_idx and (_is_navigation(blocks[body_idx[-1]]) or is_control(blocks[body_idx[-1]])):
        body_idx.pop()

    source, body_idx, last_paragraph = _find_source(page, body_idx, end, cspan)
    if source is None and date_idx is not None:
        source = byline_source(blocks[date_idx].text)
    if source is None:
        source, body_idx = _byline_above(page, body_idx, title_idx)
    paragraphs = _paragraphs(blocks, body_idx, container)
    if last_paragraph is not None and paragraphs:
        paragraphs[-1] = last_paragraph

    body_range = range(body_idx[0], body_idx[-1] + 1) if body_idx else range(0)
    stats, _ = visitor_stats(blocks, skip=body_range)
    dated_links = sum(1 for i in body_idx if _dated_link(page, i))
    return Article(
        title=title,
        date=date,
        updated=updated,
        summary=summary,
        body="\n\n".join(p for p in paragraphs if p) or None,
        source=source,
        views=_find_views(page, title_idx, date_idx, body_idx),
        visitor_stats=stats,
        attachments=_attachments(
            page, sections or [container], [i for i in (title_idx, date_idx) if i is not None], body_idx, end
        ),
        dated_link_lines=dated_links,
    )


# What an article holds besides its text: asides, galleries' controls, share bars, ads, "most
# read" and related boxes, comments, sign-up prompts. (Not figures: a photo's caption is part of
# what the article says, and stays in the body.)
_INSET_TAGS = frozenset({"aside", "nav"})
_INSET_HINT = _any_of(
    (
        *CHROME_HINTS,
        *RELATED_HINTS,
        *("slideshow", "carousel", "share", "social", "promo", "most-read", "mostread", "most-popular", "trending"),
        *("recommend", "sponsor", "advertis", "outbrain", "taboola"),
    )
)
_INSET_TOKENS = frozenset({"ad", "ads", "adv", "dfp", "teaser", "teasers"})


class _Insets:
    """Which elements inside the body's containers are insets (``_INSET_HINT``), asked once each."""

    def __init__(self, containers: list[etree._Element | None]):
        self.containers = {el for el in containers if el is not None}
        self.known: dict[etree._Element, bool] = {}

    def within(self, el: etree._Element) -> bool:
        """The element is, or is inside, an inset below one of the containers; a quotation in a
        box named as an inset (a post embedded in a "social" or "widget" box) is what the article
        cites, and is not (a pull quote in an <aside> is)."""
        path = []
        node: etree._Element | None = el
        found = False
        quote = None  # how many elements of the path the first quotation closes
        while node is not None and node not in self.containers:
            if quote is None and node in self.known:  # (what is known above a quotation does not tell)
                found = self.known[node]
                break
            path.append(node)
            if node.tag in _INSET_TAGS:
                found = True
                break
            if (node.get("class") or node.get("id")) and (
                _INSET_HINT.search(attr_words(node)) or not _INSET_TOKENS.isdisjoint(attr_tokens(node))
            ):
                if quote is not None:  # only the quotation's elements are known now: the box's are an inset's
                    path = path[:quote]
                else:
                    found = True
                break
            if quote is None and node.tag == "blockquote":
                quote = len(path)
            node = node.getparent()
        if node is None:  # not inside the container at all (a date line or title above it)
            found = False
        for seen in path:
            self.known[seen] = found
        return found


def _without_repeats(blocks: list[Block], body_idx: list[int]) -> list[int]:
    """The body's lines, a caption that repeats an earlier line left out (a gallery shows its
    captions again in its viewer)."""
    seen: set[str] = set()
    kept = []
    for i in body_idx:
        text = blocks[i].text
        if text in seen and _is_caption(blocks[i].element):
            continue
        seen.add(text)
        kept.append(i)
    return kept


def _is_caption(el: etree._Element) -> bool:
    """The element is, or is in, a figure or a caption (``<figcaption>``, class "caption")."""
    return any(node.tag in ("figure", "figcaption") or "caption" in attr_words(node) for node in ancestors_and_self(el, 4))


def _dated_link(page: _Page, i: int) -> bool:
    """A line that is an entry of a list: a link with a date beside it, and little else."""
    block = page.blocks[i]
    return bool(block.link_chars) and len(block.text) - block.link_chars <= 40 and bool(page.dates(i))


def _is_breadcrumb(block: Block) -> bool:
    return bool(block.link_chars and _BREADCRUMB.search(block.text))


# -- the body's container -------------------------------------------------------------------------
def find_container(page: _Page) -> tuple[etree._Element | None, list[etree._Element]]:
    """The element holding the most non-link text, by paragraph scoring: a paragraph credits the
    element that holds it, half as much the next one up and a third the one above; link-heavy,
    footer and menu elements are discounted, "content"/"noidung" ones favoured. With it, the
    sections the body is split into (see ``_sections``), if more than one."""
    runs = Counter(b.element for b in page.blocks)
    score: defaultdict[etree._Element, float] = defaultdict(float)
    for b in page.blocks:
        content = len(b.text) - b.link_chars
        if content < _MIN_PARAGRAPH or b.link_ratio > 0.5 or _FOOTER_LINE.match(b.folded):
            continue
        el = b.element
        holder = el if (el.tag in _CONTAINERS or runs[el] >= 2) else _block_parent(el)
        if holder is None:
            continue
        score[holder] += content
        parent = _block_parent(holder)
        if parent is not None:
            score[parent] += content / 2
            grandparent = _block_parent(parent)
            if grandparent is not None:
                score[grandparent] += content / _GRANDPARENT_SHARE
    if not score:
        return None, []
    # An element's weighted score is at most its score times the best class weight: weigh them in
    # order of score until that bound falls below the best weighted score found.
    weighted: dict[etree._Element, float] = {}
    best = 0.0
    for el in sorted(score, key=score.__getitem__, reverse=True):
        if score[el] * _CONTENT_WEIGHT < best:
            break
        weighted[el] = score[el] * (1 - page.link_density(page.range_of(el))) ** 2 * _class_weight(el)
        best = max(best, weighted[el])
    container = max((el for el in score if el in weighted), key=weighted.__getitem__)  # the first of equals
    return container, _sections(page, container, score)


_SECTION_REACH = 5  # block levels up from the container where its sister sections may meet it


def _sections(page: _Page, container: etree._Element, score: dict[etree._Element, float]) -> list[etree._Element]:
    """The body's sections, in reading order, when the container is one of several of a kind.

    Long articles come in sections of one markup (a column per few paragraphs, a block per
    paragraph group, ads and widgets between): the container found holds only the largest. Its
    sisters are the elements of the same tag and class (a class-less cell is layout, not a kind
    of section) that meet it a few levels up, hold paragraphs of their own, are no more
    link-heavy than text usually is, are not chrome, and are no teasers (a headline linking to
    another page over a lead: the entries of a list look alike too)."""
    kind = container.get("class")
    if not kind:  # plain <td>, <div>: layout cells, not a kind of section
        return []
    top = container
    for _ in range(_SECTION_REACH):
        above = _block_parent(top)
        if above is None or above.tag in ("body", "html"):
            break
        top = above
    if top is container:
        return []
    found = []
    for el in top.iter(container.tag):
        if el is not container and (el.get("class") != kind or score.get(el, 0) < _MIN_PARAGRAPH):
            continue
        span = page.range_of(el)
        if span and (
            el is container or (page.link_density(span) <= 0.3 and _class_weight(el) >= 1 and not has_headline(el, page.url))
        ):
            found.append((span, el))
    found.sort(key=lambda f: f[0].start)
    outer = [el for r, el in found if not any(o is not r and o.start <= r.start and r.stop <= o.stop for o, _ in found)]
    return outer if len(outer) > 1 else []


def _block_parent(el: etree._Element) -> etree._Element | None:
    el = el.getparent()
    while el is not None and el.tag not in BLOCK_TAGS:
        el = el.getparent()
    return el


_CONTENT_WEIGHT = 1.25  # the highest class weight
_GRANDPARENT_SHARE = 3  # of a paragraph's text, credited two block levels up (its parent: half)


def _class_weight(el: etree._Element) -> float:
    """Class and id words of the element and its ancestors: "content" raises, "footer" lowers.

    On the element itself chrome wins ("comment-body" is a comment); on an ancestor, a name that
    says content too ("l-sidebar-fixed l-article-body", "content-with-sidebar") is layout, not
    chrome; so is the page's own <body>."""
    weight = 1.0
    for depth, node in enumerate(ancestors_and_self(el, 6)):
        if node.tag in ("body", "html"):
            break
        words = attr_words(node)
        content = _CONTENT_HINT.search(words) is not None
        chrome = node.tag in ("footer", "nav", "header", "aside") or _CHROME_HINT.search(words) is not None
        if chrome and (depth == 0 or not content):
            return 0.2
        if depth < 2 and content:
            weight = _CONTENT_WEIGHT
    return weight


def _article_end(blocks: list[Block], cspan: range, parts: list[range]) -> int:
    """Index of the first related-list heading in the container after some content, else its end.
    With the body in sections, only a heading inside one ends it (not a related box between two)."""
    seen_content = False
    for i in cspan:
        if parts and not any(i in part for part in parts):
            continue
        if seen_content and is_end_marker(blocks[i]):
            return i
        seen_content = seen_content or len(blocks[i].text) - blocks[i].link_chars >= 60
    return cspan.stop


# -- date and title ---------------------------------------------------------------------------
def _find_date(page: _Page, lo: int, end: int, cspan: range) -> tuple[str | None, str | None, int | None]:
    """(date, updated, index of the date line): a labelled date near the top of the article;
    else a date alone on a short line by the body; else the page's metadata."""
    blocks = page.blocks
    chosen = page.selected("date")
    if chosen is not None and (found := find_dates(clean(text_content(chosen)))):
        idx = page.range_of(chosen)
        return (*_published_updated(found), idx.start if idx else None)

    # 1. A labelled date line above or in the article ("Ngày cập nhật 27/08/2020").
    above = _dates_in(page, range(lo, end))
    below = range(end, min(len(blocks), end + 8))
    under = _dates_in(page, range(end, next((i for i in below if is_end_marker(blocks[i])), below.stop)))
    # 2. Else a labelled one just below the body ("Ngày đăng: 12/05/2021" after the last paragraph).
    labelled = [(i, d) for i, d in above if d.label] or [(i, d) for i, d in under if d.label]
    body_top = next((i for i in cspan if len(blocks[i].text) - blocks[i].link_chars >= 80), cspan.start)
    if labelled:
        first = labelled[0][0]
        date, updated = _published_updated([d for i, d in labelled if abs(i - first) <= 3])
        # Only an update is labelled: the date shown bare beside it, or on a line above it, is the
        # publication ("15/10/2024 - 08:15 · Cập nhật lúc 17:05, 15/10/2024"; Joomla's creation
        # date over the body, "Lần cập nhật cuối (…)" under it).
        if all(d.label == "updated" for _, d in labelled):
            near_first = range(body_top - 2, first + 1) if body_top - 2 < first else range(first, first + 1)
            bare = [(i, d) for i, d in above if d.label is None and i in near_first and len(blocks[i].text) <= 90]
            if bare and bare[0][1].iso != date:
                return bare[0][1].iso, date, bare[0][0]
        return date, updated, first
    # 3. Else a date on a short line of its own by the top of the body, or just below it.
    for i, d in [(i, d) for i, d in above if i >= body_top - 6] + [(i, d) for i, d in under if i < end + 3]:
        if len(blocks[i].text) <= 90:
            return d.iso, None, i
    # 4. Else what the page's metadata says.
    for key in _META_DATES:
        if key in page.doc.meta and (found := find_dates(page.doc.meta[key].replace("T", " "))):
            return found[0].iso, None, None
    return None, None, None


def _dates_in(page: _Page, region: range) -> list[tuple[int, FoundDate]]:
    """Dates on the lines of ``region``, but not after "Hôm nay" (a page clock), nor unlabelled in
    link lists (a byline whose name and date are links keeps its labelled date)."""
    found = []
    for i in region:
        b = page.blocks[i]
        if len(b.text) > 400 or is_end_marker(b):
            continue
        for d in page.dates(i):
            if (d.label or b.link_ratio <= 0.5) and not _TODAY.search(b.folded[max(0, d.start - 30) : d.start]):
                found.append((i, d))
    return found


def _published_updated(near: list[FoundDate]) -> tuple[str | None, str | None]:
    """A publication date and an update date shown together; one date alone is the date."""
    published = next((d.iso for d in near if d.label == "published"), None)
    updated = next((d.iso for d in near if d.label == "updated"), None)
    if published is None:
        return updated or next((d.iso for d in near if d.label is None), None), None
    return published, (updated if updated != published else None)


def _find_title(page: _Page, date_idx: int | None, cspan: range, end: int) -> tuple[str | None, int | None]:
    """The headline: the strongest heading-like line just above the date line (or the body)."""
    blocks = page.blocks
    chosen = page.selected("title")
    if chosen is not None and (text := clean(text_content(chosen))):
        idx = page.range_of(chosen)
        return text, (idx.start if idx else None)

    # The date line may carry the title before its label ("<title> Ngày cập nhật 27/08/2020"),
    # unless what stands there is a byline ("Văn phòng HĐND và UBND huyện 08:10 15/10/2024").
    if date_idx is not None and blocks[date_idx].link_ratio < 0.3:
        line = blocks[date_idx]
        found = page.dates(date_idx)
        prefix = before_label(line.text[: found[0].start]).strip(" |-–:,") if found else ""
        if len(prefix) >= 15 and byline_source(line.text) is None:
            return prefix, date_idx

    anchor = date_idx
    if anchor is None:
        anchor = next((i for i in cspan if len(blocks[i].text) - blocks[i].link_chars >= 80), cspan.start)
    page_title = fold(page.doc.meta.get("og:title") or page.doc.title_tag or "")
    site_name = fold(page.doc.meta.get("og:site_name", ""))
    menu: set[str] | None = None  # the page's link texts, read once a short line could win
    best: tuple[float, int] | None = None

    def wins(score: float, i: int) -> bool:
        return score >= 2 and (best is None or score > best[0] or (score == best[0] and best[1] < i <= anchor))

    for i in range(max(0, anchor - 10), min(len(blocks), anchor + 3, end)):
        b = blocks[i]
        if i == date_idx or not 8 <= len(b.text) <= 400 or is_control(b) or is_end_marker(b):
            continue
        if len(b.text) < 60 and page.dates(i):
            continue
        distance = anchor - i if i <= anchor else (i - anchor) + 2
        score = _title_score(b, page_title, site_name) + (2 if distance <= 1 else (1 if distance <= 3 else 0))
        # The costlier tests last, for a line that would win: they only take points or rule it out.
        if not wins(score, i):
            continue
        if len(b.text.split()) <= 6:
            if menu is None:
                menu = set(fold_many(clean_many([text_content(el) for _, el in page.doc.anchors if el.tag == "a"])))
            if b.folded in menu:
                score -= 4  # a section's name, as its menu link reads ("Văn hóa - Du lịch" over its articles)
                if not wins(score, i):
                    continue
        if b.link_ratio > 0.6 and not _links_to_itself(b, page.url):  # Joomla links a title to its page
            continue
        best = (score, i)
    if best is not None:
        return blocks[best[1]].text, best[1]
    return page.doc.meta.get("og:title") or None, None


def _links_to_itself(block: Block, url: str) -> bool:
    for href in block.hrefs:
        with contextlib.suppress(ValueError):
            if canonicalize(urljoin(url, href)) == url:
                return True
    return False


def _title_score(b: Block, page_title: str, site_name: str) -> float:
    score = 0.0
    level = heading_level(b.element)
    if level:
        score += {1: 4, 2: 3, 3: 2}.get(level, 1)
    if _hinted(b.element, _TITLE_HINT) or _TITLE_HINT.search(b.inline_words):
        score += 3
    if b.is_bold:
        score += 1
    if (
        page_title
        and len(b.folded) >= 15
        and (b.folded in page_title or (page_title in b.folded and len(page_title) >= 0.7 * len(b.folded)))
        and not (b.folded == page_title and len(b.text.split()) <= 5)  # a section's name as the whole <title>
    ):
        score += 4  # <title> or og:title is this line (alone or with the site name around it)
    if site_name and b.folded == site_name:
        score -= 8
    if _is_breadcrumb(b):
        score -= 4
    if len(b.text) > 250 or (len(b.text) > 80 and b.text.endswith(".")):
        score -= 2  # a paragraph, not a headline
    if b.text.isupper() and len(b.text) < 40:
        score -= 1  # a section heading ("TIN TỨC - SỰ KIỆN")
    return score


# -- summary, source, views -----------------------------------------------------------------------
def _find_summary(page: _Page, title_idx: int | None, cspan: range, end: int) -> tuple[str | None, set[int]]:
    """A lead (sapo) in an element of its own, marked as such by its class or id, right below the
    title: "sapo", "pnlTomTat", "news-detail-summary" (a few lines, not the body's container)."""
    chosen = page.selected("summary")
    if chosen is not None:
        return clean(text_content(chosen)) or None, set(page.range_of(chosen))
    lo = title_idx + 1 if title_idx is not None else cspan.start
    for i in range(lo, min(end, lo + 6)):
        if _SUMMARY_HINT.search(page.blocks[i].inline_words):
            return page.blocks[i].text, {i}  # <span class="tomtat">…</span> alone on its line
        for node in ancestors_and_self(page.blocks[i].element, 3):
            # "news-detail-summary" as written; "pnlTomTat", "tom-tat-tin" by their words' letters
            if _SUMMARY_DASHED.search(attr_words(node)) or _SUMMARY_HINT.search(" ".join(attr_tokens(node))):
                members = page.range_of(node)
                if 0 < len(members) <= 4:
                    return " ".join(page.blocks[m].text for m in members), set(members)
    return None, set()


def _find_source(page: _Page, body_idx: list[int], end: int, cspan: range) -> tuple[Source | None, list[int], str | None]:
    """(source, body without it, replacement for the last paragraph when the source was run into it)."""
    blocks = page.blocks
    chosen = page.selected("source")
    if chosen is not None:
        text = clean(text_content(chosen))
        inside = set(page.range_of(chosen))
        source = parse_source(text, strict=False) or (Source(text, None, text) if text else None)
        return source, [i for i in body_idx if i not in inside], None
    if not body_idx:
        return None, body_idx, None
    last = blocks[body_idx[-1]]
    # A label and its value in elements of their own ("Nguồn tin:" | "Sở Y tế"), maybe after another.
    if len(body_idx) > 2 and (source := _label_value(blocks, body_idx[-2], body_idx[-1])):
        before = _label_value(blocks, body_idx[-4], body_idx[-3]) if len(body_idx) > 4 else None
        if before and (both := _combine(before, source)):
            return both, body_idx[:-4], None
        return source, body_idx[:-2], None
    # The label closing the body, its value a link dropped from it ("Nguồn:" | <a>Báo Gia Lai</a>).
    after = body_idx[-1] + 1
    if is_source_label(last.folded) and after < len(blocks) and (source := _label_value(blocks, body_idx[-1], after)):
        return source, body_idx[:-1], None
    if (len(body_idx) > 1 or _marked_source(last)) and (source := _source_line(last)):
        # "Tác giả: Thu Hà" over "Nguồn tin: baohatinh.vn": two lines, one credit.
        if len(body_idx) > 2 and (before := _source_line(blocks[body_idx[-2]])) and (both := _combine(before, source)):
            return both, body_idx[:-2], None
        return source, body_idx[:-1], None
    if split := split_inline_source(last.text):
        return split[1], body_idx, split[0]
    # An attribution just after the body's container, before the related lists (possibly on the
    # same line as their heading: "theo www.thuathienhue.gov.vn (HNQ) Các tin khác").
    for i in range(body_idx[-1] + 1, min(len(blocks), max(end, cspan.stop) + 3)):
        b = blocks[i]
        if is_end_marker(b):
            break
        if is_control(b) or is_counter_line(b) or (b.link_ratio > 0.5 and not _LABEL_COLON.match(b.folded)):
            continue
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if is_source_label(b.folded):  # "Nguồn tin:" over its value, maybe another pair after it
            source = _label_value(blocks, i, i + 1) if nxt else None
            after = _label_value(blocks, i + 2, i + 3) if source and i + 3 < len(blocks) else None
            return (_combine(source, after) or source if after else source), body_idx, None
        source = _source_line(b)
        if source and nxt and not is_control(nxt) and (after := _source_line(nxt)):
            source = _combine(source, after) or source
        return source, body_idx, None
    return None, body_idx, None


# A labelled credit whose value is a link ("Nguồn: <a>Báo Gia Lai</a>"): not a menu line.
_LABEL_COLON = re.compile(r"^(?:nguon|nguon tin|theo|tac gia|but danh)\s{0,3}:")
_BYLINE_WINDOW = 6  # lines over the body where a CMS prints its byline
# schema.org and HTML author markup on the line's element or its children: <span itemprop="author">,
# <a rel="author"> (only the lines of the byline window are asked).
_AUTHOR_MARKUP = etree.XPath(
    'boolean(self::*[@itemprop="author" or @rel="author"] | ./*[@itemprop="author" or @rel="author"]'
    ' | ./*/*[@itemprop="author" or @rel="author"])'
)


def _label_value(blocks: list[Block], label: int, value: int) -> Source | None:
    """The credit of a label alone in its element and the value in the next one (a person's or a
    unit's name: not the related list's heading nor a widget's title that comes next)."""
    if not is_source_label(blocks[label].folded) or is_end_marker(blocks[value]) or is_control(blocks[value]):
        return None
    source = label_value_source(blocks[label].text, strip_tail(blocks[value]))
    return source if source is not None and plausible_credit(source) else None


def _byline_above(page: _Page, body_idx: list[int], title_idx: int | None) -> tuple[Source | None, list[int]]:
    """A CMS's byline over the body, when nothing under it credits anyone: Joomla's
    <dd class="createdby">Viết bởi …</dd>, WordPress's .byline .author, an author field, a
    "Tác giả: …" line; between the title and the body, or the body's first lines when the page
    marks them as the author's (the byline is then no paragraph)."""
    if not body_idx:
        return None, body_idx
    blocks = page.blocks
    first = body_idx[0]
    lo = max(0, first - _BYLINE_WINDOW)
    if title_idx is not None and lo <= title_idx < first:  # under the title
        lo = title_idx + 1
    for i in [*range(lo, first), *body_idx[:2]]:
        b = blocks[i]
        if len(b.text) > 120:
            continue
        # Over the body, the line's element or a close ancestor may say "author"; in the body only
        # the line's own markup can (its ancestors are the body's).
        hinted = bool(_SOURCE_HINT.search(b.inline_words)) or (
            _hinted(b.element, _SOURCE_HINT, 2 if i < first else 1)
            or (i < first and len(b.element) <= 8 and _AUTHOR_MARKUP(b.element))
        )
        if page.dates(i):  # "Đăng bởi Thu Hà vào lúc 08:30 - 15/03/2022"
            source = byline_source(b.text) if hinted or starts_with_source_label(b.folded) else None
        elif hinted or (b.link_ratio <= 0.5 and starts_with_source_label(b.folded)):
            text = strip_tail(b)
            source = parse_source(text, strict=False) if text else None
        else:
            continue
        if source is not None and plausible_credit(source):
            return source, [j for j in body_idx if j != i]
    return None, body_idx


def _marked_source(block: Block) -> bool:
    return _hinted(block.element, _SOURCE_HINT) or _right_aligned(block.element)


def _source_line(block: Block) -> Source | None:
    """The credit a line gives, if it is one (strictly unless the page marks it as the author's)."""
    text = strip_tail(block)
    return parse_source(text, strict=not _marked_source(block)) if text else None


def _combine(first: Source, second: Source) -> Source | None:
    """Two credit lines that complete each other (an author's, a publisher's) as one source."""
    if first.author and not first.publisher and second.publisher and not second.author:
        return Source(f"{first.text} {second.text}", second.publisher, first.author)
    if first.publisher and not first.author and second.author and not second.publisher:
        return Source(f"{first.text} {second.text}", first.publisher, second.author)
    return None


def _find_views(page: _Page, title_idx: int | None, date_idx: int | None, body_idx: list[int]) -> int | None:
    """The article's own view count, on the byline or just below the body."""
    chosen = page.selected("views")
    if chosen is not None:
        return parse_count(text_content(chosen))
    anchors = [i for i in (title_idx, date_idx) if i is not None] + body_idx[:1]
    lo = max(0, min(anchors) - 3) if anchors else 0
    hi = min(len(page.blocks), (body_idx[-1] if body_idx else lo) + 8)
    in_body = set(body_idx)
    return view_count(page.blocks, [i for i in range(lo, hi) if i not in in_body])[0]


# -- body text and attachments ----------------------------------------------------------------
def _paragraphs(blocks: list[Block], body_idx: list[int], container: etree._Element | None) -> list[str]:
    """Body paragraphs; each row of a table inside the body becomes one, cells joined by " | "."""
    out: list[str] = []
    row: etree._Element | None = None
    cells: list[tuple[etree._Element, list[str]]] = []

    def close_row() -> None:
        if cells:
            out.append(" | ".join(" ".join(texts) for _, texts in cells))
            cells.clear()

    for i in body_idx:
        b = blocks[i]
        cell = _cell_below(b.element, container)
        if cell is None:
            close_row()
            row = None
            out.append(b.text)
            continue
        if cell.getparent() is not row:
            close_row()
            row = cell.getparent()
        if cells and cells[-1][0] is cell:
            cells[-1][1].append(b.text)
        else:
            cells.append((cell, [b.text]))
    close_row()
    return out


def _cell_below(el: etree._Element, container: etree._Element | None) -> etree._Element | None:
    """The table cell holding ``el`` inside the container (a data table in the body), if any."""
    while el is not None and el is not container:
        if el.tag in ("td", "th"):
            return el
        el = el.getparent()
    return None


def _attachments(
    page: _Page, containers: list[etree._Element | None], heads: list[int], body_idx: list[int], end: int
) -> list[Attachment]:
    """Documents linked and images shown inside the article: within the body's container (or its
    sections), after the title and date line, before the related lists; not share buttons or icons."""
    if not body_idx:
        return []
    blocks = page.blocks
    everywhere = (blocks[body_idx[0]].start - 1, 1 << 62)
    inside = [page.doc.spans.get(el, everywhere) for el in containers]  # type: ignore[arg-type]
    lo, hi = inside[0][0], inside[-1][1]
    heads = [i for i in heads if i < body_idx[0]]
    if heads:
        lo = max(lo, blocks[max(heads)].order)
    if end < len(blocks):
        hi = min(hi, blocks[end].start)
    out: list[Attachment] = []
    seen: set[str] = set()
    anchors = page.doc.anchors  # in document order: those between lo and hi are a slice
    first, stop = bisect_right(anchors, lo, key=_position), bisect_left(anchors, hi, key=_position)
    for order, el in anchors[first:stop]:
        if not any(a < order < b for a, b in inside):
            continue
        if el.tag == "img":
            if _is_chrome_image(el):
                continue
            src, text = el.get("src") or el.get("data-src") or "", clean(el.get("alt") or "") or None
        else:
            src, text = el.get("href") or "", clean(text_content(el)) or None
            if not _DOC_EXT.search(_path(src)):
                continue
        url = _absolute(page.url, src)
        if url and url not in seen:
            seen.add(url)
            out.append(Attachment(url, text))
    return out


def _position(anchor: tuple[int, etree._Element]) -> int:
    return anchor[0]


def _is_chrome_image(img: etree._Element) -> bool:
    """An icon or a button, not a picture of the article: tiny, or a link to somewhere else."""
    for dim in (img.get("width"), img.get("height")):
        value = (dim or "").strip().removesuffix("px")
        if value.isdigit() and int(value) <= 40:
            return True
    parent = img.getparent()
    while parent is not None and parent.tag not in ("a", "p", "div", "td", "figure", "body"):
        parent = parent.getparent()
    if parent is not None and parent.tag == "a":
        path = _path(parent.get("href") or "")
        return not (_MEDIA_EXT.search(path) or _DOC_EXT.search(path))
    return False


def _path(href: str) -> str:
    """The path of a link as written; empty for a link no URL parser takes ("http://[::1")."""
    try:
        return urlsplit(href.strip()).path
    except ValueError:
        return ""


def _absolute(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href.startswith(("data:", "javascript:", "mailto:")):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:  # not a URL
        return None
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
