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
* serves ``/-/search``: the CLI's search (``archive.search.search``) in the browser, by relevance
  or newest first, each hit with its highlighted snippet;
* reads one committed state of the archive per request (``snapshots.py``);
* sends a Content-Security-Policy with every response (``CSP``): scripts only from this server,
  never inline (Datasette's two inline scripts are replaced by files in ``static/``, one
  constant line allowed by its hash), so text that reached a page unescaped still runs nothing;
* refuses every request that is not a read.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.app import Datasette
from datasette.filters import FilterArguments
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from portals.folding import fold
from portals.registry import UnknownProvince, sites_in_provinces

from ..history import ArticleNotFound, CaptureMissing, raw_capture
from ..report import charts_html, collect
from ..search import FilterError, Filters, QueryError, count, parse_query, search, snippet
from ..store import Archive
from .facets import ProvinceFacet, YearFacet
from .snapshots import read_archive, request_snapshot

PLUGIN = "portal-archive"
STATIC = __name__  # Datasette serves this package's static/ under its module name


def _script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


# What the pages may load and run. Scripts: this server's files, and the one inline line of
# Datasette's table page (a constant, allowed by its hash); no inline script, no eval, no plugin
# object, no <base>, no framing, forms posting only here. Styles: Datasette's templates write
# per-page styles inline (a database's colour, a table's column labels on phones), which CSS
# cannot turn into a script in a current browser; images also as data: URLs (its icons).
CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self' " + " ".join(_script_hash(f"DATASETTE_ALLOW_FACET = {v};") for v in ("true", "false")),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _with_security_headers(send: Any) -> Any:
    """``send`` that adds ``SECURITY_HEADERS`` to a response lacking them (a capture keeps its
    stricter policy: ``INERT_HEADERS``)."""

    async def secured(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            present = {name.lower() for name, _ in headers}
            headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
            message = {**message, "headers": headers}
        await send(message)

    return secured


@hookimpl
def asgi_wrapper(datasette: Datasette) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http":
                await app(scope, receive, send)
                return
            send = _with_security_headers(send)
            if scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
                # Read-only: no form, API or plugin can write through this server.
                await Response.text("This archive is served read-only.", status=405).asgi_send(send)
                return
            async with request_snapshot():
                await app(scope, receive, send)

        return guarded

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
    site, province = request.args.get("site"), request.args.get("province")
    try:
        filters = Filters.of(site=site, province=province)
        filters.conditions()
    except (FilterError, ValueError) as exc:  # ValueError: a site that is no domain
        return Response.html(f"<p>{escape(str(exc))}</p>", status=400)  # the message quotes the request

    charts = await read_archive(
        datasette.get_database(database), lambda archive: charts_html(collect(archive, filters, versions=False))
    )
    scope = f" of {site}" if site else (f" in {province}" if province else "")
    html = await datasette.render_template(
        "portal-archive-charts.html",
        {"charts": charts, "database": database, "scope": scope, "metadata": datasette.metadata()},
        request=request,
    )
    return Response.html(html)


# The highlights of a snippet, as characters no stored text holds (private use): the text is
# escaped first, then they become <mark>.
_MARK = ("\ue000", "\ue001")
ORDERS = {"relevance": "relevance", "newest": "date"}
PAGE = 20


def _marked(text: str) -> Markup:
    return Markup(str(escape(text)).replace(_MARK[0], "<mark>").replace(_MARK[1], "</mark>"))


SEARCH_ARGS = ("q", "order", "site", "province", "since", "until", "source", "publisher", "author", "changed", "after")
FILTER_ARGS = ("site", "province", "since", "until", "source", "publisher", "author")


async def search_view(datasette: Datasette, request: Any) -> Response:
    """``/-/search?q=…``: what ``portal-archive search`` finds, best matches first (``order=
    relevance``) or newest first (``order=newest``), 20 at a time (``after``: the cursor of the
    last hit shown), each with its snippet, narrowed by site, province, dates, credit line,
    publisher, author and ``changed`` after publication, as the command's options narrow it."""
    database = (datasette.plugin_config(PLUGIN) or {}).get("database")
    args = {k: (request.args.get(k) or "").strip() for k in SEARCH_ARGS}
    order = args["order"] if args["order"] in ORDERS else "relevance"
    error, hits, total, terms = "", [], 0, []
    try:
        filters = Filters.of(**{k: args[k] or None for k in FILTER_ARGS}, changed=bool(args["changed"]))
        filters.conditions()
        terms = parse_query(args["q"]).terms if args["q"] else []
    except (QueryError, FilterError, ValueError) as exc:  # the message quotes the request: escaped
        error = str(exc)

    def run(archive: Archive) -> tuple[list[Any], int]:
        found = search(archive, args["q"], filters, limit=PAGE, order=ORDERS[order], mark=_MARK, after=args["after"] or None)
        return found, count(archive, args["q"], filters)  # hits and count: the request's one state

    if terms and not error:
        try:
            hits, total = await read_archive(datasette.get_database(database), run)
        except (QueryError, FilterError, ValueError) as exc:  # a cursor no search printed
            error = str(exc)
    results = [
        {
            "url": hit.url,
            "site": hit.site,
            "date": (hit.date or "")[:10],
            "title": _marked(snippet(hit.title or "", terms, width=3 * len(hit.title or ""), mark=_MARK)),
            "snippet": _marked(hit.snippet),
            "apart": hit.apart,
            "href": datasette.urls.row(database, "articles", str(hit.id)),
        }
        for hit in hits
    ]
    kept = {k: v for k, v in args.items() if v and k != "after"}
    table = {"_search": args["q"], **({"_province": args["province"]} if args["province"] else {})}
    html = await datasette.render_template(
        "portal-archive-search.html",
        {
            "args": args,
            "order": order,
            "error": error,
            "results": results,
            "total": total,
            "first": urlencode({**kept, "order": order}) if args["after"] else "",
            "next": urlencode({**kept, "order": order, "after": hits[-1].cursor}) if len(hits) == PAGE else "",
            "table": f"{datasette.urls.table(database, 'articles')}?{urlencode(table)}",
            "metadata": datasette.metadata(),
        },
        request=request,
    )
    return Response.html(html, status=400 if error else 200)


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
    version_id = int(request.url_vars["id"])
    http = request.args.get("http") == "1"

    def load(archive: Archive) -> tuple[str, bytes] | str:
        row = archive.db.execute("SELECT article_id, version FROM article_versions WHERE id = ?", [version_id]).fetchone()
        if row is None:
            return f"no article version {version_id}"
        try:
            _, data = raw_capture(archive, str(row[0]), row[1], http=http)
        except (ArticleNotFound, CaptureMissing) as exc:
            return str(exc)
        return f"article-{row[0]}-v{row[1]}.{'http' if http else 'html'}", data

    found = await read_archive(datasette.get_database(database), load)
    if isinstance(found, str):
        return Response.text(found, status=404, headers=INERT_HEADERS)
    name, data = found
    headers = {**INERT_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(data, status=200, headers=headers, content_type="application/octet-stream")


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/-/charts$", charts_view), (r"^/-/search$", search_view), (r"^/-/capture/(?P<id>\d+)$", capture_view)]


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
    return [
        {"href": datasette.urls.path("/-/search"), "label": "Search"},
        {"href": datasette.urls.path("/-/charts"), "label": "Charts"},
    ]
