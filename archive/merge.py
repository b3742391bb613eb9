"""Fold workers' shards into one archive: ``portal-archive merge SHARD… --db MAIN``.

Each worker of a distributed crawl stores into its own SQLite shard and WARC files. Merging
imports every crawl run of a shard that the main archive does not have yet (runs are known by
their origin: the shard's archive id and the run's id there), in one transaction per run: its
article versions in the order they were fetched (a content the main archive already has as the
latest adds no version), the articles it saw unchanged, its attachments, visitor statistics,
sitemaps and feeds, and the removals and returns of articles it found; then what the run tells
of its site's status (``archive.site_status``: moved, dark, back), as a crawl's own run does.
The WARC files the run wrote are copied beside the main archive first, so every pointer
resolves there. Merging a shard twice changes nothing the second time.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portals.copies import Fingerprint, band_keys
from portals.documents import DocumentText
from portals.items import ArticleEvent, AttachmentRow, Capture, Provenance, SourceSeen, VisitorObservation
from portals.record import VISITOR_KEYS, Record

from .site_status import SiteMove, observe_run
from .store import Archive, Batch, WriteResult, version_record
from .warc import default_warc_dir


class MergeError(RuntimeError):
    pass


@dataclass
class MergeReport:
    runs: int = 0
    skipped: int = 0
    written: WriteResult = field(default_factory=WriteResult)
    warc_files: int = 0


def merge(main: Archive, shard_path: Path, *, warc_dir: Path, shard_warc_dir: Path | None = None) -> MergeReport:
    if Path(shard_path).stat().st_size == 0:  # a worker stopped before it stored anything
        return MergeReport()
    shard = Archive(shard_path, readonly=True)
    shard_warcs = shard_warc_dir or default_warc_dir(shard_path)
    report = MergeReport()
    try:
        if shard.archive_id() == main.archive_id():
            raise MergeError(f"{shard_path} is the main archive itself")
        for run in shard.db.query("SELECT * FROM crawl_runs ORDER BY id"):
            origin = run["origin"] or f"{shard.archive_id()}:{run['id']}"
            if main.has_origin(origin):
                report.skipped += 1
                continue
            written_to = Path(json.loads(run["settings"] or "{}").get("warc_dir") or shard_warcs)
            # The files the run's records point into (a killed worker never listed its files).
            names = set(json.loads(run["warc_files"] or "[]")) | {
                name
                for (name,) in shard.db.execute(
                    "SELECT warc_file FROM article_versions WHERE crawl_run_id = ? AND warc_file IS NOT NULL "
                    "UNION SELECT warc_file FROM attachments WHERE crawl_run_id = ? AND warc_file IS NOT NULL",
                    [run["id"], run["id"]],
                )
            }
            report.warc_files += _copy_warcs(sorted(names), written_to, warc_dir)
            run_id, written = main.import_run(run, origin, _batch(shard, run["id"], warc_dir))
            main.add_captures(_captures(shard, run["id"], warc_dir), run_id)
            # What the run says of its site, read against the main archive's runs as a crawl's own
            # is (a shard's "active" may be "back" here); a move keeps the shard's evidence.
            observe_run(main, run_id, move=_move(shard, run["id"]))
            report.written += written
            report.runs += 1
        main.link_copies()  # of everything merged, in one pass
    finally:
        shard.close()
    return report


def _move(shard: Archive, run_id: int) -> SiteMove | None:
    """The move of its site the shard's run found, if it found one."""
    if "site_events" not in shard.db.table_names():
        return None
    row = shard.db.execute(
        "SELECT successor, since, evidence FROM site_events WHERE run_id = ? AND status = 'moved' ORDER BY id DESC LIMIT 1",
        [run_id],
    ).fetchone()
    return SiteMove(row[0], row[1], json.loads(row[2] or "{}")) if row else None


def _copy_warcs(names: list[str], source: Path, target: Path) -> int:
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    for name in names:
        src, dst = source / name, target / name
        if not src.exists():
            raise MergeError(f"WARC file {src} of the shard is missing")
        if dst.exists() and dst.stat().st_size == src.stat().st_size:
            continue
        shutil.copy2(src, dst)
        copied += 1
    return copied


def _captures(shard: Archive, run_id: int, warc_dir: Path) -> list[tuple[str, str, Capture]]:
    """The captures the shard's run made (what later revisits refer to), now in ``warc_dir``."""
    if "captures" not in shard.db.table_names():
        return []
    return [
        (site, url, Capture(target, date, record_id, digest, file, offset, str(warc_dir)))
        for site, url, target, date, record_id, digest, file, offset in shard.db.execute(
            "SELECT site, url, target_uri, warc_date, warc_record_id, payload_digest, warc_file, warc_offset "
            "FROM captures WHERE crawl_run_id = ?",
            [run_id],
        )
    ]


def _document(shard: Archive, row: dict[str, Any]) -> DocumentText | None:
    """The text the shard read from an attachment, if it read it."""
    if not row.get("text_status"):
        return None
    pages = [""] * (row["pages"] or 0)
    for number, text in shard.db.execute("SELECT page, text FROM attachment_pages WHERE attachment_id = ?", [row["id"]]):
        pages[number - 1] = text
    return DocumentText(row["text_status"], tuple(pages))


def _fingerprints(shard: Archive, latest: dict[str, Record]) -> dict[str, Fingerprint]:
    """The fingerprints the shard found its articles' copies by (``archive.copies``), of the
    records merged last for each URL (what the merge stores) where they are of that content:
    the merge does not compute them again."""
    if "copy_signatures" not in shard.db.table_names():
        return {}
    found: dict[str, Fingerprint] = {}
    urls = list(latest)
    for start in range(0, len(urls), 500):
        for url, digest, key, minhash, named in shard.db.execute(
            "SELECT a.url, s.content_hash, s.body_key, s.minhash, s.named_site FROM copy_signatures s "
            "JOIN articles a ON a.id = s.article_id WHERE a.url IN (SELECT value FROM json_each(?))",
            [json.dumps(urls[start : start + 500])],
        ):
            record = latest[url]
            if digest == record.content_hash(record.to_dict()):
                found[url] = Fingerprint(key, minhash, tuple(band_keys(minhash)) if minhash else (), named)
    return found


def _batch(shard: Archive, run_id: int, warc_dir: Path) -> Batch:
    """What the shard's run stored; its WARC files are now in ``warc_dir``."""
    batch = Batch()
    for row in shard.db.query(
        "SELECT v.*, a.body AS article_body FROM article_versions v JOIN articles a ON a.id = v.article_id "
        "WHERE v.crawl_run_id = ? ORDER BY v.fetched_at, v.id",
        [run_id],
    ):
        batch.articles.append(
            (
                Record.from_dict(version_record(json.loads(row["record"]), row["article_body"])),
                Provenance(
                    row["fetched_at"],
                    row["fetched_url"],
                    row["http_status"],
                    row["warc_file"],
                    row["warc_offset"],
                    row["warc_record_id"],
                    row["payload_digest"],
                    warc_dir=str(warc_dir) if row["warc_file"] else None,
                ),
            )
        )
    versioned = {record.url for record, _ in batch.articles}
    batch.fingerprints = _fingerprints(shard, {record.url: record for record, _ in batch.articles})
    batch.seen = [
        (row["url"], row["last_seen"])
        for row in shard.db.query("SELECT url, last_seen FROM articles WHERE last_run_id = ?", [run_id])
        if row["url"] not in versioned
    ]
    for row in shard.db.query(
        "SELECT a.url AS article_url, t.* FROM attachments t JOIN articles a ON a.id = t.article_id WHERE t.crawl_run_id = ?",
        [run_id],
    ):
        batch.attachments.append(
            AttachmentRow(
                row["article_url"],
                row["url"],
                row["text"],
                row["status"],
                row["media_type"],
                row["size"],
                row["sha1"],
                row["fetched_at"],
                row["warc_file"],
                row["warc_offset"],
                row["warc_record_id"],
                str(warc_dir) if row["warc_file"] else None,
                _document(shard, row),
            )
        )
    for row in shard.db.query("SELECT * FROM visitor_stats WHERE crawl_run_id = ?", [run_id]):
        stats = {k: row[k] for k in VISITOR_KEYS if row[k] is not None}
        batch.visitors.append(VisitorObservation(row["site"], stats, row["observed_at"], row["url"]))
    if shard.db["article_events"].exists():  # a shard of an older schema has neither
        for row in shard.db.query(
            "SELECT a.url AS article_url, e.* FROM article_events e JOIN articles a ON a.id = e.article_id "
            "WHERE e.run_id = ? ORDER BY e.id",
            [run_id],
        ):
            what = (row["event"], row["at"], row["http_status"], row["final_url"], row["evidence"])
            batch.events.append(ArticleEvent(row["article_url"], *what))
        for row in shard.db.query("SELECT * FROM sources WHERE run_id = ?", [run_id]):
            entries = shard.db.execute(
                "SELECT url, modified FROM source_entries WHERE run_id = ? AND source = ?", [run_id, row["url"]]
            ).fetchall()
            found = (row["url"], row["kind"], row["status"], row["last_fetched"], tuple(entries), row["entries"])
            batch.sources.append(SourceSeen(*found))
    return batch
