"""``portal-archive schedule``: crawls on a timetable (add, list, remove, run-due, daemon)."""

from __future__ import annotations

from datetime import datetime as datetime_type
from pathlib import Path
from typing import Any

import click

from ..output import echo, emit
from .common import (
    EXIT_CODES,
    BadInput,
    Failure,
    Seconds,
    check_proxy,
    crawl_mode,
    db_option,
    did_you_mean,
    format_option,
    open_archive,
    parse_overrides,
    registered_site,
    site_key,
)


@click.group(epilog=EXIT_CODES)
def schedule() -> None:
    """Crawls on a timetable: add, list, remove, and run what is due (from cron or a service).

    Times are Vietnam's (Asia/Ho_Chi_Minh, +07:00). A run missed while the machine was off runs
    once at the next `run-due`, not once per missed slot; a site whose crawl is still running is
    skipped, never overlapped; one failing site does not stop the others.
    """


def _schedule_table(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":  # the crawl's options as JSON, not as a string of it
        import json

        rows = [{**r, "options": json.loads(r["options"] or "{}")} for r in rows]
    if fmt == "table":  # times to the minute: every one is Vietnam's (+07:00)
        rows = [{**r, **{k: (r[k] or "")[:16].replace("T", " ") for k in ("next_run_at", "last_run_at")}} for r in rows]
    columns = ["id", "site", "cron", "next_run_at", "last_run_at", "last_status", "options"]
    emit(rows, fmt, columns, title="Schedules", narrow=["id", "site", "cron", "next_run_at", "last_status"])


@schedule.command("add", epilog=EXIT_CODES)
@click.argument("site")
@db_option
@click.option("--cron", help='A cron expression in Vietnam time, e.g. "0 2 * * *" (02:00 every day).')
@click.option("--every", type=click.Choice(sorted(("hour", "day", "week", "month"))), help="Shorthand: hourly, daily 02:00, …")
@click.option("--revisit", is_flag=True, help="Crawl with --revisit.")
@click.option("--full", is_flag=True, help="Crawl with --full.")
@click.option("--max-pages", type=click.IntRange(min=1), help="Crawl with --max-pages.")
@click.option("--max-time", type=Seconds(minimum=1), help="Crawl with --max-time.")
@click.option("--delay", type=Seconds(minimum=0), help="Crawl with --delay.")
@click.option("--proxy", help="Crawl with --proxy.")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Crawl with --set NAME=VALUE (repeatable), e.g. --set PORTAL_DARK_AFTER=5.",
)
def schedule_add(
    site: str,
    db_path: str,
    cron: str | None,
    every: str | None,
    revisit: bool,
    full: bool,
    max_pages: int | None,
    max_time: float | None,
    delay: float | None,
    proxy: str | None,
    overrides: tuple[str, ...],
) -> None:
    """Crawl SITE on a timetable (replaces its schedule if it had one)."""
    from crawler.options import CrawlOptions

    from .. import schedule as schedules

    mode = crawl_mode(revisit, full)
    if bool(cron) == bool(every):
        raise BadInput("give either --cron EXPRESSION or --every hour|day|week|month")
    site_id, _, _ = registered_site(site)
    if proxy is not None:
        check_proxy(proxy)
    try:
        expression = schedules.check_cron(cron or schedules.EVERY[every or ""])
        schedules.next_time(expression, schedules.parse_time(None))
    except schedules.ScheduleError as exc:
        raise BadInput(str(exc)) from None
    # Stored as the crawl's flags (run-due passes them to `crawl`; Scrapyd dispatch reads them as
    # CrawlOptions): the mode, then the options that are set.
    options = {mode: True} if mode else {}
    options.update(CrawlOptions(max_pages=max_pages, max_time=max_time, delay=delay, proxy=proxy).to_dict())
    if overrides:  # checked as `crawl --set` checks them: a bad value is refused now, not at 02:00
        options["settings"] = parse_overrides(overrides)
    target = site if "://" in site else site_id
    archive = open_archive(db_path, readonly=False, create=True)
    try:
        row = schedules.add(archive, target, expression, options)
    finally:
        archive.close()
    click.echo(f"scheduled {row['site']} ({row['cron']}); next run {row['next_run_at']} (Asia/Ho_Chi_Minh)")


@schedule.command("list", epilog=EXIT_CODES)
@db_option
@format_option
def schedule_list(db_path: str, fmt: str) -> None:
    """List schedules with their next run times (Asia/Ho_Chi_Minh) and how the last run went."""
    from .. import schedule as schedules

    archive = open_archive(db_path, readonly=True)
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
    from archive.schedules import UnknownSchedule, get

    from .. import schedule as schedules

    # As given (a schedule's id, #id, its URL), else as every command reads a site's name; looked
    # up read-only first, so that a typo writes nothing.
    value = site_or_id.strip()
    keys = [value.removeprefix("#")] if value.removeprefix("#").isdigit() else [value]
    if "://" not in value:
        keys.append(site_key(value, "SITE_OR_ID"))
    with open_archive(db_path, readonly=True) as reading:
        known = [r["site"] for r in schedules.listing(reading)]
        for key in dict.fromkeys(keys):
            try:
                found = get(reading, key)
                break
            except UnknownSchedule as exc:
                error = exc
        else:
            raise BadInput(f"{error}{did_you_mean(keys[-1], known)}")
    archive = open_archive(db_path, readonly=False)
    try:
        row = schedules.remove(archive, str(found["id"]))
    except schedules.ScheduleError as exc:  # removed meanwhile
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    click.echo(f"removed the schedule of {row['site']}")


def _run_due_once(db_path: str, when: datetime_type | None, via: str | None = None) -> list[Any]:
    from datetime import datetime

    from .. import schedule as schedules

    archive = open_archive(db_path, readonly=False)
    try:
        outcomes = schedules.run_due(archive, db_path, when or datetime.now(schedules.VIETNAM), via=via)
    finally:
        archive.close()
    for outcome in outcomes:
        echo(f"{outcome.site}: {outcome.status}" + (f" ({outcome.detail})" if outcome.detail else ""))
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
    from .. import schedule as schedules

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

    open_archive(db_path, readonly=False).close()  # not an archive: one line, exit 2, before it starts
    stop = {"now": False}

    def _stop(signum: int, frame: object) -> None:
        stop["now"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        click.echo(f"schedule daemon on {Path(db_path).resolve()} (checking every {poll:g} s)")
        while not stop["now"]:
            _run_due_once(db_path, None)
            deadline = time.monotonic() + poll
            while not stop["now"] and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("schedule daemon stopped")


COMMANDS = [schedule]
