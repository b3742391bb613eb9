"""``portal-archive serve``: the archive in Datasette, read-only, for researchers' browsers.

``make_datasette`` builds a Datasette over the archive file with this package's plugin
(``archive.web``: hooks in ``__init__.py``, facets in ``facets.py``, one snapshot per request in
``snapshots.py``, ``templates/`` and ``static/`` as files) registered programmatically, so there
is nothing to install; ``metadata`` describes the tables and columns from ``archive/tables.toml``,
the description ``export`` and docs/schema.md use.

The file is read live (SQLite ``mode=ro``), each request in one read transaction, so a crawl may
write the archive while it is served: pages show the archive as of a commit, never half of one.
Only a file that cannot be read live (a WAL archive in a folder this user cannot write, with no
``-shm`` beside it) is opened ``immutable``: then nothing on this machine writes it either.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette.app import Datasette

from ..copies import MOST_REPUBLISHED_SQL
from ..tables import plain, tables
from . import PLUGIN
from .snapshots import SnapshotDatabase

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "articles_per_site_per_month": {
        "title": "Articles per site per month",
        "description": "Publication volume by article date; leave site empty for every site. Charts: /-/charts",
        "sql": (
            "select site, substr(date, 1, 7) as month, count(*) as articles from articles\n"
            "where date is not null and (:site = '' or site = :site)\n"
            "group by site, month order by site, month"
        ),
    },
    "visitor_statistics_over_time": {
        "title": "Visitor statistics of a site over time",
        "description": "Every reading of the site's visitor counters, oldest first. Charts: /-/charts",
        "sql": (
            "select observed_at, total, online, today, yesterday, this_week, this_month, this_year, crawl_run_id\n"
            "from visitor_stats where site = :site order by observed_at"
        ),
    },
    "articles_changed_after_publication": {
        "title": "Articles changed after publication",
        "description": "Articles the archive saw change (more than one version), latest change first.",
        "sql": (
            "select a.id, a.site, a.title, a.date, a.versions, a.first_seen, a.last_changed, a.url\n"
            "from articles a where a.versions > 1 order by a.last_changed desc"
        ),
    },
    "articles_removed_from_their_portal": {
        "title": "Articles removed from their portal",
        "description": "Archived articles a crawl found gone (404/410, a soft 404, no longer in the sitemap), "
        "with the evidence; their versions stay in the archive. Latest removal first.",
        "sql": (
            "select a.id, a.site, a.title, a.date, a.gone_since, e.http_status, e.evidence, e.final_url, a.url\n"
            "from articles a join article_events e on e.id = (select max(id) from article_events where article_id = a.id)\n"
            "where a.gone_since is not null order by a.gone_since desc"
        ),
    },
    "most_republished_stories": {
        "title": "Most republished stories",
        "description": "Stories copied across portals (archive.copies), each once as its earliest article, most copies first.",
        "sql": MOST_REPUBLISHED_SQL.strip() + "\nlimit 100",
    },
}


def metadata(database: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        t.name: {"description": plain(t.description), "columns": {c.name: plain(c.meaning) for c in t.columns}}
        for t in tables().values()
    }
    described["articles"].update(
        sort_desc="date",
        label_column="title",
        facets=[
            "site",
            {"province": "site"},
            {"year": "date"},
            {"year": "gone_since"},
            "source_text",
            "source_publisher",
            "source_author",
        ],
    )
    described["visitor_stats"].update(sort_desc="observed_at", facets=["site", {"province": "site"}, {"year": "observed_at"}])
    described["crawl_runs"].update(sort_desc="id", facets=["site", "status"])
    described["articles_fts"]["hidden"] = True
    return {
        "title": "Portal archive",
        "description_html": (
            "Articles and visitor statistics archived from Vietnam's provincial government portals. "
            '<a href="/-/search">Search</a> articles with or without diacritics, by relevance or newest first; '
            f'browse and facet the <a href="/{quote(database)}/articles">articles</a>; '
            'see the <a href="/-/charts">charts</a> of publication volume and visitor statistics.'
        ),
        "databases": {database: {"tables": described, "queries": CANNED_QUERIES}},
        "plugins": {PLUGIN: {"database": database}},
    }


def make_datasette(path: Path, *, allow_sql: bool = False, immutable: bool = False) -> Datasette:
    """A Datasette over the archive file with this module as its plugin: read live (mode=ro),
    one snapshot per request; ``immutable`` opens the file as never changing (only for a file
    nothing can write: see ``readable_live``)."""
    from datasette.plugins import pm

    plugin = sys.modules[__package__ or "archive.web"]
    if not pm.is_registered(plugin):
        pm.register(plugin, name=PLUGIN)
    ds = Datasette(
        metadata=metadata(path.stem),
        settings={
            "default_allow_sql": allow_sql,
            "suggest_facets": False,
            "truncate_cells_html": 160,
            "facet_time_limit_ms": 1000,
        },
    )
    ds.remove_database("_memory")  # made when no file is given: the archive alone is served
    ds.add_database(SnapshotDatabase(ds, path=str(path), is_mutable=not immutable), name=path.stem)
    return ds


def readable_live(path: Path) -> bool:
    """Whether the archive can be read with a read-only connection that sees what writers commit
    (SQLite ``mode=ro``): not when it is in WAL mode in a folder this user cannot write and has
    no ``-shm`` file beside it (SQLite cannot make one)."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return True


def check_port(host: str, port: int) -> None:
    """Raise OSError if the server could not listen on ``host``:``port``."""
    with socket.create_server((host, port)):
        pass


def serve(path: Path, *, host: str, port: int, allow_sql: bool, immutable: bool) -> None:
    import datasette.handle_exception
    import uvicorn

    # Datasette prints every 403 and 404 as a rich traceback with locals: keep the console for
    # real errors (they are still printed, by the standard traceback module).
    datasette.handle_exception.rich = None

    ds = make_datasette(path, allow_sql=allow_sql, immutable=immutable)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)
