"""What the spider hands to the pipeline."""

from __future__ import annotations

from dataclasses import dataclass

from .extract import Record


@dataclass
class ArticleItem:
    """An article page: its record and how it was fetched."""

    record: Record
    fetched_at: str
    fetched_url: str
    http_status: int


@dataclass
class VisitorStatsItem:
    """The visitor widget as seen on a (non-article) page of a site."""

    site: str
    stats: dict[str, int]
    observed_at: str
    url: str
