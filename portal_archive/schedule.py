"""Scheduled crawls: when a schedule is due (croniter, Vietnam's time) and how its crawl runs.

Rules: a schedule is due when its ``next_run_at`` has passed; running it sets the next time
from *now* (so runs missed while the machine was off collapse into one); a site whose crawl is
already running is skipped, not overlapped; one site failing does not stop the others. Times
are Vietnam's (+07:00, no daylight saving), as portals publish them. The schedules themselves
are stored in the archive (``archive.schedules``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import CroniterBadDateError, croniter

from archive import schedules
from archive.locks import is_locked
from archive.schema import VIETNAM
from archive.store import Archive

from .scrapyd import ScrapydError, dispatch

EVERY = {"hour": "0 * * * *", "day": "0 2 * * *", "week": "0 2 * * 1", "month": "0 2 1 * *"}


class ScheduleError(ValueError):
    """A schedule that cannot be stored (bad cron expression, unknown schedule)."""


def parse_time(value: str | None) -> datetime:
    if value is None:
        return datetime.now(VIETNAM)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise ScheduleError(f"{value!r} is not an ISO 8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=VIETNAM)


def check_cron(cron: str) -> str:
    """``cron`` if it is a cron expression of exactly five fields (minute hour day month weekday)
    that comes due at some time; ScheduleError otherwise. croniter also takes a sixth field
    (seconds) and a seventh (year), which would make "0 0 2 * * *" monthly: refused."""
    fields = cron.split()
    if len(fields) != 5 or not croniter.is_valid(" ".join(fields)):
        raise ScheduleError(f"{cron!r} is not a cron expression of five fields (minute hour day month weekday)")
    try:
        croniter(" ".join(fields), datetime(2000, 1, 1, tzinfo=VIETNAM)).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        raise ScheduleError(f"{cron!r} never comes due (no such date: e.g. 31 February)") from None
    return " ".join(fields)


def next_time(cron: str, after: datetime) -> datetime:
    expression = check_cron(cron)
    try:
        return croniter(expression, after.astimezone(VIETNAM)).get_next(datetime)
    except (CroniterBadDateError, ValueError, OverflowError):
        raise ScheduleError(f"{cron!r} does not come due after {after.isoformat(timespec='minutes')}") from None


def _stamp(when: datetime) -> str:
    return when.astimezone(VIETNAM).isoformat(timespec="seconds")


def add(archive: Archive, site: str, cron: str, options: dict[str, Any], when: datetime | None = None) -> dict[str, Any]:
    """Schedule ``site`` (replacing its schedule if it had one)."""
    start = when or datetime.now(VIETNAM)
    return schedules.add(archive, site, cron, options, next_time(cron, start).isoformat(timespec="seconds"))


def remove(archive: Archive, site_or_id: str) -> dict[str, Any]:
    try:
        return schedules.remove(archive, site_or_id)
    except schedules.UnknownSchedule as exc:
        raise ScheduleError(str(exc)) from None


def listing(archive: Archive) -> list[dict[str, Any]]:
    return schedules.listing(archive)


def due(archive: Archive, when: datetime) -> list[dict[str, Any]]:
    return schedules.due(archive, _stamp(when))


@dataclass
class Outcome:
    site: str
    status: str  # ok | failed | skipped | dispatched
    detail: str


def crawl_command(db_path: str, row: dict[str, Any]) -> list[str]:
    """The ``portal-archive crawl`` command line of a schedule: its options as the crawl's flags."""
    options = json.loads(row["options"] or "{}")
    args = [sys.executable, "-m", "portal_archive", "crawl", row["site"], "--db", db_path]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if key == "settings":  # --set NAME=VALUE, the value as JSON (which `crawl --set` reads)
            for name, setting in value.items():
                args += ["--set", f"{name}={json.dumps(setting, ensure_ascii=False)}"]
        elif value is True:
            args.append(flag)
        elif value is not None and value is not False:
            args += [flag, str(value)]
    return args


def run_due(
    archive: Archive,
    db_path: str,
    when: datetime,
    *,
    runner: Callable[[list[str]], subprocess.CompletedProcess[bytes]] | None = None,
    via: str | None = None,
) -> list[Outcome]:
    """Run every due crawl once, one after another, each in its own process — or, ``via`` a
    Scrapyd server, hand each to Scrapyd and record its job id."""
    run = runner or (lambda args: subprocess.run(args, capture_output=True, check=False))
    outcomes = []
    for row in due(archive, when):
        if via is not None:
            outcomes.append(_dispatch(archive, db_path, row, when, via))
            continue
        if is_locked(db_path, row["site"]):
            outcomes.append(Outcome(row["site"], "skipped", "a crawl of this site is already running"))
            schedules.record(archive, row["id"], status="skipped: already running")  # stays due
            continue
        result = run(crawl_command(db_path, row))
        tail = (result.stderr or b"").decode(errors="replace").strip().splitlines()
        detail = tail[-1] if tail else ""
        status = "ok" if result.returncode == 0 else "failed"
        outcomes.append(Outcome(row["site"], status, detail))
        finished = datetime.now(VIETNAM) if runner is None else when
        schedules.record(
            archive,
            row["id"],
            status=status if status == "ok" else f"failed: {detail}"[:300],
            ran_at=when.isoformat(timespec="seconds"),
            next_run_at=next_time(row["cron"], max(when, finished)).isoformat(timespec="seconds"),
        )
    return outcomes


def _dispatch(archive: Archive, db_path: str, row: dict[str, Any], when: datetime, via: str) -> Outcome:
    try:
        job = dispatch(via, row["site"], db_path, json.loads(row["options"] or "{}"))
        outcome = Outcome(row["site"], "dispatched", f"Scrapyd job {job}")
        status = f"dispatched: Scrapyd job {job}"
    except ScrapydError as exc:
        outcome = Outcome(row["site"], "failed", str(exc))
        status = f"failed: {exc}"[:300]
    schedules.record(
        archive,
        row["id"],
        status=status,
        ran_at=when.isoformat(timespec="seconds"),
        next_run_at=next_time(row["cron"], when).isoformat(timespec="seconds"),
    )
    return outcome
