"""``portal-archive serve``: the archive in Datasette, read-only, for researchers' browsers.

This module is also the Datasette plugin that makes the UI speak the archive's language. It is
registered programmatically by ``make_datasette`` (nothing to install), and:

* gives the articles table its search box over ``articles_fts``: what is typed is folded
  (``crawler.extract.text.fold``) and parsed as the CLI parses it (``archive.search.parse_query``),
  so the same words, phrases, AND / OR / NOT and prefix* find the same articles in both, and
  "da nang" finds "Đà Nẵng" (the index holds folded text). It is a filter hook, not Datasette's
  own ``fts_table`` search (which would match the unfolded text) nor a rewrite of ``_search`` in
  the request (Datasette copies request arguments into its redirects, links and hidden form
  fields, so the rewritten FTS expression would reach the user's search box);
* adds the facets "province" (current name, from the portal registry, by site) and "year", and
  the ``?_province=`` filter (current or pre-2025 name, diacritics optional);
* registers a ``fold()`` SQL function (for canned queries and, with --allow-sql, researchers);
* serves ``/-/charts``: publication volume and visitor statistics per site, as inline SVG.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from datasette import hookimpl
from datasette.app import Datasette
from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import escape_sqlite, path_with_removed_args, path_with_replaced_args
from datasette.utils.asgi import Response

from crawler.extract.text import fold

from .report import charts_html, collect
from .search import FilterError, Filters, QueryError, parse_query, province_key, site_places, sites_in_provinces
from .store import Archive

PLUGIN = "portal-archive"

TABLES: dict[str, tuple[str, dict[str, str]]] = {
    "articles": (
        "Every article archived, as last seen: one row per canonical URL. Earlier versions are in "
        "article_versions. Search folds diacritics: 'da nang' finds 'Đà Nẵng'.",
        {
            "id": "Article id (stable; `portal-archive show ID`)",
            "url": "Canonical URL: one article, one URL",
            "site": "Portal (domain without www.)",
            "family": "Platform profile used to extract it (empty: generic extraction)",
            "title": "Title, as published (NFC)",
            "date": "Publication date (ISO 8601; with time and +07:00 when the portal gives one)",
            "updated": "Update date the portal shows, if any",
            "summary": "Lead paragraph (sapo), if the portal separates it",
            "body": "Text of the article; paragraphs separated by blank lines",
            "source_text": "The attribution line as printed (e.g. 'Theo Báo Đà Nẵng')",
            "source_publisher": "Publisher named in the attribution",
            "source_author": "Author named in the attribution",
            "views": "View counter shown on the page at the last fetch",
            "content_hash": "SHA-256 of the content fields of the latest version",
            "versions": "How many versions the archive holds (1: never changed)",
            "first_seen": "When the archive first fetched it",
            "last_seen": "When a crawl last saw it (changed or not)",
            "last_changed": "When its latest version was fetched",
            "last_run_id": "Crawl run that last saw it (crawl_runs.id)",
            "etag": "HTTP ETag of the last fetch (for conditional re-fetches)",
            "last_modified": "HTTP Last-Modified of the last fetch",
        },
    ),
    "article_versions": (
        "Every version of every article: a new row each time a crawl found its content changed.",
        {
            "id": "Row id",
            "article_id": "The article (articles.id)",
            "version": "1 for the first capture, then 2, 3, …",
            "content_hash": "SHA-256 of the version's content fields",
            "fetched_at": "When this version was fetched",
            "crawl_run_id": "Crawl run that fetched it",
            "fetched_url": "URL actually fetched (before canonicalisation)",
            "http_status": "HTTP status of the response",
            "record": "The full extracted record (JSON), as `portal-archive extract` prints it",
            "warc_file": "WARC file holding the raw response",
            "warc_offset": "Byte offset of the response record in the WARC file",
            "warc_record_id": "WARC-Record-ID of the response",
            "payload_digest": "WARC-Payload-Digest of the response body",
        },
    ),
    "visitor_stats": (
        "The visitor counters a portal shows ('Lượt truy cập'), read once per site per crawl run.",
        {
            "id": "Row id",
            "site": "Portal",
            "observed_at": "When the counter was read",
            "crawl_run_id": "Crawl run that read it",
            "url": "Page it was read on",
            "total": "Total visits since the counter started",
            "online": "Visitors online",
            "today": "Visits today",
            "yesterday": "Visits yesterday",
            "this_week": "Visits this week",
            "last_week": "Visits last week",
            "this_month": "Visits this month",
            "last_month": "Visits last month",
            "this_year": "Visits this year",
        },
    ),
    "crawl_runs": ("One row per crawl of a site: how it ended and what it stored.", {}),
    "attachments": ("Documents and images of articles, with where their raw bytes are kept.", {}),
    "sites": ("The portal registry (crawler/registry.csv) as of the last crawl by the portal-archive command.", {}),
    "frontier": ("Crawl bookkeeping: every URL a crawl of a site discovered, and whether it was fetched.", {}),
    "schedules": ("Crawls on a timetable (portal-archive schedule).", {}),
}

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
}


def metadata(database: str) -> dict[str, Any]:
    tables: dict[str, Any] = {name: {"description": text, "columns": cols} for name, (text, cols) in TABLES.items()}
    tables["articles"].update(
        sort_desc="date",
        label_column="title",
        facets=["site", {"province": "site"}, {"year": "date"}],
    )
    tables["visitor_stats"].update(sort_desc="observed_at", facets=["site", {"province": "site"}, {"year": "observed_at"}])
    tables["crawl_runs"].update(sort_desc="id", facets=["site", "status"])
    tables["articles_fts"] = {"hidden": True}
    return {
        "title": "Portal archive",
        "description_html": (
            "Articles and visitor statistics archived from Vietnam's provincial government portals. "
            f'Search <a href="/{quote(database)}/articles">articles</a> with or without diacritics; '
            'see the <a href="/-/charts">charts</a> of publication volume and visitor statistics.'
        ),
        "databases": {database: {"tables": tables, "queries": CANNED_QUERIES}},
        "plugins": {PLUGIN: {"database": database}},
    }


def make_datasette(path: Path, *, allow_sql: bool = False, immutable: bool = True) -> Datasette:
    """A Datasette over the archive file with this module as its plugin. ``immutable`` opens
    the file as never changing (fast, no locks); otherwise read-only connections (mode=ro)."""
    from datasette.plugins import pm

    if not pm.is_registered(sys.modules[__name__]):
        pm.register(sys.modules[__name__], name=PLUGIN)
    return Datasette(
        files=[] if immutable else [str(path)],
        immutables=[str(path)] if immutable else [],
        metadata=metadata(path.stem),
        settings={
            "default_allow_sql": allow_sql,
            "suggest_facets": False,
            "truncate_cells_html": 160,
            "facet_time_limit_ms": 1000,
        },
    )


def serve(path: Path, *, host: str, port: int, allow_sql: bool, immutable: bool) -> None:
    import datasette.handle_exception
    import uvicorn

    # Datasette prints every 403 and 404 as a rich traceback with locals: keep the console for
    # real errors (they are still printed, by the standard traceback module).
    datasette.handle_exception.rich = None

    ds = make_datasette(path, allow_sql=allow_sql, immutable=immutable)
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)


# -- read-only, the search box, facets and the province filter -----------------------------
@hookimpl
def asgi_wrapper(datasette: Datasette) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        async def read_only(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
                # Read-only: no form, API or plugin can write through this server.
                await Response.text("This archive is served read-only.", status=405).asgi_send(send)
                return
            await app(scope, receive, send)

        return read_only

    return wrap


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("fold", 1, lambda text: None if text is None else fold(str(text)), deterministic=True)


SITE_TABLES = ("articles", "visitor_stats", "crawl_runs")


def fts_expression(typed: str) -> str | None:
    """What the CLI would search for ``typed``; for a query it would refuse (an unclosed quote,
    a dangling operator), its words, all of them. None when it has no word at all."""
    try:
        return parse_query(typed).fts
    except QueryError:
        words = re.findall(r"\w+", fold(typed))
        return " AND ".join(f'"{w}"' for w in words) or None


# trylast: the built-in search filter, finding no fts_table, says the table has no search box;
# this hook runs after it and says it has one.
@hookimpl(trylast=True)
def filters_from_request(request: Any, table: str) -> FilterArguments | None:
    where: list[str] = []
    params: dict[str, Any] = {}
    described: list[str] = []
    context: dict[str, Any] = {}
    if table == "articles":
        typed = request.args.get("_search") or ""
        context = {"supports_search": True, "search": typed}
        if typed.strip():
            expression = fts_expression(typed)
            where.append("+id in (select rowid from articles_fts where articles_fts match :portal_search)" if expression else "0")
            params["portal_search"] = expression
            described.append(f'search matches "{typed}"')
    province = request.args.get("_province")
    if province and table in SITE_TABLES:
        try:
            domains = sorted(sites_in_provinces([province]))
        except FilterError:
            domains = []
        names = {f"province_{i}": d for i, d in enumerate(domains)}
        params.update(names)
        where.append(f"site in ({', '.join(':' + k for k in names)})" if names else "0")
        described.append(f'province is "{province}" (current or before 2025)')
    if not (where or context):
        return None
    return FilterArguments(where, params, described, context)


class _Facet(Facet):  # type: ignore[misc]
    """A facet over a value computed from a column; subclasses say how and how to filter by it."""

    label = ""

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def counts(self, column: str) -> list[tuple[str, int]]:
        raise NotImplementedError

    def selected(self, column: str, value: str) -> bool:
        raise NotImplementedError

    def toggle(self, column: str, value: str, selected: bool) -> str:
        raise NotImplementedError

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results, timed_out = [], []
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            column = source_and_config["config"].get("column") or source_and_config["config"]["simple"]
            try:
                counts = await self.counts(column)
            except QueryInterrupted:
                timed_out.append(self.label)
                continue
            values = []
            for value, n in counts[:size]:
                selected = self.selected(column, value)
                url = self.ds.absolute_url(self.request, self.ds.urls.path(self.toggle(column, value, selected)))
                values.append({"value": value, "label": value, "count": n, "toggle_url": url, "selected": selected})
            results.append(
                {
                    "name": self.label,
                    "type": "column",  # shown as "province", not "province (province)"
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {f"_facet_{self.type}": column})),
                    "results": values,
                    "truncated": len(counts) > size,
                }
            )
        return results, timed_out

    async def _query(self, sql: str) -> list[Any]:
        limit = self.ds.setting("facet_time_limit_ms")
        return list(await self.ds.execute(self.database, sql, self.params, truncate=False, custom_time_limit=limit))


class ProvinceFacet(_Facet):
    """Articles (or readings, or runs) per province: the registry's current province of each site."""

    type = "province"
    label = "province"

    async def counts(self, column: str) -> list[tuple[str, int]]:
        rows = await self._query(f"select {escape_sqlite(column)} as value, count(*) as n from ({self.sql}) group by value")
        places, by_province = site_places(), defaultdict[str, int](int)
        for row in rows:
            if row["value"] in places:
                by_province[places[row["value"]]["province"]] += row["n"]
        return sorted(by_province.items(), key=lambda kv: (-kv[1], kv[0]))

    def selected(self, column: str, value: str) -> bool:
        chosen = self.request.args.get("_province")
        return bool(chosen) and province_key(chosen) == province_key(value)

    def toggle(self, column: str, value: str, selected: bool) -> str:
        if selected:
            return path_with_removed_args(self.request, {"_province": self.request.args.get("_province")})
        return path_with_replaced_args(self.request, {"_province": value})


class YearFacet(_Facet):
    """Rows per year of a date column (articles by publication year), newest first."""

    type = "year"
    label = "year"

    async def counts(self, column: str) -> list[tuple[str, int]]:
        col = escape_sqlite(column)
        rows = await self._query(
            f"select substr({col}, 1, 4) as value, count(*) as n from ({self.sql}) "
            "where value glob '[0-9][0-9][0-9][0-9]' group by value order by value desc"
        )
        return [(row["value"], row["n"]) for row in rows]

    def selected(self, column: str, value: str) -> bool:
        return self.request.args.get(f"{column}__startswith") == value

    def toggle(self, column: str, value: str, selected: bool) -> str:
        key = f"{column}__startswith"
        if selected:
            return path_with_removed_args(self.request, {key: value})
        return path_with_replaced_args(self.request, {key: value})


@hookimpl
def register_facet_classes() -> list[type]:
    return [ProvinceFacet, YearFacet]


# -- charts ------------------------------------------------------------------------------------
CHARTS_PAGE = """{% extends "base.html" %}
{% block title %}Charts · {{ metadata.title }}{% endblock %}
{% block content %}
<h1>Charts</h1>
<p>Publication volume and visitor statistics per site{{ scope }}.
Narrow with <code>?site=DOMAIN</code> or <code>?province=NAME</code>; the numbers are in the canned
queries of <a href="{{ urls.database(database) }}">{{ database }}</a>.</p>
{{ charts|safe }}
{% endblock %}"""


async def charts_view(datasette: Datasette, request: Any) -> Response:
    database = (datasette.plugin_config(PLUGIN) or {}).get("database")
    path = Path(datasette.get_database(database).path)
    site, province = request.args.get("site"), request.args.get("province")
    try:
        filters = Filters.of(site=site, province=province)
        filters.conditions()
    except FilterError as exc:
        return Response.html(f"<p>{exc}</p>", status=400)

    def build() -> str:
        with Archive(path, readonly=True) as archive:
            return charts_html(collect(archive, filters, versions=False))

    charts = await asyncio.to_thread(build)
    scope = f" of {site}" if site else (f" in {province}" if province else "")
    page = datasette.jinja_env.from_string(CHARTS_PAGE)
    html = await datasette.render_template(
        page, {"charts": charts, "database": database, "scope": scope, "metadata": datasette.metadata()}, request=request
    )
    return Response.html(html)


STYLE = """
dl.column-descriptions{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:.1rem 1rem;font-size:.85rem}
dl.column-descriptions dt{font-weight:600} dl.column-descriptions dd{margin:0;color:#4b5563}
.rows-and-columns td.col-title{min-width:16em} .rows-and-columns td.col-url{min-width:18em;word-break:break-all}
.rows-and-columns td.col-body,.rows-and-columns td.col-summary{min-width:24em}
.charts figure{margin:1rem 0} .charts svg{background:#fff}
"""


async def style_view() -> Response:
    return Response(STYLE, content_type="text/css; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/-/charts$", charts_view), (r"^/-/portal-archive\.css$", style_view)]


@hookimpl
def extra_css_urls(datasette: Datasette) -> list[str]:
    # Column descriptions in a compact grid, so a table's rows stay near the top of its page.
    return [datasette.urls.path("/-/portal-archive.css")]


@hookimpl
def menu_links(datasette: Datasette) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/charts"), "label": "Charts"}]
