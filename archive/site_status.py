"""Sites as crawls find them: ``site_events``, what changed and when, and ``site_status``, each
site's latest status with its last successful crawl.

A crawl ends by telling what it saw of its site (``observe_run``):

* its start URL, or most of its pages, redirected to another site: ``moved``, with that site as
  successor, when the first such redirect came, and the redirect itself as evidence;
* it fetched nothing with a 2xx, 3xx or 304 answer (connection refused, DNS failure, timeouts,
  5xx or 4xx all along), as did the crawls before it, ``dark_after`` crawls in a row: ``dark``,
  since the first of them, with their runs and errors as evidence;
* it fetched pages again after ``dark`` or ``moved``: ``back``; the first crawl of a site that
  fetched a page: ``active``. (A crawl whose only answers were a few redirects elsewhere, too few
  to be a move, is neither: it ends a run of crawls that fetched nothing.)

Only changes are events: a site that stays where it is, or keeps redirecting to the same place,
adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .schema import transaction
from .store import Archive

STATUSES = ("active", "moved", "dark", "back")
# A site is dark after this many crawls in a row fetched nothing (crawl setting PORTAL_DARK_AFTER).
DARK_AFTER = 3


@dataclass(frozen=True)
class SiteMove:
    """A crawl's finding that its site now redirects to ``successor`` (a site id)."""

    successor: str
    since: str  # when the first redirect there was seen (the archive's time format)
    evidence: dict[str, Any] = field(default_factory=dict)


def _answered(run: dict[str, Any]) -> bool | None:
    """Whether a finished run got an answer (2xx, 3xx, 304) from its site; None when it tells
    nothing (still running, or it made no request that answered or failed)."""
    if run["status"] == "running":
        return None
    if run["pages"]:
        return True
    kinds = json.loads(run["error_kinds"] or "{}")
    if any(kind.startswith("redirect_") for kind in kinds):  # a 3xx answer, to somewhere else
        return True
    return False if run["errors"] else None


def current(archive: Archive, site: str) -> dict[str, Any] | None:
    """The site's latest event, or None."""
    rows = list(archive.db.query("SELECT * FROM site_events WHERE site = ? ORDER BY id DESC LIMIT 1", [site]))
    return rows[0] if rows else None


def record(
    archive: Archive,
    site: str,
    status: str,
    since: str,
    evidence: dict[str, Any],
    *,
    successor: str | None = None,
    run_id: int | None = None,
) -> None:
    if status not in STATUSES:
        raise ValueError(f"site status must be one of {', '.join(STATUSES)}")
    with transaction(archive.db):
        archive.db.execute(
            "INSERT INTO site_events (site, status, since, evidence, successor, run_id) VALUES (?, ?, ?, ?, ?, ?)",
            [site, status, since, json.dumps(evidence, ensure_ascii=False), successor, run_id],
        )


def observe_run(archive: Archive, run_id: int, *, move: SiteMove | None = None, dark_after: int = DARK_AFTER) -> str | None:
    """Record what the finished run ``run_id`` says of its site's status; return the status
    recorded, if it changed."""
    run = archive.run(run_id)
    if run is None:
        return None
    site = run["site"]
    latest = current(archive, site)
    status = latest["status"] if latest else None
    if move is not None:
        if status == "moved" and latest and latest["successor"] == move.successor:
            return None
        record(archive, site, "moved", move.since, move.evidence, successor=move.successor, run_id=run_id)
        return "moved"
    answered = _answered(run)
    if answered and not run["pages"]:  # only redirects elsewhere, too few to be a move: not dark, not back
        return None
    if answered:
        if status in (None, "dark", "moved"):
            new = "active" if status is None else "back"
            evidence: dict[str, Any] = {"pages": run["pages"]} | ({"after": status} if status else {})
            record(archive, site, new, run["started_at"], evidence, run_id=run_id)
            return new
        return None
    if answered is None or status == "dark":
        return None
    silent = _silent_streak(archive, site, dark_after)
    if len(silent) < dark_after:
        return None
    kinds: dict[str, int] = {}
    for past in silent:
        for kind, count in json.loads(past["error_kinds"] or "{}").items():
            kinds[kind] = kinds.get(kind, 0) + count
    first = silent[-1]
    record(
        archive,
        site,
        "dark",
        first["started_at"],
        {"runs": [r["id"] for r in reversed(silent)], "error_kinds": kinds},
        run_id=run_id,
    )
    return "dark"


def _silent_streak(archive: Archive, site: str, limit: int) -> list[dict[str, Any]]:
    """The site's latest runs that fetched nothing, newest first, up to ``limit``; runs that tell
    nothing (``_answered`` None) are passed over, one that answered ends the streak."""
    streak: list[dict[str, Any]] = []
    rows = archive.db.query(
        "SELECT id, started_at, status, pages, errors, error_kinds FROM crawl_runs WHERE site = ? ORDER BY id DESC", [site]
    )
    for run in rows:
        answered = _answered(run)
        if answered:
            break
        if answered is False:
            streak.append(run)
            if len(streak) >= limit:
                break
    return streak


def statuses(archive: Archive) -> dict[str, dict[str, Any]]:
    """site → its observed status (``site_status``): status, since, successor, evidence (as an
    object), the run that saw it, the last successful crawl's end and the last crawl's start. An
    archive older than site events gives the crawls' times only."""
    if "site_events" in archive.db.table_names():
        rows = archive.db.query("SELECT * FROM site_status")
    else:
        rows = archive.db.query(
            "SELECT site, NULL AS status, NULL AS since, NULL AS successor, NULL AS evidence, NULL AS run_id, "
            "max(CASE WHEN pages > 0 THEN coalesce(finished_at, started_at) END) AS last_success, "
            "max(started_at) AS last_crawl FROM crawl_runs GROUP BY site"
        )
    return {row["site"]: {**row, "evidence": json.loads(row["evidence"]) if row["evidence"] else None} for row in rows}
