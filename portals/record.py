"""The record extracted from one page: the JSON contract of ``portal-archive extract``.

Its shape is ``record.schema.json`` (JSON Schema): the one description of the fields, which
``validate`` checks every record against before it is stored, and which names the visitor
statistics a record can carry (``VISITOR_KEYS``). The rules behind each field (what is title,
body, source …) are in ``tests/fixtures/README.md``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

# A package resource, so the schema loads from a zipped egg too (Scrapyd deploys eggs).
SCHEMA: dict[str, Any] = json.loads((files(__package__ or "portals") / "record.schema.json").read_text(encoding="utf-8"))
# The visitor counters a portal can show, in the order the schema (and the archive) lists them.
VISITOR_KEYS: tuple[str, ...] = tuple(SCHEMA["properties"]["visitor_stats"]["properties"])
# Text fields stored as Unicode NFC (JSON Schema cannot say so; ``validate`` checks it).
NFC_FIELDS = ("title", "summary", "body")


class InvalidRecord(ValueError):
    """A record that breaks the contract; the message names the record and the field."""


@dataclass(frozen=True, slots=True)
class Source:
    """Who a page credits for an article: the line as printed, the publisher and the author."""

    text: str
    publisher: str | None
    author: str | None

    def to_dict(self) -> dict[str, str | None]:
        return {"text": self.text, "publisher": self.publisher, "author": self.author}


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


@cache
def _validator() -> Any:
    # Compiled once, when the first record is checked (not by every importer of Record): a
    # compiled check takes ~20 µs a record, a schema walked at every call ~25 times as long,
    # on the crawl's event loop.
    import fastjsonschema

    return fastjsonschema.compile(SCHEMA)


def validate(record: Record, data: dict[str, Any] | None = None) -> None:
    """Raise InvalidRecord when ``record`` breaks the contract: ``record.schema.json``, and NFC text.
    ``data`` is the record's ``to_dict()`` where the caller has it already."""
    from fastjsonschema import JsonSchemaValueException

    data = data if data is not None else record.to_dict()
    try:
        _validator()(data)
    except JsonSchemaValueException as exc:
        raise InvalidRecord(f"{data.get('url') or '(no url)'}: {exc.message.removeprefix('data.')}") from None
    for name in NFC_FIELDS:
        value = data[name]
        if value is not None and not unicodedata.is_normalized("NFC", value):
            raise InvalidRecord(f"{data['url']}: {name} is not NFC")
