"""The archive: one SQLite file (WAL mode) holding every article, its versions, visitor
statistics and crawl runs. Library first; the CLI and the crawler's pipeline call into it.

Writes are batched into single transactions and idempotent: an article is keyed by its
canonical URL, an unchanged article (same content hash) adds no version, a changed one adds a
version and never overwrites the old; visitor statistics are keyed by (crawl run, site).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from portals.copies import Fingerprint
from portals.folding import TOKENIZER_FOLDS, indexed
from portals.items import ArticleEvent, AttachmentRow, Capture, FrontierMark, Provenance, SourceSeen, VisitorObservation
from portals.record import VISITOR_KEYS, Record

from .copies import link_waiting
from .schema import SchemaError, migrate, now, transaction

if TYPE_CHECKING:
    from portals.documents import DocumentText

SOFTWARE = "portal-archive"

# The columns of ``articles`` a record gives (``_article_values``), and the search indexes of
# articles (rowid = articles.id): the full one and the one of titles alone.
ARTICLE_FIELDS = (
    "site",
    "family",
    "title",
    "date",
    "updated",
    "summary",
    "body",
    "source_text",
    "source_publisher",
    "source_author",
    "views",
    "etag",
    "last_modified",
)
SEARCH_INDEXES = ("articles_fts", "articles_title_fts")
TEXT_COLUMNS = ("title", "summary", "body")  # of articles, indexed in articles_fts


# Articles written and waiting for their copies to be found (``archive.copies``) when a crawl runs
# a pass over them (``Archive.link_copies_if_due``); a pass takes them in transactions of
# ``_COPY_CHUNK``.
COPY_PASS = 5_000
_COPY_CHUNK = 5_000

_VERSION_COLUMNS = (
    "article_id",
    "version",
    "content_hash",
    "fetched_at",
    "crawl_run_id",
    "fetched_url",
    "http_status",
    "warc_file",
    "warc_offset",
    "warc_record_id",
    "payload_digest",
    "warc_dir",
)
# A version's row: these columns, then its record as JSON, in ``Record.to_dict``'s order but for
# ``body``, which the latest version leaves to its article's row (``version_record``; schema 15).
_VERSION = (
    f"INSERT INTO article_versions ({', '.join(_VERSION_COLUMNS)}, record) VALUES ({', '.join('?' for _ in _VERSION_COLUMNS)}, ?)"
)


def version_record(record: dict[str, Any], body: str | None) -> dict[str, Any]:
    """A version's whole record from its ``article_versions.record`` (parsed): the latest
    version's leaves out ``body``, which is its article's (``articles.body``), given here (m015)."""
    if "body" in record:
        return record
    whole: dict[str, Any] = {}
    for key, value in record.items():  # in its place, after the summary
        whole[key] = value
        if key == "summary":
            whole["body"] = body
    whole.setdefault("body", body)
    return whole


# Text of these characters only (ASCII, Vietnamese …) is given to the tokenizer as it is, but for
# đ/Đ as d/D (``portals.folding.indexed``), which SQL does (``_as_indexed``); other text is folded
# in Python. (Matched possessively from the start: a third faster than searching for a character
# outside the set.)
_INDEXED_AS_STORED = re.compile(f"[{TOKENIZER_FOLDS}]*+")


def _as_indexed(column: str) -> str:
    """SQL giving ``portals.folding.indexed`` of Vietnamese text in ``column``: đ/Đ as d/D."""
    return f"coalesce(replace(replace({column}, 'đ', 'd'), 'Đ', 'D'), '')"


def _article_values(record: Record, provenance: Provenance) -> list[Any]:
    source = record.source
    return [
        record.site,
        record.family,
        record.title,
        record.date,
        record.updated,
        record.summary,
        record.body,
        source.text if source else None,
        source.publisher if source else None,
        source.author if source else None,
        record.views,
        provenance.etag,
        provenance.last_modified,
    ]


def _listed(source: SourceSeen) -> int:
    return len(source.entries) if source.listed is None else source.listed


class ArchiveError(RuntimeError):
    """The archive file cannot be opened or used; the message says why."""


class ArchiveNotWritable(ArchiveError):
    """The archive can be read but not written (a read-only file or folder, a full disk)."""


def _check_writable(conn: sqlite3.Connection) -> None:
    """Take and give back the write lock: a read-only file or folder fails here, before
    anything is asked of the archive, rather than at the first write of a crawl."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:  # a file opened read-only grants the lock, and refuses only an actual write
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute(f"PRAGMA user_version = {int(version)}")
        finally:
            conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return  # another writer holds it: writable, just not now (busy_timeout waits later)
        raise ArchiveNotWritable(f"cannot write ({exc})") from None


_SQLITE_MAGIC = b"SQLite format 3\x00"
# The archive files this process has open (``Archive``), by device and inode, with how many
# times. Their bytes are never read here outside SQLite (``check_archive``): closing a file
# descriptor of a file drops every POSIX lock the process holds on it, SQLite's among them, and
# another process could then take the file from under this one's connections (check its
# write-ahead log into the file and delete it). SQLite's own connections defer such a close.
_OPEN: Counter[tuple[int, int]] = Counter()
_OPEN_LOCK = threading.Lock()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


# What every archive has from its first migration on (``archive.schema``).
_ARCHIVE_TABLES = frozenset({"_migrations", "sites", "crawl_runs", "articles", "article_versions"})


def check_archive(path: str | os.PathLike[str]) -> int:
    """The schema version of the archive at ``path``, found by reading it only; ArchiveError
    when it is not an archive of this project (missing, a folder, empty, not SQLite, another
    application's database) or one newer than this code.

    The file is read without being changed in any way: its header first, then its tables through
    a read-only connection, opened ``immutable`` when the file is in WAL mode with no ``-wal``
    beside it (a plain read-only connection would leave ``-wal`` and ``-shm`` files behind)."""
    from .schema import SCHEMA_VERSION

    path = Path(path)
    if not path.exists():
        raise ArchiveError(f"no archive at {path}")
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive")
    if _OPEN.get(_file_id(path)):  # type: ignore[arg-type]
        attempts = ["mode=ro"]  # an archive this process has open: read through SQLite only (``_OPEN``)
    else:
        try:
            with path.open("rb") as stream:
                header = stream.read(100)
        except OSError as exc:
            raise ArchiveError(f"{path}: cannot read ({exc.strerror or exc})") from None
        if not header:
            raise ArchiveError(f"{path}: cannot use as an archive (an empty file)")
        if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
            raise ArchiveError(f"{path}: cannot use as an archive (not a SQLite file)")
        wal_mode = header[18] == 2
        sidecar = Path(f"{path}-wal").exists()
        attempts = ["mode=ro&immutable=1", "mode=ro"] if wal_mode and not sidecar else ["mode=ro"]
    for number, query in enumerate(attempts, start=1):
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None, timeout=30)
            try:
                conn.execute("PRAGMA busy_timeout = 30000")
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            finally:
                conn.close()
            break
        except sqlite3.DatabaseError as exc:
            if number == len(attempts):  # an immutable read can meet a checkpoint midway: read again
                raise ArchiveError(f"{path}: cannot use as an archive ({exc})") from None
    if version > SCHEMA_VERSION:
        raise ArchiveError(
            f"{path}: this archive has schema version {version}, newer than this portal-archive "
            f"knows ({SCHEMA_VERSION}); upgrade portal-archive to use it"
        )
    if version == 0 or not tables >= _ARCHIVE_TABLES:
        other = " (it has other tables)" if tables - {"_migrations"} else ""
        raise ArchiveError(f"{path}: this SQLite file is not a portal-archive archive{other}")
    return version


def _create(path: Path) -> None:
    """Make a new, migrated archive at ``path``, which does not exist: built beside it under
    another name and linked into place, so that no one ever sees it half made (an empty or
    half-migrated file), and a file that appeared there meanwhile is left as it is."""
    scratch = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        conn = sqlite3.connect(scratch, isolation_level=None, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(sqlite_utils.Database(conn))
        finally:
            conn.close()
        try:
            os.link(scratch, path)
        except FileExistsError:
            pass  # another process made it first: it is checked like any file that was there
        except OSError:  # a file system without hard links
            if not path.exists():
                scratch.replace(path)
    except OSError as exc:
        raise ArchiveNotWritable(f"{path}: cannot create ({exc.strerror or exc})") from None
    except sqlite3.DatabaseError as exc:  # e.g. a read-only folder
        raise ArchiveNotWritable(f"{path}: cannot create ({exc})") from None
    finally:
        for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
            leftover.unlink(missing_ok=True)


@dataclass
class Batch:
    """Everything one stretch of a crawl produced, written in one transaction: a kill loses at
    most this batch, and never leaves half of it (a page marked done without its article)."""

    articles: list[tuple[Record, Provenance]] = field(default_factory=list)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (url, at): unchanged by a 304
    pages: list[FrontierMark] = field(default_factory=list)
    attachments: list[AttachmentRow] = field(default_factory=list)
    visitors: list[VisitorObservation] = field(default_factory=list)
    sources: list[SourceSeen] = field(default_factory=list)
    events: list[ArticleEvent] = field(default_factory=list)
    # URL → the fingerprint of its record (``portals.copies``), where the crawl computed it beside
    # the record (in its extraction workers): the writer then only looks its keys up.
    fingerprints: dict[str, Fingerprint] = field(default_factory=dict)

    def __len__(self) -> int:
        return (
            len(self.articles)
            + len(self.seen)
            + len(self.pages)
            + len(self.attachments)
            + len(self.visitors)
            + len(self.sources)
            + len(self.events)
        )


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


# Records prepared at a time while SQLite indexes the ones before (``Archive._add_run``).
_CHUNK = 100


@dataclass
class _Prepared:
    """The rows of a chunk of records (``Archive._add_run``), in the order of their statements."""

    result: WriteResult = field(default_factory=WriteResult)
    new: list[list[Any]] = field(default_factory=list)
    changed: list[list[Any]] = field(default_factory=list)
    seen: list[list[Any]] = field(default_factory=list)
    versions: list[list[Any]] = field(default_factory=list)
    indexed: list[int] = field(default_factory=list)  # ids of the articles to index
    indexed_as_stored: list[int] = field(default_factory=list)  # of those, the ones SQL folds (``_add_run``)
    indexed_folded: list[tuple[int, str, str, str]] = field(default_factory=list)  # the others, with their text
    touched: list[tuple[int, str, str]] = field(default_factory=list)  # (id, URL, content hash) of new content

    def add(
        self,
        record: Record,
        provenance: Provenance,
        row: tuple[int, str, int] | None,
        next_id: list[int],
        run_id: int | None,
        sighting: bool,
        recorded: dict[str | None, str | None],
    ) -> None:
        """One record: a new article (numbered ``next_id[0]``, which moves on), a new version of
        ``row`` (id, content hash, versions) of its article, or a sighting of unchanged content."""
        data = record.to_dict()
        digest = record.content_hash(data)
        at = provenance.fetched_at
        if row is not None and row[1] == digest:
            self.result.unchanged += 1
            if sighting:
                self.seen.append([at, record.views, run_id, provenance.etag, provenance.last_modified, row[0]])
            return
        values = _article_values(record, provenance)
        if row is None:
            article_id, version = next_id[0], 1
            next_id[0] += 1
            self.result.new += 1
            self.new.append([article_id, record.url, *values, digest, version, at, at, at, run_id])
        else:
            article_id, version = row[0], row[2] + 1
            self.result.changed += 1
            self.changed.append([*values, digest, version, at, at, run_id, article_id])
        self.indexed.append(article_id)
        self.touched.append((article_id, record.url, digest))
        texts = [record.title, record.summary, record.body]
        if all(not text or _INDEXED_AS_STORED.match(text).end() == len(text) for text in texts):  # type: ignore[union-attr]
            self.indexed_as_stored.append(article_id)
        else:
            self.indexed_folded.append((article_id, *(indexed(text) for text in texts)))  # type: ignore[arg-type]
        # The version (``_VERSION``): its record without the body, which its article's row holds.
        data.pop("body")
        self.versions.append(
            [
                article_id,
                version,
                digest,
                at,
                run_id,
                provenance.fetched_url,
                provenance.http_status,
                provenance.warc_file,
                provenance.warc_offset,
                provenance.warc_record_id,
                provenance.payload_digest,
                recorded[provenance.warc_dir],
                json.dumps(data, ensure_ascii=False, separators=(",", ":")),
            ]
        )


def _fate(
    url: str, kind: str | None, state: str, error: str | None, run_status: str, new: set[str], changed: set[str]
) -> tuple[str, str | None]:
    """(fate, reason) of one frontier URL at the end of a crawl; the reason is None for what was
    archived or fetched. Fates: new, changed, unchanged (articles), fetched (other pages),
    failed, skipped, not fetched."""
    if state == "done":
        if kind == "article":
            return ("new", None) if url in new else ("changed", None) if url in changed else ("unchanged", None)
        return "fetched", None
    if state == "failed":
        return "failed", (error or "error").split(":", 1)[0]
    if state == "skipped":
        text = (error or "").lower()
        if "robots" in text:
            return "skipped", "robots.txt"
        if text.startswith("limit:"):
            return "skipped", text.split(":", 1)[1].strip()
        return "skipped", text.split(":", 1)[0] or "skipped"
    reasons = {"limit_reached": "limit", "interrupted": "interrupted", "failed": "crawl failed", "shared": "another worker's"}
    reason = reasons.get(run_status, "dropped")
    return "not fetched", reason


class Archive:
    """An open archive file: the one way into one (the commands, the crawler and the libraries
    all open archives here).

    ``Archive(path)`` opens an archive to write, and creates and migrates it when ``path`` does
    not exist (``create=False`` refuses a missing file instead); ``Archive(path, readonly=True)``
    never writes (nor creates) anything. Whatever is asked, a file that is already there is first
    read, read-only, and used only if it is an archive of this project (``check_archive``): a
    file of another application, an empty file or a newer archive is refused (``ArchiveError``)
    byte for byte untouched, its journal mode included, with no ``-wal`` or ``-shm`` left beside
    it. A new archive appears whole or not at all (``_create``)."""

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = True):
        self.path = Path(path)
        self.readonly = readonly
        self.copies_waiting = 0  # articles written through this object since its last copies pass
        self._prints: dict[str, tuple[str, Fingerprint]] = {}  # for that pass: see ``link_waiting``
        self._file: tuple[int, int] | None = None  # its key in ``_OPEN`` while open
        if not self.path.exists() and not self.path.is_symlink():
            if readonly or not create:
                raise ArchiveError(f"no archive at {self.path}")
            if not self.path.parent.is_dir():
                raise ArchiveError(f"directory {self.path.parent} does not exist")
            _create(self.path)
        check_archive(self.path)
        if not readonly and not os.access(self.path, os.W_OK):
            raise ArchiveNotWritable(f"{self.path}: cannot write (a read-only file)")
        try:
            if readonly:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
            else:
                conn = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            conn.execute("PRAGMA busy_timeout = 30000")
            self.db = sqlite_utils.Database(conn)
            if not readonly:
                _check_writable(conn)
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                migrate(self.db)
            self._file = _file_id(self.path)
            with _OPEN_LOCK:
                _OPEN[self._file] += 1  # type: ignore[index]
        except ArchiveNotWritable as exc:
            raise ArchiveNotWritable(f"{self.path}: {exc}") from None
        except SchemaError as exc:
            raise ArchiveError(f"{self.path}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"{self.path}: cannot use as an archive ({exc})") from None

    def close(self) -> None:
        self.db.conn.close()
        with _OPEN_LOCK:
            if self._file in _OPEN:
                _OPEN[self._file] -= 1
                if not _OPEN[self._file]:
                    del _OPEN[self._file]
            self._file = None

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sites -----------------------------------------------------------------------------
    def sync_sites(self, rows: Iterable[dict[str, Any]]) -> int:
        """Keep ``sites`` a copy of the registry: store the rows that differ from the stored ones
        (insert or replace by domain); return how many did."""
        stored = {row["domain"]: row for row in self.db.query("SELECT * FROM sites")}
        changed = [row for row in rows if stored.get(row["domain"]) != row]
        if changed:
            with transaction(self.db):
                self.db.table("sites").upsert_all(changed, pk="domain")
        return len(changed)

    def site_ids(self) -> set[str]:
        """Every site the archive holds anything of: articles, visitor statistics or crawl runs."""
        return {
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT site FROM articles UNION SELECT site FROM visitor_stats UNION SELECT site FROM crawl_runs"
            )
        }

    # -- crawl runs ------------------------------------------------------------------------
    def start_run(
        self,
        site: str,
        seeds: Sequence[str],
        settings: dict[str, Any] | None = None,
        *,
        mode: str = "incremental",
        resumed_from: int | None = None,
        worker: str | None = None,
        job_id: str | None = None,
    ) -> int:
        with transaction(self.db):
            cur = self.db.execute(
                "INSERT INTO crawl_runs (site, seeds, started_at, status, settings, software, mode, resumed_from, pid, "
                "worker, job_id) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                [
                    site,
                    json.dumps(list(seeds)),
                    now(),
                    json.dumps(settings or {}, ensure_ascii=False),
                    SOFTWARE,
                    mode,
                    resumed_from,
                    os.getpid(),
                    worker,
                    job_id,
                ],
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def resumable_run(self, site: str) -> dict[str, Any] | None:
        """The site's latest run if it did not finish (interrupted, failed, or killed while running)."""
        rows = list(self.db.query("SELECT * FROM crawl_runs WHERE site = ? ORDER BY id DESC LIMIT 1", [site]))
        if rows and rows[0]["status"] in ("running", "interrupted", "failed", "limit_reached", "incomplete"):
            return rows[0]
        return None

    def mark_abandoned_runs(self, site: str) -> None:
        """Runs of ``site`` still marked running belong to killed processes: say so."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE crawl_runs SET status = 'interrupted', finished_at = coalesce(finished_at, ?) "
                "WHERE site = ? AND status = 'running'",
                [now(), site],
            )

    def finish_run(self, run_id: int, status: str, **counts: Any) -> None:
        allowed = {"pages", "errors", "error_kinds", "bytes", "warc_files", "requests", "limit_reached", "degraded"}
        values = {
            k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
            for k, v in counts.items()
            if k in allowed
        }
        values.update(status=status, finished_at=now())
        assignments = ", ".join(f"{k} = ?" for k in values)
        with transaction(self.db):
            self.db.execute(f"UPDATE crawl_runs SET {assignments} WHERE id = ?", [*values.values(), run_id])

    def record_fates(
        self, run_id: int, site: str, chain: Sequence[int], status: str, skipped_known: int = 0, *, shared: bool = False
    ) -> dict[str, Any]:
        """Account for every URL the crawl (``chain``: this run and the runs it resumed) discovered
        of ``site``, as it stands in the frontier: store the counts per kind and fate in the run
        (``fates``) and every URL not archived, with why, in ``run_missing``. ``skipped_known``:
        archived articles an incremental crawl did not fetch again; ``shared``: a worker on a shared
        frontier. Return the counts."""
        placeholders = ", ".join("?" for _ in chain)
        new, changed = (
            {
                url
                for (url,) in self.db.execute(
                    "SELECT a.url FROM article_versions v JOIN articles a ON a.id = v.article_id "
                    f"WHERE v.crawl_run_id IN ({placeholders}) AND v.version {op} 1",
                    list(chain),
                )
            }
            for op in ("=", ">")
        )
        fates: dict[str, dict[str, Any]] = {}
        missing: list[list[Any]] = []
        rows = self.db.execute("SELECT url, kind, status, error, http_status, attempts FROM frontier WHERE site = ?", [site])
        for url, kind, state, error, http_status, attempts in rows:
            # On a shared frontier, what this worker left pending another may have fetched.
            fate, reason = _fate(url, kind, state, error, "shared" if shared and state == "pending" else status, new, changed)
            counts = fates.setdefault(kind or "page", {})
            if reason is None:
                counts[fate] = counts.get(fate, 0) + 1
            else:
                by_reason = counts.setdefault(fate, {})
                by_reason[reason] = by_reason.get(reason, 0) + 1
                missing.append([run_id, url, kind, fate, reason, http_status, attempts])
        if skipped_known:
            fates.setdefault("article", {})["skipped"] = {
                **fates.get("article", {}).get("skipped", {}),
                "archived before": skipped_known,
            }
        with transaction(self.db):
            self.db.execute("DELETE FROM run_missing WHERE run_id = ?", [run_id])
            self.db.conn.executemany(
                "INSERT INTO run_missing (run_id, url, kind, fate, reason, http_status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?)",
                missing,
            )
            self.db.execute("UPDATE crawl_runs SET fates = ? WHERE id = ?", [json.dumps(fates, ensure_ascii=False), run_id])
        return fates

    def missing(self, run_id: int) -> list[dict[str, Any]]:
        """The URLs a run discovered and did not archive, with why (``record_fates``)."""
        return list(self.db.query("SELECT * FROM run_missing WHERE run_id = ? ORDER BY fate, reason, url", [run_id]))

    def run(self, run_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM crawl_runs WHERE id = ?", [run_id]))
        return rows[0] if rows else None

    def runs(self, site: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """The latest crawl runs (of ``site``, if given), newest first."""
        where, params = ("WHERE site = ?", [site]) if site else ("", [])
        return list(self.db.query(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT ?", [*params, limit]))

    # -- the frontier ----------------------------------------------------------------------
    def reset_frontier(self, site: str) -> None:
        """Forget what earlier crawls of ``site`` discovered: a new crawl starts from its seeds."""
        with transaction(self.db):
            self.db.execute("DELETE FROM frontier WHERE site = ?", [site])

    def count_frontier(self, site: str, status: str) -> int:
        return int(self.db.execute("SELECT count(*) FROM frontier WHERE site = ? AND status = ?", [site, status]).fetchone()[0])

    def frontier(self, site: str, status: str) -> list[tuple[str, str | None, int]]:
        """(url, kind, depth) of the site's frontier URLs with ``status``."""
        return [
            tuple(r)  # type: ignore[misc]
            for r in self.db.execute(
                "SELECT url, kind, depth FROM frontier WHERE site = ? AND status = ? ORDER BY rowid", [site, status]
            )
        ]

    def frontier_fetch_urls(self, site: str) -> dict[str, str]:
        """URL → the URL as its page linked it, for the site's frontier URLs asked for as linked."""
        return dict(
            self.db.execute("SELECT url, fetch_url FROM frontier WHERE site = ? AND fetch_url IS NOT NULL", [site]).fetchall()
        )

    def fetched_urls(self, site: str) -> dict[str, str]:
        """URL → the URL its latest version was fetched as, for the site's articles fetched as
        another URL than their own (as linked, or after a redirect)."""
        return dict(
            self.db.execute(
                "SELECT a.url, v.fetched_url FROM articles a JOIN article_versions v "
                "ON v.article_id = a.id AND v.version = a.versions "
                "WHERE a.site = ? AND v.fetched_url IS NOT NULL AND v.fetched_url != a.url",
                [site],
            ).fetchall()
        )

    # -- sources and removals --------------------------------------------------------------------
    def sources(self, site: str) -> dict[str, tuple[str | None, str]]:
        """url → (kind, status) of the sitemaps and feeds found for ``site`` (and usual paths probed)."""
        return {u: (k, st) for u, k, st in self.db.execute("SELECT url, kind, status FROM sources WHERE site = ?", [site])}

    def last_seen(self, site: str) -> dict[str, str]:
        """url → when each archived article of ``site`` was last fetched or confirmed unchanged."""
        return dict(self.db.execute("SELECT url, last_seen FROM articles WHERE site = ?", [site]).fetchall())

    def gone(self, site: str) -> set[str]:
        """URLs of the articles of ``site`` marked gone."""
        return {u for (u,) in self.db.execute("SELECT url FROM articles WHERE site = ? AND gone_since IS NOT NULL", [site])}

    def _add_source(self, site: str, source: SourceSeen, run_id: int | None) -> None:
        self.db.execute(
            "INSERT INTO sources (site, url, kind, status, first_seen, last_fetched, entries, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, url) DO UPDATE SET kind = coalesce(excluded.kind, "
            "sources.kind), status = excluded.status, last_fetched = excluded.last_fetched, "
            "entries = excluded.entries, run_id = excluded.run_id",
            [site, source.url, source.kind, source.status, source.at, source.at, _listed(source), run_id],
        )
        if source.kind == "sitemap":  # a feed lists the latest few: leaving it removes nothing
            self.db.conn.executemany(
                "INSERT INTO source_entries (site, url, source, modified, first_listed, last_listed, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, url) DO UPDATE SET source = excluded.source, "
                "modified = coalesce(excluded.modified, source_entries.modified), "
                "last_listed = excluded.last_listed, run_id = excluded.run_id",
                [(site, url, source.url, modified, source.at, source.at, run_id) for url, modified in source.entries],
            )

    def _add_event(self, event: ArticleEvent, run_id: int | None, *, only_if_gone: bool = False) -> None:
        row = self.db.execute("SELECT id, gone_since FROM articles WHERE url = ?", [event.url]).fetchone()
        if row is None:
            return
        article_id, gone_since = row
        if (event.event == "gone") == (gone_since is not None) or (only_if_gone and gone_since is None):
            return  # already so: the first sighting is the one recorded
        self.db.execute(
            "INSERT INTO article_events (article_id, event, at, run_id, http_status, final_url, evidence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [article_id, event.event, event.at, run_id, event.http_status, event.final_url, event.evidence],
        )
        self.db.execute(
            "UPDATE articles SET gone_since = ? WHERE id = ?", [event.at if event.event == "gone" else None, article_id]
        )

    def mark_unlisted(self, site: str, run_id: int, at: str, sources: Iterable[str]) -> int:
        """Articles of ``site`` that ``sources`` (each fetched whole by run ``run_id``) listed before
        and list no longer: gone. Return how many."""
        fetched = list(sources)
        if not fetched:
            return 0
        marks = ",".join("?" * len(fetched))
        with transaction(self.db):
            rows = self.db.execute(
                f"SELECT e.url, e.source FROM source_entries e JOIN articles a ON a.url = e.url "
                f"WHERE e.site = ? AND e.run_id IS NOT ? AND e.source IN ({marks}) AND a.gone_since IS NULL",
                [site, run_id, *fetched],
            ).fetchall()
            for url, source in rows:
                self._add_event(ArticleEvent(url, "gone", at, evidence=f"unlisted: no longer in {source}"), run_id)
        return len(rows)

    def article_events(self, article_id: int) -> list[dict[str, Any]]:
        return [
            dict(r)
            for r in self.db.query(
                "SELECT event, at, http_status, final_url, evidence, run_id FROM article_events WHERE article_id = ? ORDER BY id",
                [article_id],
            )
        ]

    def attachment_origin(self, url: str) -> tuple[str, str | None] | None:
        """(article URL, link text) of an attachment listed in the archive (to fetch it on resume)."""
        row = self.db.execute(
            "SELECT a.url, t.text FROM attachments t JOIN articles a ON a.id = t.article_id WHERE t.url = ? LIMIT 1", [url]
        ).fetchone()
        return (row[0], row[1]) if row else None

    def resumed_chain(self, run_id: int) -> list[int]:
        """``run_id`` and the runs it resumed, one from the other, newest first: one crawl."""
        chain = [run_id]
        while (row := self.db.execute("SELECT resumed_from FROM crawl_runs WHERE id = ?", [chain[-1]]).fetchone()) and row[0]:
            if row[0] in chain:  # never loops on a damaged archive
                break
            chain.append(row[0])
        return chain

    def first_stored_by(self, run_ids: Sequence[int]) -> set[str]:
        """URLs of the articles these runs archived first (their version 1)."""
        if not run_ids:
            return set()
        return {
            url
            for (url,) in self.db.execute(
                "SELECT a.url FROM article_versions v JOIN articles a ON a.id = v.article_id "
                f"WHERE v.version = 1 AND v.crawl_run_id IN ({', '.join('?' for _ in run_ids)})",
                list(run_ids),
            )
        }

    def known_articles(self, site: str) -> dict[str, tuple[str | None, str | None]]:
        """url → (ETag, Last-Modified) of every article archived for ``site``."""
        return {
            url: (etag, modified)
            for url, etag, modified in self.db.execute("SELECT url, etag, last_modified FROM articles WHERE site = ?", [site])
        }

    # -- writing what a crawl found ------------------------------------------------------------
    def write(self, batch: Batch, run_id: int | None = None, site: str | None = None) -> WriteResult:
        """Store a batch in one transaction: new articles, new versions of changed ones,
        ``last_seen`` of unchanged ones, frontier marks, attachments, visitor statistics.
        Writing the same batch again changes nothing more."""
        result = WriteResult()
        if not len(batch):
            return result
        with transaction(self.db):
            result += self._add_articles(batch.articles, run_id, fingerprints=batch.fingerprints)
            for url, at in batch.seen:
                self.db.execute("UPDATE articles SET last_seen = ?, last_run_id = ? WHERE url = ?", [at, run_id, url])
            result.unchanged += len(batch.seen)
            for mark in batch.pages:
                self._mark(site or "", mark, run_id)
            for row in batch.attachments:
                self._add_attachment(row, run_id)
            for obs in batch.visitors:
                self._add_visitor_stats(obs, run_id)
            for source in batch.sources:
                self._add_source(site or "", source, run_id)
            for event in batch.events:
                self._add_event(event, run_id)
            # An article found removed and fetched again since: back (asked only of archives that
            # have removed articles: the partial index answers at once).
            if self.db.execute("SELECT 1 FROM articles WHERE gone_since IS NOT NULL LIMIT 1").fetchone():
                for url, at in [(r.url, p.fetched_at) for r, p in batch.articles] + batch.seen:
                    self._add_event(ArticleEvent(url, "back", at), run_id, only_if_gone=True)
            if run_id is not None:
                done = sum(1 for m in batch.pages if m.status == "done")
                self.db.execute(
                    "UPDATE crawl_runs SET articles_new = articles_new + ?, articles_changed = articles_changed + ?, "
                    "articles_unchanged = articles_unchanged + ?, pages = pages + ?, "
                    "attachments = attachments + ? WHERE id = ?",
                    [
                        result.new,
                        result.changed,
                        result.unchanged,
                        done,
                        sum(1 for a in batch.attachments if a.status == "fetched"),
                        run_id,
                    ],
                )
        return result

    def add_articles(
        self,
        items: Sequence[tuple[Record, Provenance]],
        run_id: int | None = None,
        fingerprints: dict[str, Fingerprint] | None = None,
    ) -> WriteResult:
        """Store fetched records (see ``write``), and find their copies at once
        (``link_copies``); ``fingerprints``: see ``Batch``."""
        result = self.write(Batch(articles=list(items), fingerprints=fingerprints or {}), run_id)
        self.link_copies()
        return result

    def add_reextracted(self, items: Sequence[tuple[Record, Provenance]], run_id: int) -> WriteResult:
        """Store records extracted again from captures already archived: a record whose content
        differs from its article's latest version adds a version (pointing at the same capture);
        an unchanged one changes nothing (it is not a new sighting of the page). One transaction."""
        result = WriteResult()
        if not items:
            return result
        with transaction(self.db):
            result += self._add_articles(items, run_id, sighting=False)
            self.db.execute(
                "UPDATE crawl_runs SET articles_new = articles_new + ?, articles_changed = articles_changed + ? WHERE id = ?",
                [result.new, result.changed, run_id],
            )
        return result

    def _mark(self, site: str, mark: FrontierMark, run_id: int | None) -> None:
        if mark.capture is not None and mark.status == "done":
            self._add_capture(site, mark.url, mark.capture, run_id)
        if mark.status == "pending":
            # A URL first found beyond the depth limit, found again nearer the start: now pending.
            self.db.execute(
                "INSERT INTO frontier (site, url, kind, depth, status, run_id, discovered_at, fetch_url) "
                "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (site, url) DO UPDATE SET status = 'pending', "
                "depth = excluded.depth, error = NULL, fetch_url = coalesce(excluded.fetch_url, frontier.fetch_url) "
                "WHERE frontier.status = 'skipped' AND frontier.error LIKE 'limit:%'",
                [site, mark.url, mark.kind, mark.depth, run_id, mark.at, mark.fetch_url],
            )
            return
        self.db.execute(
            "INSERT INTO frontier (site, url, kind, depth, status, run_id, discovered_at, fetched_at, http_status, "
            "attempts, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site, url) DO UPDATE SET "
            "status = excluded.status, run_id = excluded.run_id, fetched_at = excluded.fetched_at, "
            "http_status = excluded.http_status, attempts = frontier.attempts + excluded.attempts, "
            "error = excluded.error, kind = coalesce(frontier.kind, excluded.kind)",
            [
                site,
                mark.url,
                mark.kind,
                mark.depth,
                mark.status,
                run_id,
                mark.at,
                mark.at,
                mark.http_status,
                mark.attempts,
                mark.error,
            ],
        )

    def recorded_dir(self, directory: str | None) -> str | None:
        """How a WARC folder is recorded in the archive: relative to the archive file's folder
        when it is inside it (``warc`` for the default), absolute otherwise
        (``archive.warc.candidate_dirs`` reads it back)."""
        if directory is None:
            return None
        folder, base = Path(directory).resolve(), self.path.resolve().parent
        return str(folder.relative_to(base)) if folder.is_relative_to(base) else str(folder)

    def _add_capture(self, site: str, url: str, capture: Capture, run_id: int | None) -> None:
        """The latest capture holding the payload of ``url``: what its next revisit refers to."""
        self.db.execute(
            "INSERT OR REPLACE INTO captures (site, url, target_uri, warc_date, warc_record_id, payload_digest, warc_dir, "
            "warc_file, warc_offset, crawl_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                site,
                url,
                capture.target_uri,
                capture.date,
                capture.record_id,
                capture.payload_digest,
                self.recorded_dir(capture.directory),
                capture.file,
                capture.offset,
                run_id,
            ],
        )

    def add_captures(self, captures: Sequence[tuple[str, str, Capture]], run_id: int | None) -> None:
        """Store (site, URL, capture) rows of another archive (a merged shard), in one transaction;
        a capture older than the one stored for its URL is left out."""
        with transaction(self.db):
            for site, url, capture in captures:
                row = self.db.execute("SELECT warc_date FROM captures WHERE site = ? AND url = ?", [site, url]).fetchone()
                if row is None or (row[0] or "") < (capture.date or ""):
                    self._add_capture(site, url, capture, run_id)

    def captures(self, site: str) -> dict[str, Capture]:
        """URL → the latest capture holding its payload, of every URL of ``site`` fetched before
        (its folder made absolute: relative to the archive's folder as recorded)."""
        base = self.path.resolve().parent
        return {
            url: Capture(target, date, record_id, digest, file, offset, str(base / (folder or "warc")))
            for url, target, date, record_id, digest, folder, file, offset in self.db.execute(
                "SELECT url, target_uri, warc_date, warc_record_id, payload_digest, warc_dir, warc_file, warc_offset "
                "FROM captures WHERE site = ?",
                [site],
            )
        }

    def _add_attachment(self, row: AttachmentRow, run_id: int | None) -> None:
        found = self.db.execute("SELECT id FROM articles WHERE url = ?", [row.article_url]).fetchone()
        if found is None:
            return
        values = [
            found[0],
            row.url,
            row.text,
            row.media_type,
            row.size,
            row.sha1,
            row.status,
            row.fetched_at,
            run_id,
            row.warc_file,
            row.warc_offset,
            row.warc_record_id,
            self.recorded_dir(row.warc_dir),
        ]
        if row.status in ("pending", "offsite"):  # listed: never overwrite what was fetched
            self.db.execute(
                "INSERT OR IGNORE INTO attachments (article_id, url, text, media_type, size, sha1, status, fetched_at, "
                "crawl_run_id, warc_file, warc_offset, warc_record_id, warc_dir) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                values,
            )
            return
        self.db.execute(
            "INSERT INTO attachments (article_id, url, text, media_type, size, sha1, status, fetched_at, crawl_run_id, "
            "warc_file, warc_offset, warc_record_id, warc_dir) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (article_id, url) DO UPDATE SET media_type = excluded.media_type, size = excluded.size, "
            "sha1 = excluded.sha1, status = excluded.status, fetched_at = excluded.fetched_at, "
            "crawl_run_id = excluded.crawl_run_id, warc_file = excluded.warc_file, warc_offset = excluded.warc_offset, "
            "warc_record_id = excluded.warc_record_id, warc_dir = excluded.warc_dir, "
            "text = coalesce(attachments.text, excluded.text)",
            values,
        )
        if row.document is not None:
            stored = self.db.execute("SELECT id FROM attachments WHERE article_id = ? AND url = ?", [found[0], row.url])
            self._set_attachment_text(stored.fetchone()[0], row.document)

    def fetched_attachments(self, site: str | None = None) -> list[tuple[Any, ...]]:
        """(id, warc_file, warc_offset, warc_dir) of every fetched attachment
        (of the articles of ``site``, if given), by id."""
        where, params = ("AND a.site = ?", [site]) if site else ("", [])
        return self.db.execute(
            "SELECT t.id, t.warc_file, t.warc_offset, t.warc_dir FROM attachments t "
            f"JOIN articles a ON a.id = t.article_id WHERE t.status = 'fetched' {where} ORDER BY t.id",
            params,
        ).fetchall()

    def set_attachment_texts(self, texts: Sequence[tuple[int, DocumentText]]) -> None:
        """Store the text read from attachments (by ``attachments.id``), in one transaction."""
        with transaction(self.db):
            for attachment_id, document in texts:
                self._set_attachment_text(attachment_id, document)

    def _set_attachment_text(self, attachment_id: int, document: DocumentText) -> None:
        """An attachment's text as read, replacing what it had: its status, its page count, and
        each page with text, indexed folded (``portals.folding.indexed``) as articles are."""
        old = [r[0] for r in self.db.execute("SELECT id FROM attachment_pages WHERE attachment_id = ?", [attachment_id])]
        for page_id in old:
            self.db.execute("DELETE FROM attachment_pages_fts WHERE rowid = ?", [page_id])
        self.db.execute("DELETE FROM attachment_pages WHERE attachment_id = ?", [attachment_id])
        self.db.execute(
            "UPDATE attachments SET text_status = ?, pages = ? WHERE id = ?",
            [document.status, len(document.pages) or None, attachment_id],
        )
        for number, text in enumerate(document.pages, start=1):
            if text:
                cur = self.db.execute(
                    "INSERT INTO attachment_pages (attachment_id, page, text) VALUES (?, ?, ?)", [attachment_id, number, text]
                )
                self.db.execute("INSERT INTO attachment_pages_fts (rowid, text) VALUES (?, ?)", [cur.lastrowid, indexed(text)])

    def _add_articles(
        self,
        items: Sequence[tuple[Record, Provenance]],
        run_id: int | None,
        *,
        sighting: bool = True,
        fingerprints: dict[str, Fingerprint] | None = None,
    ) -> WriteResult:
        """Store records, in order, inside the caller's transaction: the one place that decides
        what is a new version, a record whose content hash differs from the article's latest
        version's. A ``sighting`` of unchanged content updates when the article was last seen
        (and its counters).

        Records are written in runs of distinct URLs, each in a few statements for all of its
        records (``_add_run``): a page stored twice in one batch starts a new run, so the second
        sees the first, as it would one record at a time."""
        result = WriteResult()
        run: list[tuple[Record, Provenance]] = []
        urls: set[str] = set()
        touched: list[tuple[int, str, str]] = []
        for record, provenance in items:
            if record.url in urls:
                result += self._add_run(run, run_id, sighting, touched)
                run, urls = [], set()
            run.append((record, provenance))
            urls.add(record.url)
        if run:
            result += self._add_run(run, run_id, sighting, touched)
        if touched:  # their copies on other sites are found by a pass behind the writes (``archive.copies``)
            ids = json.dumps([t[0] for t in touched])
            self.db.execute("INSERT OR IGNORE INTO copy_pending (article_id) SELECT value FROM json_each(?)", [ids])
            self.copies_waiting += len(touched)
            given = fingerprints or {}
            for _, url, digest in touched:
                if url in given:  # kept with the content it is of: a write rolled back leaves it unused
                    self._prints[url] = (digest, given[url])
        return result

    def link_copies(self) -> int:
        """Find the copies of every article waiting for it (``archive.copies``), in transactions
        of ``_COPY_CHUNK`` articles; return how many were looked at."""
        done = 0
        while True:
            with transaction(self.db):
                count = link_waiting(self.db, self._prints, _COPY_CHUNK)
            done += count
            if count < _COPY_CHUNK:
                break
        self._prints.clear()
        self.copies_waiting = 0
        return done

    def link_copies_if_due(self) -> int:
        """``link_copies`` once ``COPY_PASS`` articles written through this object wait."""
        return self.link_copies() if self.copies_waiting >= COPY_PASS else 0

    def _add_run(
        self, items: Sequence[tuple[Record, Provenance]], run_id: int | None, sighting: bool, touched: list[tuple[int, str, str]]
    ) -> WriteResult:
        """``_add_articles`` for records of distinct URLs: their articles looked up at once, new
        ones numbered here (as SQLite would: after the highest id), then in chunks, each kind of
        row written by one statement per chunk.

        Two cores share the work: a thread prepares the next chunk (content hashes, the rows'
        values and the versions' records: Python, which holds the interpreter lock) while SQLite
        indexes this one, in statements that read the text back from ``articles`` and release the
        lock for all of it. The other statements run while that thread waits, so neither waits on
        the other for the lock row by row."""
        known: dict[str, tuple[int, str, int]] = {}
        for start in range(0, len(items), 500):
            urls = [record.url for record, _ in items[start : start + 500]]
            known.update(
                (url, (id_, digest, versions))
                for url, id_, digest, versions in self.db.execute(
                    f"SELECT url, id, content_hash, versions FROM articles WHERE url IN ({', '.join('?' for _ in urls)})", urls
                )
            )
        next_id = [(self.db.execute("SELECT max(id) FROM articles").fetchone()[0] or 0) + 1]
        recorded = {p.warc_dir: self.recorded_dir(p.warc_dir) for _, p in items}

        def prepare(chunk: Sequence[tuple[Record, Provenance]]) -> _Prepared:
            rows = _Prepared()
            for record, provenance in chunk:
                rows.add(record, provenance, known.get(record.url), next_id, run_id, sighting, recorded)
            touched.extend(rows.touched)
            return rows

        chunks = [items[start : start + _CHUNK] for start in range(0, len(items), _CHUNK)]
        result = WriteResult()
        many = self.db.conn.executemany
        with ThreadPoolExecutor(max_workers=1) as worker:
            pending = worker.submit(prepare, chunks[0])
            for number in range(len(chunks)):
                rows = pending.result()
                result += rows.result
                many(
                    f"INSERT INTO articles (id, url, {', '.join(ARTICLE_FIELDS)}, content_hash, versions, first_seen, "
                    f"last_seen, last_changed, last_run_id) VALUES (?, ?, {', '.join('?' for _ in ARTICLE_FIELDS)}, "
                    "?, ?, ?, ?, ?, ?)",
                    rows.new,
                )
                if rows.changed:  # out of the indexes first, as they were given: they read text from articles
                    self._supersede([row[-1] for row in rows.changed])
                many(
                    f"UPDATE articles SET {', '.join(f'{k} = ?' for k in ARTICLE_FIELDS)}, content_hash = ?, versions = ?, "
                    "last_seen = ?, last_changed = ?, last_run_id = ? WHERE id = ?",
                    rows.changed,
                )
                many(
                    "UPDATE articles SET last_seen = ?, views = coalesce(?, views), last_run_id = ?, "
                    "etag = coalesce(?, etag), last_modified = coalesce(?, last_modified) WHERE id = ?",
                    rows.seen,
                )
                many(_VERSION, rows.versions)
                if number + 1 < len(chunks):
                    pending = worker.submit(prepare, chunks[number + 1])
                # Vietnamese text is indexed as stored but for đ (``portals.folding.indexed``),
                # which SQL replaces; any other text is given folded.
                ids = json.dumps(rows.indexed_as_stored)
                folded = ", ".join(
                    f"coalesce(replace(replace({c}, 'đ', 'd'), 'Đ', 'D'), '')" for c in ("title", "summary", "body")
                )
                self.db.execute(
                    f"INSERT INTO articles_fts (rowid, title, summary, body) SELECT id, {folded} FROM articles "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    [ids],
                )
                self.db.execute(
                    f"INSERT INTO articles_title_fts (rowid, title) SELECT id, {_as_indexed('title')} FROM articles "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    [ids],
                )
                many("INSERT INTO articles_fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)", rows.indexed_folded)
                many("INSERT INTO articles_title_fts (rowid, title) VALUES (?, ?)", [row[:2] for row in rows.indexed_folded])
        return result

    def _supersede(self, ids: Sequence[int]) -> None:
        """Before changed articles' rows are overwritten: take them out of the search indexes,
        and give their latest versions' records back the body they left to the row (m015).

        The indexes read text from ``articles`` (FTS5's external content) but were given it
        folded (``portals.folding.indexed``), so they are told what they were given: FTS5's
        ``delete`` command with those values (a plain DELETE would remove the unfolded words)."""
        old = self.db.execute(
            "SELECT a.id, a.title, a.summary, a.body, v.id, v.record FROM articles a "
            "JOIN article_versions v ON v.article_id = a.id AND v.version = a.versions "
            "WHERE a.id IN (SELECT value FROM json_each(?))",
            [json.dumps(list(ids))],
        ).fetchall()
        many = self.db.conn.executemany
        folded = [(id_, indexed(title), indexed(summary), indexed(body)) for id_, title, summary, body, _, _ in old]
        many("INSERT INTO articles_fts (articles_fts, rowid, title, summary, body) VALUES ('delete', ?, ?, ?, ?)", folded)
        titles = [row[:2] for row in folded]
        many("INSERT INTO articles_title_fts (articles_title_fts, rowid, title) VALUES ('delete', ?, ?)", titles)
        records = [(json.loads(stored), body, version_id) for _, _, _, body, version_id, stored in old]
        whole = [
            (json.dumps(version_record(record, body), ensure_ascii=False, separators=(",", ":")), version_id)
            for record, body, version_id in records
            if "body" not in record
        ]
        many("UPDATE article_versions SET record = ? WHERE id = ?", whole)

    # -- merging a worker's shard -------------------------------------------------------------
    def archive_id(self) -> str:
        return self.db.execute("SELECT value FROM _meta WHERE key = 'archive_id'").fetchone()[0]

    def has_origin(self, origin: str) -> bool:
        return self.db.execute("SELECT 1 FROM crawl_runs WHERE origin = ?", [origin]).fetchone() is not None

    def import_run(self, run: dict[str, Any], origin: str, batch: Batch) -> tuple[int, WriteResult]:
        """A crawl run of another archive (a worker's shard), with what it stored, as a run of
        this one — in one transaction, and never twice (``origin`` names the shard and run)."""
        columns = [c for c in run if c not in ("id", "origin", "articles_new", "articles_changed", "articles_unchanged")]
        result = WriteResult()
        with transaction(self.db):
            cur = self.db.execute(
                f"INSERT INTO crawl_runs ({', '.join(columns)}, origin) VALUES ({', '.join('?' for _ in columns)}, ?)",
                [run[c] for c in columns] + [origin],
            )
            run_id = cur.lastrowid
            result += self._add_articles(batch.articles, run_id, fingerprints=batch.fingerprints)
            for url, at in batch.seen:
                self.db.execute(
                    "UPDATE articles SET last_seen = max(last_seen, ?), last_run_id = ? WHERE url = ?", [at, run_id, url]
                )
            for row in batch.attachments:
                self._add_attachment(row, run_id)
            for obs in batch.visitors:
                self._add_visitor_stats(obs, run_id)
            for source in batch.sources:
                self._add_source(run["site"], source, run_id)
            for event in batch.events:
                self._add_event(event, run_id)
            self.db.execute(
                "UPDATE crawl_runs SET articles_new = ?, articles_changed = ?, articles_unchanged = ? WHERE id = ?",
                [result.new, result.changed, result.unchanged + len(batch.seen), run_id],
            )
        assert run_id is not None
        return run_id, result

    # -- visitor statistics ----------------------------------------------------------------
    def add_visitor_stats(
        self, site: str, stats: dict[str, int], *, observed_at: str, url: str | None, run_id: int | None
    ) -> None:
        """One observation per site per crawl run (a later one in the same run replaces it)."""
        self.write(Batch(visitors=[VisitorObservation(site, stats, observed_at, url)]), run_id)

    def _add_visitor_stats(self, obs: VisitorObservation, run_id: int | None) -> None:
        values = {k: obs.stats.get(k) for k in VISITOR_KEYS}
        self.db.execute(
            f"INSERT INTO visitor_stats (site, observed_at, crawl_run_id, url, {', '.join(values)}) "
            f"VALUES (?, ?, ?, ?, {', '.join('?' for _ in values)}) "
            "ON CONFLICT (crawl_run_id, site) DO UPDATE SET "
            "observed_at = excluded.observed_at, url = excluded.url, " + ", ".join(f"{k} = excluded.{k}" for k in values),
            [obs.site, obs.observed_at, run_id, obs.url, *values.values()],
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

    def latest_captures(self, site: str | None = None) -> list[tuple[Any, ...]]:
        """(url, warc_file, warc_offset, warc_record_id, payload_digest, fetched_url, http_status, warc_dir)
        of every article's latest version (of ``site``, if given), by article id."""
        where, params = ("WHERE a.site = ?", [site]) if site else ("", [])
        return self.db.execute(
            "SELECT a.url, v.warc_file, v.warc_offset, v.warc_record_id, v.payload_digest, v.fetched_url, v.http_status, "
            "v.warc_dir "
            f"FROM articles a JOIN article_versions v ON v.article_id = a.id AND v.version = a.versions {where} ORDER BY a.id",
            params,
        ).fetchall()

    def articles(self, where: str = "1", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        yield from self.db.query(f"SELECT * FROM articles WHERE {where} ORDER BY id", list(params))
