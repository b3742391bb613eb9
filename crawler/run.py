"""Run portal crawls from Python (the CLI's ``crawl`` and ``demo`` use this).

Scrapy's reactor starts once per process, so all the crawls of one call run together in one
``CrawlerProcess``; each gets its own crawl run in the archive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.locks import acquire_lock

from . import settings as default_settings
from .options import CrawlOptions
from .session import StorageFailure
from .spiders.portal import PortalSpider, resolve_site


@dataclass(frozen=True)
class CrawlTarget:
    site: str  # registered domain or start URL
    start_url: str | None = None  # overrides the registry's start URLs
    mode: str = "incremental"  # incremental | revisit | full
    resume: bool = False


def build_settings(
    db_path: str,
    options: CrawlOptions | None = None,
    *,
    log_level: str = "WARNING",
    progress: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Settings:
    """The project's settings with this crawl's: its archive, its options (``CrawlOptions``,
    the rule every way of starting a crawl shares), logging, and ``extra`` settings as given."""
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    values: dict[str, Any] = {"ARCHIVE_DB": str(db_path), "LOG_LEVEL": log_level}
    if progress:
        values["PROGRESS"] = progress
    values.update((options or CrawlOptions()).settings())
    values.update(extra or {})
    for key, value in values.items():
        settings.set(key, value, priority="cmdline")
    if settings.get("PORTAL_FRONTIER"):
        # A worker takes from the shared queue only what it can download at once: Scrapy would
        # otherwise prefetch a whole downloader's worth and starve the other workers.
        settings.set("CONCURRENT_REQUESTS", settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"), priority="cmdline")
    return settings


def check_targets(targets: list[CrawlTarget], db_path: str | None = None) -> None:
    """Before any crawl: raise SiteError for a target that is neither registered nor a URL, and
    (given the archive) CrawlLocked for a site whose crawl is already running."""
    for target in targets:
        site_id, _, _ = resolve_site(target.site)
        if db_path is not None:
            acquire_lock(db_path, site_id)


def run_crawls(targets: list[CrawlTarget], db_path: str, options: CrawlOptions | None = None, **kwargs: Any) -> list[int]:
    """Crawl every target into the archive at ``db_path`` with ``options`` (and the other
    arguments of ``build_settings``); return their crawl run ids."""
    check_targets(targets, db_path)
    settings = build_settings(db_path, options, **kwargs)
    process = CrawlerProcess(settings)
    # Scrapy filters by level at its log handler, after each record is made: the engine's and the
    # scraper's debug lines ("Crawled", "Scraped from" with the whole item) cost a record per page
    # and per item even when nothing shows them.
    scrapy_logger = logging.getLogger("scrapy")
    level = scrapy_logger.level
    scrapy_logger.setLevel(settings.get("LOG_LEVEL"))
    crawlers = []
    not_started: list[str] = []  # crawls that failed before their first request, and why
    for target in targets:
        crawler = process.create_crawler(PortalSpider)
        started = process.crawl(crawler, site=target.site, start_url=target.start_url, mode=target.mode, resume=target.resume)
        started.addErrback(
            lambda failure, site=target.site: not_started.append(f"the crawl of {site} could not start: {failure.value}")
        )
        crawlers.append(crawler)
    try:
        process.start()
    finally:
        scrapy_logger.setLevel(level)
    sessions = [c.spider.session for c in crawlers if c.spider is not None and hasattr(c.spider, "session")]
    failures = [s.storage_error for s in sessions if s.storage_error] + not_started
    if failures:
        raise StorageFailure(failures[0])
    return [s.run_id for s in sessions]
