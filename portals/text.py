"""Text normalisation: the form in which text is stored.

``clean`` gives the text as stored: NFC, Đ for look-alikes, zero-width characters removed,
whitespace collapsed; ``parse_count`` reads a counter as portals print it. The searched form of
text (lower-case, no diacritics, đ→d) is ``portals.folding``.
"""

from __future__ import annotations

import re
import unicodedata

# Ð (U+00D0, Icelandic eth) and ð are typed or converted in place of Đ/đ on many portals.
_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def nfc(text: str) -> str:
    """NFC with Đ/đ for their look-alikes; NFD input (e.g. decoded windows-1258) composes."""
    if "\u00d0" in text or "\u00f0" in text:  # translating every text would cost more than NFC itself
        text = text.translate(_LOOKALIKES)
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """The stored form of a run of text: NFC, no invisible characters, single spaces, trimmed."""
    return " ".join(_INVISIBLE.sub("", nfc(text)).split())  # split() splits where \s matches


_SEP = "\x00"  # never in page text (parse drops it): joins texts so C passes run once for many


def clean_many(texts: list[str]) -> list[str]:
    """``[clean(t) for t in texts]`` in one pass over the joined texts."""
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1:
        return [clean(t) for t in texts]
    return [t.strip() for t in " ".join(_INVISIBLE.sub("", nfc(joined)).split()).split(_SEP)]


_NUMBER = re.compile(r"\d{1,3}(?:[.,\s\u00a0]\d{3})+(?!\d)|\d+")


def parse_count(text: str) -> int | None:
    """An integer count as portals print it: "53.957", "13.092.837", "1,204", "7" → int."""
    match = _NUMBER.search(text)
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group())
    return int(digits) if len(digits) <= 18 else None  # no counter is that large: it is noise
