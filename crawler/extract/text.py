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
_KEPT = re.compile("([^\x00-\x7f\u0300-\u036f])")  # neither ASCII nor a combining mark


def fold(text: str) -> str:
    """Search form: NFC, lower-case, diacritics removed, đ→d (``"Đà Nẵng"`` → ``"da nang"``).

    Length-preserving on NFC input, so positions in ``fold(t)`` are positions in ``t``.
    """
    text = nfc(text)
    if text.isascii():
        return text.lower()
    decomposed = _decompose(text)
    folded = _ascii(decomposed)
    if len(folded) == len(text):
        return folded
    # Text with other letters or signs (“”, –, Greek): drop only the combining marks. Where such
    # characters are few (Vietnamese text with typographic quotes and dashes), the C pass above
    # drops them from the stretches between them; a regex replacing every mark is slower. Where
    # that would not keep the length either (a character that lower-cases or decomposes into
    # several), the table gives the same fold one character for one.
    parts = _KEPT.split(decomposed)  # stretches of ASCII and marks, each followed by a kept character
    if len(parts) <= len(text) // 4:
        folded = "".join(_ascii(part) if i % 2 == 0 else part for i, part in enumerate(parts))
    else:
        folded = _MARKS.sub("", decomposed)
    return folded if len(folded) == len(text) else text.translate(_FOLD_TABLE)


def _decompose(text: str) -> str:
    """Lower-cased, decomposed (base letters, then their combining marks), đ→d."""
    return unicodedata.normalize("NFD", text.lower()).replace("\u0111", "d")


def _ascii(decomposed: str) -> str:
    """The ASCII characters of ``_decompose(t)``: no character of ``t`` gives more than one, and
    one that gives one gives nothing else but combining marks (all of Unicode is so, see the
    tests). So where this has the length of ``t``, it is ``t`` with its marks dropped: the fold,
    in two C passes instead of a regex replacing every mark."""
    return decomposed.encode("ascii", "ignore").decode("ascii")


def fold_many(texts: list[str]) -> list[str]:
    """``[fold(t) for t in texts]``, in one pass over the joined texts where each keeps its length
    (NUL separators stop case and composition rules at the boundaries as a string's end does)."""
    joined = _SEP.join(texts)
    if joined.count(_SEP) != len(texts) - 1 or nfc(joined) != joined:
        return [fold(t) for t in texts]
    if joined.isascii():
        return joined.lower().split(_SEP)
    decomposed = _decompose(joined)
    out = _ascii(decomposed).split(_SEP)
    parts: list[str] = []
    for i, text in enumerate(texts):
        if len(out[i]) != len(text):  # on as fold() goes after the ASCII attempt
            parts = parts or decomposed.split(_SEP)
            folded = _MARKS.sub("", parts[i])
            out[i] = folded if len(folded) == len(text) else text.translate(_FOLD_TABLE)
    return out


def needed_words(labels: Iterable[str]) -> tuple[str, ...]:
    """The folded labels holding no other label: text that holds any of ``labels`` holds one of
    these (a test by plain substring search, much faster than a regex alternation's)."""
    words = {fold(label) for label in labels}
    return tuple(sorted(w for w in words if not any(other != w and other in w for other in words)))


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
