"""One crawl of one site against the archive: its run record, its frontier, its writes.

The session is the crawl's single connection to the archive. It starts (or resumes) a crawl
run, tells the spider what is already archived (incremental re-crawls) and what was already
fetched (resume), and collects everything the crawl produces into batches that are written in
one transaction each — by size or every few seconds — so a crash loses at most the last batch
and never leaves half of one. A lock file keeps two crawls of one site from overlapping; the
operating system releases it when its holder dies, however it dies.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from archive.locks import CrawlLocked, acquire_lock, release_lock
from archive.schema import now
from archive.site_status import DARK_AFTER, SiteMove, observe_run
from archive.store import Archive, Batch, WriteResult
from portals.copies import Fingerprint
from portals.items import ArticleEvent, AttachmentRow, Capture, FrontierMark, Provenance, SourceSeen, VisitorObservation
from portals.profiles import get_profile
from portals.record import Record

from .options import MODES

# A run is degraded when more than this share of its articles lack a date or a body …
DEGRADED_SHARE = 0.2
# … (judged once it has seen at least this many), or finds no article on a site that had as many.
DEGRADED_MIN_ARTICLES = 5
__all__ = ["MODES", "CrawlLocked", "CrawlSession", "SessionCounts", "StorageFailure"]


class StorageFailure(RuntimeError):
    """The archive or the WARC folder cannot be written (disk full, size limit, I/O error)."""


@dataclass
class SessionCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    pages: int = 0
    failed: int = 0
    attachments: int = 0
    articles_seen: int = 0  # article pages extracted (stored or not)
    incomplete: int = 0  # of which without a date or a body
    article_links: int = 0  # links to articles the crawl found on its pages
    error_kinds: dict[str, int] = field(default_factory=dict)


class CrawlSession:
    # What the crawl saw of its site, stored with the run when it closes (archive.site_status): a
    # move to another site (the spider's crawler.moves.MoveWatch), and after how many crawls in a
    # row that fetched nothing the site is dark.
    move: SiteMove | None = None
    dark_after: int = DARK_AFTER

    def __init__(
        self,
        db_path: str,
        site: str,
        start_urls: list[str],
        *,
        mode: str = "incremental",
        resume: bool = False,
        settings: dict[str, Any] | None = None,
        batch_size: int = 50,
        flush_seconds: float = 2.0,
        worker: str | None = None,
        shared_frontier: bool = False,
        job_id: str | None = None,
    ):
        if mode not in MODES:
            raise ValueError(f"crawl mode must be one of {', '.join(MODES)}")
        self.site = site
        self.mode = mode
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.lock = acquire_lock(db_path, site)
        self.archive = Archive(db_path)
        previous = self.archive.resumable_run(site) if resume else None
        self.archive.mark_abandoned_runs(site)
        # Sitemaps and feeds found by earlier crawls (and usual paths probed); an incremental crawl
        # of a site that has them asks for them, and for the new or changed pages they list,
        # instead of walking its listings again.
        self.sources = self.archive.sources(site)
        listed = [u for u, (_, status) in self.sources.items() if status == "ok"]
        self.by_sources = mode == "incremental" and bool(listed)
        self.sources_ok: set[str] = set()  # sources this run read whole
        self.last_seen = self.archive.last_seen(site)
        self.gone = self.archive.gone(site)
        if previous is None:
            self.archive.reset_frontier(site)
            self.seeds = [] if self.by_sources else [(url, "page", 0) for url in start_urls]
            # The usual paths are probed once: what a later crawl finds, robots.txt names.
            probes = [] if self.sources else self._probes(start_urls, (settings or {}).get("family"))
            self.seeds += [(url, "source", 0) for url in listed or probes]
            self.done: set[str] = set()
        else:
            pending = self.archive.frontier(site, "pending") + self.archive.frontier(site, "failed")
            self.seeds = [(u, k or "page", d) for u, k, d in pending] or [(url, "page", 0) for url in start_urls]
            self.done = {u for u, _, _ in self.archive.frontier(site, "done")}
        self.resumed_from = previous["id"] if previous else None
        self.known = self.archive.known_articles(site)
        # URL → the latest capture holding its payload: a refetch that brings nothing new is
        # written as a revisit of it (crawler.capture).
        self.captures = self.archive.captures(site)
        # What was archived before this crawl began: for a resumed crawl, before the first of its
        # runs (what the interrupted runs stored is this crawl's own work, not an older archive's).
        chain = self.archive.resumed_chain(previous["id"]) if previous else []
        self.known_before = frozenset(self.known.keys() - self.archive.first_stored_by(chain))
        self.skipped_known: set[str] = set()  # archived articles this (incremental) crawl did not fetch
        # URL → what to ask for, where that is not the URL itself: as the page that linked to it
        # named it (a resumed frontier), or as it was last fetched (an archived article).
        self.fetch_as: dict[str, str] = {}
        if mode == "revisit" and previous is None:  # every archived article is re-checked
            self.seeds += [(url, "article", 1) for url in self.known]
            self.fetch_as.update(self.archive.fetched_urls(site))
        if previous is not None:
            self.fetch_as.update(self.archive.frontier_fetch_urls(site))
        self.run_id = self.archive.start_run(
            site,
            [u for u, _, _ in self.seeds][:50],
            settings,
            mode=mode,
            resumed_from=self.resumed_from,
            worker=worker,
            job_id=job_id,
        )
        self.chain = [self.run_id, *chain]  # this crawl's runs, newest first
        # On a shared frontier, URLs this worker found may be fetched by another: the shared queue,
        # not this shard's frontier, says whether the crawl reached everything.
        self.shared_frontier = shared_frontier
        self.counts = SessionCounts()
        self.storage_error: str | None = None
        self.on_stored: Callable[[str], object] | None = None  # told each stored article's URL
        self._after_commit: list[Callable[[], object]] = []
        self.warc_files: list[str] = []
        self._batch = Batch()
        # The seeds are in the frontier from the start: a crawl ended before it fetched them
        # still accounts for them, and a resume asks for them again.
        self._batch.pages = [
            FrontierMark(url, "pending", kind, depth, now(), fetch_url=self.fetch_as.get(url)) for url, kind, depth in self.seeds
        ]
        self._last_flush = time.monotonic()
        self.closed = False

    # -- what the spider asks -------------------------------------------------------------
    def is_known(self, url: str) -> bool:
        return url in self.known

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(ETag, Last-Modified) stored for a known article."""
        return self.known.get(url, (None, None))

    def is_done(self, url: str) -> bool:
        return url in self.done

    def capture_of(self, url: str) -> Capture | None:
        """The latest capture holding the payload of ``url``, if the archive has one."""
        return self.captures.get(url)

    # -- what the crawl produced ------------------------------------------------------------
    def add_article(self, record: Record, provenance: Provenance, fingerprint: Fingerprint | None = None) -> None:
        self.counts.articles_seen += 1
        if not record.date or not record.body:
            self.counts.incomplete += 1
        self._batch.articles.append((record, provenance))
        if fingerprint is not None:
            self._batch.fingerprints[record.url] = fingerprint
        else:  # a later record of the URL in this batch, without one: not the earlier one's
            self._batch.fingerprints.pop(record.url, None)
        self.known.setdefault(record.url, (provenance.etag, provenance.last_modified))
        self._maybe_flush()

    def add_seen(self, url: str, at: str) -> None:
        self._batch.seen.append((url, at))
        self._maybe_flush()

    def add_page(self, mark: FrontierMark) -> None:
        """A frontier mark: ``pending`` (discovered), ``done``, ``failed`` or ``skipped`` (robots.txt,
        beyond the depth limit)."""
        self._batch.pages.append(mark)
        if mark.status == "done":
            self.done.add(mark.url)
            if mark.capture is not None:
                self.captures[mark.url] = mark.capture
            self.counts.pages += 1
        elif mark.status == "failed":
            self.counts.failed += 1
            kind = (mark.error or "error").split(":", 1)[0]
            self.counts.error_kinds[kind] = self.counts.error_kinds.get(kind, 0) + 1
        self._maybe_flush()

    def add_attachment(self, row: AttachmentRow) -> None:
        self._batch.attachments.append(row)
        self._maybe_flush()

    def add_source(self, source: SourceSeen) -> None:
        self._batch.sources.append(source)
        self.sources[source.url] = (source.kind or self.sources.get(source.url, (None, ""))[0], source.status)
        if source.status == "ok":
            self.sources_ok.add(source.url)
        self._maybe_flush()

    def add_event(self, event: ArticleEvent) -> None:
        self._batch.events.append(event)
        if event.event == "gone":
            self.gone.add(event.url)
        self._maybe_flush()

    def _probes(self, start_urls: list[str], family: str | None) -> list[str]:
        """Where a first crawl looks for sources: ``/sitemap.xml`` and the platform's feed paths
        (robots.txt ``Sitemap:`` lines are followed when robots.txt arrives)."""
        paths = ["/sitemap.xml", *(get_profile(family).feeds if family else ())]
        return list(dict.fromkeys(urljoin(u, p) for u in start_urls[:1] for p in paths))

    def add_visitor_stats(self, obs: VisitorObservation) -> None:
        self._batch.visitors = [v for v in self._batch.visitors if v.site != obs.site] + [obs]
        self._maybe_flush()

    def _maybe_flush(self) -> None:
        if len(self._batch) >= self.batch_size or time.monotonic() - self._last_flush >= self.flush_seconds:
            self.flush()

    def flush(self) -> WriteResult:
        """Write the batch in one transaction; StorageFailure (nothing of it written) when the
        archive cannot take it (disk full, file size limit, I/O error)."""
        batch, self._batch = self._batch, Batch()
        self._last_flush = time.monotonic()
        try:
            result = self.archive.write(batch, self.run_id, self.site)
            self.archive.link_copies_if_due()  # in its own transactions, after the batch's
        except (sqlite3.Error, OSError) as exc:
            raise StorageFailure(f"cannot write to the archive {self.archive.path}: {exc}") from None
        self.counts.new += result.new
        self.counts.changed += result.changed
        self.counts.unchanged += result.unchanged
        self.counts.attachments += sum(1 for a in batch.attachments if a.status == "fetched")
        if self.on_stored is not None:  # only once committed: "known" must never run ahead of stored
            for record, _ in batch.articles:
                self.on_stored(record.url)
        committed, self._after_commit = self._after_commit, []
        for action in committed:
            action()
        return result

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run ``action`` once what the crawl produced so far is committed (e.g. tell a shared
        frontier that a request is done: only then may it forget it)."""
        self._after_commit.append(action)

    def degraded(self) -> str | None:
        """Why this run looks like a portal whose template changed under the extractor, if it does:
        many articles without a date or body, or no articles at all from a site that had many."""
        seen, incomplete = self.counts.articles_seen, self.counts.incomplete
        if seen >= DEGRADED_MIN_ARTICLES and incomplete / seen > DEGRADED_SHARE:
            return f"{incomplete} of {seen} articles ({incomplete / seen:.0%}) have no date or no body"
        if len(self.known_before) >= DEGRADED_MIN_ARTICLES and self.counts.pages and self.counts.article_links == 0 and not seen:
            return f"no article found on {self.counts.pages} pages of a site with {len(self.known_before)} archived"
        return None

    def _record_failure(self) -> None:
        """Say in the run why it stopped, if the archive can still take that much."""
        kinds = {**self.counts.error_kinds, "storage": 1}
        with contextlib.suppress(sqlite3.Error, OSError):
            self.archive.finish_run(
                self.run_id, "failed", errors=sum(kinds.values()), error_kinds=kinds, warc_files=self.warc_files, degraded=None
            )

    def close(self, status: str, **run_fields: Any) -> None:
        """Write what is left, record how the run ended, release the lock. A run that fetched
        nothing but failures failed, whatever Scrapy thinks of it; one that leaves URLs pending
        is incomplete, never finished. When storage itself failed,
        the run stays as the last good transaction left it (the next crawl marks it interrupted)."""
        if self.closed:
            return
        self.closed = True
        if status == "finished" and self.counts.pages == 0 and self.counts.failed:
            status = "failed"
        try:
            if not self.storage_error:
                try:
                    self.flush()
                    self.archive.link_copies()  # the copies of what is left waiting
                except StorageFailure as exc:
                    self.storage_error = str(exc)
                except (sqlite3.Error, OSError) as exc:
                    self.storage_error = f"cannot write to the archive {self.archive.path}: {exc}"
            if self.storage_error:
                self._record_failure()
                return
            if status == "finished" and self.sources_ok:  # every source read whole: what they no longer list is gone
                # ... unless a sitemap that answered before did not: what it lists is unknown.
                failed = {u for u, (kind, st) in self.sources.items() if st == "failed" and kind in ("sitemap", "sitemapindex")}
                if not failed:
                    self.archive.mark_unlisted(self.site, self.run_id, now(), self.sources_ok)
            if status == "finished" and not self.shared_frontier and self.archive.count_frontier(self.site, "pending"):
                # URLs discovered and never fetched: the crawl did not reach all it found (a
                # request some filter dropped); --resume asks for them again.
                status = "incomplete"
            self.archive.record_fates(
                self.run_id, self.site, self.chain, status, len(self.skipped_known - self.done), shared=self.shared_frontier
            )
            self.archive.finish_run(
                self.run_id,
                status,
                errors=sum(self.counts.error_kinds.values()),
                error_kinds=self.counts.error_kinds,
                warc_files=self.warc_files,
                degraded=self.degraded(),
                **run_fields,
            )
            observe_run(self.archive, self.run_id, move=self.move, dark_after=self.dark_after)
        finally:
            self.archive.close()
            release_lock(self.lock)


def stop_crawl(crawler: Any, reason: str) -> None:
    """Record why storage failed and close the crawl (once): nothing more can be kept."""
    spider = crawler.spider
    if spider is None or getattr(spider.session, "storage_error", None):
        return
    spider.session.storage_error = reason
    from .engine_state import close

    close(crawler, "storage_failed")


def done_when_stored(crawler: Any, meta: dict[str, Any]) -> None:
    """On a shared frontier (``crawler.distributed``), the request behind ``meta`` is done once
    what it produced is committed: a worker that dies before then leaves it held, and another
    worker takes it up again. Without a shared frontier, nothing to do."""
    token = meta.pop("frontier_token", None)
    scheduler = crawler.engine.scheduler if crawler.engine else None
    queue: Any = getattr(scheduler, "queue", None)
    if token is None or not hasattr(queue, "ack"):
        return
    session = getattr(crawler.spider, "session", None)
    if session is None:
        queue.ack(token)
    else:
        session.after_commit(lambda: queue.ack(token))
