"""From spider items to the archive: validate, then hand to the crawl's session.

Records arrive normalised by the extraction library; the pipeline checks the contract (a record
that breaks it is dropped and counted, never stored half-right). The session batches the
writes and records the run.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from archive.store import AttachmentRow, PageMark, VisitorObservation

from .extract import VISITOR_KEYS, Record
from .items import ArticleItem, FrontierItem, SeenItem
from .session import CrawlSession, StorageFailure, stop_crawl

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?\+07:00)?$")


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

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    @property
    def session(self) -> CrawlSession:
        return self.crawler.spider.session  # type: ignore[union-attr]

    def process_item(self, item: Any) -> Any:
        session = self.session
        if session.storage_error:  # the crawl is stopping; what it still yields cannot be kept
            return item
        try:
            return self._store(session, item)
        except StorageFailure as exc:
            stop_crawl(self.crawler, str(exc))
            return item

    def _store(self, session: CrawlSession, item: Any) -> Any:
        if isinstance(item, ArticleItem):
            try:
                validate(item.record)
            except DropItem as exc:
                session.add_page(
                    PageMark(
                        item.capture.fetched_url,
                        "failed",
                        "article",
                        at=item.capture.fetched_at,
                        http_status=item.capture.http_status,
                        error=f"invalid_record: {exc}",
                    )
                )
                raise
            session.add_article(item.record, item.capture)
        elif isinstance(item, SeenItem):
            session.add_seen(item.url, item.at)
        elif isinstance(item, PageMark):
            session.add_page(item)
        elif isinstance(item, FrontierItem):
            for mark in item.marks:
                session.add_page(mark)
        elif isinstance(item, AttachmentRow):
            session.add_attachment(item)
        elif isinstance(item, VisitorObservation):
            session.add_visitor_stats(item)
        return item
