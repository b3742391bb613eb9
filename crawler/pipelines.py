"""From spider items to the archive: validate, then hand to the crawl's session.

Records arrive normalised by the extraction library; the pipeline checks them against the
record's contract (``portals/record.schema.json``, NFC text): a record that breaks it is dropped
and counted, never stored half-right. The session batches the
writes and records the run.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from portals.items import (
    ArticleEvent,
    ArticleItem,
    AttachmentRow,
    FrontierItem,
    FrontierMark,
    SeenItem,
    SourceSeen,
    VisitorObservation,
)
from portals.record import InvalidRecord, validate

from .session import CrawlSession, StorageFailure, stop_crawl


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
            except InvalidRecord as exc:
                session.add_page(
                    FrontierMark(
                        item.provenance.fetched_url,
                        "failed",
                        "article",
                        at=item.provenance.fetched_at,
                        http_status=item.provenance.http_status,
                        error=f"invalid_record: {exc}",
                    )
                )
                raise DropItem(str(exc)) from None
            session.add_article(item.record, item.provenance, item.fingerprint)
        elif isinstance(item, SeenItem):
            session.add_seen(item.url, item.at)
        elif isinstance(item, FrontierMark):
            session.add_page(item)
        elif isinstance(item, FrontierItem):
            for mark in item.marks:
                session.add_page(mark)
        elif isinstance(item, AttachmentRow):
            session.add_attachment(item)
        elif isinstance(item, VisitorObservation):
            session.add_visitor_stats(item)
        elif isinstance(item, SourceSeen):
            session.add_source(item)
        elif isinstance(item, ArticleEvent):
            session.add_event(item)
        return item
