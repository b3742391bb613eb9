"""Synthetic portals for the benchmarks, generated on the fly and deterministic by seed.

A ``Portal`` spreads N articles over several registered sites of four platform families
(``hue_subsite``, ``sharepoint_portal``, ``nukeviet``, ``wordpress``). Every page is a saved page
of ``tests/fixtures/sites/<host>/pages/`` — its whole chrome: menus, widgets, scripts, styles —
with the title, date, summary, body, attribution, view count, visitor-counter numbers and the
links to other articles swapped in. Listings are paginated, and every site keeps its family's
real URL scheme, so the crawler's real profiles classify its URLs. Text comes from a word chain
trained on the saved portals' Vietnamese prose; nothing is written to disk.

``PortalServer`` serves a portal on 127.0.0.1 the way ``portal_archive.sample_portal`` serves the saved
sites: as an HTTP proxy for the sites' real host names (absolute request lines), or by ``Host``
header. Responses carry ``ETag`` and ``Last-Modified`` and answer conditional requests with 304;
``Portal.change(k)`` edits K articles between crawls.

    python -m benchmarks.synthetic --articles 10000 --port 8765   # then: curl -x 127.0.0.1:8765 http://thanhhoa.gov.vn/
"""

from __future__ import annotations

import argparse
import hashlib
import html
import itertools
import json
import math
import random
import re
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html

from portal_archive.sample_portal import DEFAULT_SITES_DIR, route_key
from portals.extract import Record, Source
from portals.folding import fold
from portals.items import Provenance
from portals.profiles import get_profile
from portals.urls import canonicalize

VIETNAM = timezone(timedelta(hours=7))
FIRST_DAY = datetime(2016, 1, 1, 7, 0, tzinfo=VIETNAM)
LAST_DAY = datetime(2025, 6, 30, 17, 0, tzinfo=VIETNAM)
WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")
AUTHORS = ("Minh Anh", "Thu Hà", "Hoàng Nam", "Lê Hà", "Trần Tuấn", "Phương Thảo", "Ngọc Lan", "Quốc Việt", "HNQ", "Đức Thắng")
PUBLISHERS = (
    "Báo Nhân Dân",
    "Báo Thừa Thiên Huế",
    "Báo Thanh Hóa",
    "Báo Hà Tĩnh",
    "Trung tâm Truyền thông tỉnh",
    "Văn phòng UBND tỉnh",
)
# Body length in characters: log-normal around 3,500 (pages of about 20-60 KB with their chrome).
BODY_MEDIAN, BODY_SIGMA, BODY_MIN, BODY_MAX = 3500, 0.7, 500, 17000


# ---------------------------------------------------------------------------------------- text


def _plain(text: str) -> str:
    """Without diacritics (đ → d), case kept: URL slugs."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ0-9“\"])")
_PROSE = re.compile(r"^[\w\s.,;:!?%/()“”\"'‘’–\-…+&]+$")


def _fixture_paragraphs() -> list[str]:
    """The saved portals' paragraphs of running text (UTF-8 pages only), in a stable order."""
    found: set[str] = set()
    for page in sorted(DEFAULT_SITES_DIR.glob("*/pages/*.html")):
        root = lxml.html.fromstring(page.read_bytes())
        for el in root.iter("p", "div"):
            if el.tag == "div" and len(el):
                continue
            text = unicodedata.normalize("NFC", " ".join(el.text_content().split()))
            if len(text) >= 80 and _PROSE.match(text):
                found.add(text)
    return sorted(found)


class Corpus:
    """Vietnamese-looking prose from a second-order word chain over the saved portals' text: the
    syllable vocabulary and its common pairs are those of real portal articles."""

    def __init__(self, seed: int = 1, pool: int = 6000):
        self.chain: dict[tuple[str, str], list[str]] = {}
        self.starts: list[tuple[str, str]] = []
        for paragraph in _fixture_paragraphs():
            for sentence in _SENTENCE_END.split(paragraph):
                words = sentence.split()
                if len(words) < 6:
                    continue
                self.starts.append((words[0], words[1]))
                for a, b, c in zip(words, words[1:], words[2:], strict=False):
                    self.chain.setdefault((a, b), []).append(c)
                self.chain.setdefault((words[-2], words[-1]), []).append("")
        rng = random.Random(seed)
        self.pool = [self.sentence(rng) for _ in range(pool)]

    def _walk(self, rng: random.Random, limit: int) -> list[str]:
        words = list(rng.choice(self.starts))
        while len(words) < limit:
            following = self.chain.get((words[-2], words[-1]))
            word = rng.choice(following) if following else ""
            if not word:
                break
            words.append(word)
        return words

    def sentence(self, rng: random.Random) -> str:
        text = " ".join(self._walk(rng, rng.randint(14, 40))).rstrip(",;:–-")
        return text if text[-1] in ".!?" else text + "."

    def title(self, rng: random.Random) -> str:
        return " ".join(self._walk(rng, rng.randint(8, 16))).rstrip('.,;:–-“"( ')

    def paragraphs(self, rng: random.Random, chars: int) -> list[str]:
        out: list[str] = []
        total = 0
        while total < chars or len(out) < 2:
            paragraph = " ".join(rng.choice(self.pool) for _ in range(rng.randint(2, 5)))
            out.append(paragraph)
            total += len(paragraph)
        return out


@cache
def corpus() -> Corpus:
    return Corpus()


# ---------------------------------------------------------------------------------------- families


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def number(value: int, sep: str) -> str:
    return f"{value:,}".replace(",", sep)


@dataclass(frozen=True)
class Article:
    index: int  # position in its site, oldest first
    id: int
    category: int
    published: datetime
    title: str
    slug: str


# A template slot: a regex whose named groups are replaced by format strings over a page's values
# ("#" in a format string becomes the match's number: the n-th counter of a widget).
SlotSpec = tuple[str, dict[str, str]]


class Family:
    """One platform family: its saved template pages, what to swap in them, and its URL scheme."""

    name: str
    template_host: str
    categories: tuple[tuple[str, str], ...]  # (key in URLs, name shown)
    per_page: int = 10
    first_id: int = 1000
    home_paths: tuple[str, ...] = ("/",)
    article_file: str
    listing_file: str
    home_file: str = "home.html"
    article_slots: tuple[SlotSpec, ...] = ()
    listing_slots: tuple[SlotSpec, ...] = ()
    page_slots: tuple[SlotSpec, ...] = ()  # on every page: visitor counters
    counters: tuple[str, ...] = ("online", "total")  # the widget's numbers, in page order
    thousands: str = "."
    paragraph: str = '<p style="text-align: justify;">{}</p>'
    paragraph_sep: str = "\n"
    item: str  # one listing entry
    pager_current: str
    pager_link: str
    pager_prev: str
    pager_next: str
    pager_gap: str = "<span>…</span>"
    pager_sep: str = " "

    def slug(self, title: str) -> str:
        return "-".join(re.findall(r"[a-z0-9]+", _plain(title).lower())[:14])

    def article_path(self, site: Site, a: Article) -> str:
        raise NotImplementedError

    def listing_path(self, category: int, page: int) -> str:
        raise NotImplementedError

    def route(self, site: Site, path: str, query: str) -> tuple[str, int, int] | None:
        """("article", index, 0) or ("listing", category, page); index -1: the shape of an article
        URL that names no article (404)."""
        raise NotImplementedError

    def href(self, host: str, path: str) -> str:
        """A link as this family writes it in its pages."""
        return esc(path)


class HueSubsite(Family):
    name = "hue_subsite"
    template_host = "sdl.thuathienhue.gov.vn"
    categories = (("121", "Tin tức - Sự kiện"), ("122", "Xúc tiến - Quảng bá"), ("123", "Điểm đến Huế"))
    first_id = 4000
    article_file, listing_file = "article-4335.html", "listing-121.html"
    article_slots = (
        (r'<form name="aspnetForm" method="post" action="(?P<a>[^"]*)"', {"a": "{self_href}"}),
        (r'class="tieude">(?P<t>[^<]*)</span>', {"t": "{title}"}),
        (r'class="ngaycapnhat">Ngày cập nhật (?P<d>[^<]*)</span>', {"d": "{dmy}"}),
        (r'class="noidung">\n(?P<b>.*?)\n\t*</div>', {"b": "{body}"}),
        (r'class="nguon">(?P<s>[^<]*)</span>', {"s": "theo {publisher} ({author})"}),
        (r'<img src="/Images/dd_(?P<c>\d+)\.gif" alt="(?P<n>[^"]*)"', {"c": "{cat_key}", "n": "{cat_name}"}),
    )
    listing_slots = (
        (r'<form name="aspnetForm" method="post" action="(?P<a>[^"]*)"', {"a": "{self_href}"}),
        (r'» <a href="(?P<h>[^"]*)">(?P<n>[^<]*)</a></td>', {"h": "{cat_href}", "n": "{cat_name}"}),
        (r'<td class="nhom-tieude">(?P<n>[^<]*)</td>', {"n": "{cat_name}"}),
        (r'<table class="ds-tin"[^>]*>\n(?P<i>.*?)\n\t*</table>', {"i": "{items}"}),
        (r'<div class="phantrang">(?P<p>.*?)</div>', {"p": "{pager}"}),
    )
    page_slots = ((r'class="tk-so">(?P<c>[^<]*)</span>', {"c": "{counter#}"}),)
    counters = ("total", "online")
    item = """					<tr>
						<td width="110"><a href="{href}"><img src="/Images/no-image.jpg" width="100" height="70" alt="" /></a></td>
						<td><a class="ds-tieude" href="{href}">{title}</a> <span class="ds-ngay">({dmy})</span>
						<div class="ds-tomtat">{lead}</div></td>
					</tr>"""  # noqa: E501 (the portal's markup, as saved)
    pager_current, pager_link = "<span>{n}</span>", '<a href="{href}">{n}</a>'
    pager_prev, pager_next = '<a href="{href}">Trang trước</a>', '<a href="{href}">Trang sau</a>'

    def article_path(self, site: Site, a: Article) -> str:
        return f"/?gd=4&cn={self.categories[a.category][0]}&tc={a.id}"

    def listing_path(self, category: int, page: int) -> str:
        return f"/?gd=4&cn={self.categories[category][0]}" + (f"&p={page}" if page > 1 else "")

    def href(self, host: str, path: str) -> str:
        return esc("." + path)

    def route(self, site: Site, path: str, query: str) -> tuple[str, int, int] | None:
        params = dict(parse_qsl(query))
        if path not in ("/", "/Default.aspx") or params.get("gd") != "4":
            return None
        if "tc" in params:
            return "article", site.index_of_id(params["tc"]), 0
        keys = [key for key, _ in self.categories]
        if params.get("cn") in keys and set(params) <= {"gd", "cn", "p"}:
            return "listing", keys.index(params["cn"]), _int(params.get("p", "1"))
        return None


class SharePointPortal(Family):
    name = "sharepoint_portal"
    template_host = "thanhhoa.gov.vn"
    categories = (("Tin-tuc-su-kien", "Tin tức - Sự kiện"), ("Chi-dao-dieu-hanh", "Chỉ đạo - Điều hành"))
    first_id = 460000
    home_paths = ("/portal/Pages/default.aspx",)
    article_file, listing_file = "article-k3m9p2xa.html", "listing-Tin-tuc-su-kien.html"
    article_slots = (
        (r"<title>\s*(?P<t>[^<]*)</title>", {"t": "{title}"}),
        (r'<h1 class="tandan-p-article-news-title">(?P<t>[^<]*)</h1>', {"t": "{title}"}),
        (r'<span class="tandan-span-date-publish">(?P<d>[^<]*)</span>', {"d": "Đăng ngày {dd} - {mm} - {yyyy}"}),
        (r'print\.aspx\?p=(?P<i>\w+)"', {"i": "{id}"}),
        (r'class="ms-rtestate-field"[^>]*>(?P<b>.*?)</div>\s*</div>', {"b": "{body}"}),
        (r'<div class="tandan-p-article-author">(?P<s>[^<]*)</div>', {"s": "Theo: {author} ({publisher})"}),
        (
            r'<div class="tandan-breadcrumb">.*? &gt; <a href="(?P<h>[^"]*)">(?P<n>[^<]*)</a>',
            {"h": "{cat_href}", "n": "{cat_name}"},
        ),
    )
    listing_slots = (
        (r"<title>\s*(?P<n>[^<]*?) - Cổng", {"n": "{cat_name}"}),
        (r"&gt; <span>(?P<n>[^<]*)</span></div>", {"n": "{cat_name}"}),
        (r'<h2 class="tandan-category-title">(?P<n>[^<]*)</h2>', {"n": "{cat_name}"}),
        (r'(?P<i><div class="tandan-div-news-item">.*?)\s*<div class="tandan-div-paging">', {"i": "{items}"}),
        (r'<div class="tandan-div-paging">(?P<p>.*?)</div>', {"p": "{pager}"}),
    )
    page_slots = ((r'<td class="tandan-counter-number">(?P<c>[^<]*)</td>', {"c": "{counter#}"}),)
    counters = ("online", "today", "month", "total")
    paragraph_sep = ""
    item = """					<div class="tandan-div-news-item">
						<a href="{href}"><img class="tandan-img-thumb" src="/portal/Style%20Library/TanDan/images/no-image.jpg" alt="{title}" /></a>
						<a class="tandan-a-news-title" href="{href}">{title}</a> <span class="tandan-span-date">({dmy})</span>
						<p class="tandan-p-news-summary">{lead}</p>
					</div>"""  # noqa: E501 (the portal's markup, as saved)
    pager_current, pager_link = '<span class="current">{n}</span>', '<a href="{href}">{n}</a>'
    pager_prev = '<a href="{href}" title="Trang trước">&laquo;</a>'
    pager_next = '<a href="{href}" title="Trang sau">&raquo;</a>'

    def slug(self, title: str) -> str:
        return "-".join(re.findall(r"[A-Za-z0-9]+", _plain(title))[:14])

    def article_path(self, site: Site, a: Article) -> str:
        d = a.published
        return f"/portal/Pages/{d.year}-{d.month}-{d.day}/{a.slug}-{a.id}.aspx"

    def listing_path(self, category: int, page: int) -> str:
        return f"/portal/Pages/{self.categories[category][0]}.aspx" + (f"?PageIndex={page}" if page > 1 else "")

    def route(self, site: Site, path: str, query: str) -> tuple[str, int, int] | None:
        if m := re.fullmatch(r"/portal/Pages/\d{4}-\d{1,2}-\d{1,2}/[^/]+-(\d+)\.aspx", path):
            return "article", site.index_of_id(m[1]), 0
        keys = [key for key, _ in self.categories]
        if (m := re.fullmatch(r"/portal/Pages/([^/]+)\.aspx", path)) and m[1] in keys:
            return "listing", keys.index(m[1]), _int(dict(parse_qsl(query)).get("PageIndex", "1"))
        return None


class NukeViet(Family):
    name = "nukeviet"
    template_host = "nongthonmoi.hatinh.gov.vn"
    categories = (("tin-tuc-su-kien", "Tin tức - Sự kiện"), ("mo-hinh-hay", "Mô hình hay"), ("thong-bao", "Thông báo"))
    per_page = 15
    home_paths = ("/", "/vi/", "/vi/news/")
    article_file, listing_file = "article-1291.html", "listing-tin-tuc-su-kien.html"
    _own = "tin-tuc-su-kien/doan-cong-tac-cua-tinh-kiem-tra-tien-do-xay-dung-nong-thon-moi-tai-huyen-vu-quang-1291"
    article_slots = (
        (r"<title>(?P<t>[^<]*) - Tin tức - Sự kiện -", {"t": "{title}"}),
        (r'<meta property="og:title" content="(?P<t>[^"]*)"', {"t": "{title}"}),
        (r'itemprop="headline">(?P<t>[^<]*)</h1>', {"t": "{title}"}),
        (r'<span itemprop="name">(?P<a>Trần Tuấn)</span>', {"a": "{author}"}),
        (r'itemprop="date(?:Published|Modified)">(?P<d>[^<]*)<', {"d": "{iso}"}),
        (r'<span class="h5">(?P<d>[^<]*)</span></li>', {"d": "{weekday} - {dmy} {hm}"}),
        (r"Đã xem: (?P<v>\d+)", {"v": "{views}"}),
        (r'itemprop="description">(?P<s>[^<]*)</div>', {"s": "{summary}"}),
        (r'<div id="news-bodyhtml" class="bodytext margin-bottom-lg">\n(?P<b>.*?)\n\t\t</div>', {"b": "{body}"}),
        (r"<strong>Tác giả: </strong>(?P<a>[^<]*)</p>", {"a": "{author}"}),
        (
            r'<strong>Nguồn tin: </strong><a title="(?P<p>[^"]*)" rel="nofollow" href="[^"]*">(?P<q>[^<]*)</a>',
            {"p": "{publisher}", "q": "{publisher}"},
        ),
        (r"(?P<x>" + _own + r")\.html", {"x": "{tail}"}),
        (r'sendrating\("(?P<i>\d+)"', {"i": "{id}"}),
    )
    listing_slots = (
        (r"<title>(?P<n>[^<]*?) - Nông thôn mới", {"n": "{cat_name}"}),
        (
            r'<div class="page-header"><h1>(?P<n>[^<]*)</h1></div>\n(?P<i>.*?)\n<div class="text-center">',
            {"n": "{cat_name}", "i": "{items}"},
        ),
        (r'<ul class="pagination">(?P<p>.*?)</ul>', {"p": "{pager}"}),
    )
    page_slots = ((r"</span><span>(?P<c>[\d,]+)</span></li>", {"c": "{counter#}"}),)
    counters = ("online", "bots", "guests", "today", "month", "total")
    thousands = ","
    item = """<div class="panel panel-default clearfix">
	<div class="panel-body">
		<a href="{href}" title="{title}"><img alt="{title}" src="/themes/egov/images/no_image.gif" width="180" class="img-thumbnail pull-left imghome" /></a>
		<h3>
			<a href="{href}" title="{title}">{title}</a>
		</h3>
		<div class="text-muted">
			<ul class="list-unstyled list-inline">
				<li><em class="fa fa-clock-o">&nbsp;</em> {dmy} {hm}</li>
				<li><em class="fa fa-eye">&nbsp;</em> Lượt xem: {views}</li>
			</ul>
		</div>
		{lead}
	</div>
</div>"""  # noqa: E501 (the portal's markup, as saved)
    pager_current = '<li class="active"><a href="#">{n}</a></li>'
    pager_link = '<li><a href="{href}" title="Trang {n}">{n}</a></li>'
    pager_prev = '<li><a href="{href}" title="Trang {n}">&laquo;</a></li>'
    pager_next = '<li><a href="{href}" title="Trang {n}">&raquo;</a></li>'
    pager_gap, pager_sep = '<li class="disabled"><a href="#">…</a></li>', ""

    def article_path(self, site: Site, a: Article) -> str:
        return f"/vi/news/{self.categories[a.category][0]}/{a.slug}-{a.id}.html"

    def listing_path(self, category: int, page: int) -> str:
        return f"/vi/news/{self.categories[category][0]}/" + (f"page-{page}" if page > 1 else "")

    def route(self, site: Site, path: str, query: str) -> tuple[str, int, int] | None:
        keys = [key for key, _ in self.categories]
        if (m := re.fullmatch(r"/vi/news/([\w-]+)/[\w-]+-(\d+)\.html", path)) and m[1] in keys:
            return "article", site.index_of_id(m[2]), 0
        if (m := re.fullmatch(r"/vi/news/([\w-]+)/(?:page-(\d+))?", path)) and m[1] in keys:
            return "listing", keys.index(m[1]), _int(m[2] or "1")
        return None


class WordPress(Family):
    name = "wordpress"
    template_host = "sovhtt.hanoi.gov.vn"
    categories = (("tin-hoat-dong", "Tin hoạt động"), ("di-san-van-hoa", "Di sản văn hóa"))
    first_id = 15000
    article_file, listing_file = "post-17418.html", "category-tin-hoat-dong.html"
    _own = "2022/02/trien-khai-ngay-chay-olympic-vi-suc-khoe-toan-dan-nam-2022/"
    article_slots = (
        (r"<title>(?P<t>[^<]*) – ", {"t": "{title}"}),
        (r'<h1 class="entry-title">(?P<t>[^<]*)</h1>', {"t": "{title}"}),
        (r'<a class="url fn n" href="[^"]*">(?P<a>[^<]*)</a>', {"a": "{author}"}),
        (r'datetime="(?P<i>[^"]*)">(?P<d>[^<]*)</time>', {"i": "{iso}", "d": "{hm} - {dmy}"}),
        (r"Lượt xem: (?P<v>\d+)", {"v": "{views}"}),
        (r'<div class="entry-content">\n(?P<b>.*?)\n\t</div><!-- .entry-content -->', {"b": "{body}"}),
        (r"/(?P<u>" + _own + ")", {"u": "{tail}"}),
        (r"post-(?P<i>17418)", {"i": "{id}"}),
        (r"\?p=(?P<i>17418)", {"i": "{id}"}),
        (
            r'<span><a href="(?P<h>[^"]*)">(?P<n>[^<]*)</a></span> » <span class="breadcrumb_last"',
            {"h": "{cat_href}", "n": "{cat_name}"},
        ),
        (r'<span class="breadcrumb_last" aria-current="page">(?P<t>[^<]*)</span>', {"t": "{title}"}),
        (r'Chuyên mục: <a href="(?P<h>[^"]*)" rel="category tag">(?P<n>[^<]*)</a>', {"h": "{cat_href}", "n": "{cat_name}"}),
    )
    listing_slots = (
        (r"<title>(?P<n>[^<]*) – ", {"n": "{cat_name}"}),
        (r'<span class="breadcrumb_last" aria-current="page">(?P<n>[^<]*)</span>', {"n": "{cat_name}"}),
        (r'<h1 class="page-title">Chuyên mục: <span>(?P<n>[^<]*)</span></h1>', {"n": "{cat_name}"}),
        (r"/category/(?P<c>[\w-]+)/feed/", {"c": "{cat_key}"}),
        (r"</header><!-- .page-header -->\n(?P<i>.*?)\n\t<nav class=\"navigation pagination\"", {"i": "{items}"}),
        (r'<div class="nav-links">(?P<p>.*?)</div>\n\t</nav>', {"p": "{pager}"}),
    )
    page_slots = ((r'<span class="wpvc-count">(?P<c>[^<]*)</span>', {"c": "{counter#}"}),)
    counters = ("online", "today", "yesterday", "week", "month", "total")
    paragraph = "<p>{}</p>"
    item = """	<article id="post-{id}" class="post-{id} post type-post status-publish format-standard hentry category-{cat_key}">
		<header class="entry-header">
			<h2 class="entry-title"><a href="{href}" rel="bookmark">{title}</a></h2>
			<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{iso}">{hm} - {dmy}</time></span></div>
		</header>
		<div class="entry-summary"><p>{lead} [&hellip;]</p></div>
	</article>"""  # noqa: E501 (the portal's markup, as saved)
    pager_current = '<span aria-current="page" class="page-numbers current">{n}</span>'
    pager_link = '<a class="page-numbers" href="{href}">{n}</a>'
    pager_prev = '<a class="prev page-numbers" href="{href}">&laquo; Trang trước</a>'
    pager_next = '<a class="next page-numbers" href="{href}">Trang sau &raquo;</a>'
    pager_gap, pager_sep = '<span class="page-numbers dots">&hellip;</span>', ""

    def article_path(self, site: Site, a: Article) -> str:
        return f"/{a.published:%Y/%m}/{a.slug}/"

    def listing_path(self, category: int, page: int) -> str:
        return f"/category/{self.categories[category][0]}/" + (f"page/{page}/" if page > 1 else "")

    def href(self, host: str, path: str) -> str:
        return esc(f"http://{host}{path}")

    def route(self, site: Site, path: str, query: str) -> tuple[str, int, int] | None:
        if re.fullmatch(r"/\d{4}/\d{2}/[^/]+/", path) and not query:
            return "article", site.index_of_path(path), 0
        keys = [key for key, _ in self.categories]
        if (m := re.fullmatch(r"/category/([\w-]+)/(?:page/(\d+)/)?", path)) and m[1] in keys and not query:
            return "listing", keys.index(m[1]), _int(m[2] or "1")
        return None


def _int(text: str) -> int:
    return int(text) if text.isdigit() else -1


FAMILIES: dict[str, Family] = {f.name: f for f in (HueSubsite(), SharePointPortal(), NukeViet(), WordPress())}
# Registered portals (portals/registry.csv) the articles are spread over, with their share.
SITES: tuple[tuple[str, str, float], ...] = (
    ("sdl.thuathienhue.gov.vn", "hue_subsite", 1.0),
    ("syt.thuathienhue.gov.vn", "hue_subsite", 0.6),
    ("thanhhoa.gov.vn", "sharepoint_portal", 1.4),
    ("dienbien.gov.vn", "sharepoint_portal", 0.6),
    ("nongthonmoi.hatinh.gov.vn", "nukeviet", 0.8),
    ("sovhtt.hanoi.gov.vn", "wordpress", 0.8),
)


# ---------------------------------------------------------------------------------------- templates


class Slot(str):
    """A part of a template filled by ``str.format_map`` over the page's values."""


_ANCHOR = re.compile(r"<a\b(?P<attrs>[^>]*)>(?P<inner>.*?)</a>", re.S)
_HREF = re.compile(r'\bhref="([^"]*)"')
_TITLE_ATTR = re.compile(r'\btitle="[^"]*"')
_WRAPPED = re.compile(r"^(\s*<(\w+)[^>]*>)([^<]+)(</\2>\s*)$")


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@dataclass
class Template:
    """A saved page cut into literal chrome and slots."""

    parts: list[str]
    links: int  # anchors to articles, filled with the page's neighbours or the newest articles

    @classmethod
    def compile(cls, text: str, url: str, family: Family, slots: tuple[SlotSpec, ...]) -> Template:
        spans: list[tuple[int, int, str]] = []
        for pattern, formats in (*slots, *family.page_slots):
            matches = list(re.finditer(pattern, text, re.S))
            if not matches:
                raise ValueError(f"{family.name}: template slot {pattern!r} matches nothing in {url}")
            for n, m in enumerate(matches):
                spans += [(m.start(g), m.end(g), fmt.replace("#", str(n))) for g, fmt in formats.items()]
        spans.sort()
        for (_, end, _), (start, _, _) in itertools.pairwise(spans):
            if start < end:
                raise ValueError(f"{family.name}: overlapping template slots in {url}")
        profile = get_profile(family.name)
        own = canonicalize(url, profile.drop_params)
        links = 0
        for m in _ANCHOR.finditer(text):
            href = _HREF.search(m["attrs"])
            if href is None or any(s < m.end() and m.start() < e for s, e, _ in spans):
                continue
            target = canonicalize(urljoin(url, html.unescape(href[1])), profile.drop_params)
            if target == own or not profile.is_article(target):
                continue
            attrs = _braces(m["attrs"])
            attrs = _HREF.sub(f'href="{{l{links}_href}}"', attrs)
            attrs = _TITLE_ATTR.sub(f'title="{{l{links}_title}}"', attrs)
            inner = m["inner"]
            if "<" not in inner:
                inner = f"{{l{links}_title}}"
            elif w := _WRAPPED.match(inner):
                inner = _braces(w[1]) + f"{{l{links}_title}}" + _braces(w[4])
            else:
                inner = _braces(inner)
            spans.append((m.start(), m.end(), f"<a{attrs}>{inner}</a>"))
            links += 1
        spans.sort()
        parts: list[str] = []
        pos = 0
        for start, end, fmt in spans:
            parts += [text[pos:start], Slot(fmt)]
            pos = end
        parts.append(text[pos:])
        return cls(parts, links)

    def render(self, values: dict[str, object]) -> str:
        return "".join(p.format_map(values) if type(p) is Slot else p for p in self.parts)


# ---------------------------------------------------------------------------------------- sites


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class Site:
    """One synthetic portal: its articles (oldest first), listings, and edits."""

    def __init__(self, host: str, family: Family, n_articles: int, seed: int):
        self.host, self.family, self.seed = host, family, seed
        rng = random.Random(f"{seed}:{host}")
        text = corpus()
        weights = [1.0 / (c + 1) for c in range(len(family.categories))]
        step = (LAST_DAY - FIRST_DAY) / max(n_articles, 1)
        self.articles: list[Article] = []
        self._by_path: dict[str, int] = {}
        for i in range(n_articles):
            published = FIRST_DAY + step * (i + 0.8 * rng.random())
            published = published.replace(second=0, microsecond=0)
            title = text.title(rng)
            category = rng.choices(range(len(family.categories)), weights)[0]
            slug = family.slug(title) or "bai-viet"
            a = Article(i, family.first_id + 3 * i, category, published, title, slug)
            path = family.article_path(self, a)
            if path in self._by_path:  # the same slug in the same month: WordPress adds -2
                a = Article(i, a.id, category, published, title, f"{slug}-{i}")
                path = family.article_path(self, a)
            self.articles.append(a)
            self._by_path[path] = i
        self.by_category = [[a.index for a in reversed(self.articles) if a.category == c] for c in range(len(family.categories))]
        self.versions: dict[int, tuple[int, datetime]] = {}  # index → (version, edited at)
        self._templates: dict[str, Template] = {}
        folder = DEFAULT_SITES_DIR / family.template_host
        self._routes = json.loads((folder / "routes.json").read_text(encoding="utf-8"))
        self._routes = {route_key(urlsplit(k).path, urlsplit(k).query): v for k, v in self._routes.items()}
        self.robots = (folder / "robots.txt").read_bytes().replace(family.template_host.encode(), host.encode())
        self.not_found = (folder / "pages" / "404.html").read_bytes().replace(family.template_host.encode(), host.encode())
        self.last_modified = format_datetime(LAST_DAY.astimezone(UTC), usegmt=True)
        self.sitemap = False  # with a sitemap: robots.txt names /sitemap.xml, listing every article

    # -- lookups ------------------------------------------------------------------------------
    def index_of_id(self, text: str) -> int:
        i, rest = divmod(int(text) - self.family.first_id, 3) if text.isdigit() else (-1, 1)
        return i if rest == 0 and 0 <= i < len(self.articles) else -1

    def index_of_path(self, path: str) -> int:
        return self._by_path.get(path, -1)

    def path(self, a: Article) -> str:
        return self.family.article_path(self, a)

    def url(self, a: Article) -> str:
        return canonicalize(f"http://{self.host}{self.path(a)}", get_profile(self.family.name).drop_params)

    def pages_of(self, category: int) -> int:
        return max(1, math.ceil(len(self.by_category[category]) / self.family.per_page))

    def start_url(self) -> str:
        return f"http://{self.host}/"

    # -- pages --------------------------------------------------------------------------------
    def template(self, kind: str, file: str, path: str) -> Template:
        if kind not in self._templates:
            raw = (DEFAULT_SITES_DIR / self.family.template_host / "pages" / file).read_text(encoding="utf-8")
            raw = raw.replace(self.family.template_host, self.host)
            slots = {"article": self.family.article_slots, "listing": self.family.listing_slots}.get(kind, ())
            self._templates[kind] = Template.compile(raw, f"http://{self.host}{path}", self.family, slots)
        return self._templates[kind]

    def _common(self, salt: str, links: list[int]) -> dict[str, object]:
        h = int.from_bytes(hashlib.blake2b(f"{self.host}{salt}".encode(), digest_size=6).digest(), "big")
        numbers = {
            "online": 5 + h % 90,
            "bots": h % 7,
            "guests": 3 + h % 60,
            "today": 900 + h % 4000,
            "yesterday": 1200 + h % 5000,
            "week": 8000 + h % 9000,
            "month": 30000 + h % 90000,
            "total": 1_000_000 + len(self.articles) * 40 + h % 100000,
        }
        values: dict[str, object] = {
            f"counter{n}": number(numbers[name], self.family.thousands) for n, name in enumerate(self.family.counters)
        }
        for n, index in enumerate(links):
            a = self.articles[index]
            values[f"l{n}_href"] = self.family.href(self.host, self.path(a))
            values[f"l{n}_title"] = esc(a.title)
        return values

    def _article_values(self, a: Article) -> dict[str, object]:
        d = a.published
        return {
            "id": a.id,
            "title": esc(a.title),
            "href": self.family.href(self.host, self.path(a)),
            "dmy": f"{d:%d/%m/%Y}",
            "dd": f"{d:%d}",
            "mm": f"{d:%m}",
            "yyyy": f"{d:%Y}",
            "hm": f"{d:%H:%M}",
            "iso": d.isoformat(),
            "weekday": WEEKDAYS[d.weekday()],
            "cat_key": self.family.categories[a.category][0],
            "lead": esc(self.lead(a)),
            "views": 40 + (a.id * 7919) % 4000,
        }

    def lead(self, a: Article) -> str:
        pool = corpus().pool
        return pool[random.Random(f"{self.host}:{a.id}").randrange(len(pool))]

    def content(self, a: Article) -> tuple[str, list[str], str, str]:
        """(summary, paragraphs, author, publisher) of an article's current version."""
        version = self.versions.get(a.index, (0, a.published))[0]
        rng = random.Random(f"{self.host}:{a.id}:{version}")
        chars = int(min(BODY_MAX, max(BODY_MIN, rng.lognormvariate(math.log(BODY_MEDIAN), BODY_SIGMA))))
        return self.lead(a), corpus().paragraphs(rng, chars), rng.choice(AUTHORS), rng.choice(PUBLISHERS)

    def render_article(self, a: Article) -> bytes:
        fam = self.family
        template = self.template("article", fam.article_file, self.path(a))
        summary, paragraphs, author, publisher = self.content(a)
        same = self.by_category[a.category]
        pos = _find_desc(same, a.index)
        neighbours = [same[(pos + k) % len(same)] for k in range(1, template.links + 1)] if len(same) > 1 else []
        values = self._common(f"a{a.id}", neighbours + [a.index] * (template.links - len(neighbours)))
        values.update(self._article_values(a))
        path = self.path(a)
        values.update(
            self_href=fam.href(self.host, path),
            tail=path.split("/vi/news/", 1)[-1].removesuffix(".html") if fam.name == "nukeviet" else path.lstrip("/"),
            summary=esc(summary),
            body=fam.paragraph_sep.join(fam.paragraph.format(esc(p)) for p in paragraphs),
            author=esc(author),
            publisher=esc(publisher),
            cat_name=esc(fam.categories[a.category][1]),
            cat_href=fam.href(self.host, fam.listing_path(a.category, 1)),
        )
        return template.render(values).encode("utf-8")

    def render_listing(self, category: int, page: int) -> bytes | None:
        fam = self.family
        pages = self.pages_of(category)
        if not 1 <= page <= pages:
            return None
        template = self.template("listing", fam.listing_file, fam.listing_path(category, page))
        entries = self.by_category[category][(page - 1) * fam.per_page : page * fam.per_page]
        items = "\n".join(fam.item.format_map(self._article_values(self.articles[i])) for i in entries)
        values = self._common(f"c{category}p{page}", self.newest(template.links))
        values.update(
            items=items,
            pager=self._pager(category, page, pages),
            self_href=fam.href(self.host, fam.listing_path(category, page)),
            cat_key=fam.categories[category][0],
            cat_name=esc(fam.categories[category][1]),
            cat_href=fam.href(self.host, fam.listing_path(category, 1)),
        )
        return template.render(values).encode("utf-8")

    def _pager(self, category: int, page: int, pages: int) -> str:
        fam = self.family

        def link(fmt: str, n: int) -> str:
            return fmt.format(n=n, href=fam.href(self.host, fam.listing_path(category, n)))

        shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
        out = [link(fam.pager_prev, page - 1)] if page > 1 else []
        for before, n in zip([0, *shown], shown, strict=False):
            if n - before > 1:
                out.append(fam.pager_gap)
            out.append(fam.pager_current.format(n=n) if n == page else link(fam.pager_link, n))
        if page < pages:
            out.append(link(fam.pager_next, page + 1))
        return fam.pager_sep.join(out) if pages > 1 else ""

    def render_sitemap(self) -> bytes:
        """Every article with its ``lastmod`` (published, or edited since)."""
        entries = "".join(
            f"<url><loc>http://{self.host}{esc(self.path(a))}</loc>"
            f"<lastmod>{self.versions.get(a.index, (0, a.published))[1].isoformat()}</lastmod></url>\n"
            for a in self.articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}</urlset>\n"
        ).encode()

    def newest(self, k: int) -> list[int]:
        n = len(self.articles)
        return [(n - 1 - j) % n for j in range(k)] if n else []

    def render_page(self, kind: str, file: str, path: str) -> bytes:
        template = self.template(kind if kind == "home" else f"page:{file}", file, path)
        return template.render(self._common(path, self.newest(template.links))).encode("utf-8")

    # -- HTTP ---------------------------------------------------------------------------------
    def validators(self, key: str, modified: datetime | None) -> dict[str, str]:
        tag = hashlib.blake2b(f"{self.host}|{self.seed}|{key}".encode(), digest_size=10).hexdigest()
        last = format_datetime(modified.astimezone(UTC), usegmt=True) if modified else self.last_modified
        return {"ETag": f'"{tag}"', "Last-Modified": last}

    def respond(self, path: str, query: str, request_headers: dict[str, str]) -> tuple[str, Response]:
        """(kind, response) for a GET of ``path?query`` on this site."""
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        if path == "/robots.txt":
            robots = self.robots + (f"\nSitemap: http://{self.host}/sitemap.xml\n".encode() if self.sitemap else b"")
            return "robots", Response(200, {"Content-Type": "text/plain; charset=utf-8"}, robots)
        if self.sitemap and path == "/sitemap.xml":
            return "sitemap", Response(200, {"Content-Type": "application/xml"}, self.render_sitemap())
        found = self.family.route(self, path, query)
        if found is not None:
            kind, key, page = found
            if kind == "article" and key >= 0:
                a = self.articles[key]
                version, edited = self.versions.get(key, (0, a.published))
                headers = html_type | self.validators(f"a{a.id}v{version}", edited)
                if _not_modified(request_headers, headers):
                    return kind, Response(304, headers)
                return kind, Response(200, headers, self.render_article(a))
            body = self.render_listing(key, page) if kind == "listing" else None
            if body is None:
                return "missing", Response(404, html_type, self.not_found)
            return kind, self._static(route_key(path, query), body, request_headers)
        spec = self._routes.get(route_key(path, query))
        if spec is None and path in self.family.home_paths and not query:
            spec = self.family.home_file
        if isinstance(spec, dict) and "redirect" in spec:
            return "redirect", Response(spec.get("status", 301), {"Location": spec["redirect"], **html_type})
        file = spec if isinstance(spec, str) else None
        if file is None or not file.endswith(".html") or file.startswith(("article-", "post-", "listing-", "category-")):
            return "missing", Response(404, html_type, self.not_found)
        kind = "home" if file == self.family.home_file else "page"
        return kind, self._static(route_key(path, query), self.render_page(kind, file, path), request_headers)

    def _static(self, key: str, body: bytes, request_headers: dict[str, str]) -> Response:
        headers = {"Content-Type": "text/html; charset=utf-8"} | self.validators(key + str(len(self.articles)), None)
        if _not_modified(request_headers, headers):
            return Response(304, headers)
        return Response(200, headers, body)


def _find_desc(values: list[int], target: int) -> int:
    """Position of ``target`` in a list sorted in decreasing order."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] > target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _not_modified(request: dict[str, str], headers: dict[str, str]) -> bool:
    if (tags := request.get("if-none-match")) is not None:
        return headers["ETag"] in [t.strip() for t in tags.split(",")]
    if since := request.get("if-modified-since"):
        try:
            return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


@dataclass
class Portal:
    """N articles spread over ``SITES`` (deterministic by ``seed``)."""

    n_articles: int
    seed: int = 7
    sites: dict[str, Site] = field(default_factory=dict)

    def __post_init__(self) -> None:
        total = sum(w for _, _, w in SITES)
        counts = [int(self.n_articles * w / total) for _, _, w in SITES]
        counts[0] += self.n_articles - sum(counts)
        for (host, family, _), count in zip(SITES, counts, strict=True):
            self.sites[host] = Site(host, FAMILIES[family], count, self.seed)

    def start_urls(self) -> list[str]:
        return [site.start_url() for site in self.sites.values()]

    def articles(self) -> Iterator[tuple[Site, Article]]:
        for site in self.sites.values():
            for a in site.articles:
                yield site, a

    def change(self, k: int, seed: int = 1) -> list[str]:
        """Edit ``k`` articles (a new body, a new ETag and Last-Modified); return their URLs."""
        everything = [(site, a) for site, a in self.articles()]
        edited_at = datetime.now(VIETNAM).replace(microsecond=0)
        urls = []
        for site, a in random.Random(seed).sample(everything, min(k, len(everything))):
            version = site.versions.get(a.index, (0, a.published))[0] + 1
            site.versions[a.index] = (version, edited_at)
            urls.append(site.url(a))
        return urls

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[str, Response]:
        """Answer one GET without HTTP (``kind`` is article, listing, home, page, robots, redirect or missing)."""
        parts = urlsplit(url)
        site = self.sites.get((parts.hostname or "").lower().removeprefix("www."))
        if site is None:
            return "offsite", Response(502, {"Content-Type": "text/plain"}, b"not a synthetic site")
        return site.respond(parts.path or "/", parts.query, {k.lower(): v for k, v in (headers or {}).items()})


# ---------------------------------------------------------------------------------------- archive


def records(n: int, seed: int = 3, spread: int | None = None) -> Iterator[tuple[Record, Provenance]]:
    """``n`` article records as the crawler stores them (same text model and body lengths as the
    pages), for archive benchmarks without HTTP. Record i is dated i/``spread`` of the way from
    ``FIRST_DAY`` to ``LAST_DAY`` (``spread`` defaults to ``n``: the whole range)."""
    text = corpus()
    rng = random.Random(seed)
    hosts = [(host, family) for host, family, _ in SITES]
    weights = [w for _, _, w in SITES]
    step = (LAST_DAY - FIRST_DAY) / max(spread or n, 1)
    for i in range(n):
        host, family = rng.choices(hosts, weights)[0]
        published = (FIRST_DAY + step * i).isoformat(timespec="minutes")
        chars = int(min(BODY_MAX, max(BODY_MIN, rng.lognormvariate(math.log(BODY_MEDIAN), BODY_SIGMA))))
        author, publisher = rng.choice(AUTHORS), rng.choice(PUBLISHERS)
        url = f"http://{host}/bai-viet/{i}"
        record = Record(
            url=url,
            site=host,
            family=family,
            title=text.title(rng),
            date=published,
            summary=rng.choice(text.pool),
            body="\n\n".join(text.paragraphs(rng, chars)),
            source=Source(f"Theo {publisher} ({author})", publisher, author),
            views=rng.randint(40, 4000),
            visitor_stats={"total": 1_000_000 + i, "online": rng.randint(5, 90)},
        )
        yield record, Provenance(fetched_at=published, fetched_url=url, http_status=200, etag=f'"{i:x}"')


def search_queries(k: int, seed: int = 5, common: int = 60) -> tuple[list[str], list[str]]:
    """``k`` two-word queries and ``k`` three-word phrases as a researcher types them, without
    diacritics (``nong thon``, ``"xay dung nong"``): runs of adjacent words of the text, drawn in
    proportion to how often they occur, whose first and last words are not among the ``common``
    most frequent syllables (nobody searches for "cua cac")."""
    rng = random.Random(seed)
    sentences = [fold(s).split() for s in corpus().pool]
    frequent = {w for w, _ in Counter(w for words in sentences for w in words).most_common(common)}

    def run_of(length: int) -> str:
        while True:
            words = rng.choice(sentences)
            i = rng.randrange(len(words) - length)
            run = words[i : i + length]
            if all(w.isalpha() for w in run) and run[0] not in frequent and run[-1] not in frequent:
                return " ".join(run)

    return [run_of(2) for _ in range(k)], [f'"{run_of(3)}"' for _ in range(k)]


# ---------------------------------------------------------------------------------------- server


@dataclass
class ServerStats:
    requests: int = 0
    bytes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    first: float = 0.0  # monotonic time of the first and last request
    last: float = 0.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a crawler that exits drops its connections
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class PortalServer:
    """A threaded HTTP server for a ``Portal`` on 127.0.0.1; use as a context manager."""

    def __init__(self, portal: Portal, port: int = 0):
        self.portal = portal
        self.port = port
        self.stats = ServerStats()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def reset(self) -> ServerStats:
        """Return the counts so far and start counting afresh."""
        with self._lock:
            stats, self.stats = self.stats, ServerStats()
        return stats

    def _record(self, kind: str, status: int, size: int) -> None:
        at = time.monotonic()
        with self._lock:
            s = self.stats
            s.requests += 1
            s.bytes += size
            s.by_kind[kind] = s.by_kind.get(kind, 0) + 1
            s.by_status[status] = s.by_status.get(status, 0) + 1
            s.first = s.first or at
            s.last = at

    def start(self) -> PortalServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_HEAD(self) -> None:
                self.do_GET(send_body=False)

            def do_GET(self, send_body: bool = True) -> None:
                parts = urlsplit(self.path)
                host = parts.hostname if parts.scheme else (self.headers.get("Host") or "").split(":")[0]
                url = f"http://{host}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
                kind, response = server.portal.get(url, dict(self.headers.items()))
                head = [f"HTTP/1.1 {response.status} {self.responses.get(response.status, ('',))[0]}"]
                head += [f"Date: {self.date_time_string()}", "Server: synthetic-portal"]
                head += [f"{k}: {v}" for k, v in response.headers.items()]
                head += [f"Content-Length: {len(response.body)}", "", ""]
                data = "\r\n".join(head).encode("latin-1") + (response.body if send_body else b"")
                server._record(kind, response.status, len(data))
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        self._httpd = _Server(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve a synthetic portal on 127.0.0.1 (as an HTTP proxy).")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    portal = Portal(args.articles, args.seed)
    with PortalServer(portal, args.port) as server:
        print(f"serving {', '.join(portal.sites)} at {server.url} (as proxy; Ctrl-C to stop)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
