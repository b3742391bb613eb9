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

import base64
import binascii
import json
import re
import sqlite3
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


class CursorError(ValueError):
    """A cursor (``after``) that no search printed, or one of a search in the other order."""


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
    # Words of the credit line, its publisher, its author (``source_*``), matched without
    # diacritics as a run of whole words: "nhan dan" is in "Báo Nhân Dân".
    sources: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    changed: bool = False  # only articles with more than one version (changed after publication)
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
        source: str | Iterable[str] | None = None,
        publisher: str | Iterable[str] | None = None,
        author: str | Iterable[str] | None = None,
        changed: bool = False,
    ) -> Filters:
        sites = tuple(site_id(s) for s in _as_tuple(site))
        return cls(
            sites,
            _as_tuple(province),
            _as_tuple(family),
            since,
            until,
            _as_tuple(source),
            _as_tuple(publisher),
            _as_tuple(author),
            changed,
        )

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
        named = (("source_text", self.sources), ("source_publisher", self.publishers), ("source_author", self.authors))
        for column, values in named:
            if values:
                runs = [_word_run(value) for value in values]
                where.append("(" + " OR ".join(f"instr({WORDS_FUNCTION}({alias}.{column}), ?) > 0" for _ in runs) + ")")
                params.extend(runs)
        if self.changed:
            where.append(f"{alias}.versions > 1")
        return where, params


# The SQL function the source, publisher and author filters call (``register_functions``): a
# text's folded words, each between spaces, so a run of whole words is found with ``instr``.
WORDS_FUNCTION = "portal_folded_words"


def _folded_words(text: str | None) -> str:
    return " " + " ".join(_WORDCHARS.findall(fold(text))) + " " if text else ""


def _word_run(value: str) -> str:
    words = _WORDCHARS.findall(fold(value))
    if not words:
        raise FilterError(f"{value!r} has no words to look for")
    return " " + " ".join(words) + " "


def register_functions(conn: sqlite3.Connection) -> None:
    """Give a connection the SQL function ``Filters.conditions`` may call."""
    conn.create_function(WORDS_FUNCTION, 1, _folded_words, deterministic=True)


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
    # The title's bm25 (higher is better) for a hit found in its title by relevance; None otherwise
    # (newest first, or a hit ranked by its date among those the title does not hold).
    score: float | None
    apart: bool = False  # words typed side by side ("da nang") matched only apart ("đã … nâng")
    cursor: str = ""  # ``search(after=…)`` with it gives the hits after this one

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "date": self.date,
            "snippet": self.snippet,
            "score": None if self.score is None else round(self.score, 4),
            "apart": self.apart,
            "cursor": self.cursor,
        }


@dataclass
class ParsedQuery:
    fts: str  # the FTS5 MATCH expression: which articles match
    terms: list[tuple[str, bool]]  # folded terms and phrases for highlighting, (text, is_prefix)
    ranked: str = ""  # the same matches, words typed side by side scoring more as a phrase
    # The matches with words typed side by side standing together ("da nang" as "Đà Nẵng"): a
    # subset of ``fts``, equal to it when no plain words were typed side by side.
    adjacent: str = ""


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
    return ParsedQuery(
        _render(parts, kinds, boost=False), terms, _render(parts, kinds, boost=True), _render(parts, kinds, adjacent=True)
    )


def _render(parts: list[str], kinds: list[str], *, boost: bool = False, adjacent: bool = False) -> str:
    """The FTS5 expression. Terms side by side (an implied AND) form a run; a run right after
    NOT is excluded as a whole ("hue NOT thong tin" leaves out articles with "thông tin", where
    FTS5 alone would read "(hue NOT thong) AND tin"). With ``boost``, words of a run also score
    as a phrase (see ``_phrase_first``); with ``adjacent``, they match only as a phrase (a run
    after NOT stays as it is, so the matches are a subset of the plain expression's)."""
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
        elif adjacent and not (out and out[-1] == "NOT"):
            out.append(_phrase_first(run, run_kinds, alone=True))
        else:
            out.append(" AND ".join(run))
        i = j + 1
    return " ".join(out)


def _phrase_first(run: list[str], kinds: list[str], *, alone: bool = False) -> str:
    """``da nang`` → ``("da nang" OR "da" AND "nang")``, for ranking: the same articles (the
    phrase implies both words), but those where the words stand together, as in "Đà Nẵng", score
    higher than those with "đã … nâng" far apart. Vietnamese writes a word as syllables separated
    by spaces, so plain words typed side by side are usually one word. ``alone``: the phrase only."""
    pieces: list[str] = []
    words: list[str] = []
    for part, kind in [*zip(run, kinds, strict=True), ("", "end")]:
        if kind == "word":
            words.append(part)
            continue
        if len(words) > 1:
            phrase = '"' + " ".join(w.strip('"') for w in words) + '"'
            pieces.append(phrase if alone else f"({phrase} OR {' AND '.join(words)})")
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


def _spans(text: str, patterns: Iterable[str | None], width: int | None = None) -> list[tuple[int, int]]:
    """Where ``patterns`` match ``text``, overlapping and space-separated matches merged. With
    ``width``, only those a snippet of that width around the first match can show (the same
    snippet, without reading the rest of a long text)."""
    compiled = [re.compile(p) for p in patterns if p is not None]
    start, stop = 0, None
    if width is not None:
        firsts = [m.start() for m in (c.search(text) for c in compiled) if m]
        if not firsts:
            return []
        start = min(firsts)
        stop = _window(text, start, width)[1]
    spans: list[tuple[int, int]] = []
    for pattern in compiled:
        for m in pattern.finditer(text, start):
            # Past the snippet, and not joined to it by spaces alone: neither is anything after.
            if stop is not None and m.start() > stop and text[stop : m.start()].strip():
                break
            spans.append((m.start(), m.end()))
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
    spans, same_length = _matches(text, terms, width)
    return _cut(text, same_length, spans, width, mark)


def _matches(text: str, terms: list[tuple[str, bool]], width: int | None = None) -> tuple[list[tuple[int, int]], bool]:
    """``_highlight_spans(fold(text), terms)``, and whether the fold kept the length of ``text``;
    with ``width``, the spans a snippet of that width shows (see ``_spans``).

    Text of ASCII and the characters of ``FOLDS_ALONE`` (Vietnamese text) is not folded: each folded
    letter of the patterns matches the characters that fold to it, and a character is a word
    character, or a space, as its fold is, so the matches and highlights are those of the fold."""
    if NOT_FOLDS_ALONE.search(text) is None:
        return _spans(text, (_term_pattern(term, prefix, FOLDING_TO.get) for term, prefix in terms), width), True
    folded = fold(text)
    return _spans(folded, (_term_pattern(term, prefix) for term, prefix in terms), width), len(folded) == len(text)


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
    offset: int = 0,
    after: str | None = None,
) -> list[Hit]:
    """Articles matching ``query``, best first or newest first (``order="date"``).

    Best first is three tiers: articles whose title holds the query, by the title's bm25, then
    the last archived first; then those holding it elsewhere; then those where words typed side
    by side ("da nang") stand only apart ("đã … nâng"), marked ``apart``: each of these two tiers
    newest first. A title holds words typed side by side when they stand together, as Vietnamese
    writes a word (syllables separated by spaces).

    ``filters`` (or, for short, ``site``/``since``/``until``) narrow the articles. ``offset``
    skips that many hits; ``after``, the ``cursor`` of a hit, gives the hits after it (the next
    page stays the next page when the archive grows meanwhile, where an offset would repeat or
    skip hits).
    """
    parsed = parse_query(query)
    filters = filters or Filters.of(site=site, since=since, until=until)
    register_functions(archive.db.conn)
    where, params = filters.conditions("a")
    position = _position(after, order) if after else None
    need = limit + offset if limit >= 0 else -1
    ranked: list[tuple[int, float | None, int]]  # (id, title bm25 or None, tier; -1 newest first)
    if order == "date":
        more, more_params = _before(position)
        ranked = [(i, None, -1) for i in _newest(archive, parsed.fts, [*where, *more], [*params, *more_params], need)]
    else:
        ranked = _best(archive, parsed, where, params, need, position)
    ranked = ranked[offset:] if offset > 0 else ranked
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
    together = _matching_ids(archive, parsed.adjacent, ids) if order == "date" and parsed.adjacent != parsed.fts else None
    hits = []
    for id_, score, tier in ranked:
        _, url, site_, title, date_, summary, body = rows[id_]
        text = body or summary or title or ""
        spans, same_length = _matches(text, parsed.terms, SNIPPET_WIDTH)
        if not spans and title:
            text = title
            spans, same_length = _matches(title, parsed.terms, SNIPPET_WIDTH)
        apart = tier == 2 or (together is not None and id_ not in together)
        key = ["d", date_, id_] if order == "date" else ["r", tier, score, date_, id_]
        cursor = base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")
        hits.append(Hit(id_, url, site_, title, date_, _cut(text, same_length, spans, SNIPPET_WIDTH, mark), score, apart, cursor))
    return hits


SNIPPET_WIDTH = 160

# Where a cursor points: (tier, title bm25, date, id) by relevance, (-1, None, date, id) by date.
_Position = tuple[int, float | None, str | None, int]


def _position(cursor: str, order: str) -> _Position:
    """The hit a cursor names, checked: CursorError for one no search printed, or one of the
    other order (its hits follow another sequence)."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        key = None
    kind = "r" if order != "date" else "d"
    if isinstance(key, list) and key and key[0] in ("r", "d") and key[0] != kind:
        raise CursorError(f"this cursor continues a search sorted by {'relevance' if key[0] == 'r' else 'date'}")
    shape = [str, int, (float, type(None)), (str, type(None)), int] if kind == "r" else [str, (str, type(None)), int]
    if not (isinstance(key, list) and len(key) == len(shape) and all(isinstance(v, t) for v, t in zip(key, shape, strict=True))):
        raise CursorError("not a cursor that search printed")
    if kind == "d":
        return -1, None, key[1], key[2]
    if key[1] not in (0, 1, 2) or (key[1] == 0) != (key[2] is not None):
        raise CursorError("not a cursor that search printed")
    return key[1], key[2], key[3], key[4]


def _before(position: _Position | None) -> tuple[list[str], list[Any]]:
    """The condition "after ``position`` newest first" ((date, id) descending, undated last)."""
    if position is None:
        return [], []
    _, _, day, id_ = position
    if day is None:
        return ["(a.date IS NULL AND a.id < ?)"], [id_]
    return ["(a.date < ? OR a.date IS NULL OR (a.date = ? AND a.id < ?))"], [day, day, id_]


def _best(
    archive: Archive, parsed: ParsedQuery, where: list[str], params: list[Any], need: int, position: _Position | None
) -> list[tuple[int, float | None, int]]:
    """The first ``need`` (all if negative) of the three tiers, after ``position``.

    The title tier comes from the index of titles (a fiftieth the size of the full index): all
    of its matches are scored, by bm25. The other two are the full index's matches newest first
    (``_newest``: a window of the date index at a time), which never reads or scores every match
    of a common word: bm25 over every match of the full index took seconds at a million articles."""
    found: list[tuple[int, float | None, int]] = []
    tier = position[0] if position else 0
    if tier == 0:
        titles = _title_matches(archive, parsed, where, params)
        if position:
            # After the cursor's article where it ranks now (bm25 moves as the archive grows), or,
            # when its title no longer holds the query, after its score then.
            _, score, _, id_ = position
            at = next((n for n, r in enumerate(titles) if r[0] == id_), None)
            titles = titles[at + 1 :] if at is not None else [r for r in titles if (r[1], r[0]) < (score, id_)]
        found += [(i, score, 0) for i, score in (titles if need < 0 else titles[:need])]
    tiers = [(1, f"({parsed.adjacent}) NOT {{title}} : ({parsed.adjacent})")]
    if parsed.adjacent != parsed.fts:
        tiers.append((2, f"({parsed.fts}) NOT ({parsed.adjacent})"))
    for number, expression in tiers:
        if (0 <= need <= len(found)) or number < tier:
            continue
        more, more_params = _before(position if number == tier else None)
        left = need - len(found) if need >= 0 else -1
        found += [(i, None, number) for i in _newest(archive, expression, [*where, *more], [*params, *more_params], left)]
    return found


TITLE_INDEX = "articles_title_fts"


def _title_matches(archive: Archive, parsed: ParsedQuery, where: list[str], params: list[Any]) -> list[tuple[int, float]]:
    """(id, bm25) of the articles whose title holds ``parsed.adjacent``, best first, then the
    last archived. An archive of an earlier schema opened read-only has no index of titles: its
    full index answers, restricted to titles (slower, and bm25 counts the words' articles there)."""
    if archive.db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [TITLE_INDEX]).fetchone():
        table, score, expression = TITLE_INDEX, f"bm25({TITLE_INDEX})", parsed.adjacent
    else:
        table, score, expression = "articles_fts", "bm25(articles_fts, 1.0, 0.0, 0.0)", f"{{title}} : ({parsed.adjacent})"
    # With filters, CROSS JOIN: the index first, then each match's row (never the rows first,
    # asking the index about each of them).
    joined = " CROSS JOIN articles a ON a.id = t.rowid" if where else ""
    rows = archive.db.execute(
        f"SELECT t.rowid, -{score} FROM {table} t{joined} WHERE {table} MATCH ?" + "".join(f" AND {w}" for w in where),
        [expression, *params],
    ).fetchall()
    if "NOT" in parsed.adjacent and rows:  # a word the title lacks may stand in the body: ask the full index
        holding = _matching_ids(archive, parsed.adjacent, [r[0] for r in rows])
        rows = [r for r in rows if r[0] in holding]
    rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
    return rows


def _matching_ids(archive: Archive, expression: str, ids: list[int]) -> set[int]:
    """Which of ``ids`` match ``expression`` in the full index: the index read over the range of
    ids they span where it is narrow (hits newest first mostly lie in one), else asked about each
    id (reading a common word's whole list costs more than a seek into it per id)."""
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        if max(chunk) - min(chunk) < _RANGE_PER_ID * len(chunk):
            sql = f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN ({marks})"
            args = [expression, min(chunk), max(chunk), *chunk]
        else:
            sql, args = f"SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? AND rowid IN ({marks})", [expression, *chunk]
        found.update(r[0] for r in archive.db.execute(sql, args))
    return found


# ``_matching_ids`` reads the range of the ids asked about where it spans fewer than this many
# articles per id (a window of the newest), and seeks each id otherwise.
_RANGE_PER_ID = 100


_MATCHING = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"

# Newest first: how many of the newest articles (that pass the filters) are checked against the
# index at first, and at most in a later, wider window.
_WINDOW = 1_000
_WINDOW_MAX = 20_000


def _newest(archive: Archive, fts: str, where: list[str], params: list[Any], limit: int) -> list[int]:
    """Ids of the newest ``limit`` articles matching the FTS5 expression ``fts``, by (date, id)
    descending.

    The exact answer is the first ``limit`` matches of a walk of the date index. The plain plan
    (``_newest_all``) first collects the id of every match, reading the whole index. Articles
    are numbered as they are archived, so the newest usually lie in a narrow range of ids: then
    the walk's first ``window`` articles are taken, and the index is asked which of them match,
    reading only the rowid range they span. When ``limit`` of them match, those are the answer;
    otherwise the next, wider window is tried. Where the newest articles' ids spread over more
    than a quarter of the archive (or the windows run out), the plain plan answers."""
    if limit < 0:  # SQLite's LIMIT -1: all of them
        return _newest_all(archive, fts, where, params, limit)
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
                [fts, low, high, *candidates],
            )
        }
        found += [i for i in candidates if i in matched]
        if len(found) >= limit or len(candidates) < window:
            return found[:limit]
        # The window that should hold ``limit`` matches, from the share of these that matched.
        offset += window
        window = max(window, offset * limit // max(len(found), 1) * 2 - offset)
    return _newest_all(archive, fts, where, params, limit)


def _newest_all(archive: Archive, fts: str, where: list[str], params: list[Any], limit: int) -> list[int]:
    """The plain plan: the ids of all matches, then the date index walked newest first."""
    return [
        r[0]
        for r in archive.db.execute(
            f"SELECT a.id FROM articles a WHERE {' AND '.join([*where, f'+a.id IN ({_MATCHING})'])} "
            "ORDER BY a.date DESC, a.id DESC LIMIT ?",
            [*params, fts, limit],
        )
    ]


def count(archive: Archive, query: str, filters: Filters | None = None) -> int:
    """How many articles match ``query`` and ``filters`` (for "20 of 1,234")."""
    parsed = parse_query(query)
    register_functions(archive.db.conn)
    where, params = (filters or Filters()).conditions("a")
    if not where:  # the index alone answers
        return int(archive.db.execute("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?", [parsed.fts]).fetchone()[0])
    sql = f"SELECT count(*) FROM articles a WHERE {' AND '.join([*where, f'+a.id IN ({_MATCHING})'])}"
    return int(archive.db.execute(sql, [*params, parsed.fts]).fetchone()[0])


def matching(query: str) -> tuple[str, list[Any]]:
    """A subquery of the ids of articles matching ``query`` (for exports), and its parameters."""
    return _MATCHING, [parse_query(query).fts]
