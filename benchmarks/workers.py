"""Workers on a shared frontier: pages per second with 1, 2 and 3 workers crawling one synthetic
site through a Redis frontier, each storing into its own shard, then the shards merged.

Everything runs on 127.0.0.1: a ``redis-server`` this script starts, and the synthetic portal
(``benchmarks/synthetic.py``) answering every request after ``--latency`` seconds, as a distant,
slow portal does. Each worker is the real command line (``portal-archive crawl --frontier``) with
``--delay 0``. The figure that matters is the ratio to one worker, measured in the same run; the
machine's cores cap it once extraction, not the portal, is the limit.

    python -m benchmarks.workers --articles 600 --latency 0.25 --workers 1 2 3

Prints a Markdown table, and the line for docs/scaling.md last.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .synthetic import Portal, PortalServer

ROOT = Path(__file__).resolve().parent.parent


class SlowPortal:
    """The synthetic portal, answering each request after ``latency`` seconds."""

    def __init__(self, portal: Portal, latency: float):
        self.portal, self.latency = portal, latency

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        time.sleep(self.latency)
        return self.portal.get(url, headers)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    server = shutil.which("redis-server")
    if not server:
        sys.exit("redis-server is not installed (Debian: apt-get install redis-server)")
    port = _free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("redis-server did not start")


def _articles(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    finally:
        conn.close()


def crawl(workers: int, site: str, proxy: str, frontier: str, folder: Path) -> dict[str, Any]:
    """One crawl of ``site`` by ``workers`` worker processes; wall time, pages, articles after merge."""
    folder.mkdir(parents=True)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PORTAL_FRONTIER_HEARTBEAT_TTL": "10"}
    base = [sys.executable, "-m", "portal_archive", "crawl", f"http://{site}/", "--proxy", proxy, "--delay", "0"]
    started = time.monotonic()
    procs = []
    for i in range(workers):
        args = [*base, "--db", str(folder / f"w{i}.sqlite"), "--frontier", frontier, "--worker", f"w{i}"]
        procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for proc in procs:
        _, err = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            sys.exit(f"a worker failed (exit {proc.returncode}):\n{err.decode()[-2000:]}")
    seconds = time.monotonic() - started
    pages = 0
    for i in range(workers):
        conn = sqlite3.connect(folder / f"w{i}.sqlite")
        pages += int(conn.execute("SELECT count(*) FROM frontier WHERE status = 'done'").fetchone()[0])
        conn.close()
    shards = [str(folder / f"w{i}.sqlite") for i in range(workers)]
    merged = folder / "main.sqlite"
    subprocess.run([sys.executable, "-m", "portal_archive", "merge", *shards, "--db", str(merged)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    split = [_articles(Path(s)) for s in shards]
    return {"workers": workers, "seconds": seconds, "pages": pages, "articles": _articles(merged), "split": split}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=600, help="articles in the synthetic portal (all sites)")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds the portal takes to answer")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    portal = Portal(args.articles)
    site = max(portal.sites.values(), key=lambda s: len(s.articles))
    with tempfile.TemporaryDirectory(prefix="pa-workers-") as tmp:
        folder = Path(tmp)
        redis_proc, frontier = _start_redis(folder)
        try:
            with PortalServer(SlowPortal(portal, args.latency)) as server:  # type: ignore[arg-type]
                # A Redis database per run: a frontier remembers the articles stored through it.
                results = [
                    crawl(n, site.host, server.url, f"{frontier[:-1]}{i + 1}", folder / f"run{n}")
                    for i, n in enumerate(args.workers)
                ]
        finally:
            redis_proc.terminate()
            redis_proc.wait()
    base = results[0]
    base_rate = base["pages"] / base["seconds"]
    print(f"one site ({site.host}, {len(site.articles)} articles), portal latency {args.latency} s, {os.cpu_count()} CPUs")
    print("| workers | pages | articles after merge | articles per shard | seconds | pages/s | vs 1 worker |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        rate = r["pages"] / r["seconds"]
        print(
            f"| {r['workers']} | {r['pages']} | {r['articles']} | {' + '.join(map(str, r['split']))} | "
            f"{r['seconds']:.1f} | {rate:.1f} | {rate / base_rate:.2f}× |"
        )
    ratios = ", ".join(f"{r['workers']} workers {r['pages'] / r['seconds'] / base_rate:.2f}×" for r in results[1:])
    print(f"workers: {base_rate:.1f} pages/s with 1 worker; {ratios} (same run)")


if __name__ == "__main__":
    main()
