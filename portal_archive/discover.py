"""``portal-archive discover``: registry rows proposed from a portal's own link lists.

Fetches the portal's start page (robots.txt obeyed, read with Protego as the crawl reads it),
reads its "Liên kết website" lists (``portals.proposals``), and fetches one page of each portal
found, where it is reachable, to detect its platform family from the page's markers.
"""

from __future__ import annotations

import urllib.request
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from protego import Protego

from crawler.settings import USER_AGENT
from portals.extract.encoding import decode
from portals.profiles import detect_profile
from portals.proposals import propose
from portals.registry import COLUMNS, find_site, load_registry

MAX_BYTES = 20 * 1024 * 1024


def fetch(url: str, *, user_agent: str = USER_AGENT, proxy: str | None = None, timeout: float = 15.0) -> tuple[bytes, str | None]:
    """One polite GET (robots.txt asked first): (body, content type). Raises OSError when the page
    cannot be had, PermissionError when robots.txt forbids it."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {}))
    opener.addheaders = [("User-Agent", user_agent)]
    parts = urlsplit(url)
    try:
        with opener.open(f"{parts.scheme}://{parts.netloc}/robots.txt", timeout=timeout) as response:
            robots = Protego.parse(response.read(MAX_BYTES).decode("utf-8", errors="replace"))
    except OSError:  # no robots.txt (or none readable): nothing is forbidden
        robots = Protego.parse("")
    if not robots.can_fetch(url, user_agent):
        raise PermissionError(f"robots.txt of {parts.netloc} forbids {url}")
    with opener.open(url, timeout=timeout) as response:
        return response.read(MAX_BYTES), response.headers.get("Content-Type")


def discover(
    site_id: str, start_url: str, *, proxy: str | None = None, show_all: bool = False, detect: bool = True
) -> list[dict[str, Any]]:
    """Registry rows (``portals.registry.COLUMNS``) for the portals ``start_url`` links to; those
    the registry has already are left out unless ``show_all``. OSError when the start page cannot
    be fetched, PermissionError when robots.txt forbids it."""
    body, _ = fetch(start_url, proxy=proxy)
    parent = find_site(site_id)
    known = load_registry()
    rows = []
    for proposal in propose(body, start_url):
        if proposal.domain in known and not show_all:
            continue
        family, reachable = None, "not checked"
        if detect:
            try:
                page, content_type = fetch(proposal.start_url, proxy=proxy, timeout=10)
                detected = detect_profile(decode(page, content_type)[0])
                family, reachable = (detected.name if detected else None), "reachable"
            except OSError as exc:  # PermissionError included: robots.txt forbids it
                reachable = f"not reachable ({str(exc)[:60]})"
        row = {
            "domain": proposal.domain,
            "name": proposal.name,
            "province": parent.province if parent else "",
            "province_before_2025": parent.province_before_2025 if parent else "",
            "level": proposal.level,
            "family": family or "",
            "start_urls": proposal.start_url,
            "status": "active",
            "successor": "",
            "status_since": "",
            "source": f"{proposal.found_in} of {site_id}, {date.today().isoformat()}; {reachable}",
            "confirmed": "family" if family else "",
        }
        rows.append({column: row[column] for column in COLUMNS})
    return rows
