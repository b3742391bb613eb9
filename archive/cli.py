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
@click.option("--revisit", "mode", flag_value="revisit", help="Also re-check archived articles (conditional requests).")
@click.option("--full", "mode", flag_value="full", help="Refetch everything, archived or not.")
@click.option("--resume", is_flag=True, help="Continue the site's last unfinished crawl where it stopped.")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="Where WARC files go (default: warc/ beside --db).")
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
        )
    except (CrawlLocked, StorageFailure) as exc:
        raise Failure(str(exc)) from None
    _report_runs(db_path, run_ids)


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


# -- search ----------------------------------------------------------------------------------
@cli.command(epilog=EXIT_CODES)
@click.argument("query")
@db_option
@click.option("--site", help="Only this site (domain).")
@click.option("--since", callback=_date_bound(end=False), help="Articles dated on or after (YYYY-MM-DD, YYYY-MM, YYYY).")
@click.option("--until", callback=_date_bound(end=True), help="Articles dated on or before (YYYY-MM-DD, YYYY-MM, YYYY).")
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many results.")
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
    ctx.invoke(search, query=query, db_path=db_path, site=None, since=None, until=None, limit=5, sort="relevance", fmt="table")


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
        row = schedules.add(archive, target, expression, {k: v for k, v in options.items() if v not in (None, False)})
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


def _run_due_once(db_path: str, when: datetime_type | None) -> list[Any]:
    from datetime import datetime

    from . import schedule as schedules

    archive = _open_archive(db_path, readonly=False)
    try:
        outcomes = schedules.run_due(archive, db_path, when or datetime.now(schedules.VIETNAM))
    finally:
        archive.close()
    for outcome in outcomes:
        click.echo(f"{outcome.site}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))
    return outcomes


@schedule.command("run-due", epilog=EXIT_CODES)
@db_option
@click.option("--now", "now_", help="Act as if it were this time (ISO 8601; to try a timetable out).")
def schedule_run_due(db_path: str, now_: str | None) -> None:
    """Run every due crawl once, one after another, then exit (for cron or a systemd timer).

    Exits 1 if any crawl failed (the others still ran).
    """
    from . import schedule as schedules

    try:
        when = schedules.parse_time(now_) if now_ else None
    except schedules.ScheduleError as exc:
        raise BadInput(str(exc)) from None
    outcomes = _run_due_once(db_path, when)
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
