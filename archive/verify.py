"""Verification of an archive: is what was stored still stored, whole and findable?

SQLite's own integrity check; every WARC file read to its end (a file cut by a killed crawl is
reported, and with ``repair`` its incomplete last record is cut off so the rest stays valid);
every article version's pointer followed to a response record with the same record id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .store import Archive
from .warc import complete_length, cut_tail, read_record


@dataclass
class VerifyReport:
    integrity: str = "ok"
    warc_files: int = 0
    truncated: list[tuple[str, int, bool]] = field(default_factory=list)  # (file, bytes cut, repaired)
    pointers: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)  # (article URL, reason)

    @property
    def ok(self) -> bool:
        return self.integrity == "ok" and not self.broken and all(repaired for _, _, repaired in self.truncated)

    def lines(self) -> list[str]:
        out = [f"SQLite integrity: {self.integrity}", f"WARC files: {self.warc_files}"]
        for name, size, repaired in self.truncated:
            out.append(f"  {name}: last record cut ({size} bytes)" + (" — repaired" if repaired else ""))
        out.append(f"WARC pointers: {self.pointers} checked, {len(self.broken)} broken")
        out += [f"  {url}: {reason}" for url, reason in self.broken[:20]]
        out.append("OK" if self.ok else "PROBLEMS FOUND")
        return out


def verify(archive: Archive, warc_dir: Path, *, repair: bool = False) -> VerifyReport:
    report = VerifyReport(integrity=archive.db.execute("PRAGMA integrity_check").fetchone()[0])
    for path in sorted(Path(warc_dir).glob("*.warc.gz")) if Path(warc_dir).is_dir() else []:
        report.warc_files += 1
        size, good = path.stat().st_size, complete_length(path)
        if good < size:
            report.truncated.append((path.name, size - good, repair))
            if repair:
                cut_tail(path)
    for url, file, offset, record_id in archive.db.execute(
        "SELECT a.url, v.warc_file, v.warc_offset, v.warc_record_id FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id WHERE v.warc_file IS NOT NULL"
    ):
        report.pointers += 1
        try:
            stored = read_record(warc_dir, file, offset)
        except (OSError, ValueError) as exc:
            report.broken.append((url, f"{file}@{offset}: {exc}"))
            continue
        if record_id and stored.record_id != record_id:
            report.broken.append((url, f"{file}@{offset}: another record is there"))
    return report
