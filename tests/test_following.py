"""How the portal spider follows the links of the pages it reads, on saved pages of a portal:
every URL asked for once per crawl however many pages link to it (and as the page links it),
articles before more listings, and the depth limit leaving a URL free to be asked for from nearer
the start."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest

from crawler.offload import analyse_links
from crawler.session import CrawlSession
from crawler.spiders.portal import PortalSpider
from portals.extract import PageAnalysis, extract
from portals.items import FrontierMark, Provenance
from portals.urls import canonicalize

HOST = "sdl.thuathienhue.gov.vn"
SITE = Path(__file__).parent / "fixtures" / "sites" / HOST


def _page(route: str, hosts: list[str]) -> tuple[PageAnalysis, dict[str, str], dict[str, str]]:
    file = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))[route]
    body = (SITE / "pages" / (file if isinstance(file, str) else file["file"])).read_bytes()
    page, (found, linked) = analyse_links(body, f"http://{HOST}{route}", "hue_subsite", "text/html; charset=utf-8", hosts)
    return page, found, linked


def _collect(requests: AsyncIterator[Any]) -> list[Any]:
    async def take() -> list[Any]:
        return [request async for request in requests]

    return asyncio.run(take())


@pytest.fixture
def spider(tmp_path: Path) -> Iterator[PortalSpider]:
    spider = PortalSpider(site=f"http://{HOST}/")
    spider.session = CrawlSession(str(tmp_path / "archive.sqlite"), spider.site_id, spider.start_urls)
    yield spider
    spider.session.close("finished")


def test_each_url_is_asked_for_once_and_articles_come_first(spider: PortalSpider) -> None:
    pages = [_page(route, spider.allowed_domains) for route in ("/", "/?cn=121&gd=4", "/?cn=121&gd=4&p=2", "/?cn=122&gd=4")]
    linked = [url for _, found, _ in pages for url, kind in found.items() if kind != "trap"]
    assert len(linked) > len(set(linked)) + 20, "the saved pages share their menus and related lists"

    seeds = [request.url for request in _collect(spider.start())]
    asked = [request for page, found, linked in pages for request in spider._follow(page, found, linked, 0)]
    urls = [request.meta["frontier_url"] for request in asked]
    assert len(urls) == len(set(urls)), "a URL was asked for twice"
    assert set(urls) == set(linked) - set(seeds), "every link but the start page (a seed) is asked for"

    kinds = {request.meta["kind"]: request.priority for request in asked}
    assert {"article", "listing"} <= set(kinds)
    assert kinds["article"] > kinds["listing"], "articles are fetched before further listings"
    assert spider.requested == {*seeds, *urls}


def test_a_url_beyond_the_depth_limit_is_asked_for_again_from_nearer(spider: PortalSpider) -> None:
    spider.depth_limit = 2
    page, found, linked = _page("/?cn=121&gd=4", spider.allowed_domains)
    assert list(spider._follow(page, found, linked, 2)) == [], "depth 3: not asked for"
    # … but each said why, once (and the page's traps too, whatever the depth)
    beyond = [m for m in spider.unfollowed if m.error == "limit: max_depth"]
    traps = [m for m in spider.unfollowed if m.error == "trap: never followed"]
    assert beyond and all(m.status == "skipped" and m.depth == 3 for m in beyond)
    assert {m.url for m in traps} == {u for u, k in found.items() if k == "trap"} and len(beyond) + len(traps) == len(
        spider.unfollowed
    )
    spider.unfollowed = []
    assert list(spider._follow(page, found, linked, 2)) == [] and spider.unfollowed == [], "said once"
    near = list(spider._follow(page, found, linked, 1))
    assert sorted(r.meta["frontier_url"] for r in near) == sorted(m.url for m in beyond)
    assert list(spider._follow(page, found, linked, 0)) == [], "already asked for from depth 1"


def test_paging_stops_at_articles_archived_before_the_crawl_only(spider: PortalSpider) -> None:
    page, found, linked = _page("/?cn=121&gd=4", spider.allowed_domains)
    articles = [u for u, k in found.items() if k == "article"]
    pager = [u for u, k in found.items() if k == "listing" and "p=" in u]
    assert articles and pager
    # Every article of the listing fetched by this crawl already (through related lists): the
    # listing's next pages may still hold articles never archived, so they are asked for.
    record = extract((SITE / "pages" / "article-4335.html").read_bytes(), articles[0])
    for url in articles:
        spider.session.add_article(replace(record, url=url), Provenance("2026-11-27T08:00:00+07:00", url))
    asked = {r.meta["frontier_url"] for r in spider._follow(page, found, linked, 1)}
    assert set(pager) <= asked

    # The same listing when its articles were archived before the crawl: its older pages are not.
    spider.session.known_before = frozenset(articles)
    spider.requested.clear()
    asked = {r.meta["frontier_url"] for r in spider._follow(page, found, linked, 1)}
    assert not set(pager) & asked


def test_pages_are_asked_for_as_linked_and_known_by_their_canonical_url(spider: PortalSpider) -> None:
    """The WARC holds what pages link to (a replay tool finds every link); the canonical form
    only decides "seen already" and which article a page is."""
    page, found, linked = _page("/?cn=121&gd=4", spider.allowed_domains)
    file = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))["/?cn=121&gd=4"]
    html = (SITE / "pages" / (file if isinstance(file, str) else file["file"])).read_text(encoding="utf-8")
    hrefs = {urljoin(f"http://{HOST}/", unescape(h)) for h in re.findall(r'href="([^"#]+)', html)}
    asked = list(spider._follow(page, found, linked, 0))
    assert asked
    for request in asked:
        assert request.url in hrefs, f"{request.url} is not a link of the page"
        assert canonicalize(request.url) == request.meta["frontier_url"]
    rewritten = [r for r in asked if r.url != r.meta["frontier_url"]]
    assert rewritten, "the portal's links name their parameters in its own order (gd=4&cn=121&tc=…)"
    assert any("gd=4&cn=121" in r.url for r in rewritten)


def test_a_resumed_crawl_and_a_revisit_ask_for_urls_as_they_were_asked_for(tmp_path: Path) -> None:
    """The frontier keeps the linked form of a pending URL; a --revisit asks for an archived
    article as its latest version was fetched."""
    db = str(tmp_path / "archive.sqlite")
    spider = PortalSpider(site=f"http://{HOST}/")
    spider.session = CrawlSession(db, spider.site_id, spider.start_urls)
    page, found, linked = _page("/?cn=121&gd=4", spider.allowed_domains)
    asked = list(spider._follow(page, found, linked, 0))
    for request in asked:
        spider.session.add_page(
            FrontierMark(
                request.meta["frontier_url"],
                "pending",
                request.meta["kind"],
                1,
                "2026-12-07T10:00:00+07:00",
                fetch_url=request.url if request.url != request.meta["frontier_url"] else None,
            )
        )
    article = next(r for r in asked if r.meta["kind"] == "article" and r.url != r.meta["frontier_url"])
    record = extract((SITE / "pages" / "article-4335.html").read_bytes(), article.meta["frontier_url"])
    spider.session.add_article(
        replace(record, url=article.meta["frontier_url"]), Provenance("2026-12-07T10:00:00+07:00", article.url)
    )
    spider.session.close("interrupted")

    resumed = PortalSpider(site=f"http://{HOST}/", resume="1")
    resumed.session = CrawlSession(db, resumed.site_id, resumed.start_urls, resume=True)
    again = {r.meta["frontier_url"]: r.url for r in _collect(resumed.start())}
    resumed.session.close("finished")
    assert {r.meta["frontier_url"]: r.url for r in asked}.items() <= again.items()

    revisit = PortalSpider(site=f"http://{HOST}/", mode="revisit")
    revisit.session = CrawlSession(db, revisit.site_id, revisit.start_urls, mode="revisit")
    requests = {r.meta["frontier_url"]: r for r in _collect(revisit.start())}
    revisit.session.close("finished")
    assert requests[article.meta["frontier_url"]].url == article.url
