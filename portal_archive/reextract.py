"""Re-extraction: rebuild article records (and attachments' text) from the raw captures, with no network.

After the extractor improves, each article's latest capture is read back from its WARC record
and extracted again; a new version is added only where the record really changed (a different
content hash, as the archive decides for every write). The versions point to the same WARC
records, and belong to a crawl run of mode ``reextract``, so their provenance stays clear.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from archive.schema import VIETNAM
from archive.store import Archive
from archive.warc import locate, read_record
from portals.documents import DocumentText, Limits, extract_document
from portals.extract import MAX_PAGE, extract
from portals.items import Provenance
from portals.record import Record

_BATCH = 200


@dataclass
class ReextractReport:
    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    missing: int = 0
    run_id: int | None = None


def _local_time(warc_date: str) -> str:
    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).astimezone(VIETNAM).isoformat(timespec="seconds")


def reextract(archive: Archive, warc_dir: Path, *, site: str | None = None) -> ReextractReport:
    report = ReextractReport()
    rows = archive.latest_captures(site)
    report.run_id = archive.start_run(site or "*", [], {"warc_dir": str(warc_dir)}, mode="reextract")
    batch: list[tuple[Record, Provenance]] = []
    for url, file, offset, record_id, payload, fetched_url, status, recorded in rows:
        report.checked += 1
        try:
            if not file:
                raise ValueError("no WARC pointer")
            folder = locate(archive.path, file, recorded, warc_dir) or warc_dir
            stored = read_record(folder, file, offset, max_body=MAX_PAGE + 1)  # extract() reads MAX_PAGE
        except (OSError, ValueError):
            report.missing += 1
            continue
        record = extract(stored.body, stored.url or fetched_url, content_type=stored.header("Content-Type"))
        if record.url != url:  # the extractor now names another URL: not this article's record
            report.unchanged += 1
            continue
        provenance = Provenance(
            _local_time(stored.date), stored.url, status, file, offset, record_id, payload, warc_dir=str(folder)
        )
        batch.append((record, provenance))
        if len(batch) >= _BATCH:
            _write(archive, batch, report)
            batch = []
    _write(archive, batch, report)
    archive.link_copies()  # of the articles whose text changed, in one pass
    archive.finish_run(report.run_id, "finished" if not report.missing else "failed", pages=report.checked)
    return report


@dataclass
class AttachmentReport:
    checked: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # text, no_text_layer, unsupported … (failed: as "failed")
    missing: int = 0


def reextract_attachments(archive: Archive, warc_dir: Path, *, site: str | None = None) -> AttachmentReport:
    """Read again the text of every fetched attachment from its WARC record (bounded as a crawl
    reads it: ``portals.documents.extract_document``) and store it, replacing what it had."""
    report = AttachmentReport()
    limits = Limits()
    batch: list[tuple[int, DocumentText]] = []
    for attachment_id, file, offset, recorded in archive.fetched_attachments(site):
        report.checked += 1
        try:
            if not file or offset is None:
                raise ValueError("no WARC pointer")
            folder = locate(archive.path, file, recorded, warc_dir) or warc_dir
            stored = read_record(folder, file, offset, max_body=limits.max_bytes + 1)  # more is too_large
        except (OSError, ValueError):
            report.missing += 1
            continue
        document = extract_document(stored.body, limits)
        report.statuses[document.status.split(":", 1)[0]] += 1
        batch.append((attachment_id, document))
        if len(batch) >= _BATCH:
            archive.set_attachment_texts(batch)
            batch = []
    archive.set_attachment_texts(batch)
    return report


def _write(archive: Archive, batch: list[tuple[Record, Provenance]], report: ReextractReport) -> None:
    assert report.run_id is not None
    result = archive.add_reextracted(batch, report.run_id)
    report.changed += result.changed
    report.unchanged += result.unchanged
