"""The ``schedules`` table: what to crawl when. Storage only; when a schedule is due and how its
crawl runs is the command's (``portal_archive.schedule``).

Times are stored as ISO 8601 in Vietnam's time (+07:00), so they sort as text.
"""

from __future__ import annotations

import json
from typing import Any

from .schema import now, transaction
from .store import Archive


class UnknownSchedule(LookupError):
    """No schedule has this site or id."""


def add(archive: Archive, site: str, cron: str, options: dict[str, Any], next_run_at: str) -> dict[str, Any]:
    """Schedule ``site`` (replacing its schedule if it had one, and enabling it)."""
    with transaction(archive.db):
        archive.db.execute(
            "INSERT INTO schedules (site, cron, options, created_at, next_run_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (site) DO UPDATE SET cron = excluded.cron, options = excluded.options, "
            "next_run_at = excluded.next_run_at, enabled = 1",
            [site, cron, json.dumps(options, ensure_ascii=False), now(), next_run_at],
        )
    return get(archive, site)


def get(archive: Archive, site_or_id: str) -> dict[str, Any]:
    rows = list(archive.db.query("SELECT * FROM schedules WHERE site = ? OR CAST(id AS TEXT) = ?", [site_or_id, site_or_id]))
    if not rows:
        raise UnknownSchedule(f"no schedule for {site_or_id!r} (see `portal-archive schedule list`)")
    return rows[0]


def remove(archive: Archive, site_or_id: str) -> dict[str, Any]:
    row = get(archive, site_or_id)
    with transaction(archive.db):
        archive.db.execute("DELETE FROM schedules WHERE id = ?", [row["id"]])
    return row


def listing(archive: Archive) -> list[dict[str, Any]]:
    return list(archive.db.query("SELECT * FROM schedules ORDER BY next_run_at, site"))


def due(archive: Archive, stamp: str) -> list[dict[str, Any]]:
    """Enabled schedules whose next run is at or before ``stamp`` (ISO 8601, +07:00)."""
    return list(archive.db.query("SELECT * FROM schedules WHERE enabled = 1 AND next_run_at <= ? ORDER BY next_run_at", [stamp]))


def record(archive: Archive, schedule_id: int, *, status: str, ran_at: str | None = None, next_run_at: str | None = None) -> None:
    """How the schedule's latest run went; with ``ran_at`` and ``next_run_at``, that it ran and
    when it is next due (a run skipped because one is already going stays due)."""
    with transaction(archive.db):
        if ran_at is None:
            archive.db.execute("UPDATE schedules SET last_status = ? WHERE id = ?", [status, schedule_id])
        else:
            archive.db.execute(
                "UPDATE schedules SET last_run_at = ?, last_status = ?, next_run_at = ? WHERE id = ?",
                [ran_at, status, next_run_at, schedule_id],
            )
