"""``portal-archive demo``: the sample portals served on 127.0.0.1 and crawled end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from crawler.options import CrawlOptions
from crawler.run import CrawlTarget, run_crawls

from .sample_portal import DEFAULT_SITES_DIR, SamplePortalServer


def crawl_samples(db_path: str, sites_dir: Path | None = None, *, announce: Callable[[str], object] = print) -> list[int]:
    """Serve the saved portals of ``sites_dir`` (default: the bundled sample portals) on
    127.0.0.1, crawl every one with the real spider over real HTTP into the archive at
    ``db_path``; return the crawl run ids. ``announce`` is told what is served, before the crawl."""
    with SamplePortalServer(sites_dir or DEFAULT_SITES_DIR) as server:
        announce(f"Serving {len(server.sites)} saved portal(s) at {server.url}: {', '.join(server.sites)}")
        # By start URL: a registered portal keeps its profile, an unknown one is crawled generically.
        targets = [CrawlTarget(f"http://{host}/") for host in server.sites]
        return run_crawls(targets, db_path, CrawlOptions(delay=0, proxy=server.url))
