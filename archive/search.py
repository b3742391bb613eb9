"""Full-text search over the archive, insensitive to diacritics (đ included), and the filters
that search, export and the report share.

A query is read as a researcher types it — words, "phrases", AND / OR / NOT, prefix* terms,
parentheses — folded the same way as the indexed text (``portals.folding``), and
rewritten as an FTS5 query in which every term is quoted, so no input can inject FTS5 syntax.
Snippets are cut from the original text: folding keeps offsets, so a match found in the folded
copy highlights the same characters with their diacritics.

Provinces are resolved against the portal registry (``portals/registry.csv``) in Python, not
against the archive's ``sites`` table: the registry is the one current list of names (the 2025
mergers renamed most provinces), and an archive opened read-only, copied from elsewhere or
written by a bare ``scrapy crawl`` may hold an older copy of it, or none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from portals.folding import FOLDING_TO, NOT_FOLDS_ALONE, fold
from portals.registry import UnknownProvince, sites_in_provinces
from portals.urls import site_id

from .store import Archive

OPERATORS = ("AND", "OR", "NOT")
_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"(?P<pstar>\*)?|(?P<open>\()|(?P<close>\))|(?P<word>[^\s()"]+)')
_WORDCHARS = re.compile(r"\w+", re.UNICODE)


class QueryError(ValueError):
    """A query that cannot be searched; the message says what to change."""


class FilterError(ValueError):
    """A filter that names nothing known (a province not in the registry, a bad date)."""


def _as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True)
class Filters:
    """Which articles (or visitor statistics, or runs) a researcher asked for. Values of one
    filter are alternatives (site A or site B); different filters all apply. ``since`` and
    ``until`` are ISO dates, both inclusive."""

    sites: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    families: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    presence: str | None = None  # articles only: "gone" (marked removed from their portal) or "present"

    @classmethod
    def of(
        cls,
        *,
        site: str | Iterable[str] | None = None,
        province: str | Iterable[str] | None = None,
        family: str | Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> Filters:
        sites = tuple(site_id(s) for s in _as_tuple(site))
        return cls(sites, _as_tuple(province), _as_tuple(family), since, until)

    def conditions(self, alias: str = "a", date_column: str = "date") -> tuple[list[str], list[Any]]:
        """SQL conditions (on table ``alias``) and their parameters. Dates compare as text, which
        the ``(site, date)`` and ``(date)`` indexes serve: ``until`` becomes "before the next day",
        so "2021-06-30T15:40+07:00" counts as dated on or before 2021-06-30."""
        where: list[str] = []
        params: list[Any] = []
        sites = set(self.sites)
        if self.provinces:
            try:
                in_provinces = sites_in_provinces(self.provinces)
            except UnknownProvince as exc:
                raise FilterError(str(exc)) from None
            sites = (sites & in_provinces) if sites else in_provinces
            if not sites:
                return ["0"], []
        if sites:
            where.append(f"{alias}.site IN ({', '.join('?' for _ in sites)})")
            params.extend(sorted(sites))
        if self.families:
            where.append(f"{alias}.family IN ({', '.join('?' for _ in self.families)})")
            params.extend(self.families)
        if self.presence:
            where.append(f"{alias}.gone_since IS {'NOT ' if self.presence == 'gone' else ''}NULL")
        column = f"{alias}.{date_column}"
        if self.since:
            where.append(f"{column} >= ?")
            params.append(_iso_day(self.since))
        if self.until:
            where.append(f"{column} < ?")
            day = date.fromisoformat(_iso_day(self.until))
            # "9999-12-32" sorts after every date of 9999-12-31, the last day a date can be
            params.append("9999-12-32" if day == date.max else (day + timedelta(days=1)).isoformat())
        return where, params


def _iso_day(value: str) -> str:
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise FilterError(f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass
class Hit:
    id: int
    url: str
    site: str
    title: str | None
    date: str | None
    snippet: str
    score: float | None  # bm25, higher is better; None newest first (as a search engine sorting by a field gives)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "date": self.date,
            "snippet": self.snippet,
            "score": None if self.score is None else round(self.score, 4),
        }


@dataclass
class ParsedQuery:
    fts: str  # the FTS5 MATCH expression: which articles match
    terms: list[tuple[str, bool]]  # folded terms and phrases for highlighting, (text, is_prefix)
    ranked: str = ""  # the same matches, words typed side by side scoring more as a phrase


# Parentheses inside one another a query may hold: SQLite's FTS5 parser overflows near 100.
MAX_NESTING = 32


def parse_query(query: str) -> ParsedQuery:
    """Turn what a user typed into a safe FTS5 expression over the folded index.

    >>> parse_query('"Đà Nẵng" OR hue*').fts
    '"da nang" OR "hue"*'
    """
    if query.count('"') % 2:
        raise QueryError('unbalanced quotes: close the phrase with a second "')
    parts: list[str] = []
    kinds: list[str] = []  # per part: word (plain, unquoted) | term | and (implied) | op | paren
    terms: list[tuple[str, bool]] = []
    depth = 0
    previous = "start"  # start | term | op | open | close
    for m in _TOKEN.finditer(query):
        if m.group("open"):
            if previous in ("term", "close"):
                parts.append("AND")
                kinds.append("and")
            parts.append("(")
            kinds.append("paren")
            depth += 1
            if depth > MAX_NESTING:
                raise QueryError(f"more than {MAX_NESTING} parentheses inside one another")
            previous = "open"
            continue
        if m.group("close"):
            if depth == 0:
                raise QueryError("a closing parenthesis has no opening one")
            if previous in ("op", "open"):
                raise QueryError("empty parentheses or an operator before ')'")
            parts.append(")")
            kinds.append("paren")
            depth -= 1
            previous = "close"
            continue
        word = m.group("word")
        if word in OPERATORS:
            if word == "NOT" and previous == "op" and parts[-1] == "AND":  # "a AND NOT b" is FTS5's "a NOT b"
                parts[-1] = "NOT"
                continue
            if previous in ("start", "op", "open"):
                raise QueryError(f"{word} needs a term before it (e.g. 'hue {word} da nang')")
            parts.append(word)
            kinds.append("op")
            previous = "op"
            continue
        if m.group("phrase") is not None:
            tokens = _WORDCHARS.findall(fold(m.group("phrase")))
            prefix = bool(m.group("pstar"))
        else:
            prefix = word.endswith("*")
            tokens = _WORDCHARS.findall(fold(word.rstrip("*")))
        if not tokens:
            continue
        text = " ".join(tokens)
        if previous in ("term", "close"):
            parts.append("AND")
            kinds.append("and")
        parts.append(f'"{text}"' + ("*" if prefix else ""))
        kinds.append("word" if m.group("word") and not prefix else "term")
        terms.append((text, prefix))
        previous = "term"
    if depth:
        raise QueryError("an opening parenthesis is not closed")
    if previous == "op":
        raise QueryError(f"{parts[-1]} needs a term after it")
    if not terms:
        raise QueryError("the query has no words to search for")
    return ParsedQuery(_render(parts, kinds, boost=False), terms, _render(parts, kinds, boost=True))


def _render(parts: list[str], kinds: list[str], *, boost: bool) -> str:
    """The FTS5 expression. Terms side by side (an implied AND) form a run; a run right after
    NOT is excluded as a whole ("hue NOT thong tin" leaves out articles with "thông tin", where
    FTS5 alone would read "(hue NOT thong) AND tin"). With ``boost``, words of a run also score
    as a phrase (see ``_phrase_first``)."""
    out: list[str] = []
    i = 0
    while i < len(parts):
        if kinds[i] not in ("word", "term"):
            out.append(parts[i])
            i += 1
            continue
        j = i
        while j + 2 < len(parts) and kinds[j + 1] == "and" and kinds[j + 2] in ("word", "term"):
            j += 2
        run, run_kinds = parts[i : j + 1 : 2], kinds[i : j + 1 : 2]
        if out and out[-1] == "NOT" and len(run) > 1:
            out.append("(" + " AND ".join(run) + ")")
        elif boost and not (out and out[-1] == "NOT"):
            out.append(_phrase_first(run, run_kinds))
        else:
            out.append(" AND ".join(run))
        i = j + 1
    return " ".join(out)


def _phrase_first(run: list[str], kinds: list[str]) -> str:
    """``da nang`` → ``("da nang" OR "da" AND "nang")``, for ranking: the same articles (the
    phrase implies both words), but those where the words stand together, as in "Đà Nẵng", score
    higher than those with "đã … nâng" far apart. Vietnamese writes a word as syllables separated
    by spaces, so plain words typed side by side are usually one word."""
    pieces: list[str] = []
    words: list[str] = []
    for part, kind in [*zip(run, kinds, strict=True), ("", "end")]:
        if kind == "word":
            words.append(part)
            continue
        if len(words) > 1:
            phrase = '"' + " ".join(w.strip('"') for w in words) + '"'
            pieces.append(f"({phrase} OR {' AND '.join(words)})")
        else:
            pieces += words
        words = []
        if part:
            pieces.append(part)
    return " AND ".join(pieces)


def _term_pattern(text: str, prefix: bool, letter: Callable[[str], str | None] = re.escape) -> str | None:
    """The regex of a folded term (or phrase): its words apart from other words, separated by
    anything but word characters; ``letter`` gives each character's pattern (None: no match)."""
    words: list[str] = []
    for word in text.split():
        letters = [letter(ch) for ch in word]
        if None in letters:
            return None
        words.append("".join(letters))  # type: ignore[arg-type]
    first, *rest = words
    # Not preceded by a word character: checked after the first word, so the regex engine can look
    # for that word's letters (a pattern opening with a lookbehind scans much slower).
    return rf"{first}(?<!\w{first})" + "".join(rf"\W+{t}" for t in rest) + (r"\w*" if prefix else r"(?!\w)")


def _spans(text: str, patterns: Iterable[str | None]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for pattern in patterns:
        if pattern is not None:
            spans.extend((m.start(), m.end()) for m in re.finditer(pattern, text))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # overlapping or separated only by spaces: one highlight
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _highlight_spans(folded: str, terms: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    return _spans(folded, (_term_pattern(text, prefix) for text, prefix in terms))


def snippet(text: str, terms: list[tuple[str, bool]], *, width: int = 160, mark: tuple[str, str] = ("<mark>", "</mark>")) -> str:
    """A window of the original ``text`` around the first match, matches wrapped in ``mark``."""
    if not text:
        return ""
    spans, same_length = _matches(text, terms)
    return _cut(text, same_length, spans, width, mark)


def _matches(text: str, terms: list[tuple[str, bool]]) -> tuple[list[tuple[int, int]], bool]:
    """``_highlight_spans(fold(text), terms)``, and whether the fold kept the length of ``text``.

    Text of ASCII and the characters of ``FOLDS_ALONE`` (Vietnamese text) is not folded: each folded
    letter of the patterns matches the characters that fold to it, and a character is a word
    character, or a space, as its fold is, so the matches and highlights are those of the fold."""
    if NOT_FOLDS_ALONE.search(text) is None:
        return _spans(text, (_term_pattern(term, prefix, FOLDING_TO.get) for term, prefix in terms)), True
    folded = fold(text)
    return _highlight_spans(folded, terms), len(folded) == len(text)


def _window(text: str, first: int, width: int) -> tuple[int, int]:
    """Where the snippet of ``text`` whose first match starts at ``first`` begins and ends."""
    lo = max(0, first - width // 3)
    if lo:
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first else lo
    return lo, min(len(text), lo + width)


def _cut(text: str, same_length: bool, spans: list[tuple[int, int]], width: int, mark: tuple[str, str]) -> str:
    if not same_length:  # not NFC (should not happen for stored text): no highlighting
        return text[:width]
    if not spans:
        return text[:width] + ("…" if len(text) > width else "")
    lo, hi = _window(text, spans[0][0], width)
    out, pos = [], lo
    for start, end in spans:
        if start < lo or end > hi:
            continue
        out.append(text[pos:start] + mark[0] + text[start:end] + mark[1])
        pos = end
    out.append(text[pos:hi])
    return ("…" if lo else "") + "".join(out) + ("…" if hi < len(text) else "")


def search(
    archive: Archive,
    query: str,
    filters: Filters | None = None,
    *,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    order: str = "relevance",
    mark: tuple[str, str] = ("<mark>", "</mark>"),
) -> list[Hit]:
    """Articles matching ``query``, best first (title matches weigh most) or newest first.

    ``filters`` (or, for short, ``site``/``since``/``until``) narrow the articles.
    """
    parsed = parse_query(query)
    filters = filters or Filters.of(site=site, since=since, until=until)
    where, params = filters.conditions("a")
    # The plans (see tools/measure_search.py): the filters are answered from the (site, date) or
    # (date) index into a set of ids that the FTS scan checks ("+" keeps SQLite from turning
    # "rowid IN" into one FTS lookup per id, which is slow for common words); newest first walks
    # the date index and stops at ``limit``. Titles and bodies are read for the hits alone.
    # Newest first there are no scores: bm25 weighs a term by how many articles hold it, which
    # FTS5 counts by reading every match of the query, most of the time of such a search.
    ranked: list[tuple[int, float | None]]
    if order == "date":
        ranked = [(i, None) for i in _newest(archive, parsed, where, params, limit)]
    else:
        subset = f"+rowid IN (SELECT a.id FROM articles a WHERE {' AND '.join(where)})" if where else ""
        ranked = [(i, -score) for i, score in _scores(archive, parsed, subset, params, limit)]
    if not ranked:
        return []
    ids = [r[0] for r in ranked]
    rows = {
        r[0]: r
        for r in archive.db.execute(
            f"SELECT id, url, site, title, date, summary, body FROM articles WHERE id IN ({', '.join('?' for _ in ids)})",
            ids,
        )
    }
    hits = []
    for id_, score in ranked:
        _, url, site_, title, date_, summary, body = rows[id_]
        text = body or summary or title or ""
        spans, same_length = _matches(text, parsed.terms)
        if not spans and title:
            text = title
            spans, same_length = _matches(title, parsed.terms)
        hits.append(Hit(id_, url, site_, title, date_, _cut(text, same_length, spans, 160, mark), score))
    return hits


_MATCHING = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"

# Newest first: how many of the newest articles (that pass the filters) are checked against the
# index at first, and at most in a later, wider window.
_WINDOW = 1_000
_WINDOW_MAX = 20_000


def _newest(archive: Archive, parsed: ParsedQuery, where: list[str], params: list[Any], limit: int) -> list[int]:
    """Ids of the newest ``limit`` matching articles, by (date, id) descending.

    The exact answer is the first ``limit`` matches of a walk of the date index. The plain plan
    (``_newest_all``) first collects the id of every match, reading the whole index. Articles
    are numbered as they are archived, so the newest usually lie in a narrow range of ids: then
    the walk's first ``window`` articles are taken, and the index is asked which of them match,
    reading only the rowid range they span. When ``limit`` of them match, those are the answer;
    otherwise the next, wider window is tried. Where the newest articles' ids spread over more
    than a quarter of the archive (or the windows run out), the plain plan answers."""
    if limit < 0:  # SQLite's LIMIT -1: all of them
        return _newest_all(archive, parsed, where, params, limit)
    if limit == 0:
        return []
    condition = " AND ".join(where) or "1"
    newest = f"SELECT a.id FROM articles a WHERE {condition} ORDER BY a.date DESC, a.id DESC LIMIT ? OFFSET ?"
    first, last = archive.db.execute("SELECT (SELECT min(id) FROM articles), (SELECT max(id) FROM articles)").fetchone()
    if first is None:
        return []
    found: list[int] = []
    window, offset = max(_WINDOW, 20 * limit), 0
    while window <= _WINDOW_MAX:
        candidates = [r[0] for r in archive.db.execute(newest, [*params, window, offset])]
        if not candidates:
            return found
        low, high = min(candidates), max(candidates)
        if (high - low + 1) * 4 > last - first + 1:  # spread over the archive: the plain plan is as quick
            break
        matched = {
            r[0]
            for r in archive.db.execute(
                "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN ("
                + ", ".join("?" for _ in candidates)
                + ")",
                [parsed.fts, low, high, *candidates],
            )
        }
        found += [i for i in candidates if i in matched]
        if len(found) >= limit or len(candidates) < window:
            return found[:limit]
        # The window that should hold ``limit`` matches, from the share of these that matched.
        offset += window
        window = max(window, offset * limit // max(len(found), 1) * 2 - offset)
    return _newest_all(archive, parsed, where, params, limit)


def _newest_all(archive: Archive, parsed: ParsedQuery, where: list[str], params: list[Any], limit: int) -> list[int]:
    """The plain plan: the ids of all matches, then the date index walked newest first."""
    return [
        r[0]
        for r in archive.db.execute(
            f"SELECT a.id FROM articles a WHERE {' AND '.join([*where, f'+a.id IN ({_MATCHING})'])} "
            "ORDER BY a.date DESC, a.id DESC LIMIT ?",
            [*params, parsed.fts, limit],
        )
    ]


def _scores(
    archive: Archive, parsed: ParsedQuery, condition: str, params: list[Any], limit: int | None = None
) -> list[tuple[int, float]]:
    """(id, bm25) of matching articles, best first; a title hit weighs 10, a summary hit 3."""
    sql = "SELECT rowid, bm25(articles_fts, 10.0, 3.0, 1.0) AS score FROM articles_fts WHERE articles_fts MATCH ?"
    sql += f" AND {condition}" if condition else ""
    sql += " ORDER BY score, rowid DESC" + (" LIMIT ?" if limit is not None else "")
    args = [parsed.ranked or parsed.fts, *params, *([limit] if limit is not None else [])]
    return [(r[0], r[1]) for r in archive.db.execute(sql, args)]


def count(archive: Archive, query: str, filters: Filters | None = None) -> int:
    """How many articles match ``query`` and ``filters`` (for "20 of 1,234")."""
    parsed = parse_query(query)
    where, params = (filters or Filters()).conditions("a")
    if not where:  # the index alone answers
        return int(archive.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [parsed.fts]).fetchone()[0])
    sql = f"SELECT count(*) FROM articles a WHERE {' AND '.join([*where, f'+a.id IN ({_MATCHING})'])}"
    return int(archive.db.execute(sql, [*params, parsed.fts]).fetchone()[0])


def matching(query: str) -> tuple[str, list[Any]]:
    """A subquery of the ids of articles matching ``query`` (for exports), and its parameters."""
    return _MATCHING, [parse_query(query).fts]
