"""An incremental re-crawl led by sitemaps asks for what changed and the sitemaps, nothing more.

The synthetic portal (``benchmarks.synthetic``, every site with a sitemap robots.txt names and
``lastmod`` on every article) is crawled once; then ``k`` articles are edited (their ``lastmod``
moves) and the portal is crawled again, incrementally. The re-crawl's requests, as the server
counted them, against the most it should ask for: the edited articles, each site's robots.txt and
the sitemap documents (those its robots.txt names, found or not). Baseline in the same run: the
same re-crawl of the same portal without sitemaps (it walks the listings to find what is new).

    python -m benchmarks.sources [--articles N] [--changed K]

Prints ``sources recrawl_requests=… allowed=… extra=… without_sitemaps=…`` last.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from .run import run_crawl
from .synthetic import Portal, PortalServer


def measure(articles: int, changed: int, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for sitemaps in (True, False):
        portal = Portal(articles, seed=11)
        for site in portal.sites.values():
            site.sitemap = sitemaps
        db = workdir / f"sources-{sitemaps}.sqlite"
        with PortalServer(portal) as server:
            run_crawl("full", portal, server, workdir, db)
            edited = portal.change(changed, seed=5)
            asked: Counter[str] = Counter()
            count = server._record

            def counting(kind: str, status: int, size: int, asked: Counter[str] = asked, count=count) -> None:
                asked[f"{kind} {status}"] += 1
                count(kind, status, size)

            server._record = counting  # type: ignore[method-assign]
            again = run_crawl("full", portal, server, workdir, db, "--mode", "incremental")
            server._record = count  # type: ignore[method-assign]
        conn = sqlite3.connect(db)
        versions = conn.execute("SELECT count(*) FROM articles WHERE versions > 1").fetchone()[0]
        # The sitemap documents the re-crawl asked for (those robots.txt names included, found or not).
        documents = conn.execute(
            "SELECT count(*) FROM sources WHERE run_id IN (SELECT id FROM crawl_runs WHERE id IN "
            f"({','.join('?' * len(again.runs))}))",
            again.runs,
        ).fetchone()[0]
        conn.close()
        if sitemaps:
            result["recrawl_requests"] = again.requests
            result["allowed"] = len(edited) + len(portal.sites) + documents  # + robots.txt of each site
            result["extra"] = max(0, again.requests - result["allowed"])
            result["changed_found"] = versions
            result["changed"] = len(edited)
            result["asked"] = dict(asked)  # type: ignore[assignment]
        else:
            result["without_sitemaps"] = again.requests
            result["changed_found_without"] = versions
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--changed", type=int, default=12)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pa-sources-") as tmp:
        r = measure(args.articles, args.changed, Path(tmp))
    print(
        f"incremental re-crawl with sitemaps: {r['recrawl_requests']} requests (allowed {r['allowed']}: "
        f"{r['changed']} edited articles + robots.txt of each site + the sitemap documents it named); "
        f"edited articles found: {r['changed_found']} of {r['changed']}; asked for {r['asked']}"
    )
    print(
        f"the same re-crawl without sitemaps: {r['without_sitemaps']} requests; "
        f"edited articles found: {r['changed_found_without']} (an incremental crawl only adds new articles)"
    )
    print(
        f"sources recrawl_requests={r['recrawl_requests']} allowed={r['allowed']} extra={r['extra']} "
        f"without_sitemaps={r['without_sitemaps']}"
    )


if __name__ == "__main__":
    main()
