"""Verification of an archive: is what was stored still stored, whole and findable?

SQLite's own integrity check; every WARC file read to its end (a file cut by a killed crawl is
reported, and with ``repair`` its incomplete last record is cut off so the rest stays valid);
every article version's pointer followed to a response record with the same record id, in the
folder recorded with it or the one given (a file found in neither is named, with where it was
looked for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .store import Archive
from .warc import candidate_dirs, complete_length, cut_tail, locate, read_record


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
    """Check ``archive``. A pointer's file is looked for in ``warc_dir`` (``--warc-dir``, or the
    default ``warc/`` beside the archive), then in the folder recorded with the pointer; the WARC
    files of all these folders are read to their end."""
    report = VerifyReport(integrity=archive.db.execute("PRAGMA integrity_check").fetchone()[0])
    has_dirs = "warc_dir" in {c.name for c in archive.db["article_versions"].columns}
    recorded = []
    if has_dirs:
        recorded = [r[0] for r in archive.db.execute("SELECT DISTINCT warc_dir FROM article_versions WHERE warc_dir IS NOT NULL")]
    folders = dict.fromkeys(d for r in [None, *recorded] for d in candidate_dirs(archive.path, r, warc_dir))
    for path in sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.warc.gz")):
        report.warc_files += 1
        size, good = path.stat().st_size, complete_length(path)
        if good < size:
            report.truncated.append((path.name, size - good, repair))
            if repair:
                cut_tail(path)
    column = "v.warc_dir" if has_dirs else "NULL"
    for url, file, offset, record_id, folder in archive.db.execute(
        f"SELECT a.url, v.warc_file, v.warc_offset, v.warc_record_id, {column} FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id WHERE v.warc_file IS NOT NULL"
    ):
        report.pointers += 1
        found = locate(archive.path, file, folder, warc_dir)
        if found is None:
            looked = ", ".join(str(d) for d in candidate_dirs(archive.path, folder, warc_dir))
            report.broken.append((url, f"{file}: missing (looked in {looked})"))
            continue
        try:
            stored = read_record(found, file, offset)
        except (OSError, ValueError) as exc:
            report.broken.append((url, f"{file}@{offset}: {exc}"))
            continue
        if record_id and stored.record_id != record_id:
            report.broken.append((url, f"{file}@{offset}: another record is there"))
    return report
