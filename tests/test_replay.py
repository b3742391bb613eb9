"""Captures that archivists' own tools replay: revisit records (WARC 1.1), WACZ export, the raw
capture of a version from the command line and the browser, and pywb replaying every article.

A saved portal is crawled three times over HTTP on 127.0.0.1 — a first crawl, a ``--revisit``
(every article answers 304) and a ``--full`` re-crawl (every page fetched whole; one article
changed in between) — and the WARC files are checked with warcio, indexed and replayed with pywb
(in its own virtualenv, ``.venv/replay-tools``, which ``bootstrap.py test`` makes), and exported
as WACZ and checked with ``wacz validate``.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_timestamp

from archive.warc import IDENTICAL_PAYLOAD, NOT_MODIFIED, WarcFileWriter, payload_digest, read_record
from portal_archive.sample_portal import SamplePortalServer, route_key
from portals.items import Capture
from portals.urls import canonicalize

from .conftest import SITES, run_cli

ROOT = Path(__file__).resolve().parent.parent
HOST = "sdl.thuathienhue.gov.vn"
CHANGED = "/?cn=121&gd=4&tc=4335"  # the article the portal edits before the --full crawl
REPLAY_PYTHON = Path(os.environ.get("PA_REPLAY_PYTHON") or ROOT / ".venv" / "replay-tools" / "bin" / "python")
MICROSECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@dataclass
class Record:
    file: str
    offset: int
    type: str
    id: str
    uri: str
    date: str
    headers: dict[str, str]
    status: str | None
    payload: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    @property
    def key(self) -> str:
        """The canonical URL of the target URI (fetched as the page linked it): the article's URL."""
        return canonicalize(self.uri)


@dataclass
class Crawled:
    db: Path
    warc_dir: Path
    served: dict[str, bytes]  # URL → the bytes the portal serves for it at the end
    first: dict[str, bytes]  # URL → the bytes it served at the first crawl
    records: list[Record]

    def of_run(self, run: int) -> list[Record]:
        return [r for r in self.records if f"-run{run}-" in r.file]


def _records(warc_dir: Path) -> list[Record]:
    out = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        with path.open("rb") as fh:
            iterator = ArchiveIterator(fh)
            for record in iterator:
                http = record.http_headers
                payload = record.raw_stream.read()  # before the offset: asking for it reads the record to its end
                out.append(
                    Record(
                        path.name,
                        iterator.get_record_offset(),
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Record-ID"),
                        record.rec_headers.get_header("WARC-Target-URI") or "",
                        record.rec_headers.get_header("WARC-Date"),
                        dict(record.rec_headers.headers),
                        http.get_statuscode() if http and http.statusline else None,
                        payload,
                    )
                )
    return out


def _served(server: SamplePortalServer, url: str) -> bytes:
    parts = urlsplit(url)
    site = server.sites[parts.hostname or ""]
    override = server.overrides.get((site.host, route_key(parts.path, parts.query)))
    return override if override is not None else site.resolve(parts.path, parts.query)[2]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    db = tmp_path_factory.mktemp("replay") / "archive.sqlite"
    with SamplePortalServer(SITES) as server:

        def crawl(*options: str) -> None:
            result = run_cli("crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0", *options)
            assert result.code == 0, result.err + result.out

        crawl()
        conn = sqlite3.connect(db)
        urls = [u for (u,) in conn.execute("SELECT url FROM articles ORDER BY id")]
        first = {u: _served(server, u) for u in urls}
        crawl("--revisit")
        edited = first[f"http://{HOST}{CHANGED}"].replace("dẫn đầu".encode(), "tiếp tục dẫn đầu".encode(), 1)
        server.set_page(HOST, CHANGED, edited)
        crawl("--full")
        served = {u: _served(server, u) for u in urls}
        conn.close()
    warc_dir = db.parent / "warc"
    yield Crawled(db, warc_dir, served, first, _records(warc_dir))


# -- revisit records ------------------------------------------------------------------------
def test_a_304_is_a_server_not_modified_revisit_of_the_capture_holding_the_payload(crawled: Crawled) -> None:
    by_id = {r.id: r for r in crawled.records}
    first = {r.key: r for r in crawled.of_run(1) if r.type == "response"}
    revisits = {r.key: r for r in crawled.of_run(2) if r.type == "revisit" and r.header("WARC-Profile") == NOT_MODIFIED}
    # Pages are asked for as the portal links them ("?gd=4&cn=121&tc=4335"), not as rewritten.
    assert [r for r in first.values() if r.uri != r.key], "the portal names its parameters in an order of its own"
    assert set(revisits) == set(crawled.first), "every archived article re-checked answers 304: a revisit record"
    assert not [r for r in crawled.of_run(2) if r.type == "response" and r.status == "304"], "a 304 kept as a response"
    for url, revisit in revisits.items():
        earlier = by_id[revisit.header("WARC-Refers-To")]
        assert earlier is first[url] and earlier.type == "response" and earlier.status == "200"
        assert revisit.header("WARC-Refers-To-Target-URI") == earlier.uri
        assert revisit.header("WARC-Refers-To-Date") == earlier.date
        digest = revisit.header("WARC-Payload-Digest")
        assert digest == earlier.header("WARC-Payload-Digest") == payload_digest(crawled.first[url])
        assert revisit.payload == b"" and revisit.header("Content-Length") == "0", "no HTTP block: replay serves the earlier one"


def test_an_unchanged_body_fetched_in_full_is_an_identical_payload_digest_revisit(crawled: Crawled) -> None:
    by_id = {r.id: r for r in crawled.records}
    changed = f"http://{HOST}{CHANGED}"
    full = {r.key: r for r in crawled.of_run(3) if r.type in ("response", "revisit")}
    for url in crawled.first:
        record = full[url]
        if url == changed:
            assert record.type == "response" and record.status == "200"
            assert record.header("WARC-Payload-Digest") == payload_digest(crawled.served[url])
            continue
        assert record.type == "revisit" and record.header("WARC-Profile") == IDENTICAL_PAYLOAD
        assert record.status == "200", "the new response's status line and headers are kept"
        earlier = by_id[record.header("WARC-Refers-To")]
        assert earlier.type == "response" and "-run1-" in earlier.file
        assert record.header("WARC-Refers-To-Target-URI") == earlier.uri
        assert record.header("WARC-Refers-To-Date") == earlier.date
        assert record.header("WARC-Payload-Digest") == earlier.header("WARC-Payload-Digest")
    # Listings unchanged since the revisit crawl are revisits too (of their own first capture).
    assert {r.type for r in crawled.of_run(3) if r.key == f"http://{HOST}/"} == {"revisit", "request"}


def test_versions_point_to_the_record_holding_the_payload(crawled: Crawled) -> None:
    conn = sqlite3.connect(crawled.db)
    rows = conn.execute(
        "SELECT a.url, v.version, v.warc_file, v.warc_offset, v.warc_record_id, v.payload_digest, v.warc_dir "
        "FROM article_versions v JOIN articles a ON a.id = v.article_id ORDER BY a.url, v.version"
    ).fetchall()
    assert len(rows) == len(crawled.first) + 1  # the edited article has a second version
    for url, version, file, offset, record_id, digest, folder in rows:
        assert folder == "warc"  # recorded relative to the archive's folder
        stored = read_record(crawled.warc_dir, file, offset)  # a response record, never a revisit
        assert stored.record_id == record_id and payload_digest(stored.body) == digest
        expected = crawled.served[url] if version == 2 or url != f"http://{HOST}{CHANGED}" else crawled.first[url]
        assert stored.body == expected
    captures = dict(conn.execute("SELECT url, warc_record_id FROM captures"))
    latest = {url: record_id for url, _, _, _, record_id, _, _ in rows}  # the last version of each URL wins
    assert {u: captures[u] for u in latest} == latest


def test_records_are_warc_1_1_with_microsecond_dates_and_the_ip_address(crawled: Crawled) -> None:
    fetched = [r for r in crawled.records if r.type in ("response", "revisit")]
    assert fetched and all(MICROSECONDS.match(r.date) for r in crawled.records), "WARC-Date to the microsecond"
    assert len({(r.uri, r.date) for r in fetched}) == len(fetched)
    assert all(r.header("WARC-IP-Address") == "127.0.0.1" for r in fetched)  # the address connected to (the proxy)


def test_warcio_check_passes_on_every_file(crawled: Crawled) -> None:
    files = sorted(str(p) for p in crawled.warc_dir.glob("*.warc.gz"))
    assert len(files) == 3
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *files], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "revisit" in check.stdout


def test_verify_follows_every_pointer(crawled: Crawled) -> None:
    result = run_cli("verify", "--db", str(crawled.db))
    assert result.code == 0, result.out + result.err
    assert f"WARC pointers: {len(crawled.first) + 1} checked, 0 broken" in result.out


# -- pywb ------------------------------------------------------------------------------------
def test_pywb_replays_every_article_at_its_latest_capture_with_the_original_bytes(crawled: Crawled, tmp_path: Path) -> None:
    if not REPLAY_PYTHON.exists():
        pytest.fail(f"the replay test needs pywb in {REPLAY_PYTHON.parent.parent}: `python3 bootstrap.py test` installs it")
    latest: dict[str, Record] = {}
    for record in crawled.records:
        if record.type in ("response", "revisit") and record.key in crawled.served:
            latest[record.key] = record  # files and records in the order written: the last wins
    assert {r.type for r in latest.values()} == {"response", "revisit"}
    job = {
        "warcs": sorted(str(p) for p in crawled.warc_dir.glob("*.warc.gz")),
        "work": str(tmp_path),
        # Each asked for as the portal links to it: the URL the WARC holds.
        "requests": [{"url": r.uri, "ts": iso_date_to_timestamp(r.date)} for r in latest.values()],
    }
    proc = subprocess.run(
        [str(REPLAY_PYTHON), str(ROOT / "tests" / "pywb_replay.py")],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    answers = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(answers) == len(latest)
    for answer in answers:
        url = canonicalize(answer["url"])
        record = latest[url]
        assert answer["status"] == 200, answer
        assert answer["sha1"] == hashlib.sha1(crawled.served[url]).hexdigest(), f"{url}: not the original bytes"
        assert answer["length"] == len(crawled.served[url])
        # The capture served is the latest one (the revisit, its payload taken from the earlier record).
        assert iso_date_to_timestamp(record.date) == _memento_timestamp(answer["memento"]), answer


def _memento_timestamp(http_date: str) -> str:
    from email.utils import parsedate_to_datetime

    return parsedate_to_datetime(http_date).strftime("%Y%m%d%H%M%S")


# -- WACZ ------------------------------------------------------------------------------------
def test_export_wacz_is_valid_and_holds_every_version(crawled: Crawled, tmp_path: Path) -> None:
    out = tmp_path / "sdl.wacz"
    result = run_cli("export", "wacz", "--db", str(crawled.db), "--site", HOST, "--out", str(out))
    assert result.code == 0, result.out + result.err
    assert f"exported {len(crawled.first)} articles ({len(crawled.first) + 1} captures)" in result.err
    wacz = Path(sys.executable).with_name("wacz")
    check = subprocess.run([str(wacz), "validate", "-f", str(out)], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl", "indexes/index.cdx.gz"} <= names
        warcs = [n for n in names if n.startswith("archive/") and n.endswith(".warc.gz")]
        assert len(warcs) == 1
        records = list(ArchiveIterator(io.BytesIO(z.read(warcs[0]))))
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]
        package = json.loads(z.read("datapackage.json"))
    assert {r["path"] for r in package["resources"]} >= {warcs[0], "pages/pages.jsonl", "indexes/index.cdx.gz"}
    # The records as the crawl wrote them (digests intact): every version's response and request.
    by_type: dict[str, int] = {}
    for record in records:
        by_type[record.rec_type] = by_type.get(record.rec_type, 0) + 1
    assert by_type == {"warcinfo": 1, "response": len(crawled.first) + 1, "request": len(crawled.first) + 1}
    conn = sqlite3.connect(crawled.db)
    articles = {u: (t, d) for u, t, d in conn.execute("SELECT url, title, date FROM articles")}
    assert pages[0]["format"] == "json-pages-1.0"
    # Each page at the URL its captures hold (as the portal linked it), one per article.
    assert sorted(canonicalize(p["url"]) for p in pages[1:]) == sorted(articles)
    uris = {r.rec_headers.get_header("WARC-Target-URI") for r in records if r.rec_type == "response"}
    for page in pages[1:]:
        assert page["url"] in uris
        assert (page["title"], page["date"]) == articles[canonicalize(page["url"])]
        assert MICROSECONDS.match(page["ts"])

    # The filters of `export articles`: a search query selects one article.
    one = tmp_path / "one.wacz"
    result = run_cli("export", "wacz", "--db", str(crawled.db), "--query", '"tiep tuc dan dau"', "--out", str(one))
    assert result.code == 0 and "exported 1 articles (2 captures)" in result.err, result.err
    assert run_cli("export", "wacz", "--db", str(crawled.db)).code == 2  # a zip file needs --out
    # --out -: the same zip on standard output, once it is whole.
    piped = subprocess.run(
        [
            sys.executable,
            "-m",
            "portal_archive",
            "export",
            "wacz",
            "--db",
            str(crawled.db),
            "--query",
            '"tiep tuc dan dau"',
            "--out",
            "-",
        ],
        capture_output=True,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    with zipfile.ZipFile(io.BytesIO(piped.stdout)) as z, zipfile.ZipFile(one) as made:
        warc_named = re.compile(r"^archive/[^/]+\.warc\.gz$")  # (named after the file written)
        assert sorted(warc_named.sub("archive/*.warc.gz", n) for n in z.namelist()) == sorted(
            warc_named.sub("archive/*.warc.gz", n) for n in made.namelist()
        )
        assert z.read("pages/pages.jsonl") == made.read("pages/pages.jsonl")


# -- the raw capture, from the command line and the browser ---------------------------------
def _show(db: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "portal_archive", "show", *args, "--db", str(db)], capture_output=True, check=False
    )


def test_show_raw_writes_the_captured_page_of_a_version(crawled: Crawled) -> None:
    url = f"http://{HOST}{CHANGED}"
    latest = _show(crawled.db, url, "--raw")
    assert latest.returncode == 0, latest.stderr
    assert latest.stdout == crawled.served[url]
    assert _show(crawled.db, url, "--raw", "--version", "1").stdout == crawled.first[url]
    http = _show(crawled.db, url, "--raw-http", "--version", "1").stdout
    head, _, body = http.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and b"Content-Type: text/html" in head
    assert body == crawled.first[url]
    missing = _show(crawled.db, url, "--raw", "--version", "9")
    assert missing.returncode == 2 and b"no version 9" in missing.stderr


def test_serve_links_every_version_to_its_capture_as_an_inert_download(crawled: Crawled) -> None:
    from archive.web.app import make_datasette

    url = f"http://{HOST}{CHANGED}"
    conn = sqlite3.connect(crawled.db)
    version_id, article_id = conn.execute(
        "SELECT v.id, a.id FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? AND v.version = 1",
        [url],
    ).fetchone()

    async def visit() -> tuple[object, object, str]:
        ds = make_datasette(crawled.db)
        await ds.invoke_startup()
        page = await ds.client.get(f"/{crawled.db.stem}/article_versions?article_id={article_id}")
        return await ds.client.get(f"/-/capture/{version_id}"), await ds.client.get("/-/capture/999999"), page.text

    capture, missing, page = asyncio.run(visit())
    assert f'href="/-/capture/{version_id}"' in page
    assert capture.status_code == 200  # type: ignore[attr-defined]
    headers = capture.headers  # type: ignore[attr-defined]
    assert headers["content-disposition"] == f'attachment; filename="article-{article_id}-v1.html"'
    assert headers["content-security-policy"] == "sandbox"
    assert headers["content-type"] == "application/octet-stream" and headers["x-content-type-options"] == "nosniff"
    assert capture.content == crawled.first[url]  # type: ignore[attr-defined]
    assert missing.status_code == 404  # type: ignore[attr-defined]


# -- WARC folders recorded with each version --------------------------------------------------
def test_captures_written_elsewhere_resolve_and_verify_names_the_missing(tmp_path: Path) -> None:
    from archive.history import raw_capture
    from archive.store import Archive
    from archive.verify import verify

    db, elsewhere = tmp_path / "a" / "archive.sqlite", tmp_path / "captures"
    db.parent.mkdir()
    with SamplePortalServer(SITES) as server:
        result = run_cli(
            "crawl", "http://tamky.quangnam.gov.vn/", "--db", str(db), "--proxy", server.url, "--delay", "0",
            "--warc-dir", str(elsewhere), "--max-pages", "12",
        )  # fmt: skip
        assert result.code == 0, result.err + result.out
    default = db.parent / "warc"
    with Archive(db, readonly=True) as archive:
        assert {d for (d,) in archive.db.execute("SELECT warc_dir FROM article_versions")} == {str(elsewhere.resolve())}
        article = str(archive.db.execute("SELECT min(article_id) FROM article_versions").fetchone()[0])
        report = verify(archive, default)  # found where the crawl wrote them, not in the default folder
        assert report.ok and report.pointers > 0, report.lines()
    assert _show(db, article, "--raw").stdout.startswith(b"<")

    moved = tmp_path / "moved"
    shutil.move(elsewhere, moved)
    result = run_cli("verify", "--db", str(db))
    assert result.code == 1
    assert "missing (looked in" in result.out and str(elsewhere.resolve()) in result.out and str(default) in result.out
    with Archive(db, readonly=True) as archive:
        assert verify(archive, moved).ok  # --warc-dir says where they went
        assert raw_capture(archive, article, warc_dir=moved)[1].startswith(b"<")
    failed = _show(db, article, "--raw")
    assert failed.returncode == 1 and b"not found" in failed.stderr


# -- what a WARC record keeps of the response -------------------------------------------------
def test_the_writer_refers_to_a_capture_whose_date_the_archive_did_not_record(tmp_path: Path) -> None:
    """Captures of archives made before revisits (schema < 7) have no WARC-Date recorded: it is
    read from the record; a capture whose file is gone gets a full response record."""
    writer = WarcFileWriter(tmp_path, "t")
    common = {"method": "GET", "request_headers": [], "response_headers": [("Content-Type", "text/html")]}
    first = writer.write("http://x.vn/a", status=200, body=b"<p>a</p>", **common)  # type: ignore[arg-type]
    legacy = Capture("http://x.vn/a", None, first.record_id, first.payload_digest, first.file, first.offset, str(tmp_path))
    again = writer.write("http://x.vn/a", status=200, body=b"<p>a</p>", earlier=legacy, **common)  # type: ignore[arg-type]
    assert again.revisit_of is not None and again.revisit_of.date == first.date
    gone = Capture("http://x.vn/a", first.date, first.record_id, first.payload_digest, "gone.warc.gz", 0, str(tmp_path))
    whole = writer.write("http://x.vn/a", status=304, body=b"", earlier=gone, **common)  # type: ignore[arg-type]
    assert whole.revisit_of is None
    writer.close()
    types = [r.type for r in _records(tmp_path)]
    assert types == ["warcinfo", "response", "request", "revisit", "request", "response", "request"]


class _RawServer:
    """Answers with byte-exact status lines and headers (which Python's http.server cannot)."""

    def __init__(self, answers: dict[str, bytes]):
        self.answers = answers
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                path = data.split(b" ", 2)[1].decode() if data.count(b" ") >= 2 else "/"
                conn.sendall(self.answers.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))

    def close(self) -> None:
        self.sock.close()


def test_status_line_and_headers_kept_as_scrapy_gives_them(tmp_path: Path) -> None:
    """What a capture keeps of the server's answer (docs/reliability.md, "What a WARC record
    keeps"): the HTTP version, the status code, every header value in order (repeated headers
    too) and the Content-Length the server sent; the body de-chunked, with no Content-Length
    made up for it. Scrapy re-cases header names and drops the reason phrase and the
    connection headers (Transfer-Encoding, Connection)."""
    robots = b"User-agent: *\nAllow: /\n"
    page = "<html><head><title>Trang chủ</title></head><body><p>Xin chào</p></body></html>".encode()
    chunked = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (page[:20], page[20:])) + b"0\r\n\r\n"
    server = _RawServer(
        {
            "/robots.txt": b'HTTP/1.0 200 Ok Fine\r\nContent-Type: text/plain\r\nETag: "r1"\r\nX-Twice: a\r\n'
            b"X-Twice: b\r\nContent-Length: %d\r\n\r\n" % len(robots) + robots,
            "/": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n" + chunked,
        }
    )
    try:
        result = run_cli("crawl", server.url + "/", "--db", str(tmp_path / "archive.sqlite"), "--delay", "0")
        assert result.code == 0, result.err + result.out
    finally:
        server.close()
    records = {urlsplit(r.uri).path: r for r in _records(tmp_path / "warc") if r.type == "response"}
    with next((tmp_path / "warc").glob("*.warc.gz")).open("rb") as fh:
        https = {
            urlsplit(r.rec_headers.get_header("WARC-Target-URI")).path: r.http_headers
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        }
    robots_http = https["/robots.txt"]
    assert robots_http.protocol == "HTTP/1.0" and robots_http.get_statuscode() == "200"
    assert robots_http.statusline == "200 OK"  # the reason phrase: Scrapy does not keep it
    assert [(k.lower(), v) for k, v in robots_http.headers if k.lower() in ("etag", "x-twice", "content-length")] == [
        ("content-length", str(len(robots))),
        ("etag", '"r1"'),
        ("x-twice", "a"),
        ("x-twice", "b"),
    ]
    assert records["/robots.txt"].payload == robots
    home = https["/"]
    assert home.protocol == "HTTP/1.1"
    names = {k.lower() for k, _ in home.headers}
    assert "transfer-encoding" not in names and "content-length" not in names, home.headers
    assert records["/"].payload == page  # de-chunked
    assert records["/"].header("WARC-IP-Address") == "127.0.0.1"


def test_an_older_archive_gets_its_captures_and_folders_from_its_runs(tmp_path: Path) -> None:
    """Migration 7 on an archive of schema 6: each version's folder is the one its run wrote to,
    and each article's latest version is the capture its next revisit refers to."""
    import sqlite_utils

    from archive import schema
    from archive.store import Archive

    path = tmp_path / "old.sqlite"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    every = schema.MIGRATIONS[:]
    try:
        schema.MIGRATIONS[:] = every[:6]
        schema.migrate(db)
    finally:
        schema.MIGRATIONS[:] = every
    db.execute(
        "INSERT INTO crawl_runs (id, site, started_at, settings) VALUES (1, 'x.vn', '2024-01-01', ?)",
        [json.dumps({"warc_dir": "/data/warc"})],
    )
    db.execute(
        "INSERT INTO articles (id, url, site, content_hash, versions, first_seen, last_seen, last_changed) "
        "VALUES (1, 'http://x.vn/a', 'x.vn', 'h2', 2, 't', 't', 't')"
    )
    for version, offset in ((1, 10), (2, 20)):
        db.execute(
            "INSERT INTO article_versions (article_id, version, content_hash, fetched_at, crawl_run_id, fetched_url, "
            "record, warc_file, warc_offset, warc_record_id, payload_digest) VALUES (1, ?, ?, 't', 1, 'http://x.vn/a?', '{}', "
            "'f.warc.gz', ?, ?, 'sha1:X')",
            [version, f"h{version}", offset, f"<urn:uuid:{version}>"],
        )
    db.conn.close()
    with Archive(path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert {d for (d,) in archive.db.execute("SELECT warc_dir FROM article_versions")} == {"/data/warc"}
        capture = archive.captures("x.vn")["http://x.vn/a"]
    assert capture == Capture("http://x.vn/a?", None, "<urn:uuid:2>", "sha1:X", "f.warc.gz", 20, "/data/warc")
