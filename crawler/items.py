"""What the spider hands to the pipeline, besides the archive's own PageMark, AttachmentRow
and VisitorObservation records."""

from __future__ import annotations

from dataclasses import dataclass

from archive.store import Capture, PageMark

from .extract import Record


@dataclass
class ArticleItem:
    """An article page: its record and how it was fetched."""

    record: Record
    capture: Capture


@dataclass
class SeenItem:
    """A known article the server says is unchanged (HTTP 304 to a conditional request)."""

    url: str
    at: str


@dataclass
class FrontierItem:
    """The links a page adds to the frontier, as one item: Scrapy's cost is per item, and a
    listing adds dozens."""

    marks: list[PageMark]
