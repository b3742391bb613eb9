"""Text normalisation (what is stored) and folding (what is searched).

``clean`` gives the text as stored: NFC, Đ for look-alikes, zero-width characters removed,
whitespace collapsed. ``fold`` gives the text as searched: lower-case, diacritics removed and
đ→d, one output character per input character of NFC text, so offsets found in the folded copy
point at the same characters of the original (snippets highlight the original diacritics).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Ð (U+00D0, Icelandic eth) and ð are typed or converted in place of Đ/đ on many portals.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """NFC with Đ/đ for their look-alikes; NFD input (e.g. decoded windows-1258) composes."""
    if "\u00d0" in text or "\u00f0" in text:  # translating every text would cost more than NFC itself
        text = text.translate(_LOOKALIKES)
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """The stored form of a run of text: NFC, no invisible characters, single spaces, trimmed."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", nfc(text))).strip()


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        low = ch
    if low in "đð":
        return "d"
    base = unicodedata.normalize("NFD", low)[0]
    return base if unicodedata.category(base)[0] in "LN" or base.isspace() else low


# Latin (with Vietnamese's Latin Extended Additional), Greek and Cyrillic are folded by table.
_FOLD_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x41, 0x2000) if _fold_char(chr(cp)) != chr(cp)}
_MARKS = re.compile("[\u0300-\u036f]+")


def fold(text: str) -> str:
    """Search form: NFC, lower-case, diacritics removed, đ→d (``"Đà Nẵng"`` → ``"da nang"``).

    Length-preserving on NFC input, so positions in ``fold(t)`` are positions in ``t``.
    """
    text = nfc(text)
    if text.isascii():
        return text.lower()
    # Decompose, drop the combining marks, đ→d: three C passes, ~3x faster than a per-character
    # table. Where that would not keep the length (a character that lower-cases or decomposes
    # into several), the table gives the same fold one character for one.
    folded = _MARKS.sub("", unicodedata.normalize("NFD", text.lower())).replace("\u0111", "d")
    return folded if len(folded) == len(text) else text.translate(_FOLD_TABLE)


def alternation(labels: Iterable[str]) -> str:
    """A regex alternation of folded labels, longest first (so "Tổng lượt truy cập" wins over
    "Lượt truy cập"), for matching on folded text."""
    return "|".join(re.escape(fold(label)) for label in sorted(labels, key=len, reverse=True))


_NUMBER = re.compile(r"\d{1,3}(?:[.,\s\u00a0]\d{3})+(?!\d)|\d+")


def parse_count(text: str) -> int | None:
    """An integer count as portals print it: "53.957", "13.092.837", "1,204", "7" → int."""
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group())
    return int(digits) if len(digits) <= 18 else None  # no counter is that large: it is noise
