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
from .common import EXIT_CODES, BadInput, Failure, check_proxy, family_name, format_option, province_domains, registered_site


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


@click.command(epilog=EXIT_CODES)
@click.option("--province", help="Only this province (current or pre-2025 name, diacritics optional).")
@click.option("--family", help="Only this platform family.")
@click.option("--status", type=click.Choice(["active", "moved", "retired", "merged"]), help="Only this status.")
@format_option
def sites(province: str | None, family: str | None, status: str | None, fmt: str) -> None:
    """List the registered portals (the registry data file).

    --province and --family are matched as every command matches them (case, diacritics and
    "Tỉnh" / "TP." optional); one the registry does not know is an error naming the closest.
    """
    from portals.registry import load_registry

    in_provinces = province_domains([province]) if province else None
    family = family_name(family) if family else None
    rows = [
        site.as_row()
        for site in load_registry().values()
        if (in_provinces is None or site.domain in in_provinces)
        and (not family or site.family == family)
        and (not status or site.status == status)
    ]
    columns = ["domain", "name", "province", "province_before_2025", "level", "family", "status", "successor"]
    emit(rows, fmt, columns, narrow=["domain", "name", "province", "family", "status"])


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
