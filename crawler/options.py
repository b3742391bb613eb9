"""Crawl options, and the one rule that turns them into Scrapy settings.

What an archivist sets for a crawl — limits, politeness, a proxy — comes from the ``crawl``
command, from a schedule (run here by ``schedule run-due``, or handed to Scrapyd), or from a
test. Every path goes through ``CrawlOptions.settings()``, so a crawl is configured the same
way however it is started. (Importing this module does not import Scrapy.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

MODES = ("incremental", "revisit", "full")
# With no delay, more requests at once per host: AutoThrottle, which would hold them back, is off.
NO_DELAY_CONCURRENCY = 8


@dataclass(frozen=True)
class CrawlOptions:
    max_pages: int | None = None  # stop after this many pages
    max_time: float | None = None  # … or this many seconds
    max_depth: int | None = None  # follow links at most this deep
    delay: float | None = None  # seconds between requests to a host; 0 also disables AutoThrottle
    proxy: str | None = None  # every request through this HTTP proxy
    warc_dir: str | None = None  # WARC folder (default: warc/ beside the archive)

    def settings(self) -> dict[str, Any]:
        """The Scrapy settings these options stand for (only those they change)."""
        values: dict[str, Any] = {}
        if self.max_pages:
            values["PORTAL_MAX_PAGES"] = self.max_pages
        if self.max_time:
            values["CLOSESPIDER_TIMEOUT"] = self.max_time
        if self.max_depth is not None:
            values["DEPTH_LIMIT"] = self.max_depth
        if self.delay is not None:
            values["DOWNLOAD_DELAY"] = self.delay
            if self.delay == 0:
                values.update(AUTOTHROTTLE_ENABLED=False, CONCURRENT_REQUESTS_PER_DOMAIN=NO_DELAY_CONCURRENCY)
        if self.proxy:
            values["PORTAL_PROXY"] = self.proxy
        if self.warc_dir:
            values["WARC_DIR"] = self.warc_dir
        return values

    def to_dict(self) -> dict[str, Any]:
        """The options that are set, by name (as a schedule stores them)."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlOptions:
        """Options from a stored dict (a schedule's); keys that are no option are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def mode_of(data: dict[str, Any]) -> str:
    """The crawl mode a schedule's options ask for (``revisit`` / ``full`` flags)."""
    if data.get("revisit"):
        return "revisit"
    if data.get("full"):
        return "full"
    return "incremental"
