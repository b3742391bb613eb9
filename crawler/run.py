"""Run portal crawls from Python (the CLI's ``crawl`` and ``demo`` use this).

Scrapy's reactor starts once per process, so all the crawls of one call run together in one
``CrawlerProcess``; each gets its own crawl run in the archive.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from . import settings as default_settings
from .spiders.portal import PortalSpider, resolve_site


@dataclass(frozen=True)
class CrawlTarget:
    site: str  # registered domain or start URL
    start_url: str | None = None  # overrides the registry's start URLs


@dataclass
class CrawlLimits:
    max_pages: int | None = None
    max_time: float | None = None  # seconds
    max_depth: int | None = None
    delay: float | None = None  # seconds between requests to a host; 0 disables AutoThrottle


def build_settings(
    db_path: str,
    *,
    proxy: str | None = None,
    limits: CrawlLimits | None = None,
    log_level: str = "WARNING",
    extra: dict[str, Any] | None = None,
) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("ARCHIVE_DB", str(db_path), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if proxy:
        settings.set("PORTAL_PROXY", proxy, priority="cmdline")
    limits = limits or CrawlLimits()
    if limits.max_pages:
        settings.set("CLOSESPIDER_PAGECOUNT", limits.max_pages, priority="cmdline")
    if limits.max_time:
        settings.set("CLOSESPIDER_TIMEOUT", limits.max_time, priority="cmdline")
    if limits.max_depth is not None:
        settings.set("DEPTH_LIMIT", limits.max_depth, priority="cmdline")
    if limits.delay is not None:
        settings.set("DOWNLOAD_DELAY", limits.delay, priority="cmdline")
        if limits.delay == 0:
            settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
            settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8, priority="cmdline")
    for key, value in (extra or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def check_targets(targets: list[CrawlTarget]) -> None:
    """Raise SiteError for a target that is neither registered nor a URL (before any crawl)."""
    for target in targets:
        resolve_site(target.site)


def run_crawls(targets: list[CrawlTarget], db_path: str, **kwargs: Any) -> list[int]:
    """Crawl every target into the archive at ``db_path``; return their crawl run ids."""
    check_targets(targets)
    process = CrawlerProcess(build_settings(db_path, **kwargs))
    crawlers = []
    for target in targets:
        crawler = process.create_crawler(PortalSpider)
        process.crawl(crawler, site=target.site, start_url=target.start_url)
        crawlers.append(crawler)
    process.start()
    return [c.spider.crawl_run_id for c in crawlers if c.spider is not None and hasattr(c.spider, "crawl_run_id")]
