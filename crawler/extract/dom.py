"""Parse a page once and read it as a sequence of text blocks, in reading order.

A block is a run of text between block boundaries (``p``, ``div``, ``td``, ``br`` …), as a
reader sees the page's lines. The heuristics of the other modules work on this sequence and
look back at the elements only where markup matters (headings, classes, tables).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from . import legacy
from .text import clean, fold

BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Never text a reader reads as content; select/option hold the "Liên kết website" menus.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "select",
    "option",
    "optgroup",
    "button",
    "input",
    "textarea",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "map",
    "head",
    "title",
    "meta",
    "link",
)
BOLD_TAGS = frozenset({"b", "strong"})
# Elements a browser does not show: their text is metadata, not what the page says.
HIDDEN_CLASSES = frozenset({"hidden", "hide", "d-none", "invisible", "sr-only", "screen-reader-text", "visually-hidden"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") == "true" and not len(el)):
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    classes = el.get("class")
    return bool(classes) and not HIDDEN_CLASSES.isdisjoint(classes.lower().split())


_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


@dataclass(slots=True)
class Block:
    """A run of page text: its cleaned text, the block element holding it, where it is."""

    text: str
    element: etree._Element
    index: int
    start: int  # document position where the run begins (elements opened and closed before it)
    order: int  # document position where the run ends
    link_chars: int
    bold_chars: int
    folded: str = field(default="", repr=False)
    hrefs: tuple[str, ...] = ()  # targets of the links in the run
    inline_words: str = ""  # class and id words of the inline elements in the run (span.NewsTitle …)

    @property
    def link_ratio(self) -> float:
        return self.link_chars / max(1, len(self.text))

    @property
    def is_bold(self) -> bool:
        return self.bold_chars >= 0.9 * len(self.text)


@dataclass(slots=True)
class Document:
    """A parsed page: the tree, its head metadata, its blocks, and its links and images in order;
    ``legacy``: the legacy font encoding its text was converted from ("tcvn3", "vni"), if any."""

    root: etree._Element
    title_tag: str | None
    meta: dict[str, str]
    blocks: list[Block]
    anchors: list[tuple[int, etree._Element]]  # (document position, <a> or <img>)
    spans: dict[etree._Element, tuple[int, int]]  # element → (opening, closing) document position
    legacy: str | None = None


def parse(text: str, remove: Iterable[Callable[[etree._Element], list[etree._Element]]] = ()) -> Document:
    """Parse HTML text (already decoded) into a Document. Never raises on malformed markup.

    ``remove``: compiled selectors (a profile's) whose elements are dropped before reading.
    Text in a legacy Vietnamese font encoding (TCVN3, VNI) is converted to Unicode first.
    """
    text = _XML_DECL.sub("", text, count=1).replace("\x00", "")
    try:
        root = lxml.html.document_fromstring(text or "<html></html>", parser=_PARSER)
    except (etree.ParserError, ValueError):
        root = lxml.html.document_fromstring("<html><body></body></html>", parser=_PARSER)
    for selector in remove:
        for el in selector(root):
            if el.getparent() is not None:
                el.drop_tree()
    kind = legacy.detect(text)
    converted = legacy.convert_tree(root, kind) if kind else 0
    title_tag, meta = _read_head(root)
    blocks, anchors, spans = _segment(root)
    return Document(root, title_tag, meta, blocks, anchors, spans, kind if converted else None)


def _read_head(root: etree._Element) -> tuple[str | None, dict[str, str]]:
    title = None
    for el in root.iter("title"):
        title = clean(el.text_content()) or None
        break
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value and key not in meta:
            meta[key] = clean(value)
    return title, meta


def _segment(
    root: etree._Element,
) -> tuple[list[Block], list[tuple[int, etree._Element]], dict[etree._Element, tuple[int, int]]]:
    blocks: list[Block] = []
    spans: dict[etree._Element, tuple[int, int]] = {}
    anchors: list[tuple[int, etree._Element]] = []
    pieces: list[str] = []
    hrefs: list[str] = []
    inline_words: list[str] = []
    counts = [0, 0, 0]  # link chars, bold chars, start position of the current run
    block_stack: list[etree._Element] = [root]
    link_depth = bold_depth = 0
    order = 0

    def add(text: str | None) -> None:
        if text:
            if not pieces:
                counts[2] = order
            pieces.append(text)
            if link_depth or bold_depth:
                n = len(text.strip())
                if link_depth:
                    counts[0] += n
                if bold_depth:
                    counts[1] += n

    def flush() -> None:
        if pieces:
            text = clean("".join(pieces))
            if text:
                raw = sum(len(p.strip()) for p in pieces) or 1
                scale = len(text) / raw
                blocks.append(
                    Block(
                        text,
                        block_stack[-1],
                        len(blocks),
                        counts[2],
                        order,
                        int(counts[0] * scale),
                        int(counts[1] * scale),
                        fold(text),
                        tuple(hrefs),
                        " ".join(inline_words),
                    )
                )
            pieces.clear()
        hrefs.clear()
        inline_words.clear()
        counts[0] = counts[1] = 0

    # Iterative walk (deeply nested markup must not exhaust the stack): (element, entering?)
    stack: list[tuple[etree._Element, bool]] = [(root, True)]
    while stack:
        el, entering = stack.pop()
        tag = el.tag if isinstance(el.tag, str) else ""
        if entering:
            order += 1
            if not tag or tag in DROP_TAGS or is_hidden(el):  # scripts, menus, hidden: only the tail
                add(el.tail)
                continue
            if tag == "br":
                flush()
                add(el.tail)
                continue
            spans[el] = (order, order)
            if tag in BLOCK_TAGS:
                flush()
                block_stack.append(el)
            elif tag == "a":
                link_depth += 1
                if el.get("href"):
                    anchors.append((order, el))
                    hrefs.append(el.get("href", ""))
            elif tag == "img":
                anchors.append((order, el))
            elif el.get("class") or el.get("id"):
                words = attr_words(el)
                # "15:40" and "2.315 lượt xem" in spans of their own are two items, not "15:402.315";
                # a counter drawn digit by digit in spans of one class stays one number.
                if (
                    pieces
                    and pieces[-1][-1:].isalnum()
                    and (el.text or "").lstrip()[:1].isdigit()
                    and (not inline_words or inline_words[-1] != words)
                ):
                    add(" ")
                inline_words.append(words)
            if tag in BOLD_TAGS or tag in HEADINGS:
                bold_depth += 1
            add(el.text)
            stack.append((el, False))
            stack.extend((child, True) for child in reversed(el))
        else:
            order += 1  # positions count closings too, so text after an element starts later
            spans[el] = (spans[el][0], order)
            if tag in BLOCK_TAGS:
                flush()
                block_stack.pop()
            elif tag == "a":
                link_depth -= 1
            if tag in BOLD_TAGS or tag in HEADINGS:
                bold_depth -= 1
            add(el.tail)
    flush()
    return blocks, anchors, spans


def attr_words(el: etree._Element) -> str:
    """The element's class and id, lower-cased, for matching hints such as "title" or "sapo"."""
    return f"{el.get('class', '')} {el.get('id', '')}".lower()


_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")


def attr_tokens(el: etree._Element) -> list[str]:
    """The words of the element's class and id ("news-detail-summary" → news, detail, summary)."""
    return [t for t in _TOKEN_SPLIT.split(attr_words(el)) if t]


def heading_level(el: etree._Element, depth: int = 3) -> int | None:
    """The heading level of the element or of a close ancestor (h1 → 1), else None."""
    for _ in range(depth):
        if el is None:
            return None
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in HEADINGS:
            return HEADINGS[tag]
        el = el.getparent()
    return None


def ancestors_and_self(el: etree._Element, limit: int = 64) -> list[etree._Element]:
    out: list[etree._Element] = []
    while el is not None and len(out) < limit:
        out.append(el)
        el = el.getparent()
    return out
