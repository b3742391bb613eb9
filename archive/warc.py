"""Raw capture in WARC (ISO 28500) files, via warcio: what archivists trust.

Every fetched response is written with its request as the crawl runs, one gzip member per
record (so a file cut by a kill keeps every complete record readable), into files rolled at a
size limit, each opening with a ``warcinfo`` record naming the software and the crawl. Records
in the archive point into these files (file, offset, record id, payload digest); ``read_record``
follows such a pointer back to the bytes, for re-extraction and for checking.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from portals import __version__

SOFTWARE = f"portal-archive/{__version__}"
# Headers that describe the transfer, not the content as stored: the body is kept de-chunked.
_TRANSFER_HEADERS = {"transfer-encoding", "content-length"}


def default_warc_dir(db_path: str | os.PathLike[str]) -> Path:
    """Where an archive's WARC files are unless told otherwise: ``warc/`` beside the archive file."""
    return Path(db_path).resolve().parent / "warc"


@dataclass(frozen=True)
class WarcPointer:
    """Where one response lies: the file (relative to the WARC folder), the byte offset of its
    record, the record's id and the digest of its payload."""

    file: str
    offset: int
    record_id: str
    payload_digest: str | None


@dataclass
class StoredResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str
    record_id: str | None = None

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)


def _warc_date(when: datetime | None = None) -> str:
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcFileWriter:
    """Writes request/response pairs into ``directory``/``prefix``-<time>-<serial>.warc.gz."""

    def __init__(self, directory: Path, prefix: str, *, max_size: int = 1 << 30, info: dict[str, str] | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = "".join(c if c.isalnum() or c in ".-_" else "_" for c in prefix)
        self.max_size = max_size
        self.info = {"software": SOFTWARE, "format": "WARC File Format 1.1", **(info or {})}
        self.files: list[str] = []
        self._fh: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None
        self._stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")

    def _open(self) -> None:
        name = f"{self.prefix}-{self._stamp}-{len(self.files):05d}.warc.gz"
        path = self.directory / name
        self._fh = path.open("xb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version="WARC/1.1")
        self.files.append(name)
        self._writer.write_record(self._writer.create_warcinfo_record(name, self.info))
        self._fh.flush()

    def write(
        self,
        url: str,
        *,
        method: str,
        request_headers: Iterable[tuple[str, str]],
        status: int,
        response_headers: Iterable[tuple[str, str]],
        body: bytes,
        when: datetime | None = None,
    ) -> WarcPointer:
        """Append a response record and its request record; return where the response is."""
        if self._fh is None or self._fh.tell() >= self.max_size:
            self.close()
            self._open()
        assert self._fh is not None and self._writer is not None
        date = _warc_date(when)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        headers = [(k, v) for k, v in response_headers if k.lower() not in _TRANSFER_HEADERS]
        headers.append(("Content-Length", str(len(body))))
        response = self._writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=StatusAndHeaders(f"{status} {reason}", headers, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": date},
        )
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = [("Host", parts.netloc), *((k, v) for k, v in request_headers if k.lower() != "host")]
        request = self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", req_headers, is_http_request=True),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        offset = self._fh.tell()
        self._writer.write_record(response)
        self._writer.write_record(request)
        self._fh.flush()
        return WarcPointer(
            self.files[-1],
            offset,
            response.rec_headers.get_header("WARC-Record-ID"),
            response.rec_headers.get_header("WARC-Payload-Digest"),
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            self._writer = None


def read_record(directory: Path, file: str, offset: int) -> StoredResponse:
    """The response stored at ``offset`` of ``file`` (decoded: de-chunked, decompressed)."""
    path = Path(directory) / file
    if not path.resolve().is_relative_to(Path(directory).resolve()):
        raise ValueError(f"WARC pointer outside the WARC folder: {file}")
    with path.open("rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"{file}@{offset} is a {record.rec_type} record, not a response")
            http = record.http_headers
            body = record.content_stream().read()
            return StoredResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http.get_statuscode()),
                headers=list(http.headers),
                body=body,
                date=record.rec_headers.get_header("WARC-Date"),
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
            )
    raise ValueError(f"no record at {file}@{offset}")


def complete_length(path: Path) -> int:
    """Bytes of ``path`` that hold complete gzip members (records); the rest is a cut tail."""
    good = position = 0
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    with Path(path).open("rb") as fh:
        while chunk := fh.read(1 << 20):
            data = chunk
            while data:
                try:
                    decomp.decompress(data)
                except zlib.error:
                    return good
                if not decomp.eof:
                    position += len(data)
                    break
                position += len(data) - len(decomp.unused_data)
                good = position
                data = decomp.unused_data
                decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return good


def cut_tail(path: Path) -> int:
    """Cut a truncated last record off a WARC file (left by a killed crawl); return bytes removed."""
    size = Path(path).stat().st_size
    good = complete_length(path)
    if good < size:
        with Path(path).open("r+b") as fh:
            fh.truncate(good)
    return size - good
