"""Counters a portal prints: the site-wide visitor widget and an article's own view count."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

from ..folding import alternation, fold, needed_words
from ..text import parse_count
from .dom import Block
from .vocabulary import VIEW_LABELS, VISITOR_HEADINGS, VISITOR_LABELS, VISITOR_PART_LABELS, WEAK_VISITOR_LABELS

_NUMBER = r"(\d{1,3}(?:[.,]\d{3})+|\d+)(?![\d/:]|[.,\-]\d)"


# Labels → keys; the labels of rows that count a part of another row ("Thành viên online") map to
# None: matched, so that their "online" is not read, and dropped.
_VISITOR_KEY: dict[str, str | None] = {fold(label): key for label, key in VISITOR_LABELS.items()}
_VISITOR_KEY |= {fold(label): None for label in VISITOR_PART_LABELS}
# A label may touch its number ("Lượt truy cập15.996.402": two spans without a space).
_VISITOR = re.compile(
    rf"(?<!\w)({alternation([*VISITOR_LABELS, *VISITOR_PART_LABELS])})(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}(?:{_NUMBER}|$)"
)
# Joomla's "Who's online": "Hiện có 15 khách trực tuyến", "Hiện có 5 khách và 2 thành viên trực
# tuyến" (the numbers inside the phrase; mod_whosonline: "We have" %s guests "and" %s members "online").
_GUESTS_ONLINE = re.compile(
    rf"(?<!\w)(?:hien )?co:? {_NUMBER} (?:khach|thanh vien|nguoi)"
    rf"(?: va {_NUMBER} (?:khach|thanh vien))?(?: dang)? (?:truc tuyen|online)"
)
# Labels too common to trust alone ("Tất cả" = all): read only inside a widget found otherwise;
# "Tất cả" and "Tổng" anywhere on a short line, the others ("Ngày: 215", "All 98765") as a whole row.
_WEAK = re.compile(rf"(?<!\w)(tat ca|tong)(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}(?:{_NUMBER}|$)")
_WEAK_ROW = re.compile(rf"^({alternation(WEAK_VISITOR_LABELS)})(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}(?:{_NUMBER})?$")
_WEAK_KEY = {fold(label): f"{key}?" for label, key in WEAK_VISITOR_LABELS.items()}
_HEADING = re.compile(rf"^(?:{alternation(VISITOR_HEADINGS)})(?!\w)")
_HEADING_STARTS = tuple(fold(label) for label in VISITOR_HEADINGS)  # what _HEADING's matches start with
_BARE_NUMBER = re.compile(rf"^{_NUMBER}$")
_VIEWS_LABEL_FIRST = re.compile(rf"(?<!\w)(?:{alternation(VIEW_LABELS)})(?![^\W\d])\s{{0,3}}[:.]?\s{{0,3}}{_NUMBER}")
_VIEWS_NUMBER_FIRST = re.compile(r"(?<![\d:.,])(\d{1,3}(?:[.,]\d{3})+|\d+)\s{0,2}(?:luot xem|luot doc)(?!\w)")
# Words one of which each pattern needs, looked for before the pattern's (slower) search.
_VIEW_WORDS = needed_words([*VIEW_LABELS, "luot xem", "luot doc"])
# (A few short needles, not every label: one substring test costs as much as a label's.)
_VISITOR_WORDS = (
    "truy cap",
    "hom ",
    "thang",
    "tuan",
    "nam",
    "ngay",
    "online",
    "truc tuyen",
    "tong cong",
    "day",
    "week",
    "month",
    "visitors",
)
assert all(any(w in fold(label) for w in _VISITOR_WORDS) for label in VISITOR_LABELS), "a label no needle finds"
_WEAK_WORDS = ("tat ca", "tong")
_WEAK_ROW_STARTS = tuple(sorted({fold(label) for label in WEAK_VISITOR_LABELS}))
_CLUSTER_SPAN = 12  # blocks: a widget's rows stand close together


def visitor_stats(blocks: Sequence[Block], skip: range = range(0)) -> tuple[dict[str, int] | None, set[int]]:
    """The site-wide visitor widget, read outside the ``skip`` range (the article body).

    Returns the counters (None without a widget) and the indexes of the blocks they came from.
    Keys ending in "?" are weak labels' ("Tất cả", "Ngày"), kept only inside a widget.
    """
    pairs: list[tuple[int, str, int]] = []
    headings: list[int] = []
    labels_alone: list[tuple[int, str | None]] = []  # a label whose number stands in another block
    short = [i for i, block in enumerate(blocks) if len(block.folded) <= 80 and i not in skip]
    with_words = _holding([blocks[i].folded for i in short], _VISITOR_WORDS)
    with_weak_words = _holding([blocks[i].folded for i in short], _WEAK_WORDS)
    for k, i in enumerate(short):  # widget rows are short; "Trong năm 2023, …" is a sentence
        block = blocks[i]
        folded = block.folded
        if folded.startswith(_HEADING_STARTS) and _HEADING.match(folded):  # (a test in C first)
            headings.append(i)
        if "co " in folded and (m := _GUESTS_ONLINE.search(folded)):
            pairs.append((i, "online", (parse_count(m.group(1)) or 0) + (parse_count(m.group(2) or "0") or 0)))
        matches: list[tuple[str | None, re.Match[str]]] = []
        if k in with_words:
            matches += [(_VISITOR_KEY[m.group(1)], m) for m in _VISITOR.finditer(folded)]
        if k in with_weak_words:
            matches += [("total?", m) for m in _WEAK.finditer(folded)]
        elif folded.startswith(_WEAK_ROW_STARTS) and block.link_ratio <= 0.5 and (m := _WEAK_ROW.match(folded)):
            matches.append((_WEAK_KEY[m.group(1)], m))
        for key, m in matches:
            if m.group(2) is None:  # label and number in separate cells
                labels_alone.append((i, key))
            elif key is not None and (value := parse_count(m.group(2))) is not None:
                pairs.append((i, key, value))
    if labels_alone:
        pairs += _separate_numbers(blocks, labels_alone)
        pairs.sort(key=lambda p: p[0])  # (stable: a line's counters keep their order)
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
        main = [p for p in pairs if p[1] in ("total", "online")] or _period_rows_with_total(pairs)
        if not main:
            return None, set()
        lo, hi = main[0][0] - _CLUSTER_SPAN, main[0][0] + _CLUSTER_SPAN
    stats: dict[str, int] = {}
    used: set[int] = set()
    for i, key, value in pairs:
        if lo <= i <= hi and key not in stats and not key.endswith("?"):
            stats[key] = value
            used.update((i, i + 1))
    if anchors or stats:  # weak labels inside a widget: "Tất cả" its total, "Ngày" its today
        for i, key, value in pairs:
            if lo <= i <= hi and key.endswith("?") and key[:-1] not in stats:
                stats[key[:-1]] = value
                used.update((i, i + 1))
    if not ({"total", "online"} & stats.keys()):
        return None, set()
    return stats, used


def _holding(texts: list[str], words: tuple[str, ...]) -> set[int]:
    """The indexes of the texts (none holding a line feed) that hold one of the words: each word
    looked for in the texts joined, not text by text (a third of the time for a page's lines)."""
    lined = "\n".join(texts)
    starts = list(accumulate((len(text) + 1 for text in texts), initial=0))  # where each begins
    found: set[int] = set()
    for word in words:
        at = lined.find(word)
        while at >= 0:
            k = bisect_right(starts, at) - 1
            found.add(k)
            at = lined.find(word, starts[k + 1]) if k + 1 < len(texts) else -1  # (on from the next text)
    return found


def _separate_numbers(blocks: Sequence[Block], labels: list[tuple[int, str | None]]) -> list[tuple[int, str, int]]:
    """Counters whose labels and numbers stand in blocks of their own: a label and the number in
    the next block ("<td>Hôm nay</td><td>312</td>"), or a column of labels beside a column of
    numbers (Vinaora's vstats_title / vstats_number, a header row over a row of numbers), paired
    in order."""
    out: list[tuple[int, str, int]] = []
    runs: list[list[tuple[int, str | None]]] = []
    for i, key in labels:
        if runs and runs[-1][-1][0] == i - 1:
            runs[-1].append((i, key))
        elif not runs or runs[-1][-1][0] != i:  # (one label alone per block)
            runs.append([(i, key)])
    for run in runs:
        first = run[-1][0] + 1
        numbers = []
        for j in range(first, min(len(blocks), first + len(run))):
            if not _BARE_NUMBER.match(blocks[j].folded):
                break
            numbers.append(j)
        if len(run) >= 2 and len(numbers) == len(run):
            paired = list(zip(run, numbers, strict=True))
        else:  # each label with the block after it
            paired = [((i, key), i + 1) for i, key in run if i + 1 < len(blocks) and _BARE_NUMBER.match(blocks[i + 1].folded)]
        for (i, key), j in paired:
            if key is not None and (value := parse_count(blocks[j].folded)) is not None:
                out.append((i, key, value))
    return out


def _period_rows_with_total(pairs: list[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    """A widget without a total or online row of a known wording and without a heading: rows of
    two periods or more ("Hôm nay", "Hôm qua") with a weak total row ("Tất cả") among them."""
    for p in pairs:
        near = [q for q in pairs if abs(q[0] - p[0]) <= _CLUSTER_SPAN]
        periods = {q[1] for q in near if not q[1].endswith("?")}
        if len(periods) >= 2 and any(q[1] == "total?" for q in near):
            return [p]
    return []


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
