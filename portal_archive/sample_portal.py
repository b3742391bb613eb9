"""Serve saved portals over HTTP on 127.0.0.1: the sample portals of ``portal-archive demo``.

The sample portals ship with the package (``sample_sites/<host>/``: in the source tree, the saved
sites of ``tests/fixtures/sites``; in an installed wheel, a copy of what a server answers with),
so the demo works from an installed package. The end-to-end tests serve the same sites.

The server answers in two ways:

* as an HTTP proxy: a request line in absolute form (``GET http://sdl.thuathienhue.gov.vn/ …``)
  is answered from the saved site of that host, so a crawl sees the portal's real URLs. Hosts
  that are not saved answer 502; the server never forwards anything anywhere.
* as a plain web server: a relative request (``GET /?gd=4 …``) is answered from the site named
  by ``default_host`` (a crawl then sees ``http://127.0.0.1:PORT/…``).

Every request is recorded in ``requests_seen`` (with its time in ``request_times``) so tests
can assert what a crawl fetched. Responses carry an ``ETag`` and a ``Last-Modified`` and answer
conditional requests with 304, as well-configured portals do. Tests may replace a page
(``set_page``) to play a portal that changed, and slow every answer down (``response_delay``).
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import threading
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from portals.urls import is_junk_param

DEFAULT_SITES_DIR = Path(__file__).parent / "sample_sites"


def route_key(path: str, query: str) -> str:
    """The lookup key of a request: path plus query with parameters sorted by name, without the
    link-tracking and session parameters (``utm_source``, ``fbclid``, ``zarsrc``, ``PHPSESSID`` …)
    that a portal's server, like any other, does not read."""
    params = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not is_junk_param(k))
    return (path or "/") + ("?" + urlencode(params) if params else "")


@dataclass
class SavedSite:
    host: str
    folder: Path
    routes: dict[str, dict]

    @classmethod
    def load(cls, folder: Path) -> SavedSite:
        raw = json.loads((folder / "routes.json").read_text(encoding="utf-8"))
        routes = {}
        for key, value in raw.items():
            spec = {"file": value} if isinstance(value, str) else dict(value)
            parts = urlsplit(key)
            routes[route_key(parts.path, parts.query)] = spec
        return cls(host=folder.name, folder=folder, routes=routes)

    def resolve(self, path: str, query: str) -> tuple[int, dict[str, str], bytes]:
        spec = self.routes.get(route_key(path, query))
        if spec is None:
            body = self._read("404.html") if (self.folder / "pages" / "404.html").exists() else b"Not found"
            return 404, {"Content-Type": "text/html; charset=utf-8"}, body
        headers = {"Content-Type": spec.get("content_type") or _guess_type(spec.get("file", ".html"))}
        headers.update(spec.get("headers", {}))
        if "redirect" in spec:
            headers["Location"] = spec["redirect"]
            return spec.get("status", 301), headers, b""
        return spec.get("status", 200), headers, self._read(spec["file"])

    def _read(self, name: str) -> bytes:
        in_pages = self.folder / "pages" / name
        return (in_pages if in_pages.exists() else self.folder / name).read_bytes()


def _guess_type(name: str) -> str:
    if name.endswith((".html", ".htm")):
        return "text/html; charset=utf-8"
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


@dataclass
class SamplePortalServer:
    """A threaded HTTP server over saved sites; use as a context manager."""

    sites_dir: Path = DEFAULT_SITES_DIR
    default_host: str | None = None
    port: int = 0
    response_delay: float = 0.0
    last_modified: str = "Fri, 28 Aug 2020 02:00:00 GMT"
    sites: dict[str, SavedSite] = field(default_factory=dict)
    requests_seen: list[str] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    overrides: dict[tuple[str, str], bytes] = field(default_factory=dict)

    def set_page(self, host: str, path_and_query: str, body: bytes) -> None:
        """Serve ``body`` for this URL of ``host`` from now on (a page the portal changed)."""
        parts = urlsplit(path_and_query)
        self.overrides[(host, route_key(parts.path, parts.query))] = body

    def __post_init__(self) -> None:
        for folder in sorted(Path(self.sites_dir).iterdir()):
            if (folder / "routes.json").exists():
                site = SavedSite.load(folder)
                self.sites[site.host] = site
        if self.default_host is not None and self.default_host not in self.sites:
            raise ValueError(f"no saved site {self.default_host!r} in {self.sites_dir}")
        self._httpd: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """Base URL of the server (``http://127.0.0.1:PORT``)."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> SamplePortalServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer(send_body=True)

            def do_HEAD(self) -> None:
                self._answer(send_body=False)

            def _answer(self, send_body: bool) -> None:
                parts = urlsplit(self.path)
                if parts.scheme:  # proxy request: absolute URL
                    host = (parts.hostname or "").lower()
                    full = self.path
                else:
                    host = server.default_host or ""
                    full = f"http://{self.headers.get('Host', '')}{self.path}"
                with server._lock:
                    server.requests_seen.append(full)
                    server.request_times.append(time.monotonic())
                if server.response_delay:
                    time.sleep(server.response_delay)
                site = server.sites.get(host) or server.sites.get(host.removeprefix("www."))
                if site is None:
                    status, headers, body = 502, {"Content-Type": "text/plain"}, b"not a saved site"
                else:
                    status, headers, body = site.resolve(parts.path, parts.query)
                    override = server.overrides.get((site.host, route_key(parts.path, parts.query)))
                    if override is not None:
                        status, body = 200, override
                    if status == 200:
                        headers["ETag"] = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
                        headers["Last-Modified"] = server.last_modified if override is None else self.date_time_string()
                        if self._not_modified(headers):
                            status, body = 304, b""
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def _not_modified(self, headers: dict[str, str]) -> bool:
                if_none_match = self.headers.get("If-None-Match")
                if if_none_match is not None:
                    return headers["ETag"] in [tag.strip() for tag in if_none_match.split(",")]
                since = self.headers.get("If-Modified-Since")
                if since:
                    try:
                        return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(since)
                    except (TypeError, ValueError):
                        return False
                return False

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> SamplePortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # python -m portal_archive.sample_portal [PORT] [HOST]
    import sys
    import time

    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    host = sys.argv[2] if len(sys.argv) > 2 else None
    with SamplePortalServer(port=port, default_host=host) as srv:
        print(f"serving {', '.join(srv.sites)} at {srv.url} (as proxy; Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
