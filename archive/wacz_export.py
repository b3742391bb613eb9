"""WACZ export: the raw captures of selected articles as one Web Archive Collection Zipped file,
the package Webrecorder's tools, ReplayWeb.page and most web archives exchange.

``write_wacz`` selects articles as ``export articles`` does (site, province, family, dates, a
search query), copies the WARC records of every version's capture — the response record holding
its payload, byte for byte as the crawl wrote it (one gzip member each), with its request
record — into one WARC file, writes ``pages.jsonl`` (each article at its latest capture: the URL
fetched, the capture's time, the article's title and date as the archive has them) and hands
both to the ``wacz`` package (py-wacz), which writes the CDXJ index, ``datapackage.json`` and
the zip. The file appears complete or not at all.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from .export import rows
from .search import Filters
from .store import Archive
from .warc import SOFTWARE, locate, read_member


class WaczError(RuntimeError):
    """The WACZ could not be made (the ``wacz`` package refused it); the message says why."""


@dataclass
class WaczReport:
    articles: int = 0
    records: int = 0  # response records copied (a capture shared by versions counts once)
    missing: list[str] = field(default_factory=list)  # "URL: file" of captures not found


def write_wacz(
    archive: Archive,
    out: Path,
    filters: Filters | None = None,
    query: str | None = None,
    *,
    warc_dir: Path | None = None,
    title: str = "portal-archive export",
) -> WaczReport:
    """Write the WACZ of the selected articles to ``out``. ``warc_dir``: where to look for WARC
    files first (then the folder recorded with each capture, then ``warc/`` beside the archive)."""
    report = WaczReport()
    selected = rows(archive, "articles", filters, query)  # a bad filter or query raises here
    has_dirs = "warc_dir" in {c.name for c in archive.db["article_versions"].columns}
    with tempfile.TemporaryDirectory(prefix="wacz-", dir=out.parent) as tmp:
        work = Path(tmp)
        warc_path = work / f"{out.stem or 'export'}.warc.gz"
        pages_path = work / "pages.jsonl"
        with warc_path.open("wb") as warc, pages_path.open("w", encoding="utf-8") as pages:
            writer = WARCWriter(warc, gzip=True, warc_version="WARC/1.1")
            writer.write_record(
                writer.create_warcinfo_record(
                    warc_path.name, {"software": SOFTWARE, "format": "WARC File Format 1.1", "description": title}
                )
            )
            pages.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": title}) + "\n")
            copied: set[tuple[str, str, int]] = set()
            for article in selected:
                latest = None
                for url, file, offset, folder in _captures(archive, article["id"], has_dirs):
                    found = locate(archive.path, file, folder, warc_dir)
                    if found is None:
                        report.missing.append(f"{article['url']}: {file}")
                        continue
                    key = (str(found), file, offset)
                    members = read_member(found / file, offset, with_request=True)
                    if key not in copied:
                        copied.add(key)
                        for member in members:
                            warc.write(member)
                        report.records += 1
                    latest = (url, _warc_date(members[0]))
                if latest is None:
                    continue
                report.articles += 1
                page = {"id": str(article["id"]), "url": latest[0], "ts": latest[1], "title": article["title"]}
                page["date"] = article["date"]
                pages.write(json.dumps(page, ensure_ascii=False) + "\n")
        _package(warc_path, pages_path, work / "out.wacz", title)
        (work / "out.wacz").replace(out)
    return report


def _captures(archive: Archive, article_id: int, has_dirs: bool) -> Iterator[tuple[str, str, int, str | None]]:
    """(URL fetched, file, offset, recorded folder) of every version's capture, oldest first."""
    folder = "warc_dir" if has_dirs else "NULL"
    yield from archive.db.execute(
        f"SELECT fetched_url, warc_file, warc_offset, {folder} FROM article_versions "
        "WHERE article_id = ? AND warc_file IS NOT NULL ORDER BY version",
        [article_id],
    )


def _warc_date(member: bytes) -> str:
    """The WARC-Date of the record in one gzip member."""
    for record in ArchiveIterator(io.BytesIO(member)):
        return str(record.rec_headers.get_header("WARC-Date"))
    raise ValueError("no WARC record")


def _package(warc_path: Path, pages_path: Path, out: Path, title: str) -> None:
    """py-wacz's ``wacz create``: the CDXJ index, datapackage.json and the zip."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its dependencies' deprecation warnings, at import
        from wacz.main import main as wacz_main

    said = io.StringIO()
    args = ["create", "-o", str(out), "-p", str(pages_path), "--copy-pages", "--title", title, str(warc_path)]
    with contextlib.redirect_stdout(said), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = wacz_main(args)
    if code != 0 or not out.exists():
        raise WaczError(f"wacz create failed: {said.getvalue().strip()[-500:]}")


def validate(path: Path) -> tuple[bool, str]:
    """py-wacz's ``wacz validate`` on ``path``: (valid, what it said)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from wacz.main import main as wacz_main

    said = io.StringIO()
    with contextlib.redirect_stdout(said), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = wacz_main(["validate", "-f", str(path)])
    return code == 0, said.getvalue()


__all__ = ["WaczError", "WaczReport", "validate", "write_wacz"]
