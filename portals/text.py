"""Text normalisation: the form in which text is stored.

``clean`` gives the text as stored: NFC, Đ for look-alikes, control and format characters
removed, whitespace collapsed; ``parse_count`` reads a counter as portals print it. The searched
form of text (lower-case, no diacritics, đ→d) is ``portals.folding``.
"""

from __future__ import annotations

import re
import unicodedata

from . import speedups

# Ð (U+00D0, Icelandic eth) and ð are typed or converted in place of Đ/đ on many portals.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
# Format characters (Unicode category Cf): zero-width spaces and joiners, the soft hyphen, the
# byte-order mark, bidirectional marks, embeddings, overrides and isolates (U+202A–U+202E,
# U+2066–U+2069: they reorder what a reader and a terminal show), invisible operators, tags …
# Those of the Basic Multilingual Plane, and those beyond it (kept apart: a character class with
# ranges past U+FFFF is matched range by range, four times slower over a page's text).
_FORMAT_BMP = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
_FORMAT_ASTRAL = (
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# What no text shows a reader, as a regex character class: C0 controls but tab and line feed
# (NUL, BEL, ESC, CR …), DEL, C1 controls (U+0080–U+009F: CSI, NEL …) and format characters.
UNPRINTABLE = f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_FORMAT_BMP}{_FORMAT_ASTRAL}]"
# ``clean`` removes these; the controls Python counts as whitespace (VT, FF, CR, U+001C–U+001F,
# NEL) are left to ``split``, which turns them into spaces. ``_HIDDEN_BUT_NUL`` keeps NUL, which
# ``clean_many`` joins texts with.
_HIDDEN = re.compile(f"[\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f{_FORMAT_BMP}]")
_HIDDEN_BUT_NUL = re.compile(f"[\\x01-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f{_FORMAT_BMP}]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_HIDDEN_ASTRAL = re.compile(f"[{_FORMAT_ASTRAL}]")
_UNPRINTABLE_BMP = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_FORMAT_BMP}]")


def char_set(pattern: re.Pattern[str]) -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """A regex of one character class (``[…]``, no negation) as ``speedups`` reads it: a bitmap
    of its characters of the Basic Multilingual Plane, and its (low, high) ranges beyond."""
    from re import _parser  # type: ignore[attr-defined]

    ((op, items),) = list(_parser.parse(pattern.pattern))
    assert op is _parser.IN, pattern.pattern
    bitmap, astral = bytearray(8192), []
    for kind, value in items:
        low, high = (value, value) if kind is _parser.LITERAL else value
        assert kind in (_parser.LITERAL, _parser.RANGE), pattern.pattern
        if high >= 0x10000:
            astral.append((max(low, 0x10000), high))
        for c in range(low, min(high, 0xFFFF) + 1):
            bitmap[c >> 3] |= 1 << (c & 7)
    return bytes(bitmap), tuple(astral)


# What ``_visible(text, _HIDDEN_BUT_NUL)`` removes: a text without any is left as it is.
_HIDDEN_BUT_NUL_SET = char_set(re.compile(f"[{_HIDDEN_BUT_NUL.pattern[1:-1]}{_FORMAT_ASTRAL}]"))
_UNPRINTABLE_SET = char_set(re.compile(UNPRINTABLE))


def _visible(text: str, hidden: re.Pattern[str]) -> str:
    text = hidden.sub("", text)
    return _HIDDEN_ASTRAL.sub("", text) if _ASTRAL.search(text) else text


def nfc(text: str) -> str:
    """NFC with Đ/đ for their look-alikes; NFD input (e.g. decoded windows-1258) composes."""
    if "\u00d0" in text or "\u00f0" in text:  # translating every text would cost more than NFC itself
        text = text.translate(_LOOKALIKES)
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """The stored form of a run of text: NFC, no control or format characters, single spaces,
    trimmed."""
    # Removed before NFC: a mark after a removed character composes with the letter before it.
    return " ".join(nfc(_visible(text, _HIDDEN)).split())  # split() splits where \s matches


_SEP = "\x00"  # never in page text (parse drops it): joins texts so C passes run once for many


def clean_many(texts: list[str]) -> list[str]:
    """``[clean(t) for t in texts]`` in one pass over the joined texts."""
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [clean(t) for t in texts]
    scan = speedups.scan
    if scan is None:
        return [t.strip() for t in " ".join(nfc(_visible(joined, _HIDDEN_BUT_NUL)).split()).split(_SEP)]
    # The same in compiled passes: a text without hidden characters is not rewritten, and the
    # whitespace is collapsed text by text without splitting the whole into words.
    if scan.chars_in(joined, *_HIDDEN_BUT_NUL_SET):
        joined = _visible(joined, _HIDDEN_BUT_NUL)
    return scan.collapse_many(nfc(joined), _SEP)


def has_unprintable(text: str) -> bool:
    """Whether ``text`` holds a character of ``UNPRINTABLE``."""
    if speedups.scan is not None:
        return speedups.scan.chars_in(text, *_UNPRINTABLE_SET)
    return _UNPRINTABLE_BMP.search(text) is not None or (
        _ASTRAL.search(text) is not None and _HIDDEN_ASTRAL.search(text) is not None
    )


def printable(text: str) -> str:
    """``text`` without the characters of ``UNPRINTABLE``, its line feeds and tabs kept: for text
    whose lines matter (a body's paragraphs), which ``clean`` would join."""
    return nfc(_visible(text, _UNPRINTABLE_BMP)) if has_unprintable(text) else text


_NUMBER = re.compile(r"\d{1,3}(?:[.,\s\u00a0]\d{3})+(?!\d)|\d+")


def parse_count(text: str) -> int | None:
    """An integer count as portals print it: "53.957", "13.092.837", "1,204", "7" → int."""
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group())
    return int(digits) if len(digits) <= 18 else None  # no counter is that large: it is noise
