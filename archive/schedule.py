"""Scheduled crawls, stored in the archive (``schedules``), timed with croniter.

Rules: a schedule is due when its ``next_run_at`` has passed; running it sets the next time
from *now* (so runs missed while the machine was off collapse into one); a site whose crawl is
already running is skipped, not overlapped; one site failing does not stop the others. Times
are Vietnam's (+07:00, no daylight saving), as portals publish them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from croniter import croniter

from .locks import is_locked
from .schema import VIETNAM, now, transaction
from .scrapyd import ScrapydError, dispatch
from .store import Archive

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


def next_time(cron: str, after: datetime) -> datetime:
    if not croniter.is_valid(cron):
        raise ScheduleError(f"{cron!r} is not a cron expression (minute hour day month weekday)")
    return croniter(cron, after.astimezone(VIETNAM)).get_next(datetime)


def add(archive: Archive, site: str, cron: str, options: dict[str, Any], when: datetime | None = None) -> dict[str, Any]:
    """Schedule ``site`` (replacing its schedule if it had one)."""
    start = when or datetime.now(VIETNAM)
    upcoming = next_time(cron, start).isoformat(timespec="seconds")
    with transaction(archive.db):
        archive.db.execute(
            "INSERT INTO schedules (site, cron, options, created_at, next_run_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (site) DO UPDATE SET cron = excluded.cron, options = excluded.options, "
            "next_run_at = excluded.next_run_at, enabled = 1",
            [site, cron, json.dumps(options, ensure_ascii=False), now(), upcoming],
        )
    return get(archive, site)


def get(archive: Archive, site_or_id: str) -> dict[str, Any]:
    rows = list(archive.db.query("SELECT * FROM schedules WHERE site = ? OR CAST(id AS TEXT) = ?", [site_or_id, site_or_id]))
    if not rows:
        raise ScheduleError(f"no schedule for {site_or_id!r} (see `portal-archive schedule list`)")
    return rows[0]


def remove(archive: Archive, site_or_id: str) -> dict[str, Any]:
    row = get(archive, site_or_id)
    with transaction(archive.db):
        archive.db.execute("DELETE FROM schedules WHERE id = ?", [row["id"]])
    return row


def listing(archive: Archive) -> list[dict[str, Any]]:
    return list(archive.db.query("SELECT * FROM schedules ORDER BY next_run_at, site"))


def due(archive: Archive, when: datetime) -> list[dict[str, Any]]:
    stamp = when.astimezone(VIETNAM).isoformat(timespec="seconds")
    return list(archive.db.query("SELECT * FROM schedules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at", [stamp]))


@dataclass
class Outcome:
    site: str
    status: str  # ok | failed | skipped
    detail: str


def crawl_command(db_path: str, row: dict[str, Any]) -> list[str]:
    options = json.loads(row["options"] or "{}")
    args = [sys.executable, "-m", "archive.cli", "crawl", row["site"], "--db", db_path]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
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
            with transaction(archive.db):  # stays due: it runs once the running crawl is over
                archive.db.execute("UPDATE schedules SET last_status = ? WHERE id = ?", ["skipped: already running", row["id"]])
            continue
        result = run(crawl_command(db_path, row))
        tail = (result.stderr or b"").decode(errors="replace").strip().splitlines()
        detail = tail[-1] if tail else ""
        status = "ok" if result.returncode == 0 else "failed"
        outcomes.append(Outcome(row["site"], status, detail))
        finished = datetime.now(VIETNAM) if runner is None else when
        with transaction(archive.db):
            archive.db.execute(
                "UPDATE schedules SET last_run_at = ?, last_status = ?, next_run_at = ? WHERE id = ?",
                [
                    when.isoformat(timespec="seconds"),
                    status if status == "ok" else f"failed: {detail}"[:300],
                    next_time(row["cron"], max(when, finished)).isoformat(timespec="seconds"),
                    row["id"],
                ],
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
    with transaction(archive.db):
        archive.db.execute(
            "UPDATE schedules SET last_run_at = ?, last_status = ?, next_run_at = ? WHERE id = ?",
            [when.isoformat(timespec="seconds"), status, next_time(row["cron"], when).isoformat(timespec="seconds"), row["id"]],
        )
    return outcome
