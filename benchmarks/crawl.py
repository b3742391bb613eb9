"""The two crawls the benchmark compares, each run in its own process (Scrapy's reactor starts
once per process):

* ``full``: the real pipeline through ``crawler.run.run_crawls`` — fetch, extract, archive, WARC;
* ``bare``: ``BareSpider``, a Scrapy spider with the same settings (concurrency, delay 0,
  robots.txt, proxy, downloader middlewares) that fetches the same pages and follows the same
  links — every ``<a href>`` on the site's hosts that is a page and not one of the family's traps —
  and does nothing else: no extraction, no archive, no WARC. (It also follows links inside hidden
  elements, which the portal spider skips: a handful of pages more on the NukeViet site.)

    python -m benchmarks.crawl full --proxy http://127.0.0.1:8765 --db /tmp/a.sqlite http://thanhhoa.gov.vn/
    python -m benchmarks.crawl bare --proxy http://127.0.0.1:8765 http://thanhhoa.gov.vn/

Prints one JSON line (what the child knows about its crawl) as its last line of output.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response, TextResponse

from crawler.options import CrawlOptions
from crawler.run import CrawlTarget, build_settings, run_crawls
from portals.links import NOT_PAGES
from portals.profiles import get_profile
from portals.registry import find_site
from portals.urls import host_of


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, start: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.start_urls = [start]
        host = host_of(start)
        self.allowed_domains = [host, f"www.{host}"]
        site = find_site(start)
        self.traps = get_profile(site.family).trap if site and site.family else ()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:  # filtered like every other request: the home page is fetched once
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, TextResponse):
            return
        seen = set()
        for href in response.xpath("//a/@href").getall():
            url = response.urljoin(href.strip()).split("#", 1)[0]
            parts = urlsplit(url)
            if url in seen or parts.scheme not in ("http", "https") or parts.hostname not in self.allowed_domains:
                continue
            seen.add(url)
            if NOT_PAGES.search(parts.path) or any(t.search(url) for t in self.traps):
                continue
            yield scrapy.Request(url, callback=self.parse)


def run_bare(starts: list[str], proxy: str, max_pages: int | None) -> dict[str, Any]:
    settings = build_settings(
        "unused.sqlite", CrawlOptions(delay=0, max_pages=max_pages, proxy=proxy), extra={"ITEM_PIPELINES": {}}
    )
    settings.set("EXTENSIONS", {}, priority="cmdline")  # no WARC capture, no progress
    process = CrawlerProcess(settings)
    crawlers = []
    for start in starts:
        crawler = process.create_crawler(BareSpider)
        process.crawl(crawler, start=start)
        crawlers.append(crawler)
    process.start()
    stats = [c.stats.get_stats() for c in crawlers if c.stats is not None]
    return {
        "requests": sum(s.get("downloader/request_count", 0) for s in stats),
        "responses": sum(s.get("response_received_count", 0) for s in stats),
        "bytes": sum(s.get("downloader/response_bytes", 0) for s in stats),
    }


def run_full(starts: list[str], proxy: str, db: str, mode: str, max_pages: int | None) -> dict[str, Any]:
    targets = [CrawlTarget(start, mode=mode) for start in starts]
    runs = run_crawls(targets, db, CrawlOptions(delay=0, max_pages=max_pages, proxy=proxy))
    return {"runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["full", "bare"])
    parser.add_argument("starts", nargs="+", help="start URLs, one crawl each")
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--db", help="archive (full)")
    parser.add_argument("--mode", default="incremental", choices=["incremental", "revisit", "full"])
    parser.add_argument("--max-pages", type=int)
    args = parser.parse_args()
    began = time.monotonic()
    if args.kind == "bare":
        result = run_bare(args.starts, args.proxy, args.max_pages)
    else:
        result = run_full(args.starts, args.proxy, args.db, args.mode, args.max_pages)
    result["wall_s"] = time.monotonic() - began
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
