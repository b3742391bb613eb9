"""Re-extraction: rebuild article records from the raw captures, with no network.

After the extractor improves, each article's latest capture is read back from its WARC record
and extracted again; a new version is added only where the record really changed (a different
content hash). The versions point to the same WARC records, and belong to a crawl run of mode
``reextract``, so their provenance stays clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from crawler.extract import extract

from .schema import VIETNAM
from .store import Archive, Batch, Capture
from .warc import read_record

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
    where, params = ("WHERE a.site = ?", [site]) if site else ("", [])
    rows = archive.db.execute(
        "SELECT a.url, a.site, a.content_hash, v.warc_file, v.warc_offset, v.warc_record_id, v.payload_digest, "
        "v.fetched_url, v.http_status FROM articles a "
        f"JOIN article_versions v ON v.article_id = a.id AND v.version = a.versions {where} ORDER BY a.id",
        params,
    ).fetchall()
    report.run_id = archive.start_run(site or "*", [], {"warc_dir": str(warc_dir)}, mode="reextract")
    batch = Batch()
    for url, site_, digest, file, offset, record_id, payload, fetched_url, status in rows:
        report.checked += 1
        try:
            if not file:
                raise ValueError("no WARC pointer")
            stored = read_record(warc_dir, file, offset)
        except (OSError, ValueError):
            report.missing += 1
            continue
        content_type = stored.header("Content-Type")
        record = extract(stored.body, stored.url or fetched_url, content_type=content_type)
        if record.url != url or record.content_hash() == digest:
            report.unchanged += 1
            continue
        report.changed += 1
        batch.articles.append((record, Capture(_local_time(stored.date), stored.url, status, file, offset, record_id, payload)))
        if len(batch.articles) >= _BATCH:
            archive.write(batch, report.run_id, site_)
            batch = Batch()
    archive.write(batch, report.run_id, site)
    archive.finish_run(report.run_id, "finished" if not report.missing else "failed", pages=report.checked)
    return report
