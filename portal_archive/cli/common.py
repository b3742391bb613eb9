"""What the commands share: exit codes and their exceptions, the options every command of a
kind takes (``--db``, ``--format``, the filters), and opening the archive."""

from __future__ import annotations

import math
import os
import re
from calendar import monthrange
from collections.abc import Callable
from datetime import date
from typing import Any

import click

EXIT_CODES = """\b
Exit codes: 0 success; 1 failure at run time; 2 bad input (nothing written)."""
DEFAULT_DB = "archive.sqlite"


class BadInput(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


def open_archive(path: str, *, readonly: bool) -> Any:
    """The archive at ``path``; one line and exit 2 when it cannot be one, exit 1 when it cannot
    be written (a read-only file or folder) and must be. Opened to write, its
    ``sites`` table is brought up to date with the portal registry (for SQL users and the
    browser; the commands themselves resolve provinces from the registry)."""
    from archive.store import Archive, ArchiveError, ArchiveNotWritable
    from portals.registry import load_registry

    try:
        archive = Archive(path, readonly=readonly)
    except ArchiveNotWritable as exc:  # an archive, but not one this run can write
        raise Failure(str(exc)) from None
    except ArchiveError as exc:
        raise BadInput(str(exc)) from None
    if not readonly:
        archive.sync_sites(site.as_row() for site in load_registry().values())
    return archive


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


class Seconds(click.ParamType):
    """A finite number of seconds, at least ``minimum``: "nan", "inf" and negatives are refused
    (a limit that is no number would be stored, and would never, or at once, end a crawl)."""

    name = "seconds"

    def __init__(self, minimum: float = 0.0):
        self.minimum = minimum

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(number) or number < self.minimum:
            self.fail(f"{value!r} is not a finite number of seconds of at least {self.minimum:g}", param, ctx)
        return number


def crawl_mode(revisit: bool, full: bool) -> str | None:
    """--revisit or --full, never both."""
    if revisit and full:
        raise BadInput("--revisit and --full exclude each other: give one")
    return "revisit" if revisit else "full" if full else None


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def _date_bound(end: bool) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """--since/--until: YYYY, YYYY-MM or YYYY-MM-DD, expanded to the first/last day."""

    def convert(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
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


def checked_filters(
    archive: Any,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
) -> Any:
    """The filters, checked against the registry, the profiles and the archive: a typo is an
    error that says what exists, never an empty result."""
    from archive.search import Filters
    from portals.profiles import load_profiles
    from portals.registry import UnknownProvince, sites_in_provinces

    filters = Filters.of(site=sites, province=provinces, family=families, since=since, until=until)
    if since and until and since > until:
        raise BadInput(f"--since {since} is after --until {until}")
    try:
        sites_in_provinces(filters.provinces)
    except UnknownProvince as exc:
        raise BadInput(str(exc)) from None
    known_families = sorted(load_profiles()) if filters.families else []
    for family in filters.families:
        if family not in known_families:
            raise BadInput(f"unknown family {family!r} (families: {', '.join(known_families)})")
    if filters.sites:
        archived = archive.site_ids()
        for site in filters.sites:
            if site not in archived:
                listed = ", ".join(sorted(archived)[:8]) + (", …" if len(archived) > 8 else "")
                raise BadInput(f"no site {site!r} in this archive (it has: {listed or 'no site yet'})")
    return filters
