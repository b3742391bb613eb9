"""Bytes to text: the page's real encoding, whatever it declares.

Order of trust: a byte-order mark; then bytes that are valid UTF-8 with non-ASCII text (a
declaration saying otherwise is wrong: legacy decoders would accept those bytes and produce
mojibake); then the HTTP header and the page's own ``<meta charset>`` (w3lib, as Scrapy reads
them); then detection. windows-1258 decodes to combining tone marks; ``text.nfc`` composes them.
"""

from __future__ import annotations

import codecs

from bs4.dammit import UnicodeDammit
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, resolve_encoding

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def cut(html: bytes | str, limit: int) -> tuple[bytes | str, bool]:
    """``html`` cut to at most ``limit`` bytes (characters, for text), and whether it was: at a
    character's start (a UTF-8 sequence is never split, a UTF-16 page keeps whole code units),
    so that what is left decodes as the whole page would."""
    if len(html) <= limit:
        return html, False
    if isinstance(html, str):
        return html[:limit], True
    end = limit
    if html.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        end -= end % 2
    else:  # back over UTF-8 continuation bytes (10xxxxxx) to the start of the character they finish
        while end > limit - 3 and html[end] & 0xC0 == 0x80:
            end -= 1
    return html[:end], True


def decode(html: bytes | str, content_type: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)`` for a page body; never raises."""
    if isinstance(html, str):
        return html, "unicode"
    for bom, name in _BOMS:
        if html.startswith(bom):
            return html[len(bom) :].decode(name, errors="replace"), name
    try:
        text = html.decode("utf-8")
        if not text.isascii():
            return text, "utf-8"
    except UnicodeDecodeError:
        pass
    declared = (http_content_type_encoding(content_type) if content_type else None) or html_body_declared_encoding(html)
    if declared and resolve_encoding(declared) not in (None, "utf-8"):
        encoding, text = html_to_unicode(content_type, html)
        return text, encoding
    dammit = UnicodeDammit(html, ["utf-8", "windows-1258", "cp1252"], is_html=True)
    if dammit.unicode_markup is not None and dammit.original_encoding:
        return dammit.unicode_markup, dammit.original_encoding
    return html.decode("utf-8", errors="replace"), "utf-8"
