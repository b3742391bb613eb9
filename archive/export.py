"""Exports for researchers' own tools: articles, their versions and attachments, visitor
statistics and crawl runs as CSV or JSON Lines, streamed row by row from the database cursor
(constant memory on any archive). Each export is one SELECT, so it reads one committed state of
the archive however long it runs and whatever a crawl writes meanwhile.

The column sets are stable (``tables.toml``, shown in docs/schema.md): columns are only ever added
at the end. A column the archive lacks (an archive of an older schema, opened read-only) is exported
empty rather than dropped, so every export of a kind has the same header.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from portals.registry import site_places

from .search import FilterError, Filters, matching
from .store import Archive
from .tables import export_kinds

# Columns holding JSON text: JSON Lines carries them as values, CSV as the text.
JSON_COLUMNS = frozenset({"error_kinds", "warc_files", "seeds", "settings"})
DERIVED = frozenset({"province", "province_before_2025"})  # from the registry, by site
KINDS = tuple(export_kinds())  # articles, visitor-stats, runs, versions, attachments
# Rows that belong to an article (alias ``a``): the filters and the query select the articles;
# these columns come from the article or from the version's record rather than the row's table.
OF_ARTICLE: dict[str, dict[str, str]] = {
    "articles": {},
    "versions": {
        "url": "a.url",
        "site": "a.site",
        "title": "json_extract(t.record, '$.title')",
        "date": "json_extract(t.record, '$.date')",
    },
    "attachments": {"article_url": "a.url", "site": "a.site"},
}


def rows(archive: Archive, kind: str, filters: Filters | None = None, query: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows of one kind, in a stable order (articles and runs by id; versions and attachments by
    article; visitor statistics by site, then time), narrowed by ``filters`` and, for articles
    and what belongs to them, a search ``query``. The query runs here: a bad filter or query
    raises before the first row is asked for."""
    spec = export_kinds()[kind]
    table, columns = spec.table, spec.columns
    order = ", ".join(f"t.{c.strip()}" for c in spec.order.split(","))
    filters = filters or Filters()
    if kind not in OF_ARTICLE and (filters.families or query):
        raise FilterError("--family and a search query apply to articles (their versions and attachments) only")
    # Articles are their own article; versions and attachments are joined to theirs; the
    # filters of the other kinds apply to their own rows.
    joined = kind in OF_ARTICLE and kind != "articles"
    article = "a" if joined else "t"
    source = f"{table} t" + (" JOIN articles a ON a.id = t.article_id" if joined else "")
    where, params = filters.conditions(article, spec.date_column)
    if query:
        subquery, extra = matching(query)
        where.append(f"+{article}.id IN ({subquery})")
        params += extra
    present = {c.name for c in archive.db[table].columns}
    taken = OF_ARTICLE.get(kind, {})
    select = ", ".join(
        f"{taken[c]} AS {c}" if c in taken else f"t.{c}" if c in present else f"NULL AS {c}" for c in columns if c not in DERIVED
    )
    cursor = archive.db.execute(f"SELECT {select} FROM {source} WHERE {' AND '.join(where) or '1'} ORDER BY {order}", params)
    return _rows(cursor, columns)


def _rows(cursor: Any, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    places = site_places()
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        place = places.get(row["site"], {})
        yield {c: place.get(c) if c in DERIVED else row[c] for c in columns}


# A spreadsheet reads a cell that begins with one of these as a formula ("=HYPERLINK(…)" in a
# page's title would become a live link, "@SUM(…)" a computation): in CSV, such text cells get
# a leading "'", which spreadsheets show as text and do not display (OWASP's rule).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as the text it is (numbers stay numbers)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value


def write(
    rows: Iterator[dict[str, Any]], kind: str, fmt: str, out: IO[str], *, bom: bool = False, raw_cells: bool = False
) -> int:
    """Write rows of ``kind`` as ``csv`` (a header, then one line per row; ``bom`` first, for
    spreadsheet programs; text cells that a spreadsheet would run as a formula made inert unless
    ``raw_cells``) or ``jsonl`` (values as stored); return the count."""
    columns = export_kinds()[kind].columns
    n = 0
    if fmt == "csv":
        if bom:
            out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        cell = (lambda v: v) if raw_cells else neutral_cell
        for row in rows:
            writer.writerow(["" if row[c] is None else cell(row[c]) for c in columns])
            n += 1
        return n
    for row in rows:
        record = {c: (_json(row[c]) if c in JSON_COLUMNS else row[c]) for c in columns}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        n += 1
    return n


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text
