"""Commands about portals and their pages: ``sites`` (the registry), ``discover`` (registry rows
proposed from a portal's link lists), ``extract`` (the record of one saved page)."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from ..output import echo, emit, json_text
from .common import (
    EXIT_CODES,
    BadInput,
    Failure,
    check_proxy,
    family_name,
    format_option,
    open_archive,
    province_domains,
    registered_site,
)


@click.command(epilog=EXIT_CODES)
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--url", help="The URL the page was fetched from (default: the page's canonical link).")
@click.option("--family", help="Use this platform profile instead of detecting it.")
@click.option("--content-type", help='The HTTP Content-Type header, e.g. "text/html; charset=windows-1258".')
def extract(file: str, url: str | None, family: str | None, content_type: str | None) -> None:
    """Extract the article record of one saved page (FILE, or - for stdin) as JSON.

    Prints one JSON object: url, site, family, title, date, updated, summary, body, source,
    views, visitor_stats, attachments, warnings. Nothing is written anywhere. At most the first
    8 MiB of the page are read (real pages weigh a few hundred KB): a larger one is cut there,
    its record says "page_cut", and a line on stderr says so.
    """
    from portals.extract import MAX_LINKS, MAX_PAGE, canonical_url
    from portals.extract import extract as extract_record
    from portals.extract.bounds import PARSER_DEPTH
    from portals.profiles import ProfileError, get_profile

    try:  # one byte past the limit tells a page cut from a page of exactly the limit
        if file == "-":
            data = sys.stdin.buffer.read(MAX_PAGE + 1)
        else:
            with Path(file).open("rb") as stream:
                data = stream.read(MAX_PAGE + 1)
    except OSError as exc:
        raise BadInput(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        profile = get_profile(family_name(family)) if family else None
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    if not url:
        url = canonical_url(data, content_type=content_type)
        if not url:
            raise BadInput("the page names no canonical URL: give the URL it was fetched from with --url")
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"--url {url!r} is not an http(s) URL")
    try:  # "http://[::1", a port that is no number
        urlsplit(url).port  # noqa: B018
    except ValueError as exc:
        raise BadInput(f"--url {url!r} is not a usable URL ({exc})") from None
    record = extract_record(data, url, profile, content_type=content_type)
    click.echo(json_text(record.to_dict(), indent=2))
    name = "stdin" if file == "-" else file
    if len(data) > MAX_PAGE:
        echo(
            f"warning: {name} holds more than {MAX_PAGE >> 20} MiB: only its first {MAX_PAGE:,} bytes were read (page_cut)",
            err=True,
        )
    elif "page_cut" in record.warnings:
        echo(f"warning: {name} holds more markup than extraction reads: the rest of it was not read (page_cut)", err=True)
    for code, what in (
        ("links_cut", f"only its first {MAX_LINKS:,} links and images were read"),
        ("depth_cut", f"elements nested deeper than {PARSER_DEPTH:,} levels: the rest of it was not read"),
    ):
        if code in record.warnings:
            echo(f"warning: {name}: {what} ({code})", err=True)


REGISTRY_STATUSES = ("active", "moved", "retired", "merged")
OBSERVED_STATUSES = ("active", "moved", "dark", "back")


@click.command(epilog=EXIT_CODES)
@click.option("--province", help="Only this province (current or pre-2025 name, diacritics optional).")
@click.option("--family", help="Only this platform family.")
@click.option(
    "--status",
    type=click.Choice(sorted(set(REGISTRY_STATUSES) | set(OBSERVED_STATUSES))),
    help="Only this status: the registry's, or (with --db) the one crawls observed.",
)
@click.option("--db", "db_path", help="Beside each site, what crawls into this archive observed of it.")
@format_option
def sites(province: str | None, family: str | None, status: str | None, db_path: str | None, fmt: str) -> None:
    """List the registered portals (the registry data file).

    --province and --family are matched as every command matches them (case, diacritics and
    "Tỉnh" / "TP." optional); one the registry does not know is an error naming the closest. A
    province's former name also finds the portals that took over (`successor`).

    With --db ARCHIVE, each site's status as crawls observed it (`observed`: moved, with the site
    it redirects to and since when; dark, after crawls in a row that fetched nothing; back;
    active) and its last successful crawl; sites crawled by URL that the registry lacks are
    listed too.
    """
    from portals.registry import COLUMNS, load_registry

    if status in ("dark", "back") and not db_path:
        raise BadInput(f"--status {status} is what crawls observe: give the archive with --db")
    in_provinces = province_domains([province]) if province else None
    family = family_name(family) if family else None
    registry = load_registry()
    rows = {domain: site.as_row() for domain, site in registry.items()}
    observed: dict[str, dict] = {}
    if db_path:
        from archive.site_status import statuses

        archive = open_archive(db_path, readonly=True)
        try:
            observed = statuses(archive)
        finally:
            archive.close()
        for site in sorted(observed.keys() - rows.keys()):  # crawled by URL, not registered
            rows[site] = {**dict.fromkeys(COLUMNS), "domain": site}
        for domain, row in rows.items():
            seen = observed.get(domain, {})
            row.update(
                observed=seen.get("status"),
                observed_since=seen.get("since"),
                moved_to=seen.get("successor") if seen.get("status") == "moved" else None,
                last_success=seen.get("last_success"),
                evidence=seen.get("evidence"),
            )
    selected = [
        row
        for domain, row in rows.items()
        if (in_provinces is None or domain in in_provinces)
        and (not family or row.get("family") == family)
        and (not status or status in (row.get("status"), row.get("observed")))
    ]
    columns = ["domain", "name", "province", "province_before_2025", "level", "family", "status", "successor", "status_since"]
    narrow = ["domain", "name", "province", "family", "status"]
    if db_path:
        columns += ["observed", "observed_since", "moved_to", "last_success"]
        narrow = ["domain", "observed", "observed_since", "moved_to", "last_success"]
        if fmt == "csv":
            selected = [{**r, "evidence": json_text(r["evidence"]) if r["evidence"] else None} for r in selected]
            columns.append("evidence")
    if fmt == "table":  # headers for people; observed times as days (Vietnam's), whole in csv and json
        columns.remove("status_since")  # the registry's day of a status: in csv and json
        for row in selected:
            for key in ("observed_since", "last_success"):
                if row.get(key):
                    row[key] = row[key][:10]
        selected = [{_HEADERS.get(k, k): v for k, v in row.items()} for row in selected]
        columns, narrow = [_HEADERS.get(c, c) for c in columns], [_HEADERS.get(c, c) for c in narrow]
    emit(selected, fmt, columns, narrow=narrow)


_HEADERS = {"observed_since": "since", "moved_to": "moved to", "last_success": "last success"}


@click.command(epilog=EXIT_CODES)
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
    append to portals/registry.csv.
    """
    from portals.registry import COLUMNS

    from ..discover import discover as propose_rows

    site_id, starts, _ = registered_site(site)
    if proxy is not None:
        check_proxy(proxy)
    try:
        rows = propose_rows(site_id, starts[0], proxy=proxy, show_all=show_all, detect=not no_detect)
    except OSError as exc:  # PermissionError included: robots.txt forbids the start page
        raise Failure(f"cannot read {starts[0]}: {exc}") from None
    if fmt == "csv":
        csv.DictWriter(sys.stdout, fieldnames=list(COLUMNS), lineterminator="\n").writerows(rows)
    else:
        emit(rows, fmt, ["domain", "name", "level", "family", "source"])


COMMANDS = [extract, sites, discover]
