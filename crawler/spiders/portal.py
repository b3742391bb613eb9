"""One spider for every portal: ``scrapy crawl portal -a site=sdl.thuathienhue.gov.vn``.

The site is a registered domain (its registry row gives the start URLs and the family profile)
or any start URL (``-a site=http://127.0.0.1:8000/``: generic discovery and extraction, family
detected from the pages). The spider follows listing pages, pagination and article links within
the site's own hosts, skips the profile's traps, requests every page as its first link names it
(what the WARC holds is what pages link to, so a replay tool finds the links; only a www./bare
alias of the start host is asked for on the start host, so an article's record does not depend on
which alias a link named) and knows it by its canonical URL (so a URL is fetched once, whatever
parameter order or tracking junk its links carry), and hands article records, attachments,
visitor statistics and frontier marks to the pipeline.

Modes (``-a mode=…``): ``incremental`` (default) fetches listings and only the articles not yet
archived, and stops paging a listing at a page that holds only known articles; ``revisit`` also
re-checks known articles with conditional requests (ETag / Last-Modified); ``full`` refetches
everything. ``-a resume=1`` continues the site's last unfinished run from its frontier.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urldefrag, urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.python.failure import Failure

from archive.schema import now
from archive.warc import WarcPointer
from portals.documents import DocumentText, Limits
from portals.extract import PageAnalysis
from portals.items import (
    ArticleEvent,
    ArticleItem,
    AttachmentRow,
    Capture,
    FrontierItem,
    FrontierMark,
    Provenance,
    SeenItem,
    SourceSeen,
    VisitorObservation,
)
from portals.links import is_pagination, kind_of
from portals.profiles import PortalProfile, get_profile
from portals.registry import find_site
from portals.urls import canonicalize, host_of, site_of

from ..addresses import AddressRefused
from ..capture import captured, warc_dir_for
from ..documents import DocumentReader
from ..moves import MoveWatch, dark_after
from ..offload import Analyser, ExtractCrashed
from ..session import CrawlSession, done_when_stored
from ..sources import Entry, SourceError, feed_links, read_source, soft_404

_RUN_STATUS = {"finished": "finished", "shutdown": "interrupted", "cancelled": "interrupted", "storage_failed": "failed"}
_LIMITS = {
    "closespider_pagecount": "max_pages",
    "closespider_timeout": "max_time",
    "closespider_itemcount": "max_items",
    "closespider_errorcount": "max_errors",
}


class SiteError(ValueError):
    """The site argument names no registered site and is not a URL."""


def resolve_site(site: str) -> tuple[str, list[str], PortalProfile | None]:
    """(site id, start URLs, profile) for a registered domain or a start URL."""
    registered = find_site(site)
    if "://" in site:
        parts = urlsplit(site)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SiteError(f"{site!r} is not an http(s) URL")
        profile = get_profile(registered.family) if registered and registered.family else None
        return site_of(site), [site], profile
    if registered is None:
        raise SiteError(f"unknown site {site!r}: give a registered domain (see `portal-archive sites`) or a start URL")
    profile = get_profile(registered.family) if registered.family else None
    return registered.domain, list(registered.start_urls), profile


def _attempts(meta: dict[str, Any]) -> int:
    """Requests made for a URL so far in this crawl: the first one and its retries."""
    return int(meta.get("retry_times", 0)) + 1


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None


class PortalSpider(scrapy.Spider):
    name = "portal"
    session: CrawlSession
    analyser: Analyser
    attachment_maxsize: int = 25 * 1024 * 1024
    documents: DocumentReader | None = None  # reads fetched attachments' text (ATTACHMENT_TEXT)
    depth_limit: int = 0

    def __init__(
        self,
        site: str | None = None,
        start_url: str | None = None,
        family: str | None = None,
        mode: str = "incremental",
        resume: str | bool = False,
        _job: str | None = None,  # Scrapyd's job id, when Scrapyd runs the crawl
        **kwargs: Any,
    ):
        super().__init__(**kwargs)
        self.job_id = _job
        # Pages this crawl has asked for: a link seen again (menus, related lists, pagination on
        # every page) makes no second request for Scrapy's duplicate filter to drop, nor a second
        # frontier mark.
        self.requested: set[str] = set()
        self.beyond_depth: set[str] = set()  # links found only beyond the depth limit so far
        self.traps: set[str] = set()  # links never followed (print views, calendars, searches …)
        self.unfollowed: list[FrontierMark] = []  # marks of the links of the page being read not followed
        self.moves = MoveWatch()  # redirects to other sites (the redirect guard tells it)
        if not site:
            raise SiteError("the portal spider needs a site: -a site=DOMAIN_OR_URL")
        self.site_id, starts, self.profile = resolve_site(site)
        if start_url:
            starts = [start_url]
        if family:
            self.profile = get_profile(family)
        self.mode = mode
        self.resume = resume in (True, "1", "true", "yes")
        self.start_urls = [canonicalize(u, self._drop) for u in starts]
        hosts = {host_of(u) for u in self.start_urls}
        self.allowed_domains = sorted(
            hosts | {f"www.{h}" for h in hosts if not h.startswith("www.")} | {h.removeprefix("www.") for h in hosts}
        )
        # A portal links to itself with and without "www." (menus one way, related lists the
        # other): one page, asked for once, under the host its start URL names.
        self.host_of_alias = {
            alias: host for host in hosts for alias in (f"www.{host}", host.removeprefix("www.")) if alias not in hosts
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        snapshot = {
            k: settings.get(k)
            for k in (
                "DOWNLOAD_DELAY",
                "PORTAL_MAX_PAGES",
                "CLOSESPIDER_TIMEOUT",
                "DEPTH_LIMIT",
                "USER_AGENT",
                "PORTAL_PROXY",
            )
        }
        snapshot["family"] = spider.profile.name if spider.profile else None
        dark = dark_after(settings)  # a bad value: the crawl does not start, and records no run
        snapshot["warc_dir"] = str(warc_dir_for(settings.get("ARCHIVE_DB"), settings.get("WARC_DIR")))
        spider.session = CrawlSession(
            settings.get("ARCHIVE_DB"),
            spider.site_id,
            spider.start_urls,
            mode=spider.mode,
            resume=spider.resume,
            settings=snapshot,
            batch_size=settings.getint("ARCHIVE_BATCH_SIZE", 50),
            flush_seconds=settings.getfloat("ARCHIVE_FLUSH_SECONDS", 2.0),
            worker=settings.get("PORTAL_WORKER"),
            shared_frontier=bool(settings.get("PORTAL_FRONTIER")),
            job_id=spider.job_id,
        )
        spider.session.dark_after = dark
        spider.attachment_maxsize = settings.getint("ATTACHMENT_MAXSIZE", 25 * 1024 * 1024)
        if settings.getbool("ATTACHMENT_TEXT", True):
            spider.documents = DocumentReader(Limits(max_bytes=spider.attachment_maxsize))
        spider.depth_limit = settings.getint("DEPTH_LIMIT")
        processes = settings.get("EXTRACT_PROCESSES")
        spider.analyser = Analyser.shared(None if processes is None else int(processes))
        return spider

    def closed(self, reason: str) -> None:
        """Scrapy's close reason becomes how the run ended."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        self.analyser.release()
        if self.documents is not None:
            self.documents.close()
        limit = _LIMITS.get(reason)
        status = "limit_reached" if limit else _RUN_STATUS.get(reason, "failed")
        self.session.move = self.moves.verdict(self.session.counts.pages + self.session.counts.failed)
        self.session.close(
            status,
            requests=stats.get("downloader/request_count", 0),
            bytes=stats.get("downloader/response_bytes", 0),
            limit_reached=limit,
        )

    @property
    def _drop(self) -> frozenset[str]:
        return self.profile.drop_params if self.profile else frozenset()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.requested.update(url for url, _, _ in self.session.seeds)
        for url, kind, depth in self.session.seeds:
            if kind == "attachment":  # left pending by an interrupted run: fetched for its article
                origin = self.session.archive.attachment_origin(url)
                if origin is not None:
                    yield self._attachment_request(url, *origin)
                continue
            if kind == "source":
                yield self._source_request(url)
                continue
            yield self._request(url, kind, depth, priority=10)

    def _request(self, url: str, kind: str, depth: int, priority: int = 0, fetch: str | None = None) -> scrapy.Request:
        """A request for the page known as ``url`` (canonical), asked for as ``fetch`` (as linked)."""
        meta: dict[str, Any] = {"frontier_url": url, "kind": kind, "depth": depth}
        headers = {}
        if kind == "article" and self.mode == "revisit" and self.session.is_known(url):
            etag, modified = self.session.validators(url)
            if etag:
                headers["If-None-Match"] = etag
            if modified:
                headers["If-Modified-Since"] = modified
            meta["handle_httpstatus_list"] = [304]
        fetch = fetch or self.session.fetch_as.get(url, url)
        return scrapy.Request(fetch, callback=self.parse, errback=self.failed, meta=meta, headers=headers, priority=priority)

    # -- pages ----------------------------------------------------------------------------
    async def parse(self, response: Response) -> AsyncIterator[Any]:
        try:
            async for output in self._read_page(response):
                yield output
        finally:  # on a shared frontier, the request is done once this page's output is stored
            done_when_stored(self.crawler, response.meta)

    async def _read_page(self, response: Response) -> AsyncIterator[Any]:
        at = now()
        url = response.meta.get("frontier_url", response.url)
        kind = response.meta.get("kind", "page")
        depth = response.meta.get("depth", 0)
        attempts = _attempts(response.meta)
        await captured(response.request)
        if response.meta.get("warc_failed"):  # not captured: stays pending for --resume
            return
        if response.meta.get("truncated"):  # the stream ended early: what arrived is not the page
            yield FrontierMark(
                url,
                "failed",
                kind,
                depth,
                at,
                response.status,
                error="truncated_body: compressed stream incomplete or corrupt",
                attempts=attempts,
            )
            return
        if response.status == 304:
            yield SeenItem(url, at)
            yield FrontierMark(url, "done", "article", depth, at, 304, attempts=attempts)
            return
        content_type = _header(response, "Content-Type")
        if not isinstance(response, TextResponse) or "html" not in (content_type or "text/html").lower():
            yield FrontierMark(
                url,
                "done",
                kind,
                depth,
                at,
                response.status,
                error=f"not_html: {content_type}",
                attempts=attempts,
                capture=self._new_capture(response),
            )
            return
        if not response.body.strip():
            yield FrontierMark(url, "failed", kind, depth, at, response.status, error="empty_page: no content", attempts=attempts)
            return
        try:
            page, (found, linked) = await maybe_deferred_to_future(
                self.analyser.analyse(
                    response.body, response.url, self.profile.name if self.profile else None, content_type, self.allowed_domains
                )
            )
        except ExtractCrashed as exc:
            yield FrontierMark(
                url, "failed", kind, depth, at, response.status, error=f"extract_crashed: {exc}", attempts=attempts
            )
            return
        if depth == 0 and not self.session.by_sources:  # the feeds a start page's head names
            for feed in feed_links(response.body, response.url):
                if self._new_source(feed, absent_too=False):
                    request = self._source_request(feed)
                    request.meta["probe"] = False
                    yield FrontierMark(request.meta["frontier_url"], "pending", "source", 0, at)
                    yield request
        if self.host_of_alias:  # a www./bare alias of the start host is asked for on the start host
            found = {self._on_start_host(u): k for u, k in found.items()}
            linked = {self._on_start_host(u): self._on_start_host(h) for u, h in linked.items()}
        removed = None
        if kind == "article" and self.session.is_known(url):  # an archived article: still there?
            removed = soft_404(page.record.title, page.record.body, page.url, response.meta.get("redirect_urls"), self.start_urls)
            if removed:  # its "not found" page is no version of it
                yield ArticleEvent(url, "gone", at, response.status, response.url, removed)
        if page.is_article and not removed:
            yield ArticleItem(page.record, self._provenance(response, at), page.fingerprint)
            for output in self._attachments(page, at):
                yield output
        if page.record.visitor_stats:
            yield VisitorObservation(page.record.site, page.record.visitor_stats, at, page.url)
        requests = list(self._follow(page, found, linked, depth))
        marks = [
            FrontierMark(
                r.meta["frontier_url"],
                "pending",
                r.meta["kind"],
                depth + 1,
                at,
                fetch_url=r.url if r.url != r.meta["frontier_url"] else None,
            )
            for r in requests
        ]
        marks += self.unfollowed
        self.unfollowed = []
        if marks:  # in the frontier before they are requested
            yield FrontierItem(marks)
        for request in requests:
            yield request
        if kind == "article" and not page.is_article and self.profile is not None and self.profile.is_article(url):
            # The profile says this URL is an article, yet it holds neither title nor body.
            yield FrontierMark(
                url, "failed", kind, depth, at, response.status, error="empty_page: no article found", attempts=attempts
            )
            return
        capture = self._new_capture(response)
        yield FrontierMark(
            url, "done", "article" if page.is_article else kind, depth, at, response.status, attempts=attempts, capture=capture
        )
        if page.url != url and not self.session.is_done(page.url):
            # Reached through a redirect: the page it landed on is fetched too. A link to it asks
            # for nothing more (Scrapy's duplicate filter would drop the request unrecorded).
            self.requested.add(page.url)
            yield FrontierMark(
                page.url, "done", "article" if page.is_article else kind, depth, at, response.status, attempts=0, capture=capture
            )

    def _provenance(self, response: Response, at: str) -> Provenance:
        # The version points to the record holding the payload: for a revisit, the earlier one.
        holder = pointer.holder if (pointer := response.meta.get("warc")) else None
        return Provenance(
            fetched_at=at,
            fetched_url=response.url,
            http_status=response.status,
            warc_file=holder.file if holder else None,
            warc_offset=holder.offset if holder else None,
            warc_record_id=holder.record_id if holder else None,
            payload_digest=holder.payload_digest if holder else None,
            etag=_header(response, "ETag"),
            last_modified=_header(response, "Last-Modified"),
            warc_dir=holder.directory if holder else None,
        )

    @staticmethod
    def _new_capture(response: Response) -> Capture | None:
        """The response's WARC record if it holds a payload of its own (not a revisit): the
        capture a later fetch of the URL revisits."""
        pointer: WarcPointer | None = response.meta.get("warc")
        return pointer.holder if pointer is not None and pointer.revisit_of is None else None

    def _follow(self, page: PageAnalysis, found: dict[str, str], linked: dict[str, str], depth: int) -> Iterator[scrapy.Request]:
        """Requests for the links this crawl follows. The links it does not follow, and why (a
        trap, beyond the depth limit), go to ``self.unfollowed`` as ``skipped`` marks, once each."""
        traps = [u for u, k in found.items() if k == "trap"]
        found = {u: k for u, k in found.items() if k != "trap"}
        for url in traps:
            if url not in self.traps:
                self.traps.add(url)
                self._unfollowed(url, "page", depth + 1, "trap: never followed")
        if page.profile is None or not page.profile.article:  # no URL scheme: archived URLs are articles
            found = {u: "article" if self.session.is_known(u) else k for u, k in found.items()}
        articles = [u for u, k in found.items() if k == "article"]
        self.session.counts.article_links += len(articles)
        # A listing page holding only articles archived before this crawl: the rest of its
        # pagination is older. (Articles this crawl fetched through other links do not count.)
        archived = self.session.known_before
        stop_paging = self.mode != "full" and bool(articles) and all(u in archived for u in articles)
        within_depth = not self.depth_limit or depth + 1 <= self.depth_limit
        for url, kind in found.items():
            if url in self.requested or self.session.is_done(url):
                continue
            if self.session.by_sources and (kind != "article" or self.session.is_known(url)):
                continue  # the sitemaps and feeds list what is new: listings are not walked again
            if kind == "article" and self.mode == "incremental" and self.session.is_known(url):
                self.session.skipped_known.add(url)
                continue
            if stop_paging and kind == "listing" and is_pagination(url, page.profile):
                continue
            if not within_depth:  # not asked for, and said why; the URL may still come nearer
                if url not in self.beyond_depth:
                    self.beyond_depth.add(url)
                    self._unfollowed(url, kind, depth + 1, "limit: max_depth")
                continue
            self.requested.add(url)
            yield self._request(url, kind, depth + 1, {"article": 5, "listing": 1}.get(kind, 0), linked.get(url))

    def _on_start_host(self, url: str) -> str:
        """``url`` on the host the start URL names, if it is on that host's www./bare alias."""
        scheme, _, rest = url.partition("://")
        host, slash, tail = rest.partition("/")
        start_host = self.host_of_alias.get(host)
        return f"{scheme}://{start_host}{slash}{tail}" if start_host else url

    def _unfollowed(self, url: str, kind: str, depth: int, why: str) -> None:
        self.unfollowed.append(FrontierMark(url, "skipped", kind, depth, now(), error=why, attempts=0))

    # -- sitemaps and feeds -----------------------------------------------------------------
    def _source_request(self, url: str) -> scrapy.Request:
        canonical = canonicalize(url, self._drop)
        self.requested.add(canonical)
        meta = {"frontier_url": canonical, "kind": "source", "depth": 0, "probe": url not in self.session.sources}
        return scrapy.Request(url, callback=self.parse_source, errback=self.failed, meta=meta, priority=20)

    def _new_source(self, url: str, *, absent_too: bool = True) -> bool:
        """Whether to ask for the sitemap or feed at ``url``: on the site, a URL a request can be
        made of, not asked for yet (nor, unless ``absent_too``, found absent by an earlier crawl)."""
        try:
            canonical = canonicalize(url, self._drop)
        except ValueError:  # a bad port
            return False
        if canonical in self.requested or host_of(url) not in self.allowed_domains:
            return False
        return absent_too or self.session.sources.get(canonical, (None, ""))[1] != "absent"

    def sources_in_robots(self, urls: list[str]) -> None:
        """The sitemaps a robots.txt names: asked for, if on the site and not yet."""
        for url in urls:
            if self._new_source(url):
                request = self._source_request(url)
                request.meta["probe"] = False
                self.session.add_page(FrontierMark(request.meta["frontier_url"], "pending", "source", 0, now()))
                self.crawler.engine.crawl(request)

    async def parse_source(self, response: Response) -> AsyncIterator[Any]:
        try:
            async for output in self._read_source(response):
                yield output
        finally:
            done_when_stored(self.crawler, response.meta)

    async def _read_source(self, response: Response) -> AsyncIterator[Any]:
        at = now()
        url = response.meta["frontier_url"]
        await captured(response.request)
        if response.meta.get("warc_failed"):
            return
        try:
            source = read_source(response.body, response.url)
        except SourceError as exc:
            probe = response.meta.get("probe")
            yield SourceSeen(url, None, "absent" if probe else "failed", at)
            yield FrontierMark(url, "skipped" if probe else "failed", "source", 0, at, response.status, error=f"no_source: {exc}")
            return
        if source.kind == "sitemapindex":
            entries = ()
            requests = [self._source_request(e.url) for e in source.entries if self._new_source(e.url)]
            marks = [FrontierMark(r.meta["frontier_url"], "pending", "source", 0, at) for r in requests]
        else:
            entries, requests = self._listed(source.entries)
            marks = [
                FrontierMark(
                    r.meta["frontier_url"],
                    "pending",
                    r.meta["kind"],
                    1,
                    at,
                    fetch_url=r.url if r.url != r.meta["frontier_url"] else None,
                )
                for r in requests
            ]
        yield SourceSeen(url, source.kind, "ok", at, entries)
        if marks:
            yield FrontierItem(marks)
        for request in requests:
            yield request
        yield FrontierMark(url, "done", "source", 0, at, response.status, capture=self._new_capture(response))

    def _listed(self, entries: list[Entry]) -> tuple[tuple[tuple[str, str | None], ...], list[scrapy.Request]]:
        """The pages a sitemap or feed lists on this site ((canonical URL, modified)), and the
        requests for those not archived, changed since they were last fetched, or marked gone."""
        listed: dict[str, str | None] = {}
        requests = []
        for entry in entries:
            if host_of(entry.url) not in self.allowed_domains:
                continue
            try:
                url = self._on_start_host(canonicalize(entry.url, self._drop))
            except ValueError:
                continue
            listed[url] = entry.modified
            if url in self.requested or self.session.is_done(url):
                continue
            if self.session.is_known(url) and self.mode != "full" and url not in self.session.gone:
                seen = self.session.last_seen.get(url)
                if self.mode == "incremental" and not (entry.modified and seen and entry.modified > seen):
                    self.session.skipped_known.add(url)
                    continue
            self.requested.add(url)
            kind = kind_of(url, self.profile) if self.profile and self.profile.article else "article"
            requests.append(self._request(url, kind, 1, 5, self._on_start_host(urldefrag(entry.url)[0])))
        return tuple(listed.items()), requests

    # -- attachments ----------------------------------------------------------------------
    def _attachments(self, page: PageAnalysis, at: str) -> Iterator[Any]:
        for attachment in page.record.attachments:
            if host_of(attachment.url) not in self.allowed_domains:
                yield AttachmentRow(page.record.url, attachment.url, attachment.text, "offsite")
                continue
            yield AttachmentRow(page.record.url, attachment.url, attachment.text, "pending")
            if not self.session.is_done(attachment.url):
                # In the frontier too, so that a crawl interrupted before fetching it resumes it.
                yield FrontierMark(attachment.url, "pending", "attachment", 0, at)
                yield self._attachment_request(attachment.url, page.record.url, attachment.text)

    def _attachment_request(self, url: str, article_url: str, text: str | None) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=self.parse_attachment,
            errback=self.failed,
            priority=-1,
            meta={
                "frontier_url": url,
                "kind": "attachment",
                "article_url": article_url,
                "text": text,
                "download_maxsize": self.attachment_maxsize,
            },
        )

    async def parse_attachment(self, response: Response) -> AsyncIterator[Any]:
        try:
            await captured(response.request)
            document = await self._document_text(response)
            for output in self._read_attachment(response, document):
                yield output
        finally:
            done_when_stored(self.crawler, response.meta)

    async def _document_text(self, response: Response) -> DocumentText | None:
        """The text of a fetched attachment, read in a bounded child process off the event loop."""
        if self.documents is None or response.meta.get("warc_failed") or response.meta.get("truncated"):
            return None
        return await maybe_deferred_to_future(self.documents.read(response.body))

    def _read_attachment(self, response: Response, document: DocumentText | None = None) -> Iterator[Any]:
        if response.meta.get("warc_failed"):
            return
        at = now()
        attempts = _attempts(response.meta)
        if response.meta.get("truncated"):
            yield AttachmentRow(
                response.meta["article_url"], response.meta["frontier_url"], response.meta.get("text"), "failed: truncated_body"
            )
            yield FrontierMark(
                response.meta["frontier_url"],
                "failed",
                "attachment",
                0,
                at,
                response.status,
                error="truncated_body: compressed stream incomplete or corrupt",
                attempts=attempts,
            )
            return
        holder = pointer.holder if (pointer := response.meta.get("warc")) else None
        yield AttachmentRow(
            response.meta["article_url"],
            response.meta["frontier_url"],
            response.meta.get("text"),
            "fetched",
            media_type=(_header(response, "Content-Type") or "").split(";")[0].strip() or None,
            size=len(response.body),
            sha1=hashlib.sha1(response.body).hexdigest(),
            fetched_at=at,
            warc_file=holder.file if holder else None,
            warc_offset=holder.offset if holder else None,
            warc_record_id=holder.record_id if holder else None,
            warc_dir=holder.directory if holder else None,
            document=document,
        )
        yield FrontierMark(
            response.meta["frontier_url"],
            "done",
            "attachment",
            0,
            at,
            response.status,
            attempts=attempts,
            capture=self._new_capture(response),
        )

    # -- failures -------------------------------------------------------------------------
    def failed(self, failure: Failure) -> Iterator[Any]:
        try:
            yield from self._read_failure(failure)
        finally:
            done_when_stored(self.crawler, failure.request.meta)  # type: ignore[attr-defined]

    def _read_failure(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        url = meta.get("frontier_url", request.url)
        message = str(failure.value)
        status = None
        if failure.check(HttpError):  # an IgnoreRequest too: tested first
            status = failure.value.response.status
            kind = f"http_{status}"
        elif failure.check(IgnoreRequest):
            if "crawl closing" in message:  # dropped at a limit: stays pending, for --resume
                return
            if message.startswith("redirect_duplicate"):  # redirected to a page this crawl already has
                target = message.partition(" to ")[2]
                if self.session.is_known(url) and canonicalize(target, self._drop) in self.start_urls:
                    yield ArticleEvent(url, "gone", now(), None, target, "soft_404: redirected to the home page")
                yield FrontierMark(
                    url, "done", meta.get("kind"), meta.get("depth", 0), now(), error=message[:200], attempts=_attempts(meta)
                )
                return
            if message.startswith("redirect_"):  # the redirect guard: loop, off the site, unreadable
                kind = message.split(":", 1)[0]
            elif "max redirections" in message:  # a chain longer than REDIRECT_MAX_TIMES
                kind = "redirect_loop"
            else:  # robots.txt or out of scope: never fetched
                yield FrontierMark(
                    url, "skipped", meta.get("kind"), meta.get("depth", 0), now(), error=f"skipped: {message[:200]}"
                )
                return
        elif failure.check(AddressRefused):
            kind = "address_refused"
        elif failure.check(DownloadCancelledError) or "download_maxsize" in message or "larger than" in message:
            kind = "too_large"
        else:
            kind = failure.type.__name__ if failure.type else "error"
        at = now()
        if meta.get("kind") == "attachment":
            yield AttachmentRow(meta["article_url"], url, meta.get("text"), f"failed: {kind}")
        if meta.get("kind") == "source":
            # Not there (a usual path probed, or a link to a feed that answers 404/410): absent, not
            # asked for again; a source that answered before and does not now: failed.
            known = self.session.sources.get(url, (None, ""))[0]
            absent = meta.get("probe") or (status in (404, 410) and known is None)
            yield SourceSeen(url, None, "absent" if absent else "failed", at)
            if meta.get("probe"):  # a usual path the portal does not serve: nothing failed
                yield FrontierMark(
                    url,
                    "skipped",
                    "source",
                    0,
                    at,
                    status,
                    error=f"no_source: {kind}: {message.removeprefix(kind + ': ')[:200]}",
                    attempts=_attempts(meta),
                )
                return
        if status in (404, 410) and self.session.is_known(url):
            yield ArticleEvent(url, "gone", at, status, request.url, f"http_{status}")
        yield FrontierMark(
            url,
            "failed",
            meta.get("kind"),
            meta.get("depth", 0),
            at,
            status,
            error=f"{kind}: {message.removeprefix(kind + ': ')[:200]}",
            attempts=_attempts(meta),
        )
