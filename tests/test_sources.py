"""Feeds and sitemaps as frontier sources, and removed articles as events, over real HTTP.

The saved portal thuanchau.sonla.gov.vn, given what such a portal publishes besides its pages: a
robots.txt ``Sitemap:`` line naming a sitemap index, a gzip sitemap listing every article with its
``lastmod``, and an RSS feed named in the home page's head. Two of its articles are in the sitemap
(and the feed) only, linked from no page. A second crawl, incremental, is led by the sitemap: it
asks for the sitemap documents, the new article and the one whose ``lastmod`` moved, nothing
else. Between later crawls the portal removes articles: one answers 404, one a 200 "not found"
page, one redirects to the home page, one drops out of the sitemap. Each is marked gone with its
evidence and keeps its versions; the one restored is marked back.
"""

from __future__ import annotations

import asyncio
import gzip
import importlib.util
import json
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

from archive.schema import VIETNAM
from archive.web.app import make_datasette
from portal_archive.sample_portal import SamplePortalServer, route_key

from .conftest import SITES, run_cli

HOST = "thuanchau.sonla.gov.vn"
BASE = f"http://{HOST}"

# Articles the portal published in its sitemap and feed before any listing page linked them.
UNLINKED = [
    {
        "id": 887530,
        "cat": "tin-tuc-su-kien",
        "date": "19/10/2024",
        "time": "09:20",
        "by": "Cầm Văn Hưng",
        "views": "41",
        "slug": "thuan-chau-ra-quan-tong-ve-sinh-moi-truong-huong-ung-ngay-chu-nhat-xanh",
        "title": "Thuận Châu ra quân tổng vệ sinh môi trường hưởng ứng ngày Chủ nhật xanh",
        "body": [
            (
                "Sáng 19/10, Huyện đoàn Thuận Châu phối hợp với Ủy ban Mặt trận Tổ quốc huyện tổ chức ra quân tổng vệ"
                " sinh môi trường tại thị trấn Thuận Châu và các xã Phỏng Lái, Chiềng Pấc."
            ),
            (
                "Gần 600 đoàn viên, thanh niên, hội viên phụ nữ và người dân đã thu gom rác thải, phát quang bụi rậm,"
                " khơi thông cống rãnh dọc Quốc lộ 6 và các tuyến đường liên bản. Nhiều tuyến đường được trồng thêm "
                "cây xanh, hoa ven đường."
            ),
            (
                "Lãnh đạo huyện đề nghị các xã duy trì hoạt động vào ngày Chủ nhật hằng tuần, gắn với phong trào xây "
                "dựng bản văn hóa và tiêu chí môi trường trong xây dựng nông thôn mới."
            ),
        ],
        "source": ("Cầm Văn Hưng", None, "Cầm Văn Hưng"),
    },
    {
        "id": 887561,
        "cat": "van-hoa-xa-hoi",
        "date": "20/10/2024",
        "time": "15:05",
        "by": "Phòng Văn hóa và Thông tin",
        "views": "29",
        "slug": "ky-niem-94-nam-ngay-thanh-lap-hoi-lien-hiep-phu-nu-viet-nam",
        "title": "Kỷ niệm 94 năm Ngày thành lập Hội Liên hiệp Phụ nữ Việt Nam",
        "body": [
            (
                "Chiều 20/10, Hội Liên hiệp Phụ nữ huyện Thuận Châu tổ chức gặp mặt kỷ niệm 94 năm Ngày thành lập Hội"
                " Liên hiệp Phụ nữ Việt Nam (20/10/1930 - 20/10/2024)."
            ),
            (
                "Năm qua, các cấp hội đã vận động hội viên giúp nhau phát triển kinh tế, hỗ trợ 46 hội viên nghèo vay"
                " vốn, xây dựng 12 mô hình sinh kế gắn với cây ăn quả và chăn nuôi gia súc."
            ),
            (
                "Dịp này, 15 tập thể và 28 cá nhân có thành tích xuất sắc trong phong trào thi đua được Hội Liên hiệp"
                " Phụ nữ huyện khen thưởng."
            ),
        ],
        "source": ("Phòng Văn hóa và Thông tin", "Phòng Văn hóa và Thông tin", None),
    },
]
# Published between the first and second crawl: in the sitemap and the feed.
LATER = {
    "id": 887690,
    "cat": "tin-tuc-su-kien",
    "date": "22/10/2024",
    "time": "10:45",
    "by": "Lò Thị Thu",
    "views": "12",
    "slug": "hoi-nghi-trien-khai-sap-xep-don-vi-hanh-chinh-cap-xa-giai-doan-2023-2025",
    "title": "Hội nghị triển khai sắp xếp đơn vị hành chính cấp xã giai đoạn 2023 - 2025",
    "body": [
        (
            "Ngày 22/10, Ban Chỉ đạo sắp xếp đơn vị hành chính huyện Thuận Châu tổ chức hội nghị triển khai "
            "phương án sắp xếp đơn vị hành chính cấp xã giai đoạn 2023 - 2025."
        ),
        (
            "Theo phương án, huyện sẽ sắp xếp 4 xã chưa đạt tiêu chuẩn về diện tích tự nhiên và quy mô dân số; "
            "các xã tổ chức lấy ý kiến cử tri trước ngày 10/11/2024."
        ),
    ],
    "source": ("Lò Thị Thu", None, "Lò Thị Thu"),
}


@dataclass
class Portal:
    server: SamplePortalServer
    build: ModuleType
    folder: Path
    db: Path
    lastmod: dict[str, str]  # path → lastmod

    def url(self, a: dict) -> str:
        return BASE + self.build.href_of(a)

    def publish(self, a: dict) -> None:
        (self.folder / "pages" / f"article-{a['id']}.html").write_bytes(self.build.article_page(a).encode())
        self.route(self.build.href_of(a), {"file": f"article-{a['id']}.html"})

    def route(self, path: str, spec: dict | None) -> None:
        parts = urlsplit(path)
        routes = self.server.sites[HOST].routes
        if spec is None:
            routes.pop(route_key(parts.path, parts.query), None)
        else:
            routes[route_key(parts.path, parts.query)] = spec

    def write_sources(self, listed: list[dict]) -> None:
        urls = "".join(
            f"<url><loc>{self.url(a)}</loc><lastmod>{self.lastmod[self.build.href_of(a)]}</lastmod></url>\n" for a in listed
        )
        sitemap = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
        (self.folder / "pages" / "sitemap-news.xml.gz").write_bytes(gzip.compress(sitemap.encode(), mtime=0))
        items = "".join(
            f"<item><title>{self.build.esc(a['title'])}</title><link>{self.url(a)}</link><pubDate>{_rfc822(a)}</pubDate></item>\n"
            for a in sorted(listed, key=self.build.sort_key, reverse=True)[:5]
        )
        feed = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            "<title>Trang thông tin điện tử huyện Thuận Châu</title>"
            f"<link>{BASE}/</link><description>Tin tức - Sự kiện</description>\n{items}</channel></rss>\n"
        )
        (self.folder / "pages" / "rss-tin-moi.xml").write_text(feed, encoding="utf-8")

    def crawl(self, *options: str) -> list[str]:
        before = len(self.server.requests_seen)
        result = run_cli("crawl", f"{BASE}/", "--db", str(self.db), "--proxy", self.server.url, "--delay", "0", *options)
        assert result.code == 0, result.err + result.out
        return [u.removeprefix(BASE) for u in self.server.requests_seen[before:]]


def _rfc822(a: dict) -> str:
    day, month, year = a["date"].split("/")
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{day} {months[int(month) - 1]} {year} {a['time']}:00 +0700"


def _lastmod(a: dict) -> str:
    day, month, year = a["date"].split("/")
    return f"{year}-{month}-{day}T{a['time']}:00+07:00"


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    sites = tmp_path / "sites"
    folder = sites / HOST
    shutil.copytree(SITES / HOST, folder)
    spec = importlib.util.spec_from_file_location("thuanchau_build", folder / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    # What the portal publishes besides its pages: robots.txt names the sitemap index, the home
    # page's head names the feed.
    (folder / "robots.txt").write_text(build.ROBOTS + f"Sitemap: {BASE}/sitemap.xml\n", encoding="utf-8")
    home = (folder / "pages" / "home.html").read_text(encoding="utf-8")
    feed_link = '<link rel="alternate" type="application/rss+xml" title="Tin mới" href="/rss-tin-moi.xml" />\n</head>'
    (folder / "pages" / "home.html").write_text(home.replace("</head>", feed_link, 1), encoding="utf-8")
    index = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"<sitemap><loc>{BASE}/sitemap-news.xml.gz</loc></sitemap>\n</sitemapindex>\n"
    )
    (folder / "pages" / "sitemap.xml").write_text(index, encoding="utf-8")
    routes = json.loads((folder / "routes.json").read_text(encoding="utf-8"))
    routes.update(
        {
            "/sitemap.xml": {"file": "sitemap.xml", "content_type": "application/xml"},
            "/sitemap-news.xml.gz": {"file": "sitemap-news.xml.gz", "content_type": "application/gzip"},
            "/rss-tin-moi.xml": {"file": "rss-tin-moi.xml", "content_type": "application/rss+xml; charset=utf-8"},
        }
    )
    (folder / "routes.json").write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    articles = [*build.ARTICLES, *UNLINKED]
    with SamplePortalServer(sites) as server:
        p = Portal(server, build, folder, tmp_path / "archive.sqlite", {build.href_of(a): _lastmod(a) for a in articles})
        for a in UNLINKED:
            p.publish(a)
        p.write_sources(articles)
        yield p


def _rows(db: Path, sql: str, *params: object) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


GONE = "SELECT url, gone_since FROM articles WHERE gone_since IS NOT NULL"
SOURCES = {"/robots.txt", "/sitemap.xml", "/sitemap-news.xml.gz", "/rss-tin-moi.xml"}


def test_sitemap_only_articles_are_archived_and_a_recrawl_asks_only_for_what_changed(portal: Portal) -> None:
    build = portal.build
    portal.crawl()
    stored = {u for (u,) in _rows(portal.db, "SELECT url FROM articles")}
    assert {portal.url(a) for a in [*build.ARTICLES, *UNLINKED]} == stored, "the sitemap's unlinked articles too"
    sources = dict(_rows(portal.db, "SELECT url, kind FROM sources WHERE status = 'ok'"))
    assert sources == {
        f"{BASE}/sitemap.xml": "sitemapindex",
        f"{BASE}/sitemap-news.xml.gz": "sitemap",
        f"{BASE}/rss-tin-moi.xml": "feed",
    }
    listed = dict(_rows(portal.db, "SELECT url, modified FROM source_entries"))
    assert listed[portal.url(UNLINKED[1])] == "2024-10-20T15:05:00+07:00"

    # The portal publishes one more article and edits another (its lastmod moves).
    portal.publish(LATER)
    edited = build.ARTICLES[3]
    changed = dict(edited, body=[*edited["body"], "Bài viết được cập nhật số liệu ngày 23/10/2024."])
    portal.publish(changed)
    portal.lastmod[build.href_of(LATER)] = _lastmod(LATER)
    portal.lastmod[build.href_of(edited)] = datetime.now(VIETNAM).isoformat(timespec="seconds")  # edited now
    portal.write_sources([*build.ARTICLES, *UNLINKED, LATER])

    asked = portal.crawl()
    assert set(asked) == SOURCES | {build.href_of(LATER), build.href_of(edited)}, (
        "nothing but the sources and what they say changed"
    )
    assert len(asked) == len(set(asked))
    versions = dict(_rows(portal.db, "SELECT a.url, a.versions FROM articles a"))
    assert versions[portal.url(LATER)] == 1 and versions[portal.url(edited)] == 2


def test_removed_articles_are_marked_gone_with_their_evidence_and_back_when_they_return(portal: Portal) -> None:
    build = portal.build
    portal.crawl()
    a404, soft, home, unlisted = build.ARTICLES[0], build.ARTICLES[1], build.ARTICLES[2], UNLINKED[0]
    portal.route(build.href_of(a404), None)
    not_found = (portal.folder / "pages" / "404.html").read_bytes()
    portal.server.set_page(HOST, build.href_of(soft), not_found)
    portal.route(build.href_of(home), {"redirect": "/", "status": 302})
    portal.write_sources([a for a in [*build.ARTICLES, *UNLINKED] if a is not unlisted])

    portal.crawl("--revisit")
    gone = {
        u: (status, evidence)
        for u, status, evidence in _rows(
            portal.db,
            "SELECT a.url, e.http_status, e.evidence FROM article_events e JOIN articles a ON a.id = e.article_id "
            "WHERE e.event = 'gone' AND a.gone_since IS NOT NULL",
        )
    }
    assert gone.keys() == {portal.url(a) for a in (a404, soft, home, unlisted)}
    assert gone[portal.url(a404)] == (404, "http_404")
    assert gone[portal.url(soft)][1].startswith("soft_404: says")
    assert gone[portal.url(home)][1] == "soft_404: redirected to the home page"
    assert gone[portal.url(unlisted)][1] == f"unlisted: no longer in {BASE}/sitemap-news.xml.gz"
    # Nothing of them is lost: each keeps its version.
    assert all(n == 1 for (n,) in _rows(portal.db, "SELECT versions FROM articles WHERE gone_since IS NOT NULL"))

    found = run_cli("search", "Thuan Chau", "--db", str(portal.db), "--gone", "--format", "json")
    assert found.code == 0, found.err
    assert {h["url"] for h in json.loads(found.out)} <= set(gone) and json.loads(found.out)
    present = run_cli("search", "Thuan Chau", "--db", str(portal.db), "--present", "--format", "json")
    assert not {h["url"] for h in json.loads(present.out)} & set(gone)
    shown = run_cli("show", portal.url(a404), "--db", str(portal.db))
    assert shown.code == 0 and "gone since" in shown.out and "http_404" in shown.out, shown.out
    # The report counts removals per site and month; the web UI lists them and facets on them.
    report = portal.db.parent / "report.html"
    assert run_cli("report", "--db", str(portal.db), "--out", str(report)).code == 0
    month = next(iter(gone_since.values()))[:7] if (gone_since := dict(_rows(portal.db, GONE))) else None
    assert f'<tr><td>{HOST}</td><td>{month}</td><td class="n">4</td></tr>' in report.read_text(encoding="utf-8")

    async def browse() -> tuple[list[dict], dict]:
        ds = make_datasette(portal.db)
        listed = await ds.client.get(f"/{portal.db.stem}/articles_removed_from_their_portal.json?_shape=array")
        faceted = await ds.client.get(f"/{portal.db.stem}/articles.json?_size=0")
        return listed.json(), faceted.json()

    listed, faceted = asyncio.run(browse())
    assert {row["url"]: row["evidence"] for row in listed} == {u: e for u, (_, e) in gone.items()}
    (facet,) = [f for f in faceted["facet_results"].values() if f["name"] == "year gone since"]
    assert [(v["value"], v["count"]) for v in facet["results"]] == [(month[:4], 4)]

    # The portal restores the 404 article: the next revisit marks it back, once.
    portal.route(build.href_of(a404), {"file": f"article-{a404['id']}.html"})
    portal.crawl("--revisit")
    events = _rows(
        portal.db,
        "SELECT e.event FROM article_events e JOIN articles a ON a.id = e.article_id WHERE a.url = ? ORDER BY e.id",
        portal.url(a404),
    )
    assert events == [("gone",), ("back",)]
    assert _rows(portal.db, "SELECT gone_since FROM articles WHERE url = ?", portal.url(a404)) == [(None,)]

    # A worker's shard merged into a main archive brings its sources, removals and returns along.
    main = portal.db.parent / "main.sqlite"
    merged = run_cli("merge", str(portal.db), "--db", str(main))
    assert merged.code == 0, merged.err
    for query in (
        "SELECT a.url, e.event, e.http_status, e.final_url, e.evidence FROM article_events e "
        "JOIN articles a ON a.id = e.article_id ORDER BY e.id",
        "SELECT url, gone_since FROM articles ORDER BY url",
        "SELECT site, url, kind, status, entries FROM sources ORDER BY url",
    ):
        assert _rows(main, query) == _rows(portal.db, query), query
    # What a sitemap lists is kept as of the run that last found it listed: the shard's latest state.
    entries = "SELECT site, url, source, modified FROM source_entries"
    assert set(_rows(main, entries)) <= set(_rows(portal.db, entries)) and len(_rows(main, entries)) >= 10
