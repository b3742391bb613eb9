"""Sites that move: a crawl's redirects to other sites, and whether they say its site moved.

The redirect guard (``crawler.middlewares.RedirectGuardMiddleware``) drops a redirect to another
site as a failure of the page (``redirect_offsite``) and tells the spider's ``MoveWatch`` of it.
When the crawl closes, the watch judges: the site moved to another when a start URL redirected
there, or more than half of the pages the crawl handled did. The session stores the move with
the run (``archive.site_status``), and a crawl that fetched nothing for ``PORTAL_DARK_AFTER``
runs in a row marks its site dark there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from archive.schema import now
from archive.site_status import DARK_AFTER, SiteMove
from portals.urls import site_of

__all__ = ["DARK_AFTER", "MoveWatch", "SiteMove", "dark_after"]


@dataclass(frozen=True)
class Redirect:
    url: str  # the page asked for (the first URL of its redirect chain)
    status: int
    location: str  # the Location header, as sent
    final_url: str  # where it leads (absolute)
    at: str
    start: bool  # the page is a start URL of the crawl


class MoveWatch:
    """The redirects to other sites one crawl met, by the site they lead to."""

    def __init__(self) -> None:
        self.to: dict[str, list[Redirect]] = {}

    def offsite(self, meta: dict[str, Any], url: str, status: int, location: str, target: str) -> None:
        """A page (not robots.txt, not an attachment: those may live elsewhere) answered ``status``
        with ``location``, leading to ``target`` on another site."""
        if meta.get("kind") == "attachment" or urlsplit(url).path == "/robots.txt":
            return
        first = (meta.get("redirect_urls") or [url])[0]
        start = int(meta.get("depth", 0) or 0) == 0
        redirect = Redirect(meta.get("frontier_url", first), status, location, target, now(), start)
        self.to.setdefault(site_of(target), []).append(redirect)

    def verdict(self, handled: int) -> SiteMove | None:
        """The move, if these redirects show one: a start URL redirected to another site, or more
        than half of the ``handled`` pages (fetched or failed) did."""
        if not self.to:
            return None
        site, redirects = max(self.to.items(), key=lambda item: (any(r.start for r in item[1]), len(item[1])))
        starts = [r for r in redirects if r.start]
        if not starts and len(redirects) * 2 <= handled:
            return None
        first = (starts or redirects)[0]
        evidence = {
            "url": first.url,
            "status": first.status,
            "location": first.location,
            "final_url": first.final_url,
            "start_url": first.start,
            "redirects": len(redirects),
            "pages": handled,
        }
        return SiteMove(site, min(r.at for r in redirects), evidence)


def dark_after(settings: Any) -> int:
    """``PORTAL_DARK_AFTER``: after how many crawls in a row that fetched nothing a site is dark."""
    value = settings.get("PORTAL_DARK_AFTER")
    if value is None:
        return DARK_AFTER
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1 or str(value).strip() not in (str(number), f"{number}.0"):
        raise ValueError(f"PORTAL_DARK_AFTER takes a whole number of crawls, at least 1, not {value!r}")
    return number
