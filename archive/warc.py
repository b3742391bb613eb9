"""Raw capture in WARC (ISO 28500) files, via warcio: what archivists trust.

Every fetched response is written with its request as the crawl runs, one gzip member per
record (so a file cut by a kill keeps every complete record readable), into files rolled at a
size limit, each opening with a ``warcinfo`` record naming the software and the crawl. Records
in the archive point into these files (folder, file, offset, record id, payload digest);
``read_record`` follows such a pointer back to the bytes, for re-extraction and for checking.

Records are WARC 1.1: ``WARC-Date`` to the microsecond, ``WARC-IP-Address`` where the crawler
knows the address it connected to. A URL fetched again is written as a ``revisit`` record that
refers to the earlier record holding the payload (``WARC-Refers-To``, ``-Target-URI``, ``-Date``
and that record's payload digest) when nothing new came: a conditional request answered 304
(profile ``server-not-modified``, no HTTP block: replay tools then serve the earlier record's
status, headers and body) or the same body fetched in full (profile
``identical-payload-digest``, with the new response's status line and headers).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from portals import __version__
from portals.items import Capture

SOFTWARE = f"portal-archive/{__version__}"
NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL_PAYLOAD = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# A header that describes the transfer, not the body as stored (kept de-chunked): never written.
_TRANSFER_HEADERS = {"transfer-encoding"}


def default_warc_dir(db_path: str | os.PathLike[str]) -> Path:
    """Where an archive's WARC files are unless told otherwise: ``warc/`` beside the archive file."""
    return Path(db_path).resolve().parent / "warc"


@dataclass(frozen=True)
class WarcPointer:
    """Where one response lies: the file (relative to the WARC folder), the byte offset of its
    record, the record's id and the digest of its payload; the folder, the record's date and
    target URI; and for a revisit record, the earlier capture that holds its payload."""

    file: str
    offset: int
    record_id: str
    payload_digest: str | None
    directory: str | None = None
    date: str | None = None
    target_uri: str | None = None
    revisit_of: Capture | None = None

    @property
    def holder(self) -> Capture:
        """The capture holding this response's payload: the record itself, or the one it revisits."""
        if self.revisit_of is not None:
            return self.revisit_of
        uri = self.target_uri or ""
        return Capture(uri, self.date, self.record_id, self.payload_digest, self.file, self.offset, self.directory)


def payload_digest(body: bytes) -> str:
    """The ``WARC-Payload-Digest`` warcio writes for ``body``: ``sha1:`` and base 32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def candidate_dirs(db_path: str | os.PathLike[str], recorded: str | None, given: Path | None = None) -> list[Path]:
    """Where a pointer's file may be, in order: the folder given (``--warc-dir``), the folder
    recorded with the pointer (relative to the archive's folder), the archive's default."""
    base = Path(db_path).resolve().parent
    dirs = [Path(given)] if given else []
    if recorded:
        dirs.append(base / recorded)
    dirs.append(default_warc_dir(db_path))
    return list(dict.fromkeys(d.resolve() for d in dirs))


def locate(db_path: str | os.PathLike[str], file: str, recorded: str | None, given: Path | None = None) -> Path | None:
    """The folder that holds ``file`` (see ``candidate_dirs``), or None."""
    return next((d for d in candidate_dirs(db_path, recorded, given) if (d / file).is_file()), None)


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
    """WARC 1.1's date: UTC, to the microsecond (two captures in one second stay apart)."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dated(capture: Capture | None, also_in: Path) -> Capture | None:
    """``capture`` with its folder and WARC-Date (read from its record when the archive did not
    record it), or None when its record cannot be found: a revisit refers to a record that is
    there. The file is looked for in its own folder, then in ``also_in``."""
    if capture is None:
        return None
    folder = next((d for d in (Path(capture.directory or also_in), also_in) if (d / capture.file).is_file()), None)
    if folder is None:
        return None
    if capture.date:
        return replace(capture, directory=str(folder))
    try:
        stored = read_record(folder, capture.file, capture.offset)
    except (OSError, ValueError):
        return None
    if stored.record_id != capture.record_id:
        return None
    return replace(capture, target_uri=stored.url, date=stored.date, directory=str(folder))


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
        protocol: str | None = None,
        ip_address: str | None = None,
        earlier: Capture | None = None,
    ) -> WarcPointer:
        """Append the record of a response and its request record; return where the response is.

        ``earlier``: the capture of the same URL that holds the latest payload, if any. A 304
        then becomes a ``server-not-modified`` revisit of it, and a body with its payload digest
        an ``identical-payload-digest`` revisit; anything else is a ``response`` record.
        ``protocol`` is the HTTP version the server answered with (``HTTP/1.0``)."""
        if self._fh is None or self._fh.tell() >= self.max_size:
            self.close()
            self._open()
        assert self._fh is not None and self._writer is not None
        date = _warc_date(when)
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = "Unknown"
        # As received, but for a Content-Length the body does not bear out (an interrupted
        # transfer kept): then the length of what is stored.
        headers = [
            (k, str(len(body)) if k.lower() == "content-length" and v.strip() != str(len(body)) else v)
            for k, v in response_headers
            if k.lower() not in _TRANSFER_HEADERS
        ]
        http = StatusAndHeaders(f"{status} {reason}", headers, protocol=protocol or "HTTP/1.1")
        warc_headers = {"WARC-Date": date, **({"WARC-IP-Address": ip_address} if ip_address else {})}
        digest = payload_digest(body)
        earlier = _dated(earlier, self.directory)
        if earlier is not None and earlier.payload_digest and (status == 304 or earlier.payload_digest == digest):
            response = self._writer.create_revisit_record(
                url,
                earlier.payload_digest,
                earlier.target_uri,
                earlier.date,
                # A 304 keeps no HTTP block: replay then serves the earlier record's status,
                # headers and body (a 304 status line would be replayed as an empty page).
                http_headers=None if status == 304 else http,
                warc_headers_dict={**warc_headers, "WARC-Refers-To": earlier.record_id},
            )
            if status == 304:
                response.rec_headers.replace_header("WARC-Profile", NOT_MODIFIED)
        else:
            earlier = None
            response = self._writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http,
                warc_headers_dict=warc_headers,
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
            directory=str(self.directory.resolve()),
            date=date,
            target_uri=url,
            revisit_of=earlier,
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())
            self._fh.close()
            self._fh = None
            self._writer = None


def read_record(directory: Path, file: str, offset: int, *, max_body: int | None = None) -> StoredResponse:
    """The response stored at ``offset`` of ``file`` (decoded: de-chunked, decompressed); with
    ``max_body``, at most that many bytes of its body (a gzip body 1,000 times its size inflated
    whole would not fit in memory)."""
    path = Path(directory) / file
    if not path.resolve().is_relative_to(Path(directory).resolve()):
        raise ValueError(f"WARC pointer outside the WARC folder: {file}")
    with path.open("rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh):
            if record.rec_type != "response":
                raise ValueError(f"{file}@{offset} is a {record.rec_type} record, not a response")
            http = record.http_headers
            body = record.content_stream().read(max_body)
            return StoredResponse(
                url=record.rec_headers.get_header("WARC-Target-URI"),
                status=int(http.get_statuscode()),
                headers=list(http.headers),
                body=body,
                date=record.rec_headers.get_header("WARC-Date"),
                record_id=record.rec_headers.get_header("WARC-Record-ID"),
            )
    raise ValueError(f"no record at {file}@{offset}")


def read_http(directory: Path, file: str, offset: int) -> bytes:
    """The HTTP response stored at ``offset`` of ``file`` as the record holds it: the status
    line and headers as written, then the payload as received (still compressed, if it was)."""
    path = Path(directory) / file
    if not path.resolve().is_relative_to(Path(directory).resolve()):
        raise ValueError(f"WARC pointer outside the WARC folder: {file}")
    with path.open("rb") as fh:
        fh.seek(offset)
        for record in ArchiveIterator(fh, no_record_parse=True):
            if record.rec_type != "response":
                raise ValueError(f"{file}@{offset} is a {record.rec_type} record, not a response")
            return bytes(record.raw_stream.read())
    raise ValueError(f"no record at {file}@{offset}")


def _members(fh: io.BufferedReader) -> Iterator[bytes]:
    """The gzip members from the file's position on, each as its compressed bytes."""
    pending = b""
    while True:
        decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        member = bytearray()
        data = pending or fh.read(1 << 16)
        while data:
            decomp.decompress(data)
            if decomp.eof:
                used = len(data) - len(decomp.unused_data)
                member += data[:used]
                pending = decomp.unused_data
                break
            member += data
            data = fh.read(1 << 16)
        else:
            return  # end of file (or a cut last member)
        yield bytes(member)


def read_member(path: Path, offset: int, *, with_request: bool = False) -> list[bytes]:
    """The record at ``offset`` of ``path`` as written (its gzip member, compressed), and with
    ``with_request`` the request record written right after it for it, if there is one: records
    to copy into another WARC file with their digests intact."""
    with Path(path).open("rb") as fh:
        fh.seek(offset)
        members = _members(fh)
        first = next(members, None)
        if first is None:
            raise ValueError(f"no record at {Path(path).name}@{offset}")
        out = [first]
        if with_request and (second := next(members, None)) is not None:
            record_id = next(iter(ArchiveIterator(io.BytesIO(first)))).rec_headers.get_header("WARC-Record-ID")
            request = next(iter(ArchiveIterator(io.BytesIO(second))), None)
            if (
                request is not None
                and request.rec_type == "request"
                and request.rec_headers.get_header("WARC-Concurrent-To") == record_id
            ):
                out.append(second)
        return out


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
