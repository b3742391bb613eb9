"""A read sees one committed state of the archive: `portal-archive serve` answers searches while
`crawl --revisit` stores new versions of articles a portal edited between crawls, and every hit
a page shows is found in its row as that page shows it (the index and the rows are written in one
transaction, and a page reads in one)."""

from __future__ import annotations

import html
import re
import threading
import urllib.parse
from pathlib import Path
from urllib.parse import urlsplit

from portal_archive.sample_portal import SamplePortalServer, route_key
from portals.folding import fold

from .conftest import SITES, expected_articles, run_cli
from .test_web import Server

HOST = "sdl.thuathienhue.gov.vn"
# What the portal adds to the titles of some articles, a different phrase at every crawl.
PHRASES = ["hội thi kéo co truyền thống", "giải bóng chuyền hơi công nhân", "lễ hội cầu ngư Thuận An"]
_HIT = re.compile(r'<a class="hit-title" href="[^"]*/articles/(\d+)">(.*?)</a>', re.S)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


class Reader(threading.Thread):
    """Searches every phrase, again and again, through the search page (both orders) and the
    table's JSON, and checks each hit against the row the same answer shows."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        self.server, self.stop = server, threading.Event()
        self.checked, self.wrong = 0, list[str]()
        self.found: dict[str, set[int]] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            for phrase in PHRASES:
                self.read(phrase)

    def read(self, phrase: str) -> None:
        query, key = f'"{phrase}"', fold(phrase)
        for order in ("relevance", "newest"):
            status, page = self.server.get("/-/search", q=query, order=order)
            if status != 200:
                self.wrong.append(f"/-/search {order}: {status} {page[:200]}")
            for article, title in _HIT.findall(page):
                self.check(key, int(article), _text(title), f"/-/search {order}")
        params = {"_search": query, "_size": "max", "_col": ["title", "body"]}
        data = self.server.json("/archive/articles.json?" + urllib.parse.urlencode(params, doseq=True))
        rows = [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]
        if data["filtered_table_rows_count"] != len(rows):  # the count and the rows of one page
            self.wrong.append(f"{phrase}: {data['filtered_table_rows_count']} counted, {len(rows)} rows")
        for row in rows:
            self.check(key, row["id"], f"{row['title']} {row['body']}", "table")
        self.found[phrase] = {row["id"] for row in rows}

    def check(self, key: str, article: int, shown: str, where: str) -> None:
        self.checked += 1
        if key not in fold(shown):
            self.wrong.append(f"{where}: article {article} found by {key!r}, its row says {shown[:120]!r}")


def test_every_hit_agrees_with_its_row_while_a_crawl_writes(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(SITES) as portal:
        crawl = ["crawl", f"http://{HOST}/", "--db", str(db), "--proxy", portal.url, "--delay", "0"]
        first = run_cli(*crawl)
        assert first.code == 0, first.err
        site = portal.sites[HOST]
        pages: dict[str, tuple[str, str]] = {}  # route → (page, title), articles whose page shows the title
        for url, article in expected_articles(HOST).items():
            parts = urlsplit(url)
            route = route_key(parts.path, parts.query)
            page = (site.folder / "pages" / site.routes[route]["file"]).read_text(encoding="utf-8")
            if article["title"] and article["title"] in page:
                pages[route] = (page, article["title"])
        assert len(pages) >= 6
        edited = dict(list(pages.items())[:6])

        server = Server(db)
        reader = Reader(server)
        reader.start()
        try:
            for phrase in PHRASES:
                for route, (page, title) in edited.items():
                    portal.set_page(HOST, route, page.replace(title, f"{title} – {phrase}").encode("utf-8"))
                result = run_cli(*crawl, "--revisit")
                assert result.code == 0, result.err
            reader.stop.set()
            reader.join(timeout=60)
            # After the last crawl: its phrase finds the edited articles, the earlier ones none.
            reader.read(PHRASES[0])
            reader.read(PHRASES[-1])
        finally:
            reader.stop.set()
            server.stop()
    assert not reader.wrong, reader.wrong[:5]
    assert reader.checked > 6 * len(PHRASES)
    assert len(reader.found[PHRASES[-1]]) == len(edited) and not reader.found[PHRASES[0]]
