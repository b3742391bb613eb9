"""A misbehaving portal for the reliability tests.

``FaultyPortal`` serves a saved sample portal (``tests/fixtures/sites/<host>/``, through its
``routes.json``) on 127.0.0.1, as an HTTP proxy like ``portal_archive.sample_portal``: a crawl with
``--proxy`` sees the portal's real URLs. The URLs of ``FAULTS`` misbehave, each in one way, some
only for their first requests (then they answer normally). Extra fault URLs are linked from the
home page; the real articles that misbehave keep their links. ``requests`` logs every request
(path and query as a route key, and its time) so a test can count attempts and measure waits.

Run it by hand: ``python -m tests.faulty_portal [PORT]``.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from portal_archive.sample_portal import DEFAULT_SITES_DIR, SavedSite, route_key

HOST = "sdl.thuathienhue.gov.vn"
OFFSITE = "http://quangcao.example.com/khuyen-mai"  # where the off-site redirect points
HUGE_BYTES = 50 * 1024 * 1024
FLOOD_PARAGRAPHS = 1400  # ≈ 1.4 MB of article text: under the download cap, over any sane article body
HANG_SECONDS = 60.0  # far past any download timeout; ends early when the server stops


@dataclass(frozen=True)
class Fault:
    """How one URL misbehaves: ``kind`` (see ``FaultyPortal._misbehave``), on its first
    ``times`` requests (``None``: always), and what it plays, for the fault matrix."""

    kind: str
    what: str
    times: int | None = None
    status: int = 200
    target: str = ""  # redirects: where to


def _fault_url(tc: int) -> str:
    return f"/?gd=4&cn=199&tc={tc}"


# Real articles that fail for a while, then answer: each must end up stored, once, intact.
TRANSIENT: dict[str, Fault] = {
    "/?gd=4&cn=121&tc=4342": Fault("status", "503 once, then the article", times=1, status=503),
    "/?gd=4&cn=121&tc=4339": Fault("status", "500 twice, then the article", times=2, status=500),
    "/?gd=4&cn=122&tc=4340": Fault("status", "502 once, then the article", times=1, status=502),
    "/?gd=4&cn=122&tc=4333": Fault("cut", "connection closed mid-body once, then the article", times=1),
    "/?gd=4&cn=123&tc=4341": Fault("hang", "no answer past the timeout once, then the article", times=1),
    "/?gd=4&cn=123&tc=4337": Fault("charset", "the article in UTF-8 declared windows-1252 (header and meta)"),
}
# URLs that never give a good article: each must be recorded as what it is, never stored.
PERMANENT: dict[str, Fault] = {
    _fault_url(9500): Fault("status", "500 on every request", status=500),
    _fault_url(9502): Fault("status", "502 on every request", status=502),
    _fault_url(9503): Fault("status", "503 on every request", status=503),
    _fault_url(9404): Fault("status", "404 Not Found", status=404),
    _fault_url(9410): Fault("status", "410 Gone", status=410),
    _fault_url(9408): Fault("hang", "no answer past the timeout, every time"),
    _fault_url(9409): Fault("cut", "connection closed mid-body, every time"),
    _fault_url(9411): Fault("bad_gzip", "an article gzip-encoded, the stream cut at 80% (title, date, part of the body)"),
    _fault_url(9301): Fault("redirect", "redirect loop (302 to a URL that redirects back)", target=_fault_url(9302)),
    _fault_url(9302): Fault("redirect", "the other half of the loop", target=_fault_url(9301)),
    _fault_url(9303): Fault("redirect", "302 to another site", target=OFFSITE),
    _fault_url(9550): Fault("huge", "a 50 MB page, streamed without Content-Length"),
    _fault_url(9600): Fault("file", "a PDF where an article is expected"),
    _fault_url(9601): Fault("file", "a JPEG image where an article is expected"),
    _fault_url(9204): Fault("empty", "200 with an empty body"),
    "/?gd=4&cn=198": Fault("bad_links", "a page with a link no URL parser takes (unclosed IPv6 bracket)", target="http://[sdl"),
    "/?gd=4&cn=197": Fault("bad_links", "a page with an on-site link whose port is out of range", target=f"http://{HOST}:99999/"),
    _fault_url(9700): Fault("flood", f"an article whose body is {FLOOD_PARAGRAPHS} paragraphs (≈1.4 MB of text)"),
}
FAULTS: dict[str, Fault] = {route_key(urlsplit(u).path, urlsplit(u).query): f for u, f in (TRANSIENT | PERMANENT).items()}
LINKED = [u for u in PERMANENT if u != _fault_url(9302)]  # the home page links these
CALENDAR = "/?gd=4&cn=140&nam=2020&thang=8"  # "Lịch công tác": every month links the next and the previous
CALENDAR_CN = "140"
_FILES = {9600: ("files/TB-1125-SDL.pdf", "application/pdf"), 9601: ("files/bachma-ngu-ho.jpg", "image/jpeg")}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gives up on a hanging or huge answer resets its connection: expected


@dataclass
class FaultyPortal:
    """A threaded HTTP server over one saved site with ``FAULTS``; use as a context manager."""

    host: str = HOST
    port: int = 0
    requests: list[tuple[str, float]] = field(default_factory=list)  # (route key, monotonic time)
    offsite_requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.site = SavedSite.load(DEFAULT_SITES_DIR / self.host)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._home = self._with_fault_links(self.site.resolve("/", "")[2])
        article = self.site.resolve("/", "cn=121&gd=4&tc=4335")[2]
        compressed = gzip.compress(article)
        self._gzip_cut = compressed[: int(len(compressed) * 0.8)]
        paragraph = "<p>Đoạn văn lặp lại để thử giới hạn độ dài văn bản trích xuất, " + "nội dung dài " * 70 + ".</p>\n"
        opening = b'class="noidung">'
        self._flood = article.replace(opening, opening + (paragraph * FLOOD_PARAGRAPHS).encode(), 1)

    # -- what the tests read --------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def attempts(self, path_and_query: str) -> list[float]:
        """When each request for this URL arrived."""
        parts = urlsplit(path_and_query)
        key = route_key(parts.path, parts.query)
        with self._lock:
            return [t for k, t in self.requests if k == key]

    def calendar_pages(self) -> int:
        with self._lock:
            return sum(1 for k, _ in self.requests if dict(parse_qsl(urlsplit(k).query)).get("cn") == CALENDAR_CN)

    # -- serving --------------------------------------------------------------------------
    def _with_fault_links(self, home: bytes) -> bytes:
        links = "".join(f'<li><a href=".{u}">Tin thử lỗi {u.rsplit("=", 1)[1]}</a></li>' for u in LINKED)
        block = f'<div class="tin-loi"><ul>{links}</ul><a href=".{CALENDAR}">Lịch công tác</a></div></body>'
        return home.replace(b"</body>", block.encode(), 1)

    def _calendar(self, query: str) -> bytes:
        params = dict(parse_qsl(query))
        year, month = int(params.get("nam", 2020)), int(params.get("thang", 8))
        prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
        next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
        return (
            f'<html><head><meta charset="utf-8"><title>Lịch công tác tháng {month}/{year}</title></head><body>'
            f"<h2>Lịch công tác tháng {month}/{year}</h2><table><tr><td>Không có lịch.</td></tr></table>"
            f'<a href="./?gd=4&cn=140&thang={prev_m}&nam={prev_y}">« Tháng trước</a> '
            f'<a href="./?gd=4&cn=140&thang={next_m}&nam={next_y}">Tháng sau »</a></body></html>'
        ).encode()

    def _count(self, key: str) -> int:
        with self._lock:
            return sum(1 for k, _ in self.requests if k == key)

    def start(self) -> FaultyPortal:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                host = (parts.hostname or portal.host).lower()
                key = route_key(parts.path, parts.query)
                if host.removeprefix("www.") != portal.host:
                    with portal._lock:
                        portal.offsite_requests.append(self.path)
                    self._send(502, "text/plain", b"not a saved site")
                    return
                with portal._lock:
                    portal.requests.append((key, time.monotonic()))
                fault = FAULTS.get(key)
                if fault is not None and (fault.times is None or portal._count(key) <= fault.times):
                    self._misbehave(fault, key)
                elif key == "/":
                    self._send(200, "text/html; charset=utf-8", portal._home)
                elif dict(parse_qsl(parts.query)).get("cn") == CALENDAR_CN:
                    self._send(200, "text/html; charset=utf-8", portal._calendar(parts.query))
                else:
                    status, headers, body = portal.site.resolve(parts.path, parts.query)
                    self._send(status, headers["Content-Type"], body, headers)

            def _misbehave(self, fault: Fault, key: str) -> None:
                kind = fault.kind
                if kind == "status":
                    self._send(fault.status, "text/html; charset=utf-8", f"<html><body>Lỗi {fault.status}</body></html>".encode())
                elif kind == "redirect":
                    self._send(302, "text/html; charset=utf-8", b"", {"Location": fault.target})
                elif kind == "hang":
                    portal._stopping.wait(HANG_SECONDS)
                    self.close_connection = True
                elif kind == "cut":
                    body = portal.site.resolve("/", urlsplit(key).query)[2] if "tc=9" not in key else portal._home
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif kind == "charset":
                    body = portal.site.resolve("/", urlsplit(key).query)[2].replace(b"charset=utf-8", b"charset=windows-1252")
                    self._send(200, "text/html; charset=windows-1252", body)
                elif kind == "bad_gzip":
                    self._send(200, "text/html; charset=utf-8", portal._gzip_cut, {"Content-Encoding": "gzip"})
                elif kind == "huge":
                    self._stream_huge()
                elif kind == "file":
                    name, media_type = _FILES[int(key.rsplit("=", 1)[1])]
                    self._send(200, media_type, portal.site._read(name))
                elif kind == "empty":
                    self._send(200, "text/html; charset=utf-8", b"")
                elif kind == "flood":
                    self._send(200, "text/html; charset=utf-8", portal._flood)
                elif kind == "bad_links":
                    page = f'<html><body><h2>Liên kết</h2><a href="{fault.target}">Liên kết hỏng</a> <a href="./">Trang chủ</a>'
                    self._send(200, "text/html; charset=utf-8", page.encode())
                else:
                    raise ValueError(f"unknown fault kind {kind!r}")

            def _stream_huge(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Connection", "close")
                self.end_headers()
                chunk = b"<p>" + b"x" * (1 << 20) + b"</p>\n"
                try:
                    for _ in range(HUGE_BYTES // len(chunk) + 1):
                        self.wfile.write(chunk)
                except OSError:  # the client gave up: as it should
                    pass
                self.close_connection = True

            def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in {"Content-Type": content_type, **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._httpd = _QuietServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FaultyPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # python -m tests.faulty_portal [PORT]
    import sys

    with FaultyPortal(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8766) as portal:
        print(f"serving {portal.host} with {len(FAULTS)} faulty URLs at {portal.url} (as proxy; Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
