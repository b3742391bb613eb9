"""Raw capture: every response the crawl downloads (robots.txt, redirects, errors and
attachments included) is written to WARC with its request, as it arrives.

Written at Scrapy's ``response_downloaded`` signal, i.e. before any middleware touches the
response: the bytes as the server sent them (compressed if it compressed them). The record's
pointer goes into ``request.meta["warc"]`` so the spider can store it with the article.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from archive.schema import now
from archive.warc import WarcFileWriter

from .session import stop_crawl

logger = logging.getLogger(__name__)


def warc_dir_for(db_path: str, configured: str | None = None) -> Path:
    """The WARC folder: as configured, else ``warc/`` beside the archive file."""
    return Path(configured) if configured else Path(db_path).resolve().parent / "warc"


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, values in headers.items() for value in values]


class WarcCapture:
    def __init__(self, crawler: Crawler):
        settings = crawler.settings
        if not settings.getbool("WARC_ENABLED", True):
            raise NotConfigured
        self.crawler = crawler
        self.directory = warc_dir_for(settings.get("ARCHIVE_DB"), settings.get("WARC_DIR"))
        self.max_size = settings.getint("WARC_MAX_SIZE", 1 << 30)
        self.writer: WarcFileWriter | None = None
        crawler.signals.connect(self.response_downloaded, signal=signals.response_downloaded)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        return cls(crawler)

    def _writer(self, spider: Spider) -> WarcFileWriter:
        if self.writer is None:
            session = getattr(spider, "session", None)
            run = session.run_id if session else "run"
            site = getattr(spider, "site_id", spider.name)
            # A token per writer keeps names unique across workers whose shards merge into one archive.
            self.writer = WarcFileWriter(
                self.directory,
                f"{site}-run{run}-{uuid.uuid4().hex[:8]}",
                max_size=self.max_size,
                info={
                    "operator": self.crawler.settings.get("CONTACT_URL", ""),
                    "http-header-user-agent": self.crawler.settings.get("USER_AGENT", ""),
                    "robots": "obey" if self.crawler.settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                    "isPartOf": f"{site} crawl run {run}",
                    "description": f"portal-archive crawl of {site}, started {now()}",
                },
            )
        return self.writer

    def response_downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        try:
            writer = self._writer(spider)
            pointer = writer.write(
                response.url,
                method=request.method,
                request_headers=_headers(request.headers),
                status=response.status,
                response_headers=_headers(response.headers),
                body=response.body,
            )
        except OSError as exc:  # disk full, file size limit: a response not captured is not kept
            request.meta["warc_failed"] = True
            stop_crawl(self.crawler, f"cannot write WARC files in {self.directory}: {exc}")
            return
        request.meta["warc"] = pointer
        session = getattr(spider, "session", None)
        if session is not None and writer.files and writer.files[-1] not in session.warc_files:
            session.warc_files.append(writer.files[-1])

    def spider_closed(self, spider: Spider) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:  # the last record may be cut; `portal-archive verify --repair`
                stop_crawl(self.crawler, f"cannot write WARC files in {self.directory}: {exc}")
