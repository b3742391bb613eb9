"""What a crawl hands the archive, as plain data: the spider yields these, the pipeline passes
them on, the archive stores them (and a merge reads them back from a worker's shard).

- ``ArticleItem``: an article's record with its ``Provenance`` (how, when and from where it was
  fetched, and where its raw response lies in the WARC files);
- ``SeenItem``: an archived article the server says is unchanged (HTTP 304);
- ``FrontierMark`` (one URL) and ``FrontierItem`` (the links one page adds): the crawl's
  bookkeeping, which lets a crawl resume;
- ``AttachmentRow``: a document or image of an article, listed or fetched;
- ``VisitorObservation``: a site's visitor counters as read on one page;
- ``Capture``: a WARC record holding a response's payload (what a later revisit record of the
  same URL refers to).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .record import Record

if TYPE_CHECKING:
    from .copies import Fingerprint
    from .documents import DocumentText


@dataclass(frozen=True)
class Capture:
    """A WARC record that holds a response's payload: where a version's raw bytes are, and what a
    later revisit record of the same URL refers to (``WARC-Refers-To``, ``-Target-URI``, ``-Date``
    and the payload digest)."""

    target_uri: str  # WARC-Target-URI: the URL fetched
    date: str | None  # WARC-Date (None: not recorded, read it from the record)
    record_id: str
    payload_digest: str | None
    file: str
    offset: int
    directory: str | None = None  # the WARC folder the file was written in


@dataclass(frozen=True)
class Provenance:
    """How and when a record was fetched, and where its raw response is kept."""

    fetched_at: str
    fetched_url: str
    http_status: int | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    payload_digest: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    warc_dir: str | None = None  # the WARC folder of ``warc_file`` (None: the archive's default)


@dataclass(frozen=True)
class FrontierMark:
    """A URL of the frontier, fetched (``done``) or given up (``failed``), or just discovered."""

    url: str
    status: str  # pending | done | failed | skipped
    kind: str | None = None  # article | listing | attachment | page
    depth: int = 0
    at: str | None = None
    http_status: int | None = None
    error: str | None = None
    attempts: int = 1  # requests made for it in this crawl (retries included)
    capture: Capture | None = None  # a fetched URL: the new WARC record holding its payload, if any
    fetch_url: str | None = None  # a discovered URL as its page links it (what is requested), if not ``url``


@dataclass(frozen=True)
class AttachmentRow:
    """A document or image of an article, listed (``pending``, ``offsite``) or fetched."""

    article_url: str
    url: str
    text: str | None
    status: str
    media_type: str | None = None
    size: int | None = None
    sha1: str | None = None
    fetched_at: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_record_id: str | None = None
    warc_dir: str | None = None  # the WARC folder of ``warc_file`` (None: the archive's default)
    document: DocumentText | None = None  # a fetched document: its text as read (None: not read)


@dataclass(frozen=True)
class VisitorObservation:
    """A site's visitor counters (``VISITOR_KEYS``) as read on one page at one time."""

    site: str
    stats: dict[str, int]
    observed_at: str
    url: str | None


@dataclass
class ArticleItem:
    """An article page: its record and how it was fetched."""

    record: Record
    provenance: Provenance
    fingerprint: Fingerprint | None = None  # computed beside the record (``portals.copies``)


@dataclass
class SeenItem:
    """A known article the server says is unchanged (HTTP 304 to a conditional request)."""

    url: str
    at: str


@dataclass
class FrontierItem:
    """The links a page adds to the frontier, as one item: Scrapy's cost is per item, and a
    listing adds dozens."""

    marks: list[FrontierMark]


@dataclass(frozen=True)
class ArticleEvent:
    """An archived article found removed (``gone``: 404/410, a soft 404, no longer in a sitemap
    that listed it) or found again (``back``), with the evidence."""

    url: str
    event: str  # gone | back
    at: str
    http_status: int | None = None
    final_url: str | None = None
    evidence: str | None = None


@dataclass(frozen=True)
class SourceSeen:
    """A sitemap or feed fetched (``ok``, with the pages it lists and when each last changed) or
    not one (``absent``: a probe of a usual path that answered something else)."""

    url: str
    kind: str | None  # sitemap | sitemapindex | feed
    status: str  # ok | absent
    at: str
    entries: tuple[tuple[str, str | None], ...] = ()  # (canonical URL, modified) of listed pages
    listed: int | None = None  # how many it listed, when ``entries`` does not hold them all (a merged feed)
