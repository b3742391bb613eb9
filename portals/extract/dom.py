"""Parse a page once and read it as a sequence of text blocks, in reading order.

A block is a run of text between block boundaries (``p``, ``div``, ``td``, ``br`` …), as a
reader sees the page's lines. The heuristics of the other modules work on this sequence and
look back at the elements only where markup matters (headings, classes, tables).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from .. import speedups
from ..folding import fold_many
from ..text import clean_many
from . import legacy

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
# (For the compiled walk: lower-case ASCII, and no "k", which the Kelvin sign lower-cases to.)
_HIDDEN_NAMES = tuple(sorted(name.encode("ascii") for name in HIDDEN_CLASSES if name == name.lower() and "k" not in name))
assert len(_HIDDEN_NAMES) == len(HIDDEN_CLASSES)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


def is_hidden(el: etree._Element) -> bool:
    names = el.keys()  # one call, then only the attributes it has are read
    if not names:
        return False
    if "hidden" in names or ("aria-hidden" in names and el.get("aria-hidden") == "true" and not len(el)):
        return True
    if "style" in names and _HIDDEN_STYLE.search(el.get("style")):
        return True
    return "class" in names and _hidden_classes(el.get("class"))


@lru_cache(maxsize=4096)
def _hidden_classes(classes: str) -> bool:
    """A class attribute naming a hidden class (a page repeats its class attributes: asked once)."""
    return not HIDDEN_CLASSES.isdisjoint(classes.lower().split())


# Plain lxml elements: lxml.html's element classes cost a Python call for every node touched.
# huge_tree: libxml2 stops at 256 nested elements without it (the rest of the page lost, with no
# error raised), at 2048 with it; text nodes over 10 MB need it too. (The HTML parser expands no
# entities of its own, so it opens no door to entity expansion.)
_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True)
_UTF8_PARSER = etree.HTMLParser(remove_comments=True, remove_pis=True, collect_ids=False, huge_tree=True, encoding="utf-8")


def text_content(el: etree._Element) -> str:
    """All the text inside the element (lxml.html's ``text_content``, XPath's ``string()``):
    serialised as text, which costs a fifth of an XPath call (the same text, see the tests)."""
    return etree.tostring(el, method="text", encoding=str, with_tail=False)


def _drop_tree(el: etree._Element) -> None:
    """Remove the element and what it holds; its tail stays (lxml.html's ``drop_tree``)."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


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
    # element → (opening, closing) document position: a dict, or the compiled walk's NodeSpans
    spans: Mapping[etree._Element, tuple[int, int]]
    legacy: str | None = None


def parse_tree(text: str, utf8: bytes | None = None) -> etree._Element:
    """The page's tree as parsed, nothing left out. Never raises on malformed markup.

    ``utf8``: the bytes ``text`` was decoded from, when they are UTF-8. The parser reads them
    rather than the text where that gives the same tree (no XML declaration, no NUL, no
    undecodable byte): lxml hands libxml2 a text as UTF-16 or UCS-4, which it converts back to
    UTF-8 first (a fifth of the parse)."""
    if utf8 is not None and text and not _XML_DECL.match(text) and "\ufffd" not in text and b"\x00" not in utf8:
        try:
            root = etree.fromstring(utf8, _UTF8_PARSER)
        except (etree.ParserError, ValueError):
            root = None
        if root is not None:
            return root
    text = _XML_DECL.sub("", text, count=1)
    if "\x00" in text:  # (a search: replace() costs as much where there is nothing to replace)
        text = text.replace("\x00", "")
    try:
        root = etree.fromstring(text or "<html></html>", _PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:  # nothing an HTML parser reads as a document
        root = etree.fromstring("<html><body></body></html>", _PARSER)
    return root


def parse(
    text: str, remove: Iterable[Callable[[etree._Element], list[etree._Element]]] = (), *, utf8: bytes | None = None
) -> Document:
    """Parse HTML text (already decoded) into a Document. Never raises on malformed markup.

    ``remove``: compiled selectors (a profile's) whose elements are dropped before reading.
    ``utf8``: the bytes of the text, if it was decoded from UTF-8 (see ``parse_tree``).
    Text in a legacy Vietnamese font encoding (TCVN3, VNI) is converted to Unicode first.
    """
    root = parse_tree(text, utf8)
    for selector in remove:
        for el in selector(root):
            _drop_tree(el)
    kind = legacy.detect(text)
    converted = legacy.convert_tree(root, kind) if kind else 0
    title_tag, meta = _read_head(root)
    blocks, anchors, spans = _segment(root)
    return Document(root, title_tag, meta, blocks, anchors, spans, kind if converted else None)


def _read_head(root: etree._Element) -> tuple[str | None, dict[str, str]]:
    """The first <title>'s text, and every <meta>'s content by its name (the first of each name)."""
    title: str | None = None
    keys: dict[str, str] = {}  # the first value of each name, cleaned all at once below
    for el in root.iter("title", "meta"):  # (one pass over the tree for both)
        if el.tag == "title":
            if title is None:
                title = text_content(el)
            continue
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        value = el.get("content")
        if key and value and key not in keys:
            keys[key] = value
    cleaned = clean_many([title or "", *keys.values()])
    return cleaned[0] or None, dict(zip(keys, cleaned[1:], strict=True))


# What each tag does to the reading: its subtree is skipped (only its tail read), it breaks the
# line, it is a block, a link, an image, bold.
_SKIP, _BREAK, _BLOCK, _LINK, _IMAGE, _BOLD = 1, 2, 4, 8, 16, 32
_KIND = dict.fromkeys(BLOCK_TAGS, _BLOCK) | {"br": _BREAK, "a": _LINK, "img": _IMAGE} | dict.fromkeys(DROP_TAGS, _SKIP)
_KIND |= {tag: _KIND.get(tag, 0) | _BOLD for tag in (*BOLD_TAGS, *HEADINGS)}
_SKIPPED = _SKIP | _BREAK


# A run as read: raw text, block element, start, end, link chars, bold chars, stripped length,
# hrefs, inline words.
_Run = tuple[str, etree._Element, int, int, int, int, int, tuple[str, ...], str]
_Anchors = list[tuple[int, etree._Element]]
_Spans = Mapping[etree._Element, tuple[int, int]]


def _segment(root: etree._Element) -> tuple[list[Block], _Anchors, _Spans]:
    if (walk := speedups.walk()) is not None:
        runs, anchors, spans = walk.runs(root, _KIND, _HIDDEN_STYLE.search, _hidden_classes, _HIDDEN_NAMES)
    else:
        runs, anchors, spans = _runs(root)
    blocks: list[Block] = []
    texts = clean_many([run[0] for run in runs])
    kept = [(text, run) for text, run in zip(texts, runs, strict=True) if text]
    folded = fold_many([text for text, _ in kept])
    for (text, (_, element, begin, end, links, bold, raw, run_hrefs, words)), low in zip(kept, folded, strict=True):
        scale = len(text) / raw
        blocks.append(Block(text, element, len(blocks), begin, end, int(links * scale), int(bold * scale), low, run_hrefs, words))
    return blocks, anchors, spans


def _runs(root: etree._Element) -> tuple[list[_Run], _Anchors, _Spans]:
    """The page's runs of text in reading order, its links and images (with their document
    positions), and every element's span; ``portals/_walk.pyx`` has the compiled form."""
    spans: dict[etree._Element, tuple[int, int]] = {}
    anchors: _Anchors = []
    runs: list[_Run] = []  # cleaned and folded all at once by _segment
    pieces: list[str] = []
    hrefs: list[str] = []
    inline_words: list[str] = []
    # The run's characters (stripped texts' lengths), those inside links and in bold; where it begins.
    link_chars = bold_chars = raw_chars = start = 0
    block = root  # the block element holding the run
    block_stack: list[etree._Element] = []
    opened: list[tuple[int, int]] = []  # the open elements' positions and kinds
    link_depth = bold_depth = 0
    order = 0
    kinds = _KIND.get
    # The loop is written out (no helper called per text or element: that is a third of its time).
    # Each text is taken the same way: the run begins where its first piece is read; a piece's
    # stripped length counts for the run, for its links and for its bold text. A run ends (its
    # pieces become a run if they hold any text) where a block opens or closes and at a <br>.
    # (iterwalk: no recursion, so deeply nested markup cannot exhaust the stack)
    walk = etree.iterwalk(root, events=("start", "end"))
    skip_subtree = walk.skip_subtree
    names: list[str] = []
    for event, el in walk:
        if event == "start":
            tag = el.tag
            kind = kinds(tag, 0)
            order += 1
            if kind & _SKIPPED:  # scripts, menus, <br>
                skip = True
                if kind == _BREAK and (pieces or hrefs or inline_words) and not is_hidden(el):
                    if raw_chars:
                        words = " ".join(inline_words)
                        runs.append(
                            ("".join(pieces), block, start, order, link_chars, bold_chars, raw_chars, tuple(hrefs), words)
                        )
                        link_chars = bold_chars = raw_chars = 0
                    pieces.clear()
                    hrefs.clear()
                    inline_words.clear()
            elif tag.__class__ is not str:
                skip = True
            else:  # is_hidden(el), its attributes read once
                names = el.keys()
                skip = bool(names) and (
                    "hidden" in names
                    or ("aria-hidden" in names and el.get("aria-hidden") == "true" and not len(el))
                    or ("style" in names and _HIDDEN_STYLE.search(el.get("style")) is not None)
                    or ("class" in names and _hidden_classes(el.get("class")))
                )
            if skip:  # its subtree is not read: the next event is its end, and only its tail is read
                skip_subtree()
                next(walk)
                if text := el.tail:
                    if not pieces:
                        start = order
                    pieces.append(text)
                    if n := len(text.strip()):
                        raw_chars += n
                        if link_depth:
                            link_chars += n
                        if bold_depth:
                            bold_chars += n
                continue
            opened.append((order, kind))
            if kind & _BLOCK:
                if pieces or hrefs or inline_words:
                    if raw_chars:
                        words = " ".join(inline_words)
                        runs.append(
                            ("".join(pieces), block, start, order, link_chars, bold_chars, raw_chars, tuple(hrefs), words)
                        )
                        link_chars = bold_chars = raw_chars = 0
                    pieces.clear()
                    hrefs.clear()
                    inline_words.clear()
                block_stack.append(block)
                block = el
            elif kind & _LINK:
                link_depth += 1
                if "href" in names and (href := el.get("href")):
                    anchors.append((order, el))
                    hrefs.append(href)
            elif kind & _IMAGE:
                anchors.append((order, el))
            elif ("class" in names or "id" in names) and (el.get("class") or el.get("id")):
                words = attr_words(el)
                # "15:40" and "2.315 lượt xem" in spans of their own are two items, not "15:402.315";
                # a counter drawn digit by digit in spans of one class stays one number.
                if (
                    pieces
                    and pieces[-1][-1:].isalnum()
                    and (el.text or "").lstrip()[:1].isdigit()
                    and (not inline_words or inline_words[-1] != words)
                ):
                    pieces.append(" ")
                inline_words.append(words)
            if kind & _BOLD:
                bold_depth += 1
            if text := el.text:
                if not pieces:
                    start = order
                pieces.append(text)
                if n := len(text.strip()):
                    raw_chars += n
                    if link_depth:
                        link_chars += n
                    if bold_depth:
                        bold_chars += n
        else:
            begin, kind = opened.pop()
            order += 1  # positions count closings too, so text after an element starts later
            spans[el] = (begin, order)
            if kind:
                if kind & _BLOCK:
                    if pieces or hrefs or inline_words:
                        if raw_chars:
                            words = " ".join(inline_words)
                            runs.append(
                                ("".join(pieces), block, start, order, link_chars, bold_chars, raw_chars, tuple(hrefs), words)
                            )
                            link_chars = bold_chars = raw_chars = 0
                        pieces.clear()
                        hrefs.clear()
                        inline_words.clear()
                    block = block_stack.pop()
                elif kind & _LINK:
                    link_depth -= 1
                if kind & _BOLD:
                    bold_depth -= 1
            if text := el.tail:
                if not pieces:
                    start = order
                pieces.append(text)
                if n := len(text.strip()):
                    raw_chars += n
                    if link_depth:
                        link_chars += n
                    if bold_depth:
                        bold_chars += n
    if raw_chars:
        runs.append(
            ("".join(pieces), block, start, order, link_chars, bold_chars, raw_chars, tuple(hrefs), " ".join(inline_words))
        )
    return runs, anchors, spans


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
