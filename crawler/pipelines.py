"""From spider items to the archive: validate, batch, write; record the crawl run.

Records arrive normalised by the extraction library; the pipeline checks the contract (a record
that breaks it is dropped and counted, never stored half-right), writes articles in batched
transactions, keeps one visitor-statistics observation per site per run, and closes the crawl
run with its outcome and counts.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.store import Archive, Capture, WriteResult

from .extract import VISITOR_KEYS, Record
from .items import ArticleItem, VisitorStatsItem

logger = logging.getLogger(__name__)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?\+07:00)?$")
# How Scrapy's close reasons map to the way a run ended.
_RUN_STATUS = {
    "finished": "finished",
    "closespider_pagecount": "limit_reached",
    "closespider_timeout": "limit_reached",
    "closespider_itemcount": "limit_reached",
    "closespider_errorcount": "failed",
    "shutdown": "interrupted",
    "cancelled": "interrupted",
}


def validate(record: Record) -> None:
    """Raise DropItem when a record breaks the contract."""
    if not record.url or not record.site:
        raise DropItem("record without url or site")
    for name in ("date", "updated"):
        value = getattr(record, name)
        if value is not None and not _ISO_DATE.match(value):
            raise DropItem(f"{record.url}: {name} {value!r} is not ISO 8601")
    for name in ("title", "summary", "body"):
        value = getattr(record, name)
        if value is not None and not unicodedata.is_normalized("NFC", value):
            raise DropItem(f"{record.url}: {name} is not NFC")
    if record.visitor_stats and set(record.visitor_stats) - set(VISITOR_KEYS):
        raise DropItem(f"{record.url}: unknown visitor statistics keys")


class ArchivePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.db_path = crawler.settings.get("ARCHIVE_DB")
        self.batch_size = crawler.settings.getint("ARCHIVE_BATCH_SIZE", 50)
        self.batch: list[tuple[Record, Capture]] = []
        self.visitors: dict[str, VisitorStatsItem] = {}
        self.totals = WriteResult()
        self.archive: Archive | None = None
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        spider: Any = self.crawler.spider  # a PortalSpider: site_id, start_urls, profile
        self.archive = Archive(self.db_path)
        settings = {
            k: self.crawler.settings.get(k)
            for k in (
                "DOWNLOAD_DELAY",
                "CLOSESPIDER_PAGECOUNT",
                "CLOSESPIDER_TIMEOUT",
                "DEPTH_LIMIT",
                "USER_AGENT",
                "PORTAL_PROXY",
            )
        }
        settings["family"] = spider.profile.name if getattr(spider, "profile", None) else None
        self.run_id = self.archive.start_run(spider.site_id, spider.start_urls, settings)
        spider.crawl_run_id = self.run_id
        logger.info("crawl run %s of %s into %s", self.run_id, spider.site_id, self.db_path)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            validate(item.record)
            capture = Capture(item.fetched_at, item.fetched_url, item.http_status)
            self.batch.append((item.record, capture))
            if item.record.visitor_stats:
                self._observe(
                    VisitorStatsItem(item.record.site, item.record.visitor_stats, item.fetched_at, item.record.url)
                )
            if len(self.batch) >= self.batch_size:
                self.flush()
        elif isinstance(item, VisitorStatsItem):
            self._observe(item)
        return item

    def _observe(self, item: VisitorStatsItem) -> None:
        first = item.site not in self.visitors
        self.visitors[item.site] = item
        if first and self.archive is not None:  # stored at once, so even a killed run keeps it
            self.archive.add_visitor_stats(
                item.site, item.stats, observed_at=item.observed_at, url=item.url, run_id=self.run_id
            )

    def flush(self) -> None:
        if self.archive is None or not self.batch:
            return
        self.totals += self.archive.add_articles(self.batch, self.run_id)
        self.batch = []

    def close_spider(self) -> None:
        self.flush()
        if self.archive is not None:
            for item in self.visitors.values():  # the run's latest observation of each site
                self.archive.add_visitor_stats(
                    item.site, item.stats, observed_at=item.observed_at, url=item.url, run_id=self.run_id
                )

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.archive is None or self.run_id is None:
            return
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        error_kinds: dict[str, int] = {}
        for key, value in stats.items():
            if key.startswith("downloader/exception_type_count/"):
                error_kinds[key.rsplit("/", 1)[1].rsplit(".", 1)[-1]] = value
            elif key.startswith("spider_exceptions/") and key.count("/") == 1:
                error_kinds[key.split("/", 1)[1]] = value
            elif key.startswith("downloader/response_status_count/") and key.rsplit("/", 1)[1][0] in "45":
                error_kinds["http_" + key.rsplit("/", 1)[1]] = value
            elif key == "item_dropped_count":
                error_kinds["invalid_record"] = value
        self.archive.finish_run(
            self.run_id,
            _RUN_STATUS.get(reason, "failed"),
            pages=stats.get("response_received_count", 0),
            errors=sum(error_kinds.values()),
            error_kinds=error_kinds,
            bytes=stats.get("downloader/response_bytes", 0),
        )
        self.archive.close()
        self.archive = None
