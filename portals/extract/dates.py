"""Dates as Vietnamese portals print them, to ISO 8601 in Vietnam's time zone (+07:00).

Day-first always: "27/08/2020", "17/1/2018", "11 - 11 - 2023", "ngày 27 tháng 8 năm 2020";
an optional clock before or after the date ("4:19:27 CH", "6:11:13 , 17/1/2018",
"Thanh Long 22:07 23/01/2026", "01:49:17 PM"); labels and weekdays from the vocabulary.
A date without a year ("Sáng ngày 07/4") is never a date here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as _date

from ..folding import alternation, fold
from .vocabulary import AFTERNOON, MORNING, PUBLISHED_LABELS, UPDATED_LABELS, WEEKDAYS

TZ = "+07:00"

# All patterns run on folded text (lower-case, no diacritics), which has the original's length.
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})\s{0,2}([/.-])\s{0,2}(\d{1,2})\s{0,2}\2\s{0,2}(\d{4})(?![\d/])")
# "ngày 27 tháng 8 năm 2020", and Joomla's "Thứ năm, 09 Tháng 10 2014".
_WORDS = re.compile(r"(?<!\d)(\d{1,2})\s{1,3}thang\s{1,3}(\d{1,2})\s{1,3}(?:nam\s{1,3})?(\d{4})(?!\d)")
# Two-digit years ("04/01/24", Liferay's short format) only on a line that has no full date.
_SHORT_YEAR = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{2})(?![\d/])")
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2}))?)?")
_CLOCK = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s{0,2}(sa|ch|am|pm)\b)?(?![\d:])")
# What every date pattern needs: "thang" (in words), else numbers parted by two separators.
_SEPARATED = re.compile(r"\d\s{0,2}[/.-]\s{0,2}\d{1,2}\s{0,2}[/.-]")
_AMPM = {m.lower(): "am" for m in MORNING} | {m.lower(): "pm" for m in AFTERNOON}

# What may stand between a clock and its date ("14:30 27/08/2020", "6:11:13 , 17/1/2018").
_BETWEEN = re.compile(r"\s{0,3}(?:[,|\-–]\s{0,3})?(?:(?:luc|ngay)\s{1,2})?")


_WEEKDAY = rf"(?:(?:{alternation(WEEKDAYS)})\s{{0,2}}[,\-–]?\s{{0,2}})?"
_LABEL = re.compile(rf"(?<!\w)(?P<pub>{alternation(PUBLISHED_LABELS)})|(?<!\w)(?P<upd>{alternation(UPDATED_LABELS)})")
# What may stand between a label and its date: ":", a weekday, "lúc", a clock, a name (bylines).
_AFTER_LABEL = re.compile(rf"\s{{0,3}}[:.]?\s{{0,3}}{_WEEKDAY}(?:luc\s{{1,2}}|ngay\s{{1,2}})?")


@dataclass(frozen=True, slots=True)
class FoundDate:
    """A date found in a run of text: where, its ISO value, and the label before it."""

    start: int
    end: int
    iso: str
    label: str | None = None  # "published", "updated" or None


def _valid(year: int, month: int, day: int) -> bool:
    if not 1990 <= year <= 2100:
        return False
    try:
        _date(year, month, day)
    except ValueError:
        return False
    return True


def _clock(match: re.Match[str]) -> str | None:
    hour, minute = int(match.group(1)), int(match.group(2))
    second = match.group(3)
    meridiem = _AMPM.get(match.group(4) or "")
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59 or (second is not None and int(second) > 59):
        return None
    return f"{hour:02d}:{minute:02d}" + (f":{int(second):02d}" if second is not None else "")


def find_dates(text: str, folded: str | None = None) -> list[FoundDate]:
    """Every full date in ``text`` (a cleaned run of page text), with its clock if one is beside it;
    ``folded``: ``fold(text)`` when already at hand."""
    if folded is None:
        folded = fold(text)
    if "thang" not in folded and not _SEPARATED.search(folded):
        return []
    found: list[FoundDate] = []
    for pattern in (_NUMERIC, _WORDS):
        for m in pattern.finditer(folded):
            if pattern is _NUMERIC:
                day, month, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            else:
                day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if _valid(year, month, day):
                found.append(_with_clock(folded, m.start(), m.end(), f"{year:04d}-{month:02d}-{day:02d}"))
    if not found:
        for m in _SHORT_YEAR.finditer(folded):
            day, month, year = int(m.group(1)), int(m.group(3)), 2000 + int(m.group(4))
            if year <= _date.today().year + 1 and _valid(year, month, day):
                found.append(_with_clock(folded, m.start(), m.end(), f"{year:04d}-{month:02d}-{day:02d}"))
    if not found:
        for m in _ISO.finditer(folded):
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if _valid(year, month, day):
                iso = f"{year:04d}-{month:02d}-{day:02d}"
                if m.group(4):
                    iso += f"T{m.group(4)}:{m.group(5)}" + (f":{m.group(6)}" if m.group(6) else "") + TZ
                found.append(FoundDate(m.start(), m.end(), iso))
    found.sort(key=lambda d: d.start)
    return [_labelled(folded, d) for d in found]


def _with_clock(folded: str, start: int, end: int, day: str) -> FoundDate:
    gap = _BETWEEN.match(folded, end)
    after = _CLOCK.match(folded, gap.end()) if gap else None
    if after and (clock := _clock(after)):
        return FoundDate(start, after.end(), f"{day}T{clock}{TZ}")
    for before in _CLOCK.finditer(folded, max(0, start - 24), start):
        if _BETWEEN.fullmatch(folded, before.end(), start) and (clock := _clock(before)):
            return FoundDate(before.start(), end, f"{day}T{clock}{TZ}")
    return FoundDate(start, end, day)


def _labelled(folded: str, found: FoundDate) -> FoundDate:
    """Attach the label that introduces the date, if one stands right before it."""
    best: str | None = None
    for m in _LABEL.finditer(folded, max(0, found.start - 80), found.start):
        between = folded[m.end() : found.start]
        gap = _AFTER_LABEL.match(between)
        rest = between[gap.end() :] if gap else between
        # A byline may put a name or a clock between label and date ("Đăng bởi X vào lúc").
        if len(rest) <= 40 and not re.search(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", rest):
            best = "published" if m.group("pub") else "updated"
    return FoundDate(found.start, found.end, found.iso, best)


def parse_date(text: str) -> str | None:
    """The first full date of ``text`` as ISO 8601, or None (``"Cập nhật:18/09/2020 4:19:27 CH"``
    → ``"2020-09-18T16:19:27+07:00"``)."""
    dates = find_dates(text)
    return dates[0].iso if dates else None


def before_label(text: str) -> str:
    """The text before the last date label ("Tiêu đề Ngày cập nhật" → "Tiêu đề")."""
    starts = [m.start() for m in _LABEL.finditer(fold(text))]
    return text[: starts[-1]] if starts else text
