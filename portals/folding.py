"""Folding: the form in which text is searched, the one home of its rules.

``fold`` gives the text as searched: NFC, lower-case, diacritics removed and đ→d, one output
character per input character of NFC text, so offsets found in the folded copy point at the same
characters of the original (snippets highlight the original diacritics). Three users, one rule:

- the search index is given ``indexed(text)``, text whose words, as SQLite's FTS5 tokenizer
  (``unicode61 remove_diacritics 2``) reads them, are the words of ``fold(text)``;
- queries are folded with ``fold`` before they are matched against the index;
- highlights are found in the original text with ``FOLDING_TO`` (each folded letter matched by
  the characters that fold to it), where ``NOT_FOLDS_ALONE`` finds no character that folds
  otherwise than alone.

Extraction matches its labels on folded text too (``alternation``, ``needed_words``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from . import speedups
from .text import nfc

__all__ = [
    "COMBINING_MARKS",
    "FOLDING_TO",
    "FOLDS_ALONE",
    "FOLD_TABLE",
    "NOT_FOLDS_ALONE",
    "TOKENIZER_FOLDS",
    "alternation",
    "decompose",
    "fold",
    "fold_many",
    "folds_alone",
    "indexed",
    "needed_words",
]

_SEP = "\x00"  # never in page text (parse drops it): joins texts so C passes run once for many


def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        low = ch
    if low in "đð":
        return "d"
    base = unicodedata.normalize("NFD", low)[0]
    return base if unicodedata.category(base)[0] in "LN" or base.isspace() else low


# Latin (with Vietnamese's Latin Extended Additional), Greek and Cyrillic are folded by table.
FOLD_TABLE = {cp: _fold_char(chr(cp)) for cp in range(0x41, 0x2000) if _fold_char(chr(cp)) != chr(cp)}
COMBINING_MARKS = re.compile("[\u0300-\u036f]+")
_KEPT = re.compile("([^\x00-\x7f\u0300-\u036f])")  # neither ASCII nor a combining mark


def fold(text: str) -> str:
    """Search form: NFC, lower-case, diacritics removed, đ→d (``"Đà Nẵng"`` → ``"da nang"``).

    Length-preserving on NFC input, so positions in ``fold(t)`` are positions in ``t``.
    """
    text = nfc(text)
    if text.isascii():
        return text.lower()
    decomposed = decompose(text)
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
        folded = COMBINING_MARKS.sub("", decomposed)
    return folded if len(folded) == len(text) else text.translate(FOLD_TABLE)


def decompose(text: str) -> str:
    """Lower-cased, decomposed (base letters, then their combining marks), đ→d."""
    return unicodedata.normalize("NFD", text.lower()).replace("\u0111", "d")


def _ascii(decomposed: str) -> str:
    """The ASCII characters of ``decompose(t)``: no character of ``t`` gives more than one, and
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
    if speedups.scan is not None:  # one character for one, by a table; a text it cannot fold, whole
        folded = speedups.scan.fold_joined(joined, _SEP, _fold_one)
        return [fold(text) if out is None else out for text, out in zip(texts, folded, strict=True)]
    decomposed = decompose(joined)
    out = _ascii(decomposed).split(_SEP)
    parts: list[str] = []
    for i, text in enumerate(texts):
        if len(out[i]) != len(text):  # on as fold() goes after the ASCII attempt
            parts = parts or decomposed.split(_SEP)
            folded = COMBINING_MARKS.sub("", parts[i])
            out[i] = folded if len(folded) == len(text) else text.translate(FOLD_TABLE)
    return out


def _fold_one(code: int) -> int:
    """The character ``fold`` gives for the character ``code`` in a text where each character
    folds alone, or -1 where it folds to none or several (a combining mark, "ǅ") or by its
    neighbours (Σ, whose lower case depends on the letters around it). ``fold_many`` asks it
    through ``speedups.scan.fold_joined``, once per character."""
    if code == 0x3A3:
        return -1
    folded = COMBINING_MARKS.sub("", decompose(chr(code)))
    return ord(folded) if len(folded) == 1 else -1


def needed_words(labels: Iterable[str]) -> tuple[str, ...]:
    """The folded labels holding no other label: text that holds any of ``labels`` holds one of
    these (a test by plain substring search, much faster than a regex alternation's)."""
    words = {fold(label) for label in labels}
    return tuple(sorted(w for w in words if not any(other != w and other in w for other in words)))


def alternation(labels: Iterable[str]) -> str:
    """A regex alternation of folded labels, longest first (so "Tổng lượt truy cập" wins over
    "Lượt truy cập"), for matching on folded text."""
    return "|".join(re.escape(fold(label)) for label in sorted(labels, key=len, reverse=True))


# -- the index's input ---------------------------------------------------------------------------
# đ/Đ and their look-alikes fold to d; punctuation that portals often type, beyond Latin-1,
# separates words as a space does.
_REPLACE = (
    ("\u0111", "d"),
    ("\u0110", "D"),
    ("\u00f0", "d"),
    ("\u00d0", "D"),
    *((p, " ") for p in "\u201c\u201d\u2018\u2019\u2013\u2014\u2026\u2022"),
)
# Characters that the index's tokenizer (unicode61, remove_diacritics 2) reads as it reads their
# fold: ASCII, the rest of Latin-1 but ð/Ð, the Vietnamese letters, and the punctuation above (a
# test checks each against the tokenizer). Text of these alone is given to it as it is, đ/Đ as d/D.
TOKENIZER_FOLDS = (
    "\x00-\x7f\u00a0-\u00cf\u00d1-\u00ef\u00f1-\u00ff\u0102\u0103\u0110\u0111\u0128\u0129"
    "\u0168\u0169\u01a0\u01a1\u01af\u01b0\u1ea0-\u1ef9\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026"
)
_AS_IT_IS = re.compile(f"[{TOKENIZER_FOLDS}]*+")  # (possessive, from the start: faster than a search outside the set)


def indexed(text: str | None) -> str:
    """What the search index is given for ``text``: text whose words, as the FTS5 tokenizer reads
    them (it lower-cases, drops diacritics and splits at punctuation), are the words of
    ``fold(text)``.

    Vietnamese text (the characters of ``TOKENIZER_FOLDS``) goes as it is, but for đ, which the
    tokenizer keeps; other text where every character is Latin-1 or a letter that decomposes into
    one has its diacritics dropped by fast C passes; anything else (NFD input, other scripts) is
    folded by ``fold``.
    """
    if not text or text.isascii():
        return text or ""
    if _AS_IT_IS.match(text).end() == len(text):  # type: ignore[union-attr]
        return text.replace("\u0111", "d").replace("\u0110", "D")
    plain = text
    for char, replacement in _REPLACE:
        if char in plain:
            plain = plain.replace(char, replacement)
    letters = unicodedata.normalize("NFD", plain).encode("latin-1", "ignore")
    # One character out per character in: only diacritics were dropped.
    return letters.decode("latin-1") if len(letters) == len(plain) else fold(text)


# -- highlights in the original text ---------------------------------------------------------------
_WORD_CHAR = re.compile(r"\w")


def folds_alone(char: str) -> bool:
    """Whether ``char`` folds to one character whatever stands around it (a starter: no combining
    mark, nothing composes with it; lower-cased alone, not Σ; all its marks dropped by fold),
    and is a word character, or a space, exactly when its fold is."""
    folded = COMBINING_MARKS.sub("", decompose(nfc(char)))
    return (
        len(folded) == 1
        and unicodedata.combining(char) == 0
        and unicodedata.is_normalized("NFC", char)
        and len(char.lower()) == 1
        and char != "\u03a3"
        and fold(char) == folded
        and bool(_WORD_CHAR.match(char)) == bool(_WORD_CHAR.match(folded))
        and char.isspace() == folded.isspace()
    )


# Latin (Vietnamese included) and punctuation that fold character by character: in text made of
# these and ASCII, ``fold(text)[i] == fold(text[i])``, so a pattern that matches each folded
# letter by the characters that fold to it finds the matches of the fold in the text itself.
# Made when first asked for (they cost about 25 ms; storage imports this module and may never
# highlight anything):
#   FOLDS_ALONE       those characters, beyond ASCII
#   NOT_FOLDS_ALONE   a regex finding any other character
#   FOLDING_TO        a folded character → a regex class of the characters folding to it
@cache
def _highlight_tables() -> dict[str, Any]:
    alone = "".join(chr(c) for c in (*range(0x80, 0x250), *range(0x1E00, 0x1F00), *range(0x2000, 0x2070)) if folds_alone(chr(c)))
    classes: dict[str, str] = {}
    for char in [chr(c) for c in range(0x80)] + list(alone):
        classes[fold(char)] = classes.get(fold(char), "") + re.escape(char)
    return {
        "FOLDS_ALONE": alone,
        "NOT_FOLDS_ALONE": re.compile("[^\\x00-\\x7f" + "".join(f"\\u{ord(c):04x}" for c in alone) + "]"),
        "FOLDING_TO": {k: f"[{v}]" for k, v in classes.items()},
    }


if TYPE_CHECKING:
    FOLDS_ALONE: str
    NOT_FOLDS_ALONE: re.Pattern[str]
    FOLDING_TO: dict[str, str]


def __getattr__(name: str) -> Any:
    if name in ("FOLDS_ALONE", "NOT_FOLDS_ALONE", "FOLDING_TO"):
        return _highlight_tables()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
