"""The record extracted from one page: the JSON contract of ``portal-archive extract``."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .attribution import Source

VISITOR_KEYS = (
    "total",
    "online",
    "today",
    "yesterday",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_year",
)


@dataclass(frozen=True, slots=True)
class Attachment:
    """A document or image inside the article body."""

    url: str
    text: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"url": self.url, "text": self.text}


@dataclass(slots=True)
class Record:
    url: str
    site: str
    family: str | None = None
    title: str | None = None
    date: str | None = None
    updated: str | None = None
    summary: str | None = None
    body: str | None = None
    source: Source | None = None
    views: int | None = None
    visitor_stats: dict[str, int] | None = None
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "site": self.site,
            "family": self.family,
            "title": self.title,
            "date": self.date,
            "updated": self.updated,
            "summary": self.summary,
            "body": self.body,
            "source": self.source.to_dict() if self.source else None,
            "views": self.views,
            "visitor_stats": dict(self.visitor_stats) if self.visitor_stats else None,
            "attachments": [a.to_dict() for a in self.attachments],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        source = data.get("source")
        return cls(
            url=data["url"],
            site=data["site"],
            family=data.get("family"),
            title=data.get("title"),
            date=data.get("date"),
            updated=data.get("updated"),
            summary=data.get("summary"),
            body=data.get("body"),
            source=Source(**source) if source else None,
            views=data.get("views"),
            visitor_stats=data.get("visitor_stats"),
            attachments=[Attachment(**a) for a in data.get("attachments", [])],
            warnings=list(data.get("warnings", [])),
        )

    def content_hash(self, data: dict[str, Any] | None = None) -> str:
        """Digest of what the article says (not of counters that change on every visit):
        equal hashes mean an unchanged article, a new hash means a new version. ``data`` is
        this record's ``to_dict()`` where the caller has it already."""
        content = dict(data if data is not None else self.to_dict())
        for volatile in ("views", "visitor_stats", "warnings", "family"):
            content.pop(volatile)
        blob = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()
