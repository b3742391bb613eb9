"""The archive's schema, created and migrated by code.

Migrations are small functions, applied in order and recorded in ``_migrations``; the number
applied is also ``PRAGMA user_version``. Migrations add, never drop: an archive is a record of
what portals said, and no upgrade may lose any of it. A database whose version is newer than
this code knows is refused rather than touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import sqlite_utils

VIETNAM = timezone(timedelta(hours=7), "Asia/Ho_Chi_Minh")
MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = []


class SchemaError(RuntimeError):
    """The file is not an archive this version can use."""


def now() -> str:
    """The current time as stored in the archive: ISO 8601, seconds, Vietnam's +07:00."""
    return datetime.now(VIETNAM).isoformat(timespec="seconds")


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    _statements(
        db,
        """
        CREATE TABLE sites (
            domain TEXT PRIMARY KEY,
            name TEXT, province TEXT, province_before_2025 TEXT, level TEXT, family TEXT,
            start_urls TEXT, status TEXT, successor TEXT, source TEXT, confirmed TEXT
        );
        CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            seeds TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL DEFAULT 'running',
            pages INTEGER NOT NULL DEFAULT 0,
            articles_new INTEGER NOT NULL DEFAULT 0,
            articles_changed INTEGER NOT NULL DEFAULT 0,
            articles_unchanged INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            error_kinds TEXT,
            bytes INTEGER NOT NULL DEFAULT 0,
            warc_files TEXT,
            settings TEXT,
            software TEXT
        );
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            family TEXT,
            title TEXT,
            date TEXT,
            updated TEXT,
            summary TEXT,
            body TEXT,
            source_text TEXT,
            source_publisher TEXT,
            source_author TEXT,
            views INTEGER,
            content_hash TEXT NOT NULL,
            versions INTEGER NOT NULL DEFAULT 1,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            last_changed TEXT NOT NULL,
            last_run_id INTEGER REFERENCES crawl_runs(id)
        );
        CREATE INDEX articles_site_date ON articles(site, date);
        CREATE INDEX articles_date ON articles(date);
        CREATE TABLE article_versions (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            version INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            crawl_run_id INTEGER REFERENCES crawl_runs(id),
            fetched_url TEXT,
            http_status INTEGER,
            record TEXT NOT NULL,
            warc_file TEXT,
            warc_offset INTEGER,
            warc_record_id TEXT,
            payload_digest TEXT,
            UNIQUE (article_id, version)
        );
        CREATE TABLE visitor_stats (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            observed_at TEXT NOT NULL,
            crawl_run_id INTEGER REFERENCES crawl_runs(id),
            url TEXT,
            total INTEGER, online INTEGER, today INTEGER, yesterday INTEGER,
            this_week INTEGER, last_week INTEGER, this_month INTEGER, last_month INTEGER,
            this_year INTEGER,
            UNIQUE (crawl_run_id, site)
        );
        CREATE INDEX visitor_stats_site ON visitor_stats(site, observed_at);
        -- Title, summary and body as given to the tokenizer (portals.folding.indexed: đ as d), which
        -- lower-cases them and drops the other diacritics as it indexes them; rowid = articles.id.
        CREATE VIRTUAL TABLE articles_fts USING fts5(
            title, summary, body, tokenize = 'unicode61 remove_diacritics 2'
        );
        """,
    )


@migration
def m002_operations(db: sqlite_utils.Database) -> None:
    """Raw-capture pointers for conditional re-fetches, the crawl frontier (resume), attachments,
    schedules, and more about each run."""
    _statements(
        db,
        """
        ALTER TABLE articles ADD COLUMN etag TEXT;
        ALTER TABLE articles ADD COLUMN last_modified TEXT;
        ALTER TABLE crawl_runs ADD COLUMN mode TEXT;
        ALTER TABLE crawl_runs ADD COLUMN resumed_from INTEGER REFERENCES crawl_runs(id);
        ALTER TABLE crawl_runs ADD COLUMN requests INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN limit_reached TEXT;
        ALTER TABLE crawl_runs ADD COLUMN pid INTEGER;
        -- Every URL a crawl of a site discovered: pending until fetched (done), given up (failed)
        -- or refused (skipped: robots.txt); a resumed crawl starts from the pending and failed ones.
        CREATE TABLE frontier (
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            kind TEXT,
            depth INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'pending',
            run_id INTEGER REFERENCES crawl_runs(id),
            discovered_at TEXT,
            fetched_at TEXT,
            http_status INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            PRIMARY KEY (site, url)
        );
        CREATE INDEX frontier_pending ON frontier(site, status);
        CREATE TABLE attachments (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            url TEXT NOT NULL,
            text TEXT,
            media_type TEXT,
            size INTEGER,
            sha1 TEXT,
            status TEXT NOT NULL DEFAULT 'pending',
            fetched_at TEXT,
            crawl_run_id INTEGER REFERENCES crawl_runs(id),
            warc_file TEXT,
            warc_offset INTEGER,
            warc_record_id TEXT,
            UNIQUE (article_id, url)
        );
        CREATE TABLE schedules (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL UNIQUE,
            cron TEXT NOT NULL,
            options TEXT,
            created_at TEXT NOT NULL,
            last_run_at TEXT,
            last_status TEXT,
            next_run_at TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1
        )
        """,
    )


@migration
def m003_degraded(db: sqlite_utils.Database) -> None:
    """Why a run looks degraded (extraction coverage collapsed), or NULL."""
    _statements(db, "ALTER TABLE crawl_runs ADD COLUMN degraded TEXT")


@migration
def m004_workers(db: sqlite_utils.Database) -> None:
    """An identity for each archive file, and where each run came from: the worker that made it,
    its Scrapyd job, and for runs merged in from a worker's shard, the shard and run they were."""
    _statements(
        db,
        """
        CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT);
        INSERT INTO _meta (key, value) VALUES ('archive_id', lower(hex(randomblob(16))));
        ALTER TABLE crawl_runs ADD COLUMN worker TEXT;
        ALTER TABLE crawl_runs ADD COLUMN job_id TEXT;
        ALTER TABLE crawl_runs ADD COLUMN origin TEXT;
        CREATE UNIQUE INDEX crawl_runs_origin ON crawl_runs(origin) WHERE origin IS NOT NULL
        """,
    )


@migration
def m005_family_index(db: sqlite_utils.Database) -> None:
    """Search, export and the browser filter articles by platform family (and date) from an
    index, as they do by site and date, rather than by reading every article."""
    _statements(db, "CREATE INDEX IF NOT EXISTS articles_family_date ON articles(family, date)")


@migration
def m006_fates(db: sqlite_utils.Database) -> None:
    """What became of every URL a crawl discovered: counts per kind and fate in each run, and the
    URLs it discovered and did not archive, with why (they outlive the frontier, which the next
    crawl of the site starts afresh)."""
    _statements(
        db,
        """
        ALTER TABLE crawl_runs ADD COLUMN fates TEXT;
        CREATE TABLE run_missing (
            run_id INTEGER NOT NULL REFERENCES crawl_runs(id),
            url TEXT NOT NULL,
            kind TEXT,
            fate TEXT NOT NULL,
            reason TEXT,
            http_status INTEGER,
            attempts INTEGER,
            PRIMARY KEY (run_id, url)
        )
        """,
    )


@migration
def m007_captures(db: sqlite_utils.Database) -> None:
    """Where raw captures are, for revisit records and replay: the WARC folder of every version's
    and attachment's file (so captures written with --warc-dir, or moved, still resolve), and the
    latest capture holding the payload of every URL fetched (what a later revisit record refers
    to). The folders of earlier versions are those their runs wrote to; the captures of earlier
    crawls are their articles' latest versions (their WARC-Date read from the record when needed)."""
    _statements(
        db,
        """
        ALTER TABLE article_versions ADD COLUMN warc_dir TEXT;
        ALTER TABLE attachments ADD COLUMN warc_dir TEXT;
        CREATE TABLE captures (
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            target_uri TEXT NOT NULL,
            warc_date TEXT,
            warc_record_id TEXT NOT NULL,
            payload_digest TEXT,
            warc_dir TEXT,
            warc_file TEXT NOT NULL,
            warc_offset INTEGER NOT NULL,
            crawl_run_id INTEGER REFERENCES crawl_runs(id),
            PRIMARY KEY (site, url)
        );
        UPDATE article_versions SET warc_dir = (
            SELECT json_extract(r.settings, '$.warc_dir') FROM crawl_runs r
            WHERE r.id = article_versions.crawl_run_id AND json_valid(r.settings)
        ) WHERE warc_file IS NOT NULL;
        UPDATE attachments SET warc_dir = (
            SELECT json_extract(r.settings, '$.warc_dir') FROM crawl_runs r
            WHERE r.id = attachments.crawl_run_id AND json_valid(r.settings)
        ) WHERE warc_file IS NOT NULL;
        INSERT OR IGNORE INTO captures (site, url, target_uri, warc_date, warc_record_id, payload_digest, warc_dir,
                                        warc_file, warc_offset, crawl_run_id)
        SELECT a.site, a.url, coalesce(v.fetched_url, a.url), NULL, v.warc_record_id, v.payload_digest, v.warc_dir,
               v.warc_file, v.warc_offset, v.crawl_run_id
        FROM articles a JOIN article_versions v ON v.article_id = a.id AND v.version = a.versions
        WHERE v.warc_file IS NOT NULL AND v.warc_offset IS NOT NULL AND v.warc_record_id IS NOT NULL
        """,
    )


@migration
def m008_fetch_url(db: sqlite_utils.Database) -> None:
    """Pages are asked for as their links name them; the frontier keeps that form of a pending
    URL (when it is not the canonical URL) so a resumed crawl asks for the same."""
    db.execute("ALTER TABLE frontier ADD COLUMN fetch_url TEXT")


@migration
def m009_attachment_text(db: sqlite_utils.Database) -> None:
    """The text of fetched documents (PDF, DOCX, XLSX), page by page, and its full-text index,
    folded as the articles' is; with each attachment, what reading it gave and its page count."""
    _statements(
        db,
        """
        ALTER TABLE attachments ADD COLUMN text_status TEXT;
        ALTER TABLE attachments ADD COLUMN pages INTEGER;
        CREATE TABLE attachment_pages (
            id INTEGER PRIMARY KEY,
            attachment_id INTEGER NOT NULL REFERENCES attachments(id),
            page INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (attachment_id, page)
        );
        -- Folded copies (portals.folding.indexed) of attachment_pages.text; rowid = attachment_pages.id.
        CREATE VIRTUAL TABLE attachment_pages_fts USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')
        """,
    )


@migration
def m010_title_index(db: sqlite_utils.Database) -> None:
    """An index of titles alone, beside the full one: relevance search ranks the articles whose
    title holds the query first, and scores them all, without reading the full index's long
    lists of common syllables. Filled from the full index's titles (text already folded)."""
    _statements(
        db,
        """
        -- articles.title as given to the tokenizer, as in articles_fts; rowid = articles.id.
        CREATE VIRTUAL TABLE articles_title_fts USING fts5(title, tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO articles_title_fts (rowid, title) SELECT rowid, title FROM articles_fts
        """,
    )


@migration
def m011_site_status(db: sqlite_utils.Database) -> None:
    """Sites as crawls find them (``archive.site_status``): the events (moved, dark, back,
    active) and a view of each site's latest status and last successful crawl; the registry's
    date of a site's status. Sites crawled before are ``active`` since their first crawl that
    fetched a page."""
    _statements(
        db,
        """
        ALTER TABLE sites ADD COLUMN status_since TEXT;
        CREATE TABLE site_events (
            id INTEGER PRIMARY KEY,
            site TEXT NOT NULL,
            status TEXT NOT NULL,
            since TEXT NOT NULL,
            evidence TEXT,
            successor TEXT,
            run_id INTEGER REFERENCES crawl_runs(id)
        );
        CREATE INDEX site_events_site ON site_events(site, id);
        CREATE INDEX crawl_runs_site ON crawl_runs(site, id);
        INSERT INTO site_events (site, status, since, evidence, run_id)
        SELECT site, 'active', started_at, json_object('pages', pages), id FROM crawl_runs
        WHERE id IN (SELECT min(id) FROM crawl_runs WHERE pages > 0 GROUP BY site) ORDER BY id;
        CREATE VIEW site_status AS
        SELECT s.site, e.status, e.since, e.successor, e.evidence, e.run_id,
               (SELECT max(coalesce(r.finished_at, r.started_at)) FROM crawl_runs r
                WHERE r.site = s.site AND r.pages > 0) AS last_success,
               (SELECT max(r.started_at) FROM crawl_runs r WHERE r.site = s.site) AS last_crawl
        FROM (SELECT site FROM site_events UNION SELECT site FROM crawl_runs) s
        LEFT JOIN site_events e ON e.id = (SELECT max(id) FROM site_events WHERE site = s.site)
        """,
    )


@migration
def m012_copies(db: sqlite_utils.Database) -> None:
    """Republished copies (``archive.copies``): each article's signature (exact key, MinHash,
    the site its credit line names), its LSH band keys, and the copies found on other sites,
    linked both ways. Found at ingest; articles stored before are linked by `copies --rebuild`."""
    _statements(
        db,
        """
        CREATE TABLE copy_signatures (
            article_id INTEGER PRIMARY KEY REFERENCES articles(id),
            content_hash TEXT NOT NULL,
            body_key TEXT,
            minhash BLOB,
            named_site TEXT
        );
        CREATE INDEX copy_signatures_body_key ON copy_signatures(body_key) WHERE body_key IS NOT NULL;
        CREATE TABLE copy_bands (
            band_key INTEGER NOT NULL,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            PRIMARY KEY (band_key, article_id)
        ) WITHOUT ROWID;
        CREATE INDEX copy_bands_article ON copy_bands(article_id);
        CREATE TABLE article_copies (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            copy_id INTEGER NOT NULL REFERENCES articles(id),
            kind TEXT NOT NULL,
            similarity REAL NOT NULL,
            PRIMARY KEY (article_id, copy_id)
        ) WITHOUT ROWID
        """,
    )


@migration
def m013_sources_and_removals(db: sqlite_utils.Database) -> None:
    """Sitemaps and feeds as frontier sources (what each lists, and when it last changed), and
    removed articles as events: an article gone (404/410, a soft 404, no longer listed) keeps its
    versions, is marked with when it was first seen gone, and is marked back if it returns."""
    _statements(
        db,
        """
        ALTER TABLE articles ADD COLUMN gone_since TEXT;
        CREATE INDEX articles_gone ON articles(site, gone_since) WHERE gone_since IS NOT NULL;
        CREATE TABLE article_events (
            id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            event TEXT NOT NULL,
            at TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs(id),
            http_status INTEGER,
            final_url TEXT,
            evidence TEXT
        );
        CREATE INDEX article_events_article ON article_events(article_id, id);
        CREATE TABLE sources (
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            kind TEXT,
            status TEXT NOT NULL,
            first_seen TEXT,
            last_fetched TEXT,
            entries INTEGER,
            run_id INTEGER REFERENCES crawl_runs(id),
            PRIMARY KEY (site, url)
        );
        CREATE TABLE source_entries (
            site TEXT NOT NULL,
            url TEXT NOT NULL,
            source TEXT NOT NULL,
            modified TEXT,
            first_listed TEXT,
            last_listed TEXT,
            run_id INTEGER REFERENCES crawl_runs(id),
            PRIMARY KEY (site, url)
        )
        """,
    )


@migration
def m014_index_reads_articles(db: sqlite_utils.Database) -> None:
    """The search indexes keep no copy of the text: FTS5 tables with external content, reading
    title, summary and body from ``articles`` (a third of an archive's size was the indexes'
    copy). What the tokenizer is given is still ``portals.folding.indexed`` of the text; the
    indexes are rebuilt from the articles' text. Copies are found in passes behind the writes
    (``archive.copies``): the articles waiting for one are listed (those whose copies were not
    found for their current content yet, in an archive that has linked copies before). And the
    copies' band keys lose their index by article and their key checks."""
    from portals.folding import indexed

    db.conn.create_function("portal_indexed", 1, indexed, deterministic=True)
    _statements(
        db,
        f"""
        DROP TABLE articles_fts;
        DROP TABLE articles_title_fts;
        -- articles.title, summary and body as given to the tokenizer (portals.folding.indexed: đ as
        -- d), which lower-cases them and drops the other diacritics; read from articles (rowid = id).
        CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, {INDEX_OPTIONS});
        CREATE VIRTUAL TABLE articles_title_fts USING fts5(title, {INDEX_OPTIONS});
        INSERT INTO articles_fts (rowid, title, summary, body)
            SELECT id, portal_indexed(title), portal_indexed(summary), portal_indexed(body) FROM articles;
        INSERT INTO articles_title_fts (rowid, title) SELECT id, portal_indexed(title) FROM articles;
        -- Articles whose copies are to be found by the next pass (archive.copies).
        CREATE TABLE copy_pending (article_id INTEGER PRIMARY KEY);
        INSERT INTO copy_pending (article_id)
            SELECT a.id FROM articles a LEFT JOIN copy_signatures s ON s.article_id = a.id
            WHERE s.content_hash IS NOT a.content_hash AND EXISTS (SELECT 1 FROM copy_signatures);
        -- Band keys without the checks of each key against articles, and without their index by
        -- article: a changed article's keys are found from its old signature.
        CREATE TABLE copy_bands_new (band_key INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (band_key, article_id))
            WITHOUT ROWID;
        INSERT INTO copy_bands_new SELECT band_key, article_id FROM copy_bands ORDER BY band_key, article_id;
        DROP TABLE copy_bands;
        ALTER TABLE copy_bands_new RENAME TO copy_bands
        """,
    )


@migration
def m015_bodies_once(db: sqlite_utils.Database) -> None:
    """An article's text is stored once: the latest version's ``record`` leaves out ``body``,
    which is the article's (``articles.body``); a version gets it back in its record when a newer
    one replaces it. ``version_records`` is ``article_versions`` with every record whole.
    Records written before keep their body."""
    _statements(
        db,
        """
        CREATE VIEW version_records AS
            SELECT v.id, v.article_id, v.version, v.content_hash, v.fetched_at, v.crawl_run_id, v.fetched_url,
                   v.http_status,
                   CASE WHEN json_type(v.record, '$.body') IS NULL THEN json_set(v.record, '$.body', a.body)
                        ELSE v.record END AS record,
                   v.warc_file, v.warc_offset, v.warc_record_id, v.payload_digest, v.warc_dir
            FROM article_versions v JOIN articles a ON a.id = v.article_id
        """,
    )


@migration
def m016_bands_by_site(db: sqlite_utils.Database) -> None:
    """Band keys kept by site: articles of one site are never each other's copies, so a lookup
    skips the keys of the article's own site (many pages of one site made from one template
    share all their keys, and each new one was compared with every one before)."""
    _statements(
        db,
        """
        CREATE TABLE copy_bands_new (
            band_key INTEGER NOT NULL, site TEXT NOT NULL, article_id INTEGER NOT NULL,
            PRIMARY KEY (band_key, site, article_id)
        ) WITHOUT ROWID;
        INSERT INTO copy_bands_new SELECT b.band_key, a.site, b.article_id
            FROM copy_bands b JOIN articles a ON a.id = b.article_id ORDER BY 1, 2, 3;
        DROP TABLE copy_bands;
        ALTER TABLE copy_bands_new RENAME TO copy_bands
        """,
    )


@migration
def m017_index_merges(db: sqlite_utils.Database) -> None:
    """The search indexes merge their segments 16 at a time (FTS5's ``automerge``, 4 by
    default). Each write adds a segment; FTS5 merges a level's segments into one of the next once
    there are ``automerge`` of them, so every article's entries are rewritten once per level:
    with 16, about half as many levels, half the rewriting that a write pays for, and at most 16
    segments of each level for a search to read instead of 4 (docs/benchmarks.md)."""
    for table in SEARCH_MERGED:
        db.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', {INDEX_AUTOMERGE})")


# The search indexes' options (m014): text read from ``articles``, folded by the tokenizer.
# ``content='articles'`` in single quotes: Datasette takes a table named in double quotes for
# the table's own search box, which would look for what is typed unfolded (``archive.web`` gives
# the table its search box over the index instead).
# Segments merged this many at a time (m017): FTS5's default is 4.
INDEX_AUTOMERGE = 16
SEARCH_MERGED = ("articles_fts", "articles_title_fts")
INDEX_OPTIONS = "content='articles', content_rowid='id', tokenize = 'unicode61 remove_diacritics 2'"

SCHEMA_VERSION = len(MIGRATIONS)


def _statements(db: sqlite_utils.Database, script: str) -> None:
    """Run a script statement by statement (``executescript`` would commit mid-migration)."""
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    for statement in "\n".join(lines).split(";"):
        if statement.strip():
            db.execute(statement)


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> int:
    """Apply the migrations this database lacks; return how many were applied."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise SchemaError(
            f"this archive has schema version {version}, newer than this portal-archive knows "
            f"({len(MIGRATIONS)}); upgrade portal-archive to use it"
        )
    if version == len(MIGRATIONS):
        return 0
    if version == 0 and _has_foreign_tables(db):
        raise SchemaError("this SQLite file is not a portal-archive archive (it has other tables)")
    applied = 0
    for number, (name, fn) in enumerate(MIGRATIONS, start=1):
        if number <= version:
            continue
        with transaction(db):  # each migration is one transaction, recorded with its number
            db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
            fn(db)
            db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", [name, now()])
            db.execute(f"PRAGMA user_version = {number}")
        applied += 1
    return applied


def _has_foreign_tables(db: sqlite_utils.Database) -> bool:
    try:
        names = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"not a SQLite database ({exc})") from None
    return bool(names - {"_migrations"})
