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
        return Archive(path, readonly=readonly)
    except ArchiveError as exc:
        raise BadInput(str(exc)) from None


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
@click.option("-v", "--verbose", is_flag=True, help="Log what the crawler does.")
def crawl(
    sites: tuple[str, ...],
    db_path: str,
    max_pages: int | None,
    max_time: float | None,
    max_depth: int | None,
    delay: float | None,
    proxy: str | None,
    verbose: bool,
) -> None:
    """Crawl portals into the archive.

    SITE_OR_URL is a registered domain (`portal-archive sites` lists them; its profile and start
    URLs are used) or a start URL of any portal (generic discovery and extraction). Robots.txt
    is obeyed; only the site's own hosts are fetched. Re-crawling adds no duplicates: unchanged
    articles are only marked seen, changed ones get a new version.
    """
    from crawler.run import CrawlLimits, CrawlTarget, check_targets, run_crawls
    from crawler.spiders.portal import SiteError

    targets = [CrawlTarget(site) for site in sites]
    try:
        check_targets(targets)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    _open_archive(db_path, readonly=False).close()  # a bad --db fails here, before any fetch
    limits = CrawlLimits(max_pages=max_pages, max_time=max_time, max_depth=max_depth, delay=delay)
    run_ids = run_crawls(targets, db_path, proxy=proxy, limits=limits, log_level="INFO" if verbose else "WARNING")
    _report_runs(db_path, run_ids)


def _report_runs(db_path: str, run_ids: list[int]) -> None:
    archive = _open_archive(db_path, readonly=True)
    rows = [archive.run(i) for i in run_ids]
    archive.close()
    rows = [r for r in rows if r]
    _emit(
        rows,
        "table",
        ["id", "site", "status", "pages", "articles_new", "articles_changed", "articles_unchanged", "errors"],
        title="Crawl runs",
    )
    click.echo(f"archive: {Path(db_path).resolve()}")
    if len(rows) != len(run_ids) or any(r["status"] not in ("finished", "limit_reached") for r in rows):
        raise Failure("a crawl did not finish (see the table above)")


# -- search ----------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.argument("query")
@db_option
@click.option("--site", help="Only this site (domain).")
@click.option(
    "--since", callback=_date_bound(end=False), help="Articles dated on or after (YYYY-MM-DD, YYYY-MM, YYYY)."
)
@click.option(
    "--until", callback=_date_bound(end=True), help="Articles dated on or before (YYYY-MM-DD, YYYY-MM, YYYY)."
)
@click.option(
    "--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many results."
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best matches first, or newest first.",
)
@format_option
def search(
    query: str, db_path: str, site: str | None, since: str | None, until: str | None, limit: int, sort: str, fmt: str
) -> None:
    """Search archived articles, with or without diacritics.

    "da nang" finds "Đà Nẵng"; "dan dau" finds "dẫn đầu". Use "quotes" for a phrase, AND / OR /
    NOT (capitals) between terms, and a trailing * for a prefix (du*). Snippets show the matches
    in the original text.
    """
    from .search import QueryError
    from .search import search as run_search

    archive = _open_archive(db_path, readonly=True)
    mark = ("\x00", "\x01") if fmt == "table" else ("<mark>", "</mark>")
    try:
        hits = run_search(archive, query, site=site, since=since, until=until, limit=limit, order=sort, mark=mark)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    finally:
        archive.close()
    rows = [h.to_dict() for h in hits]
    if fmt != "table":
        _emit(rows, fmt, ["id", "date", "site", "title", "url", "snippet", "score"])
        return
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    if not hits:
        console.print(f"No article matches {query!r}.")
        return
    for hit in hits:
        snippet = escape(hit.snippet).replace("\x00", "[bold yellow]").replace("\x01", "[/bold yellow]")
        console.print(f"[bold]{escape(hit.title or '(no title)')}[/bold]  [dim]{hit.date or ''} · {hit.site}[/dim]")
        console.print(f"  {snippet}")
        console.print(f"  [blue]{escape(hit.url)}[/blue]")
    console.print(f"[dim]{len(hits)} result(s)[/dim]")


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
    ctx.invoke(
        search, query=query, db_path=db_path, site=None, since=None, until=None, limit=5, sort="relevance", fmt="table"
    )


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


def main(argv: Iterable[str] | None = None) -> None:
    """Entry point: click's errors become one line on stderr with the documented exit code."""
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None, prog_name="portal-archive", standalone_mode=False
        )
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
