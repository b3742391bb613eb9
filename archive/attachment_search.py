"""Search in the text of the documents attached to articles (``attachment_pages``).

A query is read and folded as an article search reads it (``archive.search.parse_query``: "cong
van" finds "Công văn"), matched against the index of every page of text (``attachment_pages_fts``)
and answered one hit per document: its best page (or first, newest first), the document's name
(its link text, else its file name), its article, and a snippet of that page with the matches
marked in the original text. The article filters (site, province, family, dates) apply to the
documents' articles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from .search import Filters, parse_query, snippet
from .store import Archive


@dataclass
class AttachmentHit:
    attachment_id: int
    document: str  # the link text, else the file name
    url: str
    page: int
    pages: int | None
    snippet: str
    article_id: int
    article_title: str | None
    article_url: str
    site: str
    date: str | None  # the article's
    score: float | None  # bm25, higher is better; None newest first

    def to_dict(self) -> dict[str, Any]:
        return {
            "attachment_id": self.attachment_id,
            "document": self.document,
            "url": self.url,
            "page": self.page,
            "pages": self.pages,
            "snippet": self.snippet,
            "article_id": self.article_id,
            "article_title": self.article_title,
            "article_url": self.article_url,
            "site": self.site,
            "date": self.date,
            "score": None if self.score is None else round(self.score, 4),
        }


def document_name(url: str, link_text: str | None) -> str:
    """What a reader calls a document: its link text, else its file name."""
    return link_text or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or url


def _has_text(archive: Archive) -> bool:
    """Whether the archive has documents' text (schema 9 on; an older one opened read-only has none)."""
    return "attachment_pages_fts" in archive.db.table_names()


def _matches(filters: Filters) -> tuple[str, list[Any]]:
    """A ``WITH`` clause whose table ``best`` holds (attachment id, page, score, article date and
    id) of the best matching page of each document whose article passes ``filters``."""
    where, params = filters.conditions("a")
    condition = " AND ".join(["attachment_pages_fts MATCH ?", *where])
    pages = (
        "SELECT p.attachment_id, p.page, bm25(attachment_pages_fts) AS score, a.date, a.id AS article_id "
        "FROM attachment_pages_fts JOIN attachment_pages p ON p.id = attachment_pages_fts.rowid "
        "JOIN attachments t ON t.id = p.attachment_id JOIN articles a ON a.id = t.article_id "
        f"WHERE {condition}"
    )
    # Materialized: FTS5 scores only in the query that matches. SQLite gives a bare column the
    # values of the row min() chose: each document's best page.
    best = "SELECT attachment_id, page, min(score) AS score, date, article_id FROM pages GROUP BY attachment_id"
    return f"WITH pages AS MATERIALIZED ({pages}), best AS ({best}) ", params


def search_attachments(
    archive: Archive,
    query: str,
    filters: Filters | None = None,
    *,
    limit: int = 20,
    order: str = "relevance",
    mark: tuple[str, str] = ("<mark>", "</mark>"),
) -> list[AttachmentHit]:
    """Documents whose text matches ``query``, best first or by their articles' dates, newest first."""
    parsed = parse_query(query)
    if not _has_text(archive):
        return []
    with_best, params = _matches(filters or Filters())
    sort = "m.score, m.attachment_id" if order == "relevance" else "m.date DESC, m.article_id DESC, m.score"
    rows = archive.db.execute(
        f"{with_best}SELECT m.attachment_id, m.page, m.score, t.url, t.text, t.pages, pg.text, a.id, a.title, a.url, "
        f"a.site, a.date FROM best m JOIN attachments t ON t.id = m.attachment_id JOIN articles a ON a.id = t.article_id "
        f"JOIN attachment_pages pg ON pg.attachment_id = m.attachment_id AND pg.page = m.page ORDER BY {sort} LIMIT ?",
        [parsed.ranked or parsed.fts, *params, limit],
    ).fetchall()
    return [
        AttachmentHit(
            attachment_id,
            document_name(url, link_text),
            url,
            page,
            pages,
            snippet(text.replace("\n", " "), parsed.terms, mark=mark),
            article_id,
            title,
            article_url,
            site,
            date,
            -score if order == "relevance" else None,
        )
        for attachment_id, page, score, url, link_text, pages, text, article_id, title, article_url, site, date in rows
    ]


def count_attachments(archive: Archive, query: str, filters: Filters | None = None) -> int:
    """How many documents match ``query`` (for "20 of 1,234")."""
    parsed = parse_query(query)
    if not _has_text(archive):
        return 0
    with_best, params = _matches(filters or Filters())
    return int(archive.db.execute(f"{with_best}SELECT count(*) FROM best", [parsed.fts, *params]).fetchone()[0])
