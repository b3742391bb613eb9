"""The Datasette plugin that makes the browser speak the archive's language (``portal-archive
serve``; see ``app.py``). Laid out as Datasette's own plugins are: these hooks, the facets in
``facets.py``, the charts page in ``templates/`` and the style sheet in ``static/``. It:

* gives the articles table its search box over ``articles_fts``: what is typed is folded
  (``portals.folding.fold``) and parsed as the CLI parses it (``archive.search.parse_query``),
  so the same words, phrases, AND / OR / NOT and prefix* find the same articles in both, and
  "da nang" finds "Đà Nẵng". It is a filter hook, not Datasette's own ``fts_table`` search
  (which would match the unfolded text) nor a rewrite of ``_search`` in the request (Datasette
  copies request arguments into its redirects, links and hidden form fields, so the rewritten
  FTS expression would reach the user's search box);
* adds the facets "province" (current name, from the portal registry, by site) and "year", and
  the ``?_province=`` filter (current or pre-2025 name, diacritics optional);
* registers a ``fold()`` SQL function (for canned queries and, with --allow-sql, researchers);
* serves ``/-/charts``: publication volume and visitor statistics per site, as inline SVG;
* links every article version's WARC file to its capture, ``/-/capture/VERSION_ID``: the page
  read from its WARC record by offset, served as an inert download (``Content-Disposition:
  attachment``, ``Content-Security-Policy: sandbox``, ``nosniff``), never rendered on the
  archive's origin;
* refuses every request that is not a read.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.filters import FilterArguments
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from portals.folding import fold
from portals.registry import UnknownProvince, sites_in_provinces

from ..history import ArticleNotFound, CaptureMissing, raw_capture
from ..report import charts_html, collect
from ..search import FilterError, Filters, QueryError, parse_query
from ..store import Archive
from .facets import ProvinceFacet, YearFacet

PLUGIN = "portal-archive"
STATIC = __name__  # Datasette serves this package's static/ under its module name


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
        except UnknownProvince:
            domains = []
        names = {f"province_{i}": d for i, d in enumerate(domains)}
        params.update(names)
        where.append(f"site in ({', '.join(':' + k for k in names)})" if names else "0")
        described.append(f'province is "{province}" (current or before 2025)')
    if not (where or context):
        return None
    return FilterArguments(where, params, described, context)


@hookimpl
def register_facet_classes() -> list[type]:
    return [ProvinceFacet, YearFacet]


async def charts_view(datasette: Datasette, request: Any) -> Response:
    database = (datasette.plugin_config(PLUGIN) or {}).get("database")
    path = Path(datasette.get_database(database).path)
    site, province = request.args.get("site"), request.args.get("province")
    try:
        filters = Filters.of(site=site, province=province)
        filters.conditions()
    except FilterError as exc:
        return Response.html(f"<p>{escape(str(exc))}</p>", status=400)  # the message quotes the request

    def build() -> str:
        with Archive(path, readonly=True) as archive:
            return charts_html(collect(archive, filters, versions=False))

    charts = await asyncio.to_thread(build)
    scope = f" of {site}" if site else (f" in {province}" if province else "")
    html = await datasette.render_template(
        "portal-archive-charts.html",
        {"charts": charts, "database": database, "scope": scope, "metadata": datasette.metadata()},
        request=request,
    )
    return Response.html(html)


# A capture is served as a download that nothing renders on this origin: an archived page's
# scripts must never run beside the archive (they could read it, or act as its visitor).
INERT_HEADERS = {
    "Content-Security-Policy": "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
}


async def capture_view(datasette: Datasette, request: Any) -> Response:
    """``/-/capture/VERSION_ID``: the captured page of one article version, read from its WARC
    record by offset, as an attachment (``?http=1``: the HTTP response as recorded)."""
    database = (datasette.plugin_config(PLUGIN) or {}).get("database")
    path = Path(datasette.get_database(database).path)
    version_id = int(request.url_vars["id"])
    http = request.args.get("http") == "1"

    def load() -> tuple[str, bytes] | str:
        with Archive(path, readonly=True) as archive:
            row = archive.db.execute("SELECT article_id, version FROM article_versions WHERE id = ?", [version_id]).fetchone()
            if row is None:
                return f"no article version {version_id}"
            try:
                _, data = raw_capture(archive, str(row[0]), row[1], http=http)
            except (ArticleNotFound, CaptureMissing) as exc:
                return str(exc)
            return f"article-{row[0]}-v{row[1]}.{'http' if http else 'html'}", data

    found = await asyncio.to_thread(load)
    if isinstance(found, str):
        return Response.text(found, status=404, headers=INERT_HEADERS)
    name, data = found
    headers = {**INERT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, status=200, headers=headers, content_type="application/octet-stream")


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/-/charts$", charts_view), (r"^/-/capture/(?P<id>\d+)$", capture_view)]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Datasette) -> Markup | None:
    """Each version's WARC file links to its capture (a download: see ``capture_view``)."""
    if table != "article_versions" or column != "warc_file" or not value or row is None:
        return None
    try:
        version_id = int(row["id"])
    except (IndexError, KeyError, TypeError, ValueError):
        return None
    href = datasette.urls.path(f"/-/capture/{version_id}")
    return Markup(
        f'<a href="{escape(href)}" download title="Download the captured page (from the WARC record)">'
        f'{escape(value)}</a> · <a href="{escape(href)}?http=1" download>HTTP</a>'
    )


@hookimpl
def extra_css_urls(datasette: Datasette) -> list[str]:
    return [datasette.urls.static_plugins(STATIC, "portal-archive.css")]


@hookimpl
def menu_links(datasette: Datasette) -> list[dict[str, str]]:
    return [{"href": datasette.urls.path("/-/charts"), "label": "Charts"}]
