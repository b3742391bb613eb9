"""How much of a page extraction reads: bounded time and memory, whatever the input.

A portal page weighs 100–300 KB (the largest seen, a few MB) and holds a few thousand elements.
What is past a limit below is left out, and the record says so in its warnings:

- ``MAX_PAGE`` bytes (characters, for text) are read; the rest is cut before decoding ("page_cut");
- … up to the ``MAX_TAGS``-th "<": what extraction costs grows with the elements (up to a
  kilobyte each, for a page of nothing but short paragraphs), and 8 MB hold two million ("page_cut");
- … up to a start tag of more than ``MAX_ATTRIBUTES`` attributes: libxml2 compares each attribute
  of a tag with every one before it, so a tag of n attributes costs n² (30,000 take 2 s, a million
  half an hour) ("page_cut");
- the first ``MAX_LINKS`` links and images are read (attachments, menus, the crawl's links)
  ("links_cut");
- libxml2's HTML parser stops at ``PARSER_DEPTH`` nested elements (with ``huge_tree``; 256
  without): what follows is lost ("depth_cut").

docs/reliability.md gives the time and memory these bounds keep an extraction within.
"""

from __future__ import annotations

import re

from lxml import etree

from .. import speedups

MAX_PAGE = 8 * 1024 * 1024
MAX_TAGS = 200_000
MAX_ATTRIBUTES = 256
MAX_LINKS = 10_000
PARSER_DEPTH = 2048

_TAGS = re.compile(f"(?:[^<]*<){{{MAX_TAGS + 1}}}")  # up to the first "<" past MAX_TAGS

# The page read as an HTML tokenizer reads it (WHATWG; libxml2's since 2.14), as far as it holds
# no start tag of more than MAX_ATTRIBUTES attributes: text, comments, the raw text of scripts and
# styles (where a "<" opens no tag), and start tags, attribute by attribute — a name (its first
# character may be "="), then a value, quoted or not. Every part is possessive or atomic (nothing
# is read twice): one linear pass, 4 to 10 ms a megabyte (about 5% of an extraction).
_S = "\\t\\n\\f\\r "
_ATTRIBUTE = (
    rf"(?>[{_S}/]*+[^{_S}/>][^{_S}/>=]*+"
    rf"""(?:[{_S}]*+=[{_S}]*+(?:"[^"]*+"|'[^']*+'|[^{_S}>]*+))?+)"""
)
RAW_TEXT_ELEMENTS = ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext")


def readable_pattern(most: int) -> re.Pattern[str]:
    """The page up to its first start tag of more than ``most`` attributes."""
    attributes = rf"[^{_S}/>]*+{_ATTRIBUTE}{{0,{most}}}+(?!{_ATTRIBUTE})"
    # (One branch per element rather than a backreference: CPython 3.11's possessive repeats and
    # backreferences together can raise SystemError.)
    raw_text = "|".join(
        rf"(?i:{name})(?![^{_S}/>]){attributes}[^>]*+>?+(?:[^<]++|<(?!/(?i:{name})))*+" for name in RAW_TEXT_ELEMENTS
    )
    # (A raw text element's name is looked for after a lookahead on its first two letters: most
    # tags are not one, and ten alternatives tried at every "<" would cost a third of the pass.)
    return re.compile(
        rf"(?:[^<]++|<(?:(?=(?i:s[ct]|t[ei]|xm|if|no|pl))(?:{raw_text})|[a-zA-Z]{attributes}"
        r"|!--(?:[^-]++|-(?!-!?>))*+(?:--!?>)?+|(?![a-zA-Z])))*+"
    )


_READABLE = readable_pattern(MAX_ATTRIBUTES)


def _readable_end(text: str) -> int:
    """Where ``_READABLE``'s match of the text ends; ``portals/_scan.pyx`` reads the same
    tokens in a fifth of the time."""
    if speedups.scan is not None:
        return speedups.scan.readable_end(text, MAX_ATTRIBUTES)
    readable = _READABLE.match(text)
    return readable.end() if readable is not None else 0


def cut_markup(text: str) -> tuple[str, bool]:
    """``text`` up to its ``MAX_TAGS``-th "<" and its first start tag of too many attributes, and
    whether it was cut."""
    cut = False
    if len(text) > MAX_TAGS and text.count("<") > MAX_TAGS and (tags := _TAGS.match(text)):  # (shorter: fewer "<")
        text, cut = text[: tags.end() - 1], True
    end = _readable_end(text)
    if end < len(text):
        text, cut = text[:end], True
    return text, cut


def depth_cut(root: etree._Element) -> bool:
    """Whether the parser stopped at its depth limit: the elements open when it stopped are the
    chain of last children from the root, as deep as the limit."""
    el, depth = root, 1
    while len(el) and depth < PARSER_DEPTH:
        el, depth = el[-1], depth + 1
    return depth >= PARSER_DEPTH
