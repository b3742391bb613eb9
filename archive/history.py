"""One article and its history: every version the archive kept (when it was seen, what changed),
its attachments, and where each raw capture lies in the WARC files.

``history(archive, "42")`` or ``history(archive, url)`` reads it; ``render_text`` and
``unified_diffs`` turn it into what ``portal-archive show`` prints.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portals.registry import site_places
from portals.urls import canonicalize

from .copies import copies_of, original_of
from .store import Archive, version_record
from .warc import candidate_dirs, locate, read_http, read_record

# What a version is made of (the fields of the content hash): a change in any of them is a version.
CONTENT_FIELDS = ("title", "date", "updated", "summary", "body", "source", "attachments")


class ArticleNotFound(LookupError):
    """No archived article has this id or URL."""


class CaptureMissing(LookupError):
    """A version's raw capture cannot be read: no pointer, or its WARC file is not found."""


@dataclass
class Version:
    version: int
    fetched_at: str
    crawl_run_id: int | None
    fetched_url: str | None
    http_status: int | None
    content_hash: str
    warc_file: str | None
    warc_offset: int | None
    warc_record_id: str | None
    payload_digest: str | None
    record: dict[str, Any]
    changed: list[str] = field(default_factory=list)  # fields that differ from the previous version
    warc_dir: str | None = None  # the folder of warc_file, as recorded (relative to the archive's folder)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class ArticleHistory:
    article: dict[str, Any]
    place: dict[str, str] | None  # the site's registry name and provinces, if registered
    versions: list[Version]
    attachments: list[dict[str, Any]]
    copies: list[dict[str, Any]] = field(default_factory=list)  # on other sites (``archive.copies``)
    original: dict[str, Any] | None = None  # the copy on the site its credit line names
    events: list[dict[str, Any]] = field(default_factory=list)  # found gone, found back

    def to_dict(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "site": self.place,
            "versions": [v.to_dict() for v in self.versions],
            "attachments": self.attachments,
            "copies": self.copies,
            "original": self.original,
            "events": self.events,
        }


def find_article(archive: Archive, key: str) -> int:
    """The id of the article with this id, URL (in any of its spellings) or fetched URL."""
    key = key.strip()
    if key.isdigit():
        row = archive.db.execute("SELECT id FROM articles WHERE id = ?", [int(key)]).fetchone()
        if row:
            return int(row[0])
        raise ArticleNotFound(f"no article with id {key} in the archive")
    candidates = [key]
    try:
        canonical = canonicalize(key) if "://" in key else ""
    except ValueError:  # "http://[::1": no URL, so no other spelling of one
        canonical = ""
    if "://" in canonical:
        scheme, rest = canonical.split("://", 1)
        other = "https" if scheme == "http" else "http"
        host, _, path = rest.partition("/")
        alt_host = host.removeprefix("www.") if host.startswith("www.") else f"www.{host}"
        candidates += [canonical, f"{other}://{rest}", f"{scheme}://{alt_host}/{path}", f"{other}://{alt_host}/{path}"]
    for url in dict.fromkeys(candidates):
        row = archive.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
        row = row or archive.db.execute("SELECT article_id FROM article_versions WHERE fetched_url = ? LIMIT 1", [url]).fetchone()
        if row:
            return int(row[0])
    raise ArticleNotFound(f"no article at {key} in the archive (`portal-archive search` finds articles by their words)")


def history(archive: Archive, key: str) -> ArticleHistory:
    article_id = find_article(archive, key)
    article = next(iter(archive.db.query("SELECT * FROM articles WHERE id = ?", [article_id])))
    versions: list[Version] = []
    previous: dict[str, Any] | None = None
    # warc_dir: NULL in an archive of an older schema, opened read-only
    folder = "warc_dir" if "warc_dir" in {c.name for c in archive.db["article_versions"].columns} else "NULL AS warc_dir"
    for row in archive.db.query(
        "SELECT version, fetched_at, crawl_run_id, fetched_url, http_status, content_hash, warc_file, warc_offset, "
        f"warc_record_id, payload_digest, record, {folder} FROM article_versions WHERE article_id = ? ORDER BY version",
        [article_id],
    ):
        record = version_record(json.loads(row.pop("record")), article["body"])
        changed = [f for f in CONTENT_FIELDS if previous is not None and previous.get(f) != record.get(f)]
        versions.append(Version(**row, record=record, changed=changed))
        previous = record
    # text_status, pages: NULL in an archive of an older schema, opened read-only
    columns = {c.name for c in archive.db["attachments"].columns}
    read = "text_status, pages" if "text_status" in columns else "NULL AS text_status, NULL AS pages"
    attachments = list(
        archive.db.query(
            "SELECT url, text, status, media_type, size, sha1, fetched_at, crawl_run_id, warc_file, warc_offset, "
            f"warc_record_id, {folder}, {read} "
            "FROM attachments WHERE article_id = ? ORDER BY id",
            [article_id],
        )
    )
    copies = copies_of(archive.db, article_id)
    events = archive.article_events(article_id) if archive.db["article_events"].exists() else []
    return ArticleHistory(
        article, site_places().get(article["site"]), versions, attachments, copies, original_of(archive.db, article_id), events
    )


def raw_capture(
    archive: Archive, key: str, version: int | None = None, *, http: bool = False, warc_dir: Path | None = None
) -> tuple[Version, bytes]:
    """A version (the latest unless ``version``) and its captured payload, decoded as a browser
    would (de-chunked, decompressed); with ``http``, the HTTP response as recorded (status line,
    headers, payload as received). ``warc_dir``: where to look first for the WARC file (then the
    folder recorded with the version, then ``warc/`` beside the archive)."""
    hist = history(archive, key)
    chosen = next((v for v in reversed(hist.versions) if version is None or v.version == version), None)
    if chosen is None:
        numbers = ", ".join(str(v.version) for v in hist.versions)
        raise ArticleNotFound(f"article {hist.article['id']} has no version {version} (it has {numbers})")
    if not chosen.warc_file or chosen.warc_offset is None:
        raise CaptureMissing(f"version {chosen.version} of article {hist.article['id']} has no recorded capture")
    folder = locate(archive.path, chosen.warc_file, chosen.warc_dir, warc_dir)
    if folder is None:
        looked = ", ".join(str(d) for d in candidate_dirs(archive.path, chosen.warc_dir, warc_dir))
        raise CaptureMissing(f"WARC file {chosen.warc_file} not found (looked in {looked})")
    try:
        if http:
            return chosen, read_http(folder, chosen.warc_file, chosen.warc_offset)
        return chosen, read_record(folder, chosen.warc_file, chosen.warc_offset).body
    except (OSError, ValueError) as exc:
        raise CaptureMissing(f"{chosen.warc_file}@{chosen.warc_offset}: {exc}") from None


def _as_lines(record: dict[str, Any]) -> list[str]:
    """A version as text to compare line by line: the metadata, then one line per paragraph."""
    source = record.get("source") or {}
    lines = [f"title: {record.get('title') or ''}", f"date: {record.get('date') or ''}"]
    lines += [f"updated: {record.get('updated') or ''}", f"source: {source.get('text') or ''}"]
    lines += [f"summary: {record.get('summary') or ''}", ""]
    lines += [p for p in (record.get("body") or "").split("\n") if p.strip()]
    lines += [f"attachment: {a.get('url')} {a.get('text') or ''}".rstrip() for a in record.get("attachments") or []]
    return lines


def unified_diffs(hist: ArticleHistory) -> list[str]:
    """A unified diff from each version to the next (title, dates, source, summary, body)."""
    diffs = []
    for old, new in zip(hist.versions, hist.versions[1:], strict=False):
        lines = difflib.unified_diff(
            _as_lines(old.record),
            _as_lines(new.record),
            fromfile=f"version {old.version} ({old.fetched_at})",
            tofile=f"version {new.version} ({new.fetched_at})",
            lineterm="",
        )
        diffs.append("\n".join(lines))
    return diffs


def render_text(hist: ArticleHistory, *, body: bool = True, diff: bool = False) -> str:
    a = hist.article
    out = [a["title"] or "(no title)", "=" * min(len(a["title"] or "(no title)"), 100)]
    site = a["site"]
    if hist.place:
        before = hist.place["province_before_2025"]
        province = hist.place["province"] + (f"; before 2025: {before}" if before and before != hist.place["province"] else "")
        site = f"{site} — {hist.place['name']} ({province})"
    source = ", ".join(
        x for x in (a["source_text"], a["source_publisher"] and f"publisher {a['source_publisher']}",
                    a["source_author"] and f"author {a['source_author']}") if x
    )  # fmt: skip
    fields = [
        ("id", str(a["id"])),
        ("url", a["url"]),
        ("site", site),
        ("family", a["family"] or "generic"),
        ("date", a["date"] or "unknown"),
        ("updated", a["updated"]),
        ("source", source),
        ("views", f"{a['views']:,}" if a["views"] is not None else None),
        ("archived", f"first seen {a['first_seen']}, last seen {a['last_seen']}, last changed {a['last_changed']}"),
        ("status", f"gone since {a['gone_since']}" if a.get("gone_since") else None),
    ]
    out += [f"{name:<9} {value}" for name, value in fields if value]
    if body:
        out += ["", *([a["summary"], ""] if a["summary"] else []), a["body"] or "(no body)"]
    out += ["", f"Versions ({len(hist.versions)})"]
    for v in hist.versions:
        what = (
            "first capture"
            if v.version == 1
            else ("changed: " + ", ".join(v.changed) if v.changed else "no content field changed")
        )
        status = f"HTTP {v.http_status}" if v.http_status else "no HTTP status"
        out.append(f"  {v.version}. {v.fetched_at}  run {v.crawl_run_id or '-'}  {status}  {what}")
        if v.fetched_url and v.fetched_url != a["url"]:
            out.append(f"     fetched from {v.fetched_url}")
        out.append("     " + _warc(v.warc_file, v.warc_offset, v.warc_record_id, v.payload_digest, v.warc_dir))
    if hist.events:
        out += ["", f"Removals ({len(hist.events)})"]
        for e in hist.events:
            status = f"HTTP {e['http_status']}  " if e["http_status"] else ""
            where = f"  at {e['final_url']}" if e["final_url"] and e["final_url"] != a["url"] else ""
            out.append(f"  {e['at']}  run {e['run_id'] or '-'}  {e['event']}  {status}{e['evidence'] or ''}{where}".rstrip())
    if hist.attachments:
        out += ["", f"Attachments ({len(hist.attachments)})"]
        for t in hist.attachments:
            size = f", {t['size']:,} bytes" if t["size"] is not None else ""
            kind = f", {t['media_type']}" if t["media_type"] else ""
            out.append(f"  - {t['text'] or '(no text)'}: {t['url']}")
            out.append(f"    {t['status']}{kind}{size}" + (f", sha1 {t['sha1']}" if t["sha1"] else ""))
            if t.get("text_status"):
                out.append(f"    text: {t['text_status']}" + (f", {t['pages']} page(s)" if t["pages"] else ""))
            if t["warc_file"]:
                out.append("    " + _warc(t["warc_file"], t["warc_offset"], t["warc_record_id"], None, t.get("warc_dir")))
    out += _copies_text(hist)
    if diff:
        diffs = unified_diffs(hist)
        out += ["", "Changes between versions" if diffs else "Only one version: nothing to compare."]
        out += [d if d else "(no difference in title, dates, source, summary or body)" for d in diffs]
    return "\n".join(out)


def _warc(file: str | None, offset: int | None, record_id: str | None, digest: str | None, folder: str | None = None) -> str:
    if not file:
        return "WARC: no raw capture recorded"
    text = f"WARC {file} @ offset {offset}, record {record_id}"
    return text + (f", payload {digest}" if digest else "") + (f", in {folder}/" if folder else "")


def _copies_text(hist: ArticleHistory) -> list[str]:
    """The article's original (where its credit line names a site) and its copies on other sites."""
    out = []
    if hist.original:
        o = hist.original
        out += ["", f"Original (on {o['named_site']}, which the source names)"]
        out.append(f"  #{o['id']}  {o['date'] or 'no date'}  {o['site']}  {o['kind']} {o['similarity']:.2f}  {o['url']}")
    if hist.copies:
        out += ["", f"Copies on other sites ({len(hist.copies)})"]
        for c in hist.copies:
            out.append(f"  #{c['id']}  {c['date'] or 'no date'}  {c['site']}  {c['kind']} {c['similarity']:.2f}  {c['url']}")
    return out
