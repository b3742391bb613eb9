"""Counters a portal prints: the site-wide visitor widget and an article's own view count."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ..folding import alternation, fold, needed_words
from ..text import parse_count
from .dom import Block
from .vocabulary import VIEW_LABELS, VISITOR_HEADINGS, VISITOR_LABELS

_NUMBER = r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?![\d/:]|[.,\-]\d)"


_VISITOR_KEY = {fold(label): key for label, key in VISITOR_LABELS.items()}
# A label may touch its number ("Lượt truy cập15.996.402": two spans without a space).
_VISITOR = re.compile(rf"(?<!\w)({alternation(VISITOR_LABELS)})(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}(?:{_NUMBER}|$)")
# Joomla's "Who's online": "Hiện có 15 khách trực tuyến" (the number inside the phrase).
_GUESTS_ONLINE = re.compile(rf"(?<!\w)(?:hien )?co {_NUMBER} (?:khach|thanh vien|nguoi)(?: dang)? (?:truc tuyen|online)")
# Labels too common to trust alone ("Tất cả" = all): read only inside a widget found otherwise.
_WEAK = re.compile(rf"(?<!\w)(tat ca|tong)(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}(?:{_NUMBER}|$)")
_HEADING = re.compile(rf"^(?:{alternation(VISITOR_HEADINGS)})(?!\w)")
_BARE_NUMBER = re.compile(rf"^{_NUMBER}$")
_VIEWS_LABEL_FIRST = re.compile(rf"(?<!\w)(?:{alternation(VIEW_LABELS)})(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}{_NUMBER}")
_VIEWS_NUMBER_FIRST = re.compile(r"(?<![\d:.,])(\d{1,3}(?:[.,]\d{3})+|\d+)\s{0,2}(?:luot xem|luot doc)(?!\w)")
# Words one of which each pattern needs, looked for before the pattern's (slower) search.
_VIEW_WORDS = needed_words([*VIEW_LABELS, "luot xem", "luot doc"])
_VISITOR_WORDS = needed_words(VISITOR_LABELS)
_WEAK_WORDS = ("tat ca", "tong")
_CLUSTER_SPAN = 12  # blocks: a widget's rows stand close together


def visitor_stats(blocks: Sequence[Block], skip: range = range(0)) -> tuple[dict[str, int] | None, set[int]]:
    """The site-wide visitor widget, read outside the ``skip`` range (the article body).

    Returns the counters (None without a widget) and the indexes of the blocks they came from.
    """
    pairs: list[tuple[int, str, int]] = []
    headings: list[int] = []
    for i, block in enumerate(blocks):
        if i in skip or len(block.folded) > 80:  # widget rows are short; "Trong năm 2023, …" is a sentence
            continue
        if _HEADING.match(block.folded):
            headings.append(i)
        folded = block.folded
        if "co " in folded and (m := _GUESTS_ONLINE.search(folded)):
            pairs.append((i, "online", parse_count(m.group(1)) or 0))
        matches = []
        if any(map(folded.__contains__, _VISITOR_WORDS)):
            matches += [(_VISITOR_KEY[m.group(1)], m) for m in _VISITOR.finditer(folded)]
        if any(map(folded.__contains__, _WEAK_WORDS)):
            matches += [("total?", m) for m in _WEAK.finditer(folded)]
        for key, m in matches:
            number = m.group(2)
            if number is None:  # label and number in separate cells
                nxt = blocks[i + 1].folded if i + 1 < len(blocks) else ""
                if not _BARE_NUMBER.match(nxt):
                    continue
                number = nxt
            value = parse_count(number)
            if value is not None:
                pairs.append((i, key, value))
    if not pairs:
        return None, set()

    # The widget is the heading whose rows hold the most total/online counters ("Thống kê truy
    # cập" over its rows, not a menu's "THỐNG KÊ" that happens to stand a few lines above text).
    def strength(i: int) -> tuple[int, int]:
        rows = [p for p in pairs if i <= p[0] <= i + 2 * _CLUSTER_SPAN]
        return sum(p[1] in ("total", "online") for p in rows), len(rows)

    anchors = [i for i in headings if strength(i)[1]]
    if anchors:
        best = max(anchors, key=lambda i: (strength(i), -i))
        lo, hi = best, best + 2 * _CLUSTER_SPAN
    else:
        main = [p for p in pairs if p[1] in ("total", "online")]
        if not main:
            return None, set()
        lo, hi = main[0][0] - _CLUSTER_SPAN, main[0][0] + _CLUSTER_SPAN
    stats: dict[str, int] = {}
    used: set[int] = set()
    for i, key, value in pairs:
        if lo <= i <= hi and key not in stats and key != "total?":
            stats[key] = value
            used.update((i, i + 1))
    weak = [(i, v) for i, k, v in pairs if k == "total?" and lo <= i <= hi]
    if weak and "total" not in stats and (anchors or stats):  # "Tất cả" inside a widget: its total
        stats["total"] = weak[0][1]
        used.update((weak[0][0], weak[0][0] + 1))
    if not ({"total", "online"} & stats.keys()):
        return None, set()
    return stats, used


def _views_match(folded: str) -> re.Match[str] | None:
    """ "Lượt xem: 1.204" first; "1.204 lượt xem" only without it (in "14:20 Lượt xem: 845" the
    20 is a clock's minutes, not a count)."""
    if not any(map(folded.__contains__, _VIEW_WORDS)):
        return None
    return _VIEWS_LABEL_FIRST.search(folded) or _VIEWS_NUMBER_FIRST.search(folded)


def view_count(blocks: Sequence[Block], region: Iterable[int]) -> tuple[int | None, int | None]:
    """The article's own view count ("Lượt xem: 1.204") in ``region``: (count, block index)."""
    for i in region:
        if 0 <= i < len(blocks) and len(blocks[i].folded) <= 200:
            m = _views_match(blocks[i].folded)
            if m:
                return parse_count(m.group(1)), i
    return None, None


def is_counter_line(block: Block) -> bool:
    """A line that is only a counter ("Lượt xem: 120", "Đã xem 45 lần")."""
    m = _views_match(block.folded)
    return m is not None and len(block.folded) - (m.end() - m.start()) <= 12
