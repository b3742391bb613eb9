"""Commands for archivists: ``crawl`` (with resume, revisits and a shared frontier), ``runs``,
``merge`` (workers' shards), ``reextract`` (records rebuilt from WARC) and ``verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..output import echo, emit
from .common import (
    EXIT_CODES,
    BadInput,
    Failure,
    RecordId,
    Seconds,
    archived_site,
    check_proxy,
    crawl_mode,
    db_option,
    format_option,
    open_archive,
    parse_overrides,
    registered_site,
)

RUN_COLUMNS = ["id", "site", "mode", "status", "pages", "articles_new", "articles_changed", "articles_unchanged", "errors"]
LISTED_RUN_COLUMNS = ["id", "site", "started_at", "finished_at", "status", "pages", "articles_new", "articles_changed"]
LISTED_RUN_COLUMNS += ["articles_unchanged", "errors"]
# The runs tables for people: how each crawl ended, its pages, new/changed/unchanged articles,
# errors by kind, bytes and WARC files (``run_table_rows``).
RUN_TABLE = ["id", "site", "started", "status", "pages", "articles_new", "articles_changed", "articles_unchanged"]
RUN_TABLE += ["errors", "bytes", "warc files"]
# crawl_runs columns that hold JSON: --format json gives them as JSON, not as strings of it.
JSON_RUN_COLUMNS = ("seeds", "error_kinds", "warc_files", "settings", "fates")
MISSING_COLUMNS = ["url", "kind", "fate", "reason", "http_status", "attempts"]


def _warc_dir(db_path: str, warc_dir: str | None) -> Path:
    from archive.warc import default_warc_dir

    return Path(warc_dir) if warc_dir else default_warc_dir(db_path)


@click.command(epilog=EXIT_CODES)
@click.argument("sites", nargs=-1, required=True, metavar="SITE_OR_URL...")
@db_option
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages.")
@click.option("--max-time", type=Seconds(minimum=1), help="Stop after this many seconds.")
@click.option("--max-depth", type=click.IntRange(min=0), help="Follow links at most this deep.")
@click.option(
    "--delay",
    type=Seconds(minimum=0),
    help="Seconds between requests to a host (default 1; 0 also disables AutoThrottle).",
)
@click.option("--proxy", help="Send every request through this HTTP proxy (e.g. a local replay server).")
@click.option("--revisit", is_flag=True, help="Also re-check archived articles (conditional requests).")
@click.option("--full", is_flag=True, help="Refetch everything, archived or not.")
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
    revisit: bool,
    full: bool,
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
    from crawler.options import CrawlOptions
    from crawler.run import CrawlTarget, check_targets, run_crawls
    from crawler.session import CrawlLocked, StorageFailure
    from crawler.spiders.portal import SiteError

    mode = crawl_mode(revisit, full)
    if (fresh or worker) and not frontier:
        raise BadInput("--fresh and --worker apply to a worker on a shared frontier: give --frontier too")
    for site in sites:
        registered_site(site)  # an unknown site or a URL that is none: exit 2, before anything else
    if proxy is not None:
        check_proxy(proxy)
    targets = [CrawlTarget(site, mode=mode or "incremental", resume=resume) for site in sites]
    try:
        check_targets(targets)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    overridden = parse_overrides(overrides)  # a bad value: exit 2, with nothing written (no run)
    extra = {**overridden, **(_frontier_settings(frontier, targets, fresh, worker) if frontier else {})}
    open_archive(db_path, readonly=False, create=True).close()  # a bad --db fails here, before any fetch
    options = CrawlOptions(
        max_pages=max_pages, max_time=max_time, max_depth=max_depth, delay=delay, proxy=proxy, warc_dir=warc_dir
    )
    try:
        run_ids = run_crawls(
            targets,
            db_path,
            options,
            log_level="INFO" if verbose else "WARNING",
            progress="live" if sys.stderr.isatty() else "plain",
            extra=extra,
        )
    except (CrawlLocked, StorageFailure) as exc:
        raise Failure(str(exc)) from None
    report_runs(db_path, run_ids)


def _frontier_settings(url: str, targets: list[Any], fresh: bool, worker: str | None) -> dict[str, Any]:
    """Settings for a worker on a shared Redis frontier (one site per worker process)."""
    from crawler.distributed import FrontierUnreachable, join_frontier
    from crawler.spiders.portal import resolve_site

    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise BadInput(f"--frontier {url!r} is not a redis:// URL")
    if len(targets) != 1:
        raise BadInput("a worker on a shared frontier crawls one site")
    try:
        return join_frontier(url, resolve_site(targets[0].site)[0], fresh=fresh, worker=worker)
    except FrontierUnreachable as exc:
        raise Failure(str(exc)) from None


def report_runs(db_path: str, run_ids: list[int]) -> None:
    """The table of the crawl runs just made; exit 1 if one did not finish, with a message that
    says which (it is the last line `schedule run-due` shows, where there is no table)."""
    archive = open_archive(db_path, readonly=True)
    rows = [r for r in (archive.run(i) for i in run_ids) if r]
    archive.close()
    emit(run_table_rows(rows), "table", ["id", "site", "mode", *RUN_TABLE[3:]], title="Crawl runs")
    click.echo(f"archive: {Path(db_path).resolve()}")
    for row in rows:
        if row.get("degraded"):
            echo(f"warning: run {row['id']} of {row['site']} looks degraded: {row['degraded']}", err=True)
    unfinished = [r for r in rows if r["status"] not in ("finished", "limit_reached")]
    if unfinished:
        ended = ", ".join(f"{r['site']} ended {r['status']} (run {r['id']})" for r in unfinished)
        raise Failure(f"{len(unfinished)} crawl(s) did not finish: {ended}; `portal-archive runs RUN` says why")
    if len(rows) != len(run_ids):
        raise Failure(f"{len(run_ids) - len(rows)} crawl(s) did not start")


def _json(value: Any) -> Any:
    """A JSON column's value as JSON (a value that is not JSON stays as it is)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _size(n: Any) -> str:
    """Bytes for people: 812 B, 515.3 kB, 1.2 MB."""
    if not isinstance(n, (int, float)) or isinstance(n, bool) or n <= 0:
        return "" if n is None else str(n)
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000
    return str(n)


def run_table_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Crawl runs as the runs tables show them: how each ended (and the limit it reached), when
    it started, its pages, new/changed/unchanged articles, errors by kind, bytes, WARC files."""
    shown = []
    for r in rows:
        kinds = _json(r.get("error_kinds")) or {}
        if not isinstance(kinds, dict):
            kinds = {str(kinds): ""}
        ordered = sorted(kinds.items(), key=lambda kv: (-(kv[1] if isinstance(kv[1], int) else 0), str(kv[0])))
        by_kind = ", ".join(f"{k} {v}".strip() for k, v in ordered)
        warcs = _json(r.get("warc_files")) or []
        shown.append(
            {
                **r,
                "started": str(r.get("started_at") or "")[:16].replace("T", " "),
                "status": str(r.get("status")) + (f" ({r['limit_reached']})" if r.get("limit_reached") else ""),
                "errors": f"{r.get('errors') or 0}" + (f": {by_kind}" if by_kind else ""),
                "bytes": _size(r.get("bytes")),
                "warc files": len(warcs) if isinstance(warcs, list) else warcs,
            }
        )
    return shown


@click.command(epilog=EXIT_CODES)
@click.argument("run_id", metavar="[RUN]", required=False, type=RecordId())
@db_option
@click.option("--site", help="Only runs of this site.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--missing", is_flag=True, help="With RUN: list every URL it discovered and did not archive, with why.")
@format_option
def runs(run_id: int | None, db_path: str, site: str | None, limit: int, missing: bool, fmt: str) -> None:
    """List crawl runs, newest first: how each ended and what it stored.

    With RUN (a run id), that run: how it ended, and what became of every URL it discovered, by
    kind — new, changed or unchanged articles, other pages fetched, and those failed (HTTP
    status, timeout, too large, robots.txt, off-site redirect, refused address …), skipped (a
    trap, beyond --max-depth, archived before) or not fetched (a limit, an interruption).
    --missing lists the URLs behind those last three, one per line.
    """
    if missing and run_id is None:
        raise BadInput("--missing lists the URLs of one run: give its id (`portal-archive runs` lists them)")
    archive = open_archive(db_path, readonly=True)
    try:
        if run_id is None:
            rows = archive.runs(archived_site(archive, site) if site else None, limit)
        else:
            run = archive.run(run_id)
            if run is None:
                raise BadInput(f"no run {run_id} in this archive (`portal-archive runs` lists them)")
            rows = archive.missing(run_id) if missing else fate_rows(run)
    finally:
        archive.close()
    if run_id is None:
        if fmt == "table":
            emit(run_table_rows(rows), fmt, RUN_TABLE)
        elif fmt == "json":  # every column, those that hold JSON as JSON
            emit([{k: (_json(v) if k in JSON_RUN_COLUMNS else v) for k, v in r.items()} for r in rows], fmt, LISTED_RUN_COLUMNS)
        else:
            emit(rows, fmt, LISTED_RUN_COLUMNS)
    elif missing:
        emit(
            rows,
            fmt,
            ["url", "kind", "fate", "reason", "http_status", "attempts"],
            title=f"Run {run_id}: discovered, not archived",
        )
    else:
        if fmt == "table":
            echo(
                f"run {run['id']} of {run['site']} ({run['mode']}): {run['status']}"
                + (f" ({run['limit_reached']})" if run["limit_reached"] else "")
                + f"\n  {run['started_at']} → {run['finished_at'] or '…'}"
            )
        emit(rows, fmt, ["kind", "fate", "reason", "urls"], title=f"Run {run_id}: what became of every URL it discovered")


def fate_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's ``fates`` as rows: kind, fate, reason, how many URLs."""
    rows = []
    for kind, fates in json.loads(run.get("fates") or "{}").items():
        for fate, counted in fates.items():
            for reason, n in counted.items() if isinstance(counted, dict) else [("", counted)]:
                rows.append({"kind": kind, "fate": fate, "reason": reason, "urls": n})
    return rows


@click.command(epilog=EXIT_CODES)
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The main archive's WARC folder (default: warc/ beside --db).")
def merge(shards: tuple[str, ...], db_path: str, warc_dir: str | None) -> None:
    """Fold workers' shards (their own --db files) into the main archive.

    Every crawl run of a shard that the main archive lacks is imported in one transaction, with
    its article versions, unchanged sightings, attachments and visitor statistics; its WARC files
    are copied beside the main archive. Merging a shard again changes nothing.
    """
    from archive.merge import MergeError
    from archive.merge import merge as run_merge
    from archive.store import ArchiveError, check_archive

    for shard in shards:  # every shard checked (read-only) before the main archive is opened or made
        if Path(shard).resolve() == Path(db_path).resolve():
            raise BadInput(f"{shard} is the main archive itself (--db)")
        if Path(shard).stat().st_size:  # an empty shard: a worker that stopped before storing anything
            try:
                check_archive(shard)
            except ArchiveError as exc:
                raise BadInput(str(exc)) from None
    archive = open_archive(db_path, readonly=False, create=True)
    target = _warc_dir(db_path, warc_dir)
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


@click.command(epilog=EXIT_CODES)
@db_option
@click.option("--site", help="Only this site.")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The WARC folder (default: warc/ beside --db).")
@click.option("--attachments", is_flag=True, help="Read the text of the fetched attachments (PDF, DOCX, XLSX) instead.")
def reextract(db_path: str, site: str | None, warc_dir: str | None, attachments: bool = False) -> None:
    """Rebuild article records from the archived WARC responses, with no network.

    Run after an extractor improvement: each article's latest capture is extracted again, and a
    version is added only where the record really changed. --attachments reads the text of every
    fetched attachment again from its capture (what `search --in attachments` searches) instead.
    """
    from ..reextract import reextract as run_reextract

    key = None
    if site:  # checked before the archive is opened to write: a typo writes nothing
        with open_archive(db_path, readonly=True) as reading:
            key = archived_site(reading, site)
    if attachments:
        _reextract_attachments(db_path, key, warc_dir)
        return
    archive = open_archive(db_path, readonly=False)
    try:
        report = run_reextract(archive, _warc_dir(db_path, warc_dir), site=key)
    finally:
        archive.close()
    click.echo(
        f"checked {report.checked} articles: {report.changed} changed, {report.unchanged} unchanged, "
        f"{report.missing} without a readable capture"
    )
    if report.missing:
        raise Failure(f"{report.missing} article(s) have no readable WARC capture (see `portal-archive verify`)")


def _reextract_attachments(db_path: str, site: str | None, warc_dir: str | None) -> None:
    from ..reextract import reextract_attachments

    archive = open_archive(db_path, readonly=False)
    try:
        report = reextract_attachments(archive, _warc_dir(db_path, warc_dir), site=site)
    finally:
        archive.close()
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(report.statuses.items())) or "none read"
    click.echo(f"read {report.checked} attachments: {statuses}; {report.missing} without a readable capture")
    if report.missing:
        raise Failure(f"{report.missing} attachment(s) have no readable WARC capture (see `portal-archive verify`)")


@click.command(epilog=EXIT_CODES)
@db_option
@click.option("--warc-dir", type=click.Path(file_okay=False), help="The WARC folder (default: warc/ beside --db).")
@click.option("--repair", is_flag=True, help="Cut the truncated tail a killed crawl left in a WARC file.")
def verify(db_path: str, warc_dir: str | None, repair: bool) -> None:
    """Check an archive: SQLite integrity, every WARC file complete, every pointer resolving."""
    from archive.verify import verify as run_verify

    archive = open_archive(db_path, readonly=not repair)
    try:
        report = run_verify(archive, _warc_dir(db_path, warc_dir), repair=repair)
    finally:
        archive.close()
    for line in report.lines():
        echo(line)
    if not report.ok:
        raise Failure("the archive has problems (see above)" + ("" if repair else "; --repair cuts truncated WARC tails"))


COMMANDS = [crawl, runs, merge, reextract, verify]
