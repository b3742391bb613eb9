"""``portal-archive``: the command line, a thin layer over the archive and crawler libraries.

Exit codes (every command): 0 success; 1 the work failed at run time (a crawl that failed, a
disk that filled); 2 bad input (unknown site, unreadable file, malformed query, bad date, a
file that is not an archive) — reported in one line, with nothing written.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import sys
from collections.abc import Callable, Iterable
from datetime import datetime as datetime_type
from pathlib import Path
from typing import Any

import click

from crawler import __version__

EXIT_CODES = """\b
Exit codes: 0 success; 1 failure at run time; 2 bad input (nothing written)."""
DEFAULT_DB = "archive.sqlite"


class BadInput(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


def _open_archive(path: str, *, readonly: bool) -> Any:
    from .store import Archive, ArchiveError

    try:
        archive = Archive(path, readonly=readonly)
    except ArchiveError as exc:
        raise BadInput(str(exc)) from None
    if not readonly:
        _sync_registry(archive)
    return archive


def _sync_registry(archive: Any) -> None:
    """Keep the archive's ``sites`` table a copy of the portal registry, for SQL users and the
    browser (docs/schema.md); the commands themselves resolve provinces from the registry."""
    from crawler.registry import load_registry

    stored = {row["domain"]: row for row in archive.db.query("SELECT * FROM sites")}
    changed = [row for site in load_registry().values() if stored.get((row := site.as_row())["domain"]) != row]
    if changed:
        archive.sync_sites(changed)


db_option = click.option(
    "--db",
    "db_path",
    default=lambda: os.environ.get("PORTAL_ARCHIVE_DB", DEFAULT_DB),
    show_default="archive.sqlite or $PORTAL_ARCHIVE_DB",
    type=click.Path(dir_okay=False),
    help="The archive file (SQLite).",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _date_bound(end: bool) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """--since/--until: YYYY, YYYY-MM or YYYY-MM-DD, expanded to the first/last day."""

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        from calendar import monthrange
        from datetime import date

        m = _DATE.match(value.strip())
        try:
            if not m:
                raise ValueError
            year = int(m.group(1))
            month = int(m.group(2) or (12 if end else 1))
            day = int(m.group(3) or (monthrange(year, month)[1] if end else 1))
            return date(year, month, day).isoformat()
        except ValueError:
            raise BadInput(f"{param.opts[0]} {value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)") from None

    return convert


def _emit(rows: list[dict[str, Any]], fmt: str, columns: list[str], title: str | None = None) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="portal-archive")
def cli() -> None:
    """Archive Vietnam's provincial government portals and search what they published.

    Start with `portal-archive demo`; then crawl a portal with `portal-archive crawl SITE`,
    search with `portal-archive search QUERY`, read one page with `portal-archive extract FILE`.
    """


# -- extract ---------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--url", help="The URL the page was fetched from (default: the page's canonical link).")
@click.option("--family", help="Use this platform profile instead of detecting it.")
@click.option("--content-type", help='The HTTP Content-Type header, e.g. "text/html; charset=windows-1258".')
def extract(file: str, url: str | None, family: str | None, content_type: str | None) -> None:
    """Extract the article record of one saved page (FILE, or - for stdin) as JSON.

    Prints one JSON object: url, site, family, title, date, updated, summary, body, source,
    views, visitor_stats, attachments, warnings. Nothing is written anywhere.
    """
    from crawler.extract import extract as extract_record
    from crawler.profiles import ProfileError, get_profile

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        profile = get_profile(family) if family else None
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    if not url:
        url = _canonical_link(data)
        if not url:
            raise BadInput("the page names no canonical URL: give the URL it was fetched from with --url")
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"--url {url!r} is not an http(s) URL")
    record = extract_record(data, url, profile, content_type=content_type)
    click.echo(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))


def _canonical_link(data: bytes) -> str | None:
    head = data[:200_000].decode("utf-8", errors="replace")
    for pattern in (
        r'<link[^>]+rel=["\']canonical["\'][^>]*href=["\']([^"\']+)',
        r'<meta[^>]+property=["\']og:url["\'][^>]*content=["\']([^"\']+)',
    ):
        m = re.search(pattern, head, re.I)
        if m:
            return html.unescape(m.group(1)).strip()
    return None


# -- crawl -----------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.argument("sites", nargs=-1, required=True, metavar="SITE_OR_URL...")
@db_option
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages.")
@click.option("--max-time", type=click.FloatRange(min=1), help="Stop after this many seconds.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Follow links at most this deep.")
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    help="Seconds between requests to a host (default 1; 0 also disables AutoThrottle).",
)
@click.option("--proxy", help="Send every request through this HTTP proxy (e.g. a local replay server).")
@click.option("--revisit", "mode", flag_value="revisit", help="Also re-check archived articles (conditional requests).")
@click.option("--full", "mode", flag_value="full", help="Refetch everything, archived or not.")
@click.option("--resume", is_flag=True, help="Continue the site's last unfinished crawl where it stopped.")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="Where WARC files go (default: warc/ beside --db).")
@click.option(
    "--frontier",
    help="Share the crawl's frontier with other workers through Redis (redis://HOST:PORT/DB); see docs/scaling.md.",
)
@click.option("--fresh", is_flag=True, help="With --frontier: forget the shared queue first and start a new crawl.")
@click.option("--worker", help="With --frontier: this worker's name (default: host-pid).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a Scrapy setting for this crawl (repeatable), e.g. --set DOWNLOAD_TIMEOUT=10; VALUE is read as JSON if it can be.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what the crawler does.")
def crawl(
    sites: tuple[str, ...],
    db_path: str,
    max_pages: int | None,
    max_time: float | None,
    max_depth: int | None,
    delay: float | None,
    proxy: str | None,
    mode: str | None,
    resume: bool,
    warc_dir: str | None,
    frontier: str | None,
    fresh: bool,
    worker: str | None,
    overrides: tuple[str, ...],
    verbose: bool,
) -> None:
    """Crawl portals into the archive, capturing every response in WARC files.

    SITE_OR_URL is a registered domain (`portal-archive sites` lists them; its profile and start
    URLs are used) or a start URL of any portal (generic discovery and extraction). Robots.txt
    (with Crawl-delay) is obeyed; only the site's own hosts are fetched.

    By default a re-crawl is incremental: listings are fetched, but only articles not yet
    archived; --revisit re-checks archived ones with conditional requests, --full refetches all.
    Unchanged articles add no version; changed ones add one. --resume continues a crawl that was
    stopped (Ctrl-C, SIGTERM, or killed) without fetching what it had already stored.
    """
    from crawler.run import CrawlLimits, CrawlTarget, check_targets, run_crawls
    from crawler.session import CrawlLocked, StorageFailure
    from crawler.spiders.portal import SiteError

    targets = [CrawlTarget(site, mode=mode or "incremental", resume=resume) for site in sites]
    try:
        check_targets(targets)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    extra = {**_parse_overrides(overrides), **(_frontier_settings(frontier, targets, fresh, worker) if frontier else {})}
    _open_archive(db_path, readonly=False).close()  # a bad --db fails here, before any fetch
    limits = CrawlLimits(max_pages=max_pages, max_time=max_time, max_depth=max_depth, delay=delay)
    try:
        run_ids = run_crawls(
            targets,
            db_path,
            proxy=proxy,
            limits=limits,
            log_level="INFO" if verbose else "WARNING",
            progress="live" if sys.stderr.isatty() else "plain",
            warc_dir=warc_dir,
            extra=extra,
        )
    except (CrawlLocked, StorageFailure) as exc:
        raise Failure(str(exc)) from None
    _report_runs(db_path, run_ids)


def _parse_overrides(overrides: tuple[str, ...]) -> dict[str, Any]:
    """``--set NAME=VALUE`` pairs as settings; a name must be an upper-case setting name."""
    values: dict[str, Any] = {}
    for pair in overrides:
        name, sep, raw = pair.partition("=")
        name = name.strip()
        if not sep or not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
            raise BadInput(f"--set takes NAME=VALUE with an upper-case setting name (e.g. DOWNLOAD_TIMEOUT=10), not {pair!r}")
        try:
            values[name] = json.loads(raw)
        except ValueError:
            values[name] = raw
    return values


def _frontier_settings(url: str, targets: list[Any], fresh: bool, worker: str | None) -> dict[str, Any]:
    """Settings for a worker on a shared Redis frontier (one site per worker process)."""
    from redis.exceptions import RedisError

    from crawler.distributed import connect, frontier_settings, reset
    from crawler.spiders.portal import resolve_site

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise BadInput(f"--frontier {url!r} is not a redis:// URL")
    if len(targets) != 1:
        raise BadInput("a worker on a shared frontier crawls one site")
    site_id = resolve_site(targets[0].site)[0]
    try:
        connect(url).ping()
        if fresh:
            reset(url, site_id)
    except RedisError as exc:
        raise Failure(f"cannot reach the frontier at {url}: {exc}") from None
    return frontier_settings(url, site_id, worker)


def _report_runs(db_path: str, run_ids: list[int]) -> None:
    archive = _open_archive(db_path, readonly=True)
    rows = [archive.run(i) for i in run_ids]
    archive.close()
    rows = [r for r in rows if r]
    _emit(
        rows,
        "table",
        ["id", "site", "mode", "status", "pages", "articles_new", "articles_changed", "articles_unchanged", "errors"],
        title="Crawl runs",
    )
    click.echo(f"archive: {Path(db_path).resolve()}")
    for row in rows:
        if row.get("degraded"):
            click.echo(f"warning: run {row['id']} of {row['site']} looks degraded: {row['degraded']}", err=True)
    if len(rows) != len(run_ids) or any(r["status"] not in ("finished", "limit_reached") for r in rows):
        raise Failure("a crawl did not finish (see the table above)")


# -- search and the researchers' commands -----------------------------------------------------
def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--site, --province, --family, --since, --until: the filters of search, export and report."""
    options = [
        click.option("--site", "sites", multiple=True, help="Only this site: domain or any URL on it (repeatable)."),
        click.option(
            "--province",
            "provinces",
            multiple=True,
            help="Only sites of this province: current or pre-2025 name, diacritics optional (repeatable).",
        ),
        click.option("--family", "families", multiple=True, help="Only articles of this platform family (repeatable)."),
        click.option("--since", callback=_date_bound(end=False), help="Dated on or after (YYYY-MM-DD, YYYY-MM, YYYY)."),
        click.option("--until", callback=_date_bound(end=True), help="Dated on or before (YYYY-MM-DD, YYYY-MM, YYYY)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _filters(
    archive: Any,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
) -> Any:
    """The filters, checked against the registry, the profiles and the archive: a typo is an
    error that says what exists, never an empty result."""
    from crawler.profiles import load_profiles

    from .search import FilterError, Filters, sites_in_provinces

    filters = Filters.of(site=sites, province=provinces, family=families, since=since, until=until)
    if since and until and since > until:
        raise BadInput(f"--since {since} is after --until {until}")
    try:
        sites_in_provinces(filters.provinces)
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    known_families = sorted(load_profiles()) if filters.families else []
    for family in filters.families:
        if family not in known_families:
            raise BadInput(f"unknown family {family!r} (families: {', '.join(known_families)})")
    if filters.sites:
        archived = {
            r[0]
            for r in archive.db.execute(
                "SELECT DISTINCT site FROM articles UNION SELECT site FROM visitor_stats UNION SELECT site FROM crawl_runs"
            )
        }
        for site in filters.sites:
            if site not in archived:
                listed = ", ".join(sorted(archived)[:8]) + (", …" if len(archived) > 8 else "")
                raise BadInput(f"no site {site!r} in this archive (it has: {listed or 'no site yet'})")
    return filters


@cli.command(epilog=EXIT_CODES)
@click.argument("query")
@db_option
@filter_options
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many results.")
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best matches first (title matches weigh most), or newest first.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
    help="Output format; json, jsonl and csv carry id, date, site, title, url, snippet (matches in <mark>), "
    "score (bm25, higher is better; empty with --sort date).",
)
def search(
    query: str,
    db_path: str,
    sites: tuple[str, ...] = (),
    provinces: tuple[str, ...] = (),
    families: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    sort: str = "relevance",
    fmt: str = "table",
) -> None:
    """Search archived articles, with or without diacritics.

    "da nang" finds "Đà Nẵng"; "dan dau" finds "dẫn đầu"; "hoà" finds "hòa". Use "quotes" for a
    phrase, AND / OR / NOT (capitals) between terms, parentheses, and a trailing * for a prefix
    (du*). Snippets show the matches in the original text.

    \b
    Examples:
      portal-archive search '"Thừa Thiên Huế" AND du lich*' --since 2020 --until 2020-12
      portal-archive search "chuyen doi so" --province "da nang" --sort date --format csv
    """
    from .search import FilterError, QueryError, count
    from .search import search as run_search

    archive = _open_archive(db_path, readonly=True)
    mark = ("\x00", "\x01") if fmt == "table" else ("<mark>", "</mark>")
    try:
        filters = _filters(archive, sites, provinces, families, since, until)
        hits = run_search(archive, query, filters, limit=limit, order=sort, mark=mark)
        total = count(archive, query, filters) if fmt == "table" else len(hits)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    rows = [h.to_dict() for h in hits]
    columns = ["id", "date", "site", "title", "url", "snippet", "score"]
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if fmt != "table":
        _emit(rows, fmt, columns)
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    if not hits:
        console.print(f"No article matches {query!r}.")
        return
    for hit in hits:
        snippet = escape(hit.snippet).replace("\x00", "[bold yellow]").replace("\x01", "[/bold yellow]")
        console.print(f"[bold]{escape(hit.title or '(no title)')}[/bold]  [dim]{hit.date or ''} · {hit.site} · #{hit.id}[/dim]")
        console.print(f"  {snippet}")
        console.print(f"  [blue]{escape(hit.url)}[/blue]")
    more = f" (--limit {min(total, 10_000)} shows all)" if total > len(hits) else ""
    console.print(f"[dim]{len(hits)} of {total:,} result(s){more}[/dim]")


@cli.command(epilog=EXIT_CODES)
@click.argument("article", metavar="URL_OR_ID")
@db_option
@click.option("--diff", is_flag=True, help="Also print a unified diff from each version to the next.")
@click.option("--no-body", is_flag=True, help="Leave the article's text out (metadata, versions, provenance only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def show(article: str, db_path: str, diff: bool, no_body: bool, fmt: str) -> None:
    """Print one article with its history: source, date, every version the archive kept (when it
    was fetched, which fields changed), its attachments and the WARC record of every capture.

    URL_OR_ID is the id that search prints (#42) or the article's URL in any spelling (http or
    https, with or without www., parameters in any order). --format json gives everything,
    including each version's full record.
    """
    from .history import ArticleNotFound, history, render_text, unified_diffs

    archive = _open_archive(db_path, readonly=True)
    try:
        hist = history(archive, article)
    except ArticleNotFound as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    if fmt == "json":
        data = hist.to_dict()
        if diff:
            data["diffs"] = unified_diffs(hist)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(render_text(hist, body=not no_body, diff=diff))


@cli.command(epilog=EXIT_CODES)
@click.argument("kind", type=click.Choice(["articles", "visitor-stats", "runs"]))
@db_option
@filter_options
@click.option("--query", help="Articles only: those matching this search (same syntax as `search`).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to this file (default: stdout).")
@click.option("--bom", is_flag=True, help="Start a CSV with a UTF-8 byte-order mark (for spreadsheet programs).")
def export(
    kind: str,
    db_path: str,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
    query: str | None,
    fmt: str,
    out: str | None,
    bom: bool,
) -> None:
    """Export articles, visitor statistics or crawl runs as CSV or JSON Lines.

    Rows stream from the database (constant memory on any archive). The columns are fixed and
    documented in docs/schema.md: articles by id, visitor-stats by site and time, runs by id.
    --since/--until apply to the article date, the observation time or the run's start. A file
    given with --out appears complete or not at all.
    """
    from . import export as exporter
    from .search import FilterError, QueryError

    if kind != "articles" and (query or families):
        raise BadInput("--query and --family apply to `export articles` only")
    if out and not Path(out).resolve().parent.is_dir():
        raise BadInput(f"--out: directory {Path(out).resolve().parent} does not exist")
    archive = _open_archive(db_path, readonly=True)
    part = Path(out).with_name(f".{Path(out).name}.part") if out else None
    try:
        filters = _filters(archive, sites, provinces, families, since, until)
        rows = exporter.rows(archive, kind, filters, query)
        first = next(rows, None)  # a bad query fails here, before any output
        stream: Any = part.open("w", encoding="utf-8", newline="") if part else _stdout_text()
        try:
            if bom and fmt == "csv":
                stream.write("\ufeff")
            n = exporter.write(_chain(first, rows), exporter.KINDS[kind][2], fmt, stream)
        finally:
            if part:
                stream.close()
            else:  # flush, and give stdout back to Python rather than closing it
                stream.flush()
                stream.detach()
        if part and out:
            part.replace(out)
            click.echo(f"exported {n:,} {kind} to {out}", err=True)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    except BrokenPipeError:  # `export … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        archive.close()
        if part and part.exists():
            part.unlink()


def _stdout_text() -> Any:
    import io

    return io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False)


def _chain(first: Any, rest: Any) -> Any:
    if first is not None:
        yield first
    yield from rest


@cli.command(epilog=EXIT_CODES)
@db_option
@filter_options
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The HTML file to write.")
@click.option("--title", default="Portal archive report", show_default=True, help="The page's title.")
def report(
    db_path: str,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
    out: str,
    title: str,
) -> None:
    """Write a self-contained HTML report: per-site tables, and charts of publication volume per
    month and of visitor statistics over time, for every site (inline SVG; no scripts, no external
    resources: it opens offline and prints). The filters narrow it like `search`.
    """
    from .report import render_report

    if not Path(out).resolve().parent.is_dir():
        raise BadInput(f"--out: directory {Path(out).resolve().parent} does not exist")
    archive = _open_archive(db_path, readonly=True)
    try:
        filters = _filters(archive, sites, provinces, families, since, until)
        page = render_report(archive, filters, title=title)
    finally:
        archive.close()
    part = Path(out).with_name(f".{Path(out).name}.part")
    part.write_text(page, encoding="utf-8")
    part.replace(out)
    click.echo(f"report written to {Path(out).resolve()}")


@cli.command(epilog=EXIT_CODES)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--allow-sql", is_flag=True, help="Let visitors run their own (read-only) SQL queries.")
def serve(db_path: str, host: str, port: int, allow_sql: bool) -> None:
    """Browse and search the archive in a web browser (Datasette), read-only.

    The articles table has a search box that finds words with or without diacritics, exactly as
    `portal-archive search`; facets by site, province and year; canned queries (articles per site
    per month, visitor statistics of a site over time, articles changed after publication); and
    charts at /-/charts. Nothing can be written; arbitrary SQL only with --allow-sql. The file is
    opened immutable (fast, no locks) unless a crawl is writing to it, when it is read live.
    Ctrl-C stops the server.
    """
    import socket

    from .web import serve as run_server

    _open_archive(db_path, readonly=True).close()  # not an archive: one line, exit 2
    path = Path(db_path).resolve()
    wal = path.with_name(path.name + "-wal")
    immutable = not (wal.exists() and wal.stat().st_size > 0)
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {path} read-only at http://{shown}:{port}/{path.stem}/articles (Ctrl-C stops)")
    if not immutable:
        click.echo("the archive is being written (a crawl is running): reading it live rather than immutable", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"note: listening on {host}: anyone who can reach this machine can read the archive", err=True)
    run_server(path, host=host, port=port, allow_sql=allow_sql, immutable=immutable)


# -- demo ------------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.option(
    "--db",
    "db_path",
    default="portal-archive-demo/archive.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the demo archive.",
)
@click.option(
    "--sites-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Saved portals to serve (default: the bundled sample portals).",
)
@click.option("--query", default="cong nghe thong tin", show_default=True, help="The search to show at the end.")
def demo(db_path: str, sites_dir: str | None, query: str) -> None:
    """Crawl the bundled sample portals end to end and search them.

    Serves the saved Huế portals (tests/fixtures/sites) on 127.0.0.1, crawls them with the real
    spider over real HTTP into a SQLite archive, then prints what was stored, the latest visitor
    statistics of each site and the result of a search typed without diacritics.
    """
    from crawler.run import CrawlLimits, CrawlTarget, run_crawls
    from crawler.sample_portal import DEFAULT_SITES_DIR, SamplePortalServer

    folder = Path(sites_dir) if sites_dir else DEFAULT_SITES_DIR
    if not folder.is_dir():
        raise BadInput(f"no sample portals at {folder}")
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    _open_archive(db_path, readonly=False).close()
    with SamplePortalServer(folder) as server:
        click.echo(f"Serving {len(server.sites)} saved portal(s) at {server.url}: {', '.join(server.sites)}")
        targets = [CrawlTarget(host, start_url=f"http://{host}/") for host in server.sites]
        run_ids = run_crawls(targets, db_path, proxy=server.url, limits=CrawlLimits(delay=0))
    _report_runs(db_path, run_ids)
    archive = _open_archive(db_path, readonly=True)
    summary = archive.site_summary()
    archive.close()
    _emit(
        summary,
        "table",
        ["site", "articles", "versions", "newest", "observed_at", "total", "online", "today"],
        title="Archive: articles and latest visitor statistics per site",
    )
    click.echo(f'\n$ portal-archive search --db {db_path} "{query}"')
    ctx = click.get_current_context()
    ctx.invoke(search, query=query, db_path=db_path, limit=5)


# -- sites and runs --------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.option("--province", help="Only this province (current or pre-2025 name, diacritics optional).")
@click.option("--family", help="Only this platform family.")
@click.option("--status", type=click.Choice(["active", "moved", "retired", "merged"]), help="Only this status.")
@format_option
def sites(province: str | None, family: str | None, status: str | None, fmt: str) -> None:
    """List the registered portals (the registry data file)."""
    from crawler.extract.text import fold
    from crawler.registry import load_registry

    rows = []
    for site in load_registry().values():
        if province and fold(province) not in (fold(site.province), fold(site.province_before_2025)):
            continue
        if family and site.family != family:
            continue
        if status and site.status != status:
            continue
        rows.append(site.as_row())
    _emit(rows, fmt, ["domain", "name", "province", "province_before_2025", "level", "family", "status", "successor"])


@cli.command(epilog=EXIT_CODES)
@click.argument("site")
@click.option("--proxy", help="Fetch through this HTTP proxy.")
@click.option("--all", "show_all", is_flag=True, help="Also list portals the registry already has.")
@click.option("--no-detect", is_flag=True, help="Do not fetch the proposed portals to detect their family.")
@click.option("--format", "fmt", type=click.Choice(["csv", "table", "json"]), default="csv", show_default=True)
def discover(site: str, proxy: str | None, show_all: bool, no_detect: bool, fmt: str) -> None:
    """Propose registry rows for the portals a site links to.

    Reads the site's "Liên kết website" selects ("Sở, Ban, Ngành", "UBND Huyện, Thị xã, Thành
    phố") and link blocks, fetches one page of each portal found (robots.txt obeyed) to detect
    its platform family, and prints rows in the registry's CSV format, ready to review and
    append to crawler/registry.csv.
    """
    from datetime import date

    from crawler.discover import fetch, propose
    from crawler.profiles import detect_profile
    from crawler.registry import find_site, load_registry
    from crawler.settings import USER_AGENT
    from crawler.spiders.portal import SiteError, resolve_site

    try:
        site_id, starts, _ = resolve_site(site)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    try:
        body, _ = fetch(starts[0], user_agent=USER_AGENT, proxy=proxy)
    except (OSError, PermissionError) as exc:
        raise Failure(f"cannot read {starts[0]}: {exc}") from None
    parent = find_site(site_id)
    known = load_registry()
    rows = []
    for proposal in propose(body, starts[0]):
        if proposal.domain in known and not show_all:
            continue
        family, reachable = None, "not checked"
        if not no_detect:
            try:
                page, content_type = fetch(proposal.start_url, user_agent=USER_AGENT, proxy=proxy, timeout=10)
                from crawler.extract.encoding import decode

                detected = detect_profile(decode(page, content_type)[0])
                family, reachable = (detected.name if detected else None), "reachable"
            except (OSError, PermissionError) as exc:
                reachable = f"not reachable ({str(exc)[:60]})"
        rows.append(
            {
                "domain": proposal.domain,
                "name": proposal.name,
                "province": parent.province if parent else "",
                "province_before_2025": parent.province_before_2025 if parent else "",
                "level": proposal.level,
                "family": family or "",
                "start_urls": proposal.start_url,
                "status": "active",
                "successor": "",
                "source": f"{proposal.found_in} of {site_id}, {date.today().isoformat()}; {reachable}",
                "confirmed": "family" if family else "",
            }
        )
    columns = [
        "domain",
        "name",
        "province",
        "province_before_2025",
        "level",
        "family",
        "start_urls",
        "status",
        "successor",
        "source",
        "confirmed",
    ]
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writerows(rows)
    else:
        _emit(rows, fmt, ["domain", "name", "level", "family", "source"])


@cli.command(epilog=EXIT_CODES)
@db_option
@click.option("--site", help="Only runs of this site.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@format_option
def runs(db_path: str, site: str | None, limit: int, fmt: str) -> None:
    """List crawl runs, newest first: how each ended and what it stored."""
    archive = _open_archive(db_path, readonly=True)
    where, params = ("WHERE site = ?", [site.lower().removeprefix("www.")]) if site else ("", [])
    rows = list(archive.db.query(f"SELECT * FROM crawl_runs {where} ORDER BY id DESC LIMIT ?", [*params, limit]))
    archive.close()
    _emit(
        rows,
        fmt,
        [
            "id",
            "site",
            "started_at",
            "finished_at",
            "status",
            "pages",
            "articles_new",
            "articles_changed",
            "articles_unchanged",
            "errors",
        ],
    )


# -- schedules -------------------------------------------------------------------------------
@cli.group(epilog=EXIT_CODES)
def schedule() -> None:
    """Crawls on a timetable: add, list, remove, and run what is due (from cron or a service).

    Times are Vietnam's (Asia/Ho_Chi_Minh, +07:00). A run missed while the machine was off runs
    once at the next `run-due`, not once per missed slot; a site whose crawl is still running is
    skipped, never overlapped; one failing site does not stop the others.
    """


def _schedule_table(rows: list[dict[str, Any]], fmt: str) -> None:
    _emit(rows, fmt, ["id", "site", "cron", "next_run_at", "last_run_at", "last_status", "options"], title="Schedules")


@schedule.command("add", epilog=EXIT_CODES)
@click.argument("site")
@db_option
@click.option("--cron", help='A cron expression in Vietnam time, e.g. "0 2 * * *" (02:00 every day).')
@click.option("--every", type=click.Choice(sorted(("hour", "day", "week", "month"))), help="Shorthand: hourly, daily 02:00, …")
@click.option("--revisit", "mode", flag_value="revisit", help="Crawl with --revisit.")
@click.option("--full", "mode", flag_value="full", help="Crawl with --full.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Crawl with --max-pages.")
@click.option("--max-time", type=click.FloatRange(min=1), help="Crawl with --max-time.")
@click.option("--delay", type=click.FloatRange(min=0), help="Crawl with --delay.")
@click.option("--proxy", help="Crawl with --proxy.")
def schedule_add(
    site: str,
    db_path: str,
    cron: str | None,
    every: str | None,
    mode: str | None,
    max_pages: int | None,
    max_time: float | None,
    delay: float | None,
    proxy: str | None,
) -> None:
    """Crawl SITE on a timetable (replaces its schedule if it had one)."""
    from crawler.spiders.portal import SiteError, resolve_site

    from . import schedule as schedules

    if bool(cron) == bool(every):
        raise BadInput("give either --cron EXPRESSION or --every hour|day|week|month")
    try:
        site_id, _, _ = resolve_site(site)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    expression = cron or schedules.EVERY[every or ""]
    try:
        schedules.next_time(expression, schedules.parse_time(None))
    except schedules.ScheduleError as exc:
        raise BadInput(str(exc)) from None
    options = {
        "revisit": mode == "revisit",
        "full": mode == "full",
        "max_pages": max_pages,
        "max_time": max_time,
        "delay": delay,
        "proxy": proxy,
    }
    target = site if "://" in site else site_id
    archive = _open_archive(db_path, readonly=False)
    try:
        row = schedules.add(archive, target, expression, {k: v for k, v in options.items() if v is not None and v is not False})
    finally:
        archive.close()
    click.echo(f"scheduled {row['site']} ({row['cron']}); next run {row['next_run_at']} (Asia/Ho_Chi_Minh)")


@schedule.command("list", epilog=EXIT_CODES)
@db_option
@format_option
def schedule_list(db_path: str, fmt: str) -> None:
    """List schedules with their next run times (Asia/Ho_Chi_Minh) and how the last run went."""
    from . import schedule as schedules

    archive = _open_archive(db_path, readonly=True)
    try:
        rows = schedules.listing(archive)
    finally:
        archive.close()
    _schedule_table(rows, fmt)


@schedule.command("remove", epilog=EXIT_CODES)
@click.argument("site_or_id")
@db_option
def schedule_remove(site_or_id: str, db_path: str) -> None:
    """Remove the schedule of a site (by site or schedule id)."""
    from . import schedule as schedules

    archive = _open_archive(db_path, readonly=False)
    try:
        row = schedules.remove(archive, site_or_id)
    except schedules.ScheduleError as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    click.echo(f"removed the schedule of {row['site']}")


def _run_due_once(db_path: str, when: datetime_type | None, via: str | None = None) -> list[Any]:
    from datetime import datetime

    from . import schedule as schedules

    archive = _open_archive(db_path, readonly=False)
    try:
        outcomes = schedules.run_due(archive, db_path, when or datetime.now(schedules.VIETNAM), via=via)
    finally:
        archive.close()
    for outcome in outcomes:
        click.echo(f"{outcome.site}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))
    return outcomes


@schedule.command("run-due", epilog=EXIT_CODES)
@db_option
@click.option("--now", "now_", help="Act as if it were this time (ISO 8601; to try a timetable out).")
@click.option(
    "--via",
    nargs=2,
    type=(click.Choice(["scrapyd"]), str),
    metavar="scrapyd URL",
    help="Hand the due crawls to a Scrapyd server instead: --via scrapyd http://127.0.0.1:6800",
)
def schedule_run_due(db_path: str, now_: str | None, via: tuple[str, str] | None) -> None:
    """Run every due crawl once, one after another, then exit (for cron or a systemd timer).

    With --via scrapyd URL (e.g. --via scrapyd http://127.0.0.1:6800), each due crawl becomes a Scrapyd
    job of the deployed project (see docs/scaling.md); its job id is recorded in the schedule and
    in the crawl run. Exits 1 if any crawl failed (the others still ran).
    """
    from . import schedule as schedules

    try:
        when = schedules.parse_time(now_) if now_ else None
    except schedules.ScheduleError as exc:
        raise BadInput(str(exc)) from None
    outcomes = _run_due_once(db_path, when, via[1] if via else None)
    if not outcomes:
        click.echo("nothing is due")
    if any(o.status == "failed" for o in outcomes):
        raise Failure(f"{sum(o.status == 'failed' for o in outcomes)} scheduled crawl(s) failed")


@schedule.command("daemon", epilog=EXIT_CODES)
@db_option
@click.option("--poll", type=click.FloatRange(min=1), default=60, show_default=True, help="Seconds between checks.")
def schedule_daemon(db_path: str, poll: float) -> None:
    """Run due crawls as they come due, in the foreground (for a service manager); Ctrl-C or
    SIGTERM stops it between crawls."""
    import signal
    import time

    stop = {"now": False}

    def _stop(signum: int, frame: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"schedule daemon on {Path(db_path).resolve()} (checking every {poll:g} s)")
    while not stop["now"]:
        _run_due_once(db_path, None)
        deadline = time.monotonic() + poll
        while not stop["now"] and time.monotonic() < deadline:
            time.sleep(0.2)
    click.echo("schedule daemon stopped")


# -- many workers ----------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The main archive's WARC folder (default: warc/ beside --db).")
def merge(shards: tuple[str, ...], db_path: str, warc_dir: str | None) -> None:
    """Fold workers' shards (their own --db files) into the main archive.

    Every crawl run of a shard that the main archive lacks is imported in one transaction, with
    its article versions, unchanged sightings, attachments and visitor statistics; its WARC files
    are copied beside the main archive. Merging a shard again changes nothing.
    """
    from .merge import MergeError
    from .merge import merge as run_merge
    from .store import ArchiveError

    archive = _open_archive(db_path, readonly=False)
    target = Path(warc_dir) if warc_dir else Path(db_path).resolve().parent / "warc"
    try:
        for shard in shards:
            try:
                report = run_merge(archive, Path(shard), warc_dir=target)
            except (MergeError, ArchiveError) as exc:
                raise BadInput(str(exc)) from None
            click.echo(
                f"{shard}: {report.runs} run(s) merged ({report.skipped} already there): {report.written.new} new, "
                f"{report.written.changed} changed, {report.written.unchanged} unchanged articles; "
                f"{report.warc_files} WARC file(s) copied"
            )
    finally:
        archive.close()


# -- re-extraction and verification ------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@db_option
@click.option("--site", help="Only this site.")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The WARC folder (default: warc/ beside --db).")
def reextract(db_path: str, site: str | None, warc_dir: str | None) -> None:
    """Rebuild article records from the archived WARC responses, with no network.

    Run after an extractor improvement: each article's latest capture is extracted again, and a
    version is added only where the record really changed.
    """
    from .reextract import reextract as run_reextract

    archive = _open_archive(db_path, readonly=False)
    try:
        report = run_reextract(archive, Path(warc_dir) if warc_dir else Path(db_path).resolve().parent / "warc", site=site)
    finally:
        archive.close()
    click.echo(
        f"checked {report.checked} articles: {report.changed} changed, {report.unchanged} unchanged, "
        f"{report.missing} without a readable capture"
    )
    if report.missing:
        raise Failure(f"{report.missing} article(s) have no readable WARC capture (see `portal-archive verify`)")


@cli.command(epilog=EXIT_CODES)
@db_option
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The WARC folder (default: warc/ beside --db).")
@click.option("--repair", is_flag=True, help="Cut the truncated tail a killed crawl left in a WARC file.")
def verify(db_path: str, warc_dir: str | None, repair: bool) -> None:
    """Check an archive: SQLite integrity, every WARC file complete, every pointer resolving."""
    from .verify import verify as run_verify

    archive = _open_archive(db_path, readonly=not repair)
    try:
        report = run_verify(archive, Path(warc_dir) if warc_dir else Path(db_path).resolve().parent / "warc", repair=repair)
    finally:
        archive.close()
    for line in report.lines():
        click.echo(line)
    if not report.ok:
        raise Failure("the archive has problems (see above)" + ("" if repair else "; --repair cuts truncated WARC tails"))


def main(argv: Iterable[str] | None = None) -> None:
    """Entry point: click's errors become one line on stderr with the documented exit code."""
    import signal

    # Past a file-size limit (ulimit -f), writes fail with an error the archive handles (nothing
    # half-written) instead of the process being killed mid-write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="portal-archive", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"Error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
