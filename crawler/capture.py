"""Raw capture: every response the crawl downloads (robots.txt, redirects, errors and
attachments included) is written to WARC with its request, as it arrives.

Taken at Scrapy's ``response_downloaded`` signal, i.e. before any middleware touches the
response: the bytes as the server sent them (compressed if it compressed them), with the HTTP
version the server answered with and the address connected to (docs/reliability.md says what
Scrapy keeps of the status line and headers). A URL the archive captured before is written as a
revisit of that capture when nothing new came (a 304, or the same payload):
``session.capture_of`` names it. Records are
written, in arrival order, by one thread of their own: compressing them costs about as much as
everything else the crawl does per page, and zlib works outside the interpreter lock, so the
reactor goes on meanwhile. ``captured(request)`` waits for a response's record: afterwards the
record's pointer is in ``request.meta["warc"]`` (or ``meta["warc_failed"]`` is set), and the
spider stores nothing of a response before its record is written. (The wait is kept beside the
request, not in its meta: redirects and retries copy meta into requests that may be queued in
Redis or on disk.)
"""

from __future__ import annotations

import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred

from archive.schema import now
from archive.warc import WarcFileWriter, WarcPointer, default_warc_dir

from .session import stop_crawl

logger = logging.getLogger(__name__)


def warc_dir_for(db_path: str, configured: str | None = None) -> Path:
    """The WARC folder: as configured (``WARC_DIR``), else the archive's default."""
    return Path(configured) if configured else default_warc_dir(db_path)


_PENDING: WeakKeyDictionary[Request, Deferred[None]] = WeakKeyDictionary()


async def captured(request: Request | None) -> None:
    """Wait until the response to ``request`` is in the WARC (or failed to be)."""
    pending = _PENDING.pop(request, None) if request is not None else None
    if pending is not None:
        await maybe_deferred_to_future(pending)


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
        # WARC_REVISITS = False: every response written whole, none as a revisit of an earlier one.
        self.revisits = settings.getbool("WARC_REVISITS", True)
        self.writer: WarcFileWriter | None = None
        self.executor: ThreadPoolExecutor | None = None
        self.failed = False  # a write failed: the crawl is stopping, nothing more is captured
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
        if self.failed:
            request.meta["warc_failed"] = True
            return
        if self.executor is None:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="warc")
        try:
            writer = self._writer(spider)
        except OSError as exc:
            self._failed(request, exc)
            return
        session = getattr(spider, "session", None)
        earlier = None
        if self.revisits and session is not None:
            earlier = session.capture_of(request.meta.get("frontier_url", request.url))
        future = self.executor.submit(
            writer.write,
            response.url,
            method=request.method,
            request_headers=_headers(request.headers),
            status=response.status,
            response_headers=_headers(response.headers),
            body=response.body,
            protocol=getattr(response, "protocol", None),
            ip_address=str(response.ip_address) if getattr(response, "ip_address", None) else None,
            earlier=earlier,
        )
        settled: Deferred[None] = Deferred()
        _PENDING[request] = settled
        from twisted.internet import reactor  # the installed one

        future.add_done_callback(lambda done: reactor.callFromThread(self._settle, done, request, spider, settled))  # type: ignore[attr-defined]

    def _settle(self, done: Future[WarcPointer], request: Request, spider: Spider, settled: Deferred[None]) -> None:
        try:
            pointer = request.meta["warc"] = done.result()
        except Exception as exc:  # disk full, file size limit: a response not captured is not kept
            self._failed(request, exc)
        else:
            session = getattr(spider, "session", None)
            if session is not None and pointer.file not in session.warc_files:
                session.warc_files.append(pointer.file)
        settled.callback(None)

    def _failed(self, request: Request, exc: Exception) -> None:
        request.meta["warc_failed"] = True
        if not self.failed:
            self.failed = True
            stop_crawl(self.crawler, f"cannot write WARC files in {self.directory}: {exc}")

    def spider_closed(self, spider: Spider) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True)  # the records still being written
            self.executor = None
        if self.writer is not None:
            try:
                self.writer.close()
            except OSError as exc:  # the last record may be cut; `portal-archive verify --repair`
                stop_crawl(self.crawler, f"cannot write WARC files in {self.directory}: {exc}")
