"""Exports for researchers' own tools: articles, visitor statistics and crawl runs as CSV or
JSON Lines, streamed row by row from the database cursor (constant memory on any archive).

The column sets are stable and documented in docs/schema.md: columns are only ever added at the
end. A column the archive lacks (an archive of an older schema, opened read-only) is exported
empty rather than dropped, so every export of a kind has the same header.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import IO, Any

from .search import FilterError, Filters, matching, site_places
from .store import Archive

ARTICLE_COLUMNS = (
    "id", "url", "site", "province", "province_before_2025", "family", "title", "date", "updated", "summary", "body",
    "source_text", "source_publisher", "source_author", "views", "versions", "first_seen", "last_seen", "last_changed",
    "content_hash",
)  # fmt: skip
VISITOR_COLUMNS = (
    "id", "site", "province", "observed_at", "crawl_run_id", "url", "total", "online", "today", "yesterday",
    "this_week", "last_week", "this_month", "last_month", "this_year",
)  # fmt: skip
RUN_COLUMNS = (
    "id", "site", "mode", "status", "started_at", "finished_at", "pages", "requests", "articles_new",
    "articles_changed", "articles_unchanged", "attachments", "errors", "error_kinds", "bytes", "warc_files",
    "limit_reached", "degraded", "resumed_from", "seeds", "settings", "software",
)  # fmt: skip
# Columns holding JSON text: JSON Lines carries them as values, CSV as the text.
JSON_COLUMNS = frozenset({"error_kinds", "warc_files", "seeds", "settings"})
# kind → (table, alias, columns, date column for --since/--until, order)
KINDS: dict[str, tuple[str, str, tuple[str, ...], str, str]] = {
    "articles": ("articles", "a", ARTICLE_COLUMNS, "date", "a.id"),
    "visitor-stats": ("visitor_stats", "v", VISITOR_COLUMNS, "observed_at", "v.site, v.observed_at, v.id"),
    "runs": ("crawl_runs", "r", RUN_COLUMNS, "started_at", "r.id"),
}
DERIVED = frozenset({"province", "province_before_2025"})  # from the registry, by site


def rows(archive: Archive, kind: str, filters: Filters | None = None, query: str | None = None) -> Iterator[dict[str, Any]]:
    """Rows of one kind, in a stable order (articles and runs by id; visitor statistics by site,
    then time), narrowed by ``filters`` and, for articles, a search ``query``."""
    table, alias, columns, date_column, order = KINDS[kind]
    filters = filters or Filters()
    if kind != "articles" and (filters.families or query):
        raise FilterError("--family and a search query apply to articles only")
    where, params = filters.conditions(alias, date_column)
    if query:
        subquery, extra = matching(query)
        where.append(f"+{alias}.id IN ({subquery})")
        params += extra
    present = {c.name for c in archive.db[table].columns}
    select = ", ".join(f"{alias}.{c}" if c in present else f"NULL AS {c}" for c in columns if c not in DERIVED)
    places = site_places()
    cursor = archive.db.execute(
        f"SELECT {select} FROM {table} {alias} WHERE {' AND '.join(where) or '1'} ORDER BY {order}", params
    )
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        place = places.get(row["site"], {})
        yield {c: place.get(c) if c in DERIVED else row[c] for c in columns}


def write(rows: Iterator[dict[str, Any]], columns: tuple[str, ...], fmt: str, out: IO[str]) -> int:
    """Write rows as ``csv`` (a header, then one line per row) or ``jsonl``; return the count."""
    n = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row[c] is None else row[c] for c in columns])
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
