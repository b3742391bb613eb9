"""Commands about portals and their pages: ``sites`` (the registry), ``discover`` (registry rows
proposed from a portal's link lists), ``extract`` (the record of one saved page)."""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

import click

from ..output import emit
from .common import EXIT_CODES, BadInput, Failure, format_option


@click.command(epilog=EXIT_CODES)
@click.argument("file", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--url", help="The URL the page was fetched from (default: the page's canonical link).")
@click.option("--family", help="Use this platform profile instead of detecting it.")
@click.option("--content-type", help='The HTTP Content-Type header, e.g. "text/html; charset=windows-1258".')
def extract(file: str, url: str | None, family: str | None, content_type: str | None) -> None:
    """Extract the article record of one saved page (FILE, or - for stdin) as JSON.

    Prints one JSON object: url, site, family, title, date, updated, summary, body, source,
    views, visitor_stats, attachments, warnings. Nothing is written anywhere.
    """
    from portals.extract import canonical_url
    from portals.extract import extract as extract_record
    from portals.profiles import ProfileError, get_profile

    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        raise BadInput(f"cannot read {file}: {exc.strerror or exc}") from None
    try:
        profile = get_profile(family) if family else None
    except ProfileError as exc:
        raise BadInput(str(exc)) from None
    if not url:
        url = canonical_url(data, content_type=content_type)
        if not url:
            raise BadInput("the page names no canonical URL: give the URL it was fetched from with --url")
    if not re.match(r"^https?://[^/\s]+", url):
        raise BadInput(f"--url {url!r} is not an http(s) URL")
    record = extract_record(data, url, profile, content_type=content_type)
    click.echo(json.dumps(record.to_dict(), ensure_ascii=False, indent=2))


@click.command(epilog=EXIT_CODES)
@click.option("--province", help="Only this province (current or pre-2025 name, diacritics optional).")
@click.option("--family", help="Only this platform family.")
@click.option("--status", type=click.Choice(["active", "moved", "retired", "merged"]), help="Only this status.")
@format_option
def sites(province: str | None, family: str | None, status: str | None, fmt: str) -> None:
    """List the registered portals (the registry data file)."""
    from portals.registry import in_province, load_registry

    rows = [
        site.as_row()
        for site in load_registry().values()
        if (not province or in_province(site, province))
        and (not family or site.family == family)
        and (not status or site.status == status)
    ]
    emit(rows, fmt, ["domain", "name", "province", "province_before_2025", "level", "family", "status", "successor"])


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
    from crawler.spiders.portal import SiteError, resolve_site
    from portals.registry import COLUMNS

    from ..discover import discover as propose_rows

    try:
        site_id, starts, _ = resolve_site(site)
    except SiteError as exc:
        raise BadInput(str(exc)) from None
    try:
        rows = propose_rows(site_id, starts[0], proxy=proxy, show_all=show_all, detect=not no_detect)
    except OSError as exc:  # PermissionError included: robots.txt forbids the start page
        raise Failure(f"cannot read {starts[0]}: {exc}") from None
    if fmt == "csv":
        csv.DictWriter(sys.stdout, fieldnames=list(COLUMNS), lineterminator="\n").writerows(rows)
    else:
        emit(rows, fmt, ["domain", "name", "level", "family", "source"])


COMMANDS = [extract, sites, discover]
