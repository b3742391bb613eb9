"""The archive: one SQLite file (WAL mode) holding every article, its versions, visitor
statistics and crawl runs. Library first; the CLI and the crawler's pipeline call into it.

Writes are batched into single transactions and idempotent: an article is keyed by its
canonical URL, an unchanged article (same content hash) adds no version, a changed one adds a
version and never overwrites the old; visitor statistics are keyed by (crawl run, site).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from crawler.extract.record import VISITOR_KEYS, Record
from crawler.extract.text import fold

from .schema import SchemaError, migrate, now, transaction

SOFTWARE = "portal-archive"


class ArchiveError(RuntimeError):
    """The archive file cannot be opened or used; the message says why."""


@dataclass(frozen=True)
class Capture:
    """How and when a record was fetched, and where its raw response is kept."""

    fetched_at: str
    fetched_url: str
    http_status: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    payload_digest: str | None = None


@dataclass
class WriteResult:
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    def __iadd__(self, other: WriteResult) -> WriteResult:
        self.new += other.new
        self.changed += other.changed
        self.unchanged += other.unchanged
        return self


class Archive:
    """An open archive file. ``Archive(path)`` creates and migrates it when needed;
    ``Archive(path, readonly=True)`` never writes (nor creates) anything."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly and not self.path.exists():
            raise ArchiveError(f"no archive at {self.path}")
        if not readonly and not self.path.parent.exists():
            raise ArchiveError(f"directory {self.path.parent} does not exist")
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30
                )
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA busy_timeout = 30000")
            self.db = sqlite_utils.Database(conn)
            if readonly:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version == 0:
                    raise SchemaError("this SQLite file is not a portal-archive archive")
                from .schema import SCHEMA_VERSION

                if version > SCHEMA_VERSION:
                    raise SchemaError(
                        f"this archive has schema version {version}, newer than this portal-archive "
                        f"knows ({SCHEMA_VERSION}); upgrade portal-archive to use it"
                    )
            else:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(self.db)
        except SchemaError as exc:
            raise ArchiveError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{self.path}: cannot use as an archive ({exc})") from None

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sites -----------------------------------------------------------------------------
    def sync_sites(self, rows: Iterable[dict[str, Any]]) -> None:
        """Store registry rows in ``sites`` (insert or replace by domain)."""
        rows = list(rows)
        if rows:
            with transaction(self.db):
                self.db.table("sites").upsert_all(rows, pk="domain")

    # -- crawl runs ------------------------------------------------------------------------
    def start_run(self, site: str, seeds: Sequence[str], settings: dict[str, Any] | None = None) -> int:
        with transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO crawl_runs (site, seeds, started_at, status, settings, software) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                [site, json.dumps(list(seeds)), now(), json.dumps(settings or {}, ensure_ascii=False), SOFTWARE],
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_run(self, run_id: int, status: str, **counts: Any) -> None:
        allowed = {"pages", "errors", "error_kinds", "bytes", "warc_files"}
        values = {
            k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
            for k, v in counts.items()
            if k in allowed
        }
        values.update(status=status, finished_at=now())
        assignments = ", ".join(f"{k} = ?" for k in values)
        with transaction(self.db):
            self.db.execute(f"UPDATE crawl_runs SET {assignments} WHERE id = ?", [*values.values(), run_id])

    def run(self, run_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM crawl_runs WHERE id = ?", [run_id]))
        return rows[0] if rows else None

    # -- articles --------------------------------------------------------------------------
    def add_articles(self, items: Sequence[tuple[Record, Capture]], run_id: int | None = None) -> WriteResult:
        """Store fetched records in one transaction: new articles, new versions of changed
        ones, ``last_seen`` of unchanged ones. Re-running the same batch changes nothing more."""
        result = WriteResult()
        if not items:
            return result
        with transaction(self.db):
            for record, capture in items:
                result += self._add_article(record, capture, run_id)
            if run_id is not None:
                self.db.execute(
                    "UPDATE crawl_runs SET articles_new = articles_new + ?, articles_changed = articles_changed + ?, "
                    "articles_unchanged = articles_unchanged + ? WHERE id = ?",
                    [result.new, result.changed, result.unchanged, run_id],
                )
        return result

    def _add_article(self, record: Record, capture: Capture, run_id: int | None) -> WriteResult:
        digest = record.content_hash()
        row = self.db.execute("SELECT id, content_hash, versions FROM articles WHERE url = ?", [record.url]).fetchone()
        source = record.source
        fields = {
            "site": record.site,
            "family": record.family,
            "title": record.title,
            "date": record.date,
            "updated": record.updated,
            "summary": record.summary,
            "body": record.body,
            "source_text": source.text if source else None,
            "source_publisher": source.publisher if source else None,
            "source_author": source.author if source else None,
            "views": record.views,
        }
        if row is not None and row[1] == digest:
            self.db.execute(
                "UPDATE articles SET last_seen = ?, views = coalesce(?, views), last_run_id = ? WHERE id = ?",
                [capture.fetched_at, record.views, run_id, row[0]],
            )
            return WriteResult(unchanged=1)
        if row is None:
            cur = self.db.execute(
                f"INSERT INTO articles (url, {', '.join(fields)}, content_hash, versions, "
                "first_seen, last_seen, last_changed, last_run_id) "
                f"VALUES (?, {', '.join('?' for _ in fields)}, ?, 1, ?, ?, ?, ?)",
                [
                    record.url,
                    *fields.values(),
                    digest,
                    capture.fetched_at,
                    capture.fetched_at,
                    capture.fetched_at,
                    run_id,
                ],
            )
            assert cur.lastrowid is not None
            article_id, version, result = cur.lastrowid, 1, WriteResult(new=1)
        else:
            article_id, version, result = row[0], row[2] + 1, WriteResult(changed=1)
            self.db.execute(
                f"UPDATE articles SET {', '.join(f'{k} = ?' for k in fields)}, content_hash = ?, versions = ?, "
                "last_seen = ?, last_changed = ?, last_run_id = ? WHERE id = ?",
                [*fields.values(), digest, version, capture.fetched_at, capture.fetched_at, run_id, article_id],
            )
            self.db.execute("DELETE FROM articles_fts WHERE rowid = ?", [article_id])
        self.db.execute(
            "INSERT INTO articles_fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)",
            [article_id, fold(record.title or ""), fold(record.summary or ""), fold(record.body or "")],
        )
        self.db.execute(
            "INSERT INTO article_versions (article_id, version, content_hash, fetched_at, crawl_run_id, fetched_url, "
            "http_status, record, warc_file, warc_offset, warc_record_id, payload_digest) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                article_id,
                version,
                digest,
                capture.fetched_at,
                run_id,
                capture.fetched_url,
                capture.http_status,
                json.dumps(record.to_dict(), ensure_ascii=False),
                capture.warc_file,
                capture.warc_offset,
                capture.warc_record_id,
                capture.payload_digest,
            ],
        )
        return result

    # -- visitor statistics ----------------------------------------------------------------
    def add_visitor_stats(
        self, site: str, stats: dict[str, int], *, observed_at: str, url: str | None, run_id: int | None
    ) -> None:
        """One observation per site per crawl run (a later one in the same run replaces it)."""
        values = {k: stats.get(k) for k in VISITOR_KEYS}
        with transaction(self.db):
            self.db.execute(
                f"INSERT INTO visitor_stats (site, observed_at, crawl_run_id, url, {', '.join(values)}) "
                f"VALUES (?, ?, ?, ?, {', '.join('?' for _ in values)}) "
                "ON CONFLICT (crawl_run_id, site) DO UPDATE SET "
                "observed_at = excluded.observed_at, url = excluded.url, "
                + ", ".join(f"{k} = excluded.{k}" for k in values),
                [site, observed_at, run_id, url, *values.values()],
            )

    # -- reading ---------------------------------------------------------------------------
    def site_summary(self) -> list[dict[str, Any]]:
        """Per site: articles stored, versions, newest article date, latest visitor statistics."""
        return list(
            self.db.query(
                """
                SELECT a.site, count(*) AS articles, sum(a.versions) AS versions, max(a.date) AS newest,
                       v.observed_at, v.total, v.online, v.today
                FROM articles a
                LEFT JOIN visitor_stats v ON v.id = (
                    SELECT id FROM visitor_stats WHERE site = a.site ORDER BY observed_at DESC, id DESC LIMIT 1)
                GROUP BY a.site ORDER BY a.site
                """
            )
        )

    def articles(self, where: str = "1", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        yield from self.db.query(f"SELECT * FROM articles WHERE {where} ORDER BY id", list(params))
