#!/usr/bin/env python3
"""Where the time goes in each benchmarked path: py-spy samples of the same workloads as
``run.py``, summarised as the project's functions with their share of the samples.

    python benchmarks/profile.py                       # extract, crawl, ingest, search
    python benchmarks/profile.py search --db /tmp/bq/search.sqlite   # an archive run.py --workdir kept

Needs py-spy (``pip install -e .[bench]``). Shares are of the samples in the measured call
(``extract``, ``Archive.add_articles``, ``search``; the whole crawler process for the crawl), idle
threads left out; "self" is time in the function's own code, "total" includes its callees.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

IDLE = ("Condition.wait", "Queue.get", "select (selectors", "poll (selectors", "Event.wait")
OWN = ("portals/", "archive/", "crawler/", "portal_archive/")


def summarise(raw: Path, title: str, root: str = "", top: int = 20) -> None:
    """Print the shares of the samples whose stack holds ``root`` (all samples: "")."""
    own_total: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if any(frames[-1].startswith(idle) for idle in IDLE) or root not in stack:
            continue
        n = int(count)
        samples += n
        self_time[frames[-1]] += n
        for frame in set(frames):
            if any(part in frame for part in OWN):
                own_total[frame] += n
    print(f"\n== {title}: {samples} samples")
    print("  total  self   function (project code, by total)")
    for frame, n in own_total.most_common(top):
        print(f"  {n / samples:5.1%} {self_time[frame] / samples:5.1%}  {frame}")
    print("  self          function (any code, by self)")
    for frame, n in self_time.most_common(8):
        print(f"  {n / samples:5.1%}        {frame}")


def record(command: list[str], raw: Path) -> None:
    spy = [sys.executable, "-m", "py_spy", "record", "--rate", "250", "--function", "--format", "raw", "--output", str(raw)]
    if subprocess.run([*spy, "--", *command], cwd=ROOT, capture_output=True, check=False).returncode != 0:
        # py-spy installs a script, not always a module
        spy[:3] = [str(Path(sys.executable).with_name("py-spy"))]
        subprocess.run([*spy, "--", *command], cwd=ROOT, capture_output=True, check=True)


# ---------------------------------------------------------------------------------------- workloads


def work_extract() -> None:
    from benchmarks.synthetic import Portal
    from portals.extract import extract

    portal = Portal(2_000, seed=11)
    rng = random.Random(1)
    pages = []
    for site in portal.sites.values():
        for a in rng.sample(site.articles, 10):
            url = f"http://{site.host}{site.path(a)}"
            pages.append((url, portal.get(url)[1].body))
    for _ in range(5):
        for url, body in pages:
            extract(body, url)


def work_ingest() -> None:
    from archive.store import Archive
    from benchmarks.synthetic import records

    batches = []
    source = records(6_000)
    for _ in range(12):
        batches.append([next(source) for _ in range(500)])
    with tempfile.TemporaryDirectory() as folder:
        archive = Archive(Path(folder) / "a.sqlite")
        for batch in batches:
            archive.add_articles(batch)
        archive.close()


def work_search(db: str) -> None:
    from archive.search import search
    from archive.store import Archive
    from benchmarks.synthetic import search_queries

    archive = Archive(db)
    words, phrases = search_queries(12)
    for q in words + phrases:
        search(archive, q, order="date")


def build_archive(folder: Path) -> Path:
    from archive.store import Archive
    from benchmarks.run import replicate
    from benchmarks.synthetic import records

    path = folder / "search.sqlite"
    archive = Archive(path)
    source = records(10_000, spread=100_000)
    for _ in range(20):
        archive.add_articles([next(source) for _ in range(500)])
    archive.close()
    replicate(path, 10)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", default=["extract", "crawl", "ingest", "search"])
    parser.add_argument("--articles", type=int, default=1_000, help="crawl: portal size")
    parser.add_argument("--db", help="search: an existing archive (default: 100k articles built here)")
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.work:  # inside py-spy
        {"extract": work_extract, "ingest": work_ingest}.get(args.work, lambda: work_search(args.db))()
        return
    with tempfile.TemporaryDirectory(prefix="portal-profile-") as tmp:
        folder = Path(tmp)
        for target in args.targets:
            raw = folder / f"{target}.txt"
            began = time.monotonic()
            if target == "crawl":
                from benchmarks.synthetic import Portal, PortalServer

                portal = Portal(args.articles)
                with PortalServer(portal) as server:
                    child = ["-m", "benchmarks.crawl", "full", *portal.start_urls(), "--proxy", server.url]
                    record([sys.executable, *child, "--db", str(folder / "crawl.sqlite")], raw)
                title, root = f"full crawl of {args.articles:,} articles (crawler process)", ""
            elif target == "search":
                db = args.db or str(build_archive(folder))
                record([sys.executable, "benchmarks/profile.py", "--work", "search", "--db", db], raw)
                title, root = f"24 date-ordered searches in {db}", "search (archive/search.py"
            else:
                record([sys.executable, "benchmarks/profile.py", "--work", target], raw)
                title, root = {
                    "extract": ("extract() over 60 synthetic pages x 5", "extract (portals/extract/__init__.py"),
                    "ingest": ("Archive.add_articles, 6,000 rows", "Archive.add_articles (archive/store.py"),
                }[target]
            summarise(raw, f"{title} ({time.monotonic() - began:.0f} s)", root)


if __name__ == "__main__":
    main()
