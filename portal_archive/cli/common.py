"""What the commands share: exit codes and their exceptions (and the boundary's mapping of any
other error to them), the options every command of a kind takes (``--db``, ``--format``, the
filters), opening the archive, and the names every command matches the same way (sites,
families, provinces, article ids)."""

from __future__ import annotations

import json
import math
import os
import re
from calendar import monthrange
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import click

EXIT_CODES = """\b
Exit codes: 0 success; 1 failure at run time; 2 bad input (nothing written).
An error is one line on stderr; portal-archive --debug … shows its traceback."""
DEFAULT_DB = "archive.sqlite"


class BadInput(click.ClickException):
    exit_code = 2


class Failure(click.ClickException):
    exit_code = 1


def one_line(message: str) -> str:
    """A message as the one line an error prints."""
    return " ".join(part.strip() for part in str(message).splitlines() if part.strip())


def as_click_error(exc: BaseException) -> click.ClickException:
    """What an error no command turned into one of its own means to the user (the boundary in
    ``cli.__init__``): an archive that is no archive is bad input (2); one that cannot be written,
    a disk that filled, a file that cannot be read, anything unexpected are failures (1)."""
    import sqlite3

    from archive.store import ArchiveError, ArchiveNotWritable

    text = one_line(str(exc)) or type(exc).__name__
    if isinstance(exc, ArchiveNotWritable):
        return Failure(text)
    if isinstance(exc, ArchiveError):
        return BadInput(text)
    if isinstance(exc, sqlite3.OperationalError):
        if "fts5" in text:  # a query the parser took and SQLite's could not (too deeply nested)
            return BadInput(f"bad query: {text.removeprefix('fts5: ')}")
        if "readonly" in text or "read-only" in text or "unable to open" in text:
            return Failure(f"cannot write the archive ({text})")
        if "locked" in text or "busy" in text:
            return Failure(f"the archive is busy: another process holds it ({text})")
        return Failure(f"the archive failed: {text}")
    if isinstance(exc, sqlite3.DatabaseError):
        return Failure(f"the archive failed: {text}")
    if isinstance(exc, OSError):
        where = f": {exc.filename}" if exc.filename else ""
        return Failure(f"{exc.strerror or text}{where}")
    return Failure(f"unexpected {type(exc).__name__}: {text} (--debug shows the traceback)")


def did_you_mean(name: str, known: Iterable[str], fold: Callable[[str], str] = str.lower) -> str:
    """ "; closest: a, b" with the known names nearest to ``name`` (compared as ``fold`` makes
    them), or ""."""
    import difflib

    by_key: dict[str, str] = {}
    for item in known:
        by_key.setdefault(fold(item), item)
    close = difflib.get_close_matches(fold(name), list(by_key), n=3, cutoff=0.5)
    return f"; closest: {', '.join(by_key[c] for c in close)}" if close else ""


def site_key(value: str, option: str = "--site") -> str:
    """The site id of what a user typed (domain in any case, ``www.`` optional, or any URL on
    the site), the same for every command; exit 2 for a URL that cannot be read."""
    from portals.urls import site_id

    try:
        key = site_id(value)
    except ValueError as exc:
        raise BadInput(f"{option} {value!r} is not a site: {exc}") from None
    if not key or any(c.isspace() for c in key):
        raise BadInput(f"{option} {value!r} is not a site (a domain such as danang.gov.vn, or a URL on it)")
    return key


def archived_site(archive: Any, value: str, option: str = "--site") -> str:
    """The id of a site the archive holds anything of; exit 2 with the closest ones otherwise."""
    key = site_key(value, option)
    archived = archive.site_ids()
    if key not in archived:
        listed = ", ".join(sorted(archived)[:8]) + (", …" if len(archived) > 8 else "")
        raise BadInput(
            f"{option}: no site {value!r} in this archive{did_you_mean(key, archived)} (it has: {listed or 'no site yet'})"
        )
    return key


def registered_site(value: str) -> tuple[str, list[str], Any]:
    """(site id, start URLs, profile) of a registered site or a start URL (``resolve_site``); exit
    2 with the closest registered domains for a name the registry lacks, or a URL that is none."""
    from crawler.spiders.portal import SiteError, resolve_site
    from portals.registry import load_registry

    try:
        return resolve_site(value)
    except SiteError as exc:
        hint = "" if "://" in value else did_you_mean(value.strip().lower().removeprefix("www."), load_registry())
        raise BadInput(f"{exc}{hint}") from None
    except ValueError as exc:  # "http://[::1", a port that is no number
        raise BadInput(f"{value!r} is not a usable URL ({exc})") from None


def check_proxy(proxy: str) -> None:
    """--proxy must be an http(s) URL with a host (and a port that is a number)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(proxy)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:
        ok = False
    if not ok:
        raise BadInput(f"--proxy {proxy!r} is not an http(s) URL (e.g. http://127.0.0.1:8080)")


def family_name(value: str, option: str = "--family") -> str:
    """A platform family (profile) name as profiles spell it: any case, "-" for "_"; exit 2 with
    the closest known ones otherwise."""
    from portals.profiles import load_profiles

    known = sorted(load_profiles())
    key = value.strip().lower().replace("-", "_")
    if key not in known:
        raise BadInput(f"{option}: unknown family {value!r}{did_you_mean(key, known)} (families: {', '.join(known)})")
    return key


def province_domains(names: Iterable[str], option: str = "--province") -> set[str]:
    """The registered sites of these provinces (current or pre-2025 names; case, diacritics and
    "Tỉnh" / "TP." optional, as ``portals.registry.province_key`` compares them); exit 2 with the
    closest province names for one the registry lacks."""
    from portals.registry import UnknownProvince, sites_in_provinces

    try:
        return sites_in_provinces(names)
    except UnknownProvince as exc:
        raise BadInput(f"{option}: {exc}") from None


def article_key(value: str) -> str:
    """An article as a user names it: its id as search prints it ("#42" or "42") or a URL."""
    value = value.strip()
    return value[1:].strip() if value.startswith("#") and value[1:].strip().isdigit() else value


def output_path(out: str | None, *, db_path: str | None = None, option: str = "--out") -> Path | None:
    """Where an ``--out`` goes: None (standard output) for none or "-", the same for every
    command; exit 2 for a folder that does not exist, a folder given as the file, or the
    archive itself (an export must never replace the file it reads)."""
    if out is None or out == "-":
        return None
    path = Path(out)
    if path.is_dir():
        raise BadInput(f"{option} {out}: a directory, not a file")
    if not path.resolve().parent.is_dir():
        raise BadInput(f"{option}: directory {path.resolve().parent} does not exist")
    if db_path is not None and path.resolve() == Path(db_path).resolve():
        raise BadInput(f"{option} {out} is the archive itself (--db): write elsewhere")
    return path


class RecordId(click.ParamType):
    """A positive id, as the commands print it: 42 or #42."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip().removeprefix("#").strip()
        if not text.isdigit() or int(text) < 1:
            self.fail(f"{value!r} is not an id (a whole number, as in 42 or #42)", param, ctx)
        return int(text)


def open_archive(path: str, *, readonly: bool, create: bool = False) -> Any:
    """The archive at ``path`` (``archive.store.Archive``, the one way into one): read-only, or to
    write; only with ``create`` (the commands that make an archive: crawl, demo, merge, schedule
    add) is a missing file made into a new archive. One line and exit 2 when it is not an
    archive (missing, empty, another application's file: left untouched), exit 1 when it cannot
    be written (a read-only file or folder) and must be. Opened to write, its ``sites`` table is
    brought up to date with the portal registry (for SQL users and the browser; the commands
    themselves resolve provinces from the registry)."""
    from archive.store import Archive, ArchiveError, ArchiveNotWritable
    from portals.registry import load_registry

    try:
        archive = Archive(path, readonly=readonly, create=create)
    except ArchiveNotWritable as exc:  # an archive, but not one this run can write
        raise Failure(str(exc)) from None
    except ArchiveError as exc:
        hint = " (`portal-archive crawl SITE --db FILE` makes one)" if str(exc).startswith("no archive at") else ""
        raise BadInput(f"{exc}{hint}") from None
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
    error that says what exists, never an empty result. Names are matched as every command
    matches them (``site_key``, ``province_domains``, ``family_name``)."""
    from archive.search import Filters

    if since and until and since > until:
        raise BadInput(f"--since {since} is after --until {until}")
    province_domains(provinces)
    keys = tuple(dict.fromkeys(archived_site(archive, site) for site in sites))
    names = tuple(dict.fromkeys(family_name(family) for family in families))
    return Filters.of(site=keys, province=provinces, family=names, since=since, until=until)


def parse_overrides(overrides: tuple[str, ...]) -> dict[str, Any]:
    """``--set NAME=VALUE`` pairs as settings; a name must be an upper-case setting name, and the
    value of a setting Scrapy or the project knows must be of its kind (DOWNLOAD_TIMEOUT=abc is
    refused here, not found out by the crawl)."""
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
        _check_setting(name, values[name], raw)
    return values


def _check_setting(name: str, value: Any, raw: str) -> None:
    """Exit 2 unless ``value`` suits the setting ``name`` as its default's type says (a flag, a
    number, a list, a mapping); settings neither Scrapy nor the project declares pass as given."""
    from scrapy.settings import Settings, default_settings

    from crawler import settings as project

    default = getattr(project, name, getattr(default_settings, name, None))
    kinds = {bool: "true or false", int: "a number", float: "a number", dict: "a JSON object"}
    kind = kinds.get(type(default))
    if kind is None:
        return
    try:
        if isinstance(default, bool):
            Settings({name: value}).getbool(name)
        elif isinstance(default, (int, float)):
            number = Settings({name: value}).getfloat(name)
            if isinstance(value, bool) or not math.isfinite(number):
                raise ValueError
        elif not isinstance(Settings({name: value}).getdict(name), dict):
            raise ValueError
    except (TypeError, ValueError):
        raise BadInput(f"--set {name}={raw}: {name} takes {kind}") from None
