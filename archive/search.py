"""Full-text search over the archive, insensitive to diacritics (đ included).

A query is read as a researcher types it — words, "phrases", AND / OR / NOT, prefix* terms,
parentheses — folded the same way as the indexed text (``crawler.extract.text.fold``), and
rewritten as an FTS5 query in which every term is quoted, so no input can inject FTS5 syntax.
Snippets are cut from the original text: folding keeps offsets, so a match found in the folded
copy highlights the same characters with their diacritics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from crawler.extract.text import fold

from .store import Archive

OPERATORS = ("AND", "OR", "NOT")
_TOKEN = re.compile(r'"(?P<phrase>[^"]*)"(?P<pstar>\*)?|(?P<open>\()|(?P<close>\))|(?P<word>[^\s()"]+)')
_WORDCHARS = re.compile(r"\w+", re.UNICODE)


class QueryError(ValueError):
    """A query that cannot be searched; the message says what to change."""


@dataclass
class Hit:
    id: int
    url: str
    site: str
    title: str | None
    date: str | None
    snippet: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "site": self.site,
            "title": self.title,
            "date": self.date,
            "snippet": self.snippet,
            "score": round(self.score, 4),
        }


@dataclass
class ParsedQuery:
    fts: str  # the FTS5 MATCH expression
    terms: list[tuple[str, bool]]  # folded terms and phrases for highlighting, (text, is_prefix)


def parse_query(query: str) -> ParsedQuery:
    """Turn what a user typed into a safe FTS5 expression over the folded index.

    >>> parse_query('"Đà Nẵng" OR hue*').fts
    '"da nang" OR "hue"*'
    """
    if query.count('"') % 2:
        raise QueryError('unbalanced quotes: close the phrase with a second "')
    parts: list[str] = []
    terms: list[tuple[str, bool]] = []
    depth = 0
    previous = "start"  # start | term | op | open | close
    for m in _TOKEN.finditer(query):
        if m.group("open"):
            if previous in ("term", "close"):
                parts.append("AND")
            parts.append("(")
            depth += 1
            previous = "open"
            continue
        if m.group("close"):
            if depth == 0:
                raise QueryError("a closing parenthesis has no opening one")
            if previous in ("op", "open"):
                raise QueryError("empty parentheses or an operator before ')'")
            parts.append(")")
            depth -= 1
            previous = "close"
            continue
        word = m.group("word")
        if word in OPERATORS:
            if previous in ("start", "op", "open"):
                raise QueryError(f"{word} needs a term before it (e.g. 'hue {word} da nang')")
            parts.append(word)
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
        parts.append(f'"{text}"' + ("*" if prefix else ""))
        terms.append((text, prefix))
        previous = "term"
    if depth:
        raise QueryError("an opening parenthesis is not closed")
    if previous == "op":
        raise QueryError(f"{parts[-1]} needs a term after it")
    if not terms:
        raise QueryError("the query has no words to search for")
    return ParsedQuery(" ".join(parts), terms)


def _highlight_spans(folded: str, terms: list[tuple[str, bool]]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for text, prefix in terms:
        pattern = r"(?<!\w)" + r"\W+".join(re.escape(t) for t in text.split()) + (r"\w*" if prefix else r"(?!\w)")
        spans.extend((m.start(), m.end()) for m in re.finditer(pattern, folded))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # overlapping or separated only by spaces: one highlight
        if merged and (start <= merged[-1][1] or not folded[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: list[tuple[str, bool]], *, width: int = 160, mark: tuple[str, str] = ("<mark>", "</mark>")) -> str:
    """A window of the original ``text`` around the first match, matches wrapped in ``mark``."""
    if not text:
        return ""
    folded = fold(text)
    if len(folded) != len(text):  # not NFC (should not happen for stored text): no highlighting
        return text[:width]
    spans = _highlight_spans(folded, terms)
    if not spans:
        return text[:width] + ("…" if len(text) > width else "")
    first = spans[0][0]
    lo = max(0, first - width // 3)
    if lo:
        space = text.find(" ", lo)
        lo = space + 1 if 0 <= space < first else lo
    hi = min(len(text), lo + width)
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
    *,
    site: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    order: str = "relevance",
    mark: tuple[str, str] = ("<mark>", "</mark>"),
) -> list[Hit]:
    """Articles matching ``query``, best first (title matches weigh most) or newest first."""
    parsed = parse_query(query)
    where = ["articles_fts MATCH ?"]
    params: list[Any] = [parsed.fts]
    if site:
        where.append("a.site = ?")
        params.append(site.lower().removeprefix("www."))
    if since:
        where.append("a.date >= ?")
        params.append(since)
    if until:
        where.append("substr(a.date, 1, 10) <= ?")
        params.append(until)
    order_by = "a.date DESC, a.id DESC" if order == "date" else "score, a.date DESC"
    sql = (
        "SELECT a.id, a.url, a.site, a.title, a.date, a.summary, a.body, "
        "bm25(articles_fts, 10.0, 3.0, 1.0) AS score "
        "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        f"WHERE {' AND '.join(where)} ORDER BY {order_by} LIMIT ?"
    )
    params.append(limit)
    hits = []
    for row in archive.db.execute(sql, params).fetchall():
        id_, url, site_, title, date, summary, body, score = row
        text = body or summary or title or ""
        if not _highlight_spans(fold(text), parsed.terms) and title:
            text = title
        hits.append(Hit(id_, url, site_, title, date, snippet(text, parsed.terms, mark=mark), -score))
    return hits
