"""Resident memory of a crawl over time: one crawl of a synthetic portal (``benchmarks/crawl.py``)
with the RSS of its process and of each process it starts, read from ``/proc`` twice a second.

    python -m benchmarks.rss --articles 10000 full
    python -m benchmarks.rss --articles 10000 bare

Prints the crawl's own JSON line, the peak RSS of each process (the crawl's first), and the
crawl process's RSS at fifteen moments, to tell a one-time rise from growth with pages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import Portal, PortalServer

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(p for child in children for p in process_tree(int(child)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["full", "bare"])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    portal = Portal(args.articles, seed=args.seed)
    with tempfile.TemporaryDirectory() as work, PortalServer(portal) as server:
        command = [sys.executable, "-m", "benchmarks.crawl", args.kind, *portal.start_urls(), "--proxy", server.url]
        if args.kind == "full":
            command += ["--db", str(Path(work) / "archive.sqlite")]
        began = time.monotonic()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env)
        peaks: dict[int, int] = {}
        samples: list[tuple[float, int]] = []
        while proc.poll() is None:
            for pid in process_tree(proc.pid):
                peaks[pid] = max(peaks.get(pid, 0), rss_mb(pid))
            samples.append((time.monotonic() - began, rss_mb(proc.pid)))
            time.sleep(0.5)
        assert proc.stdout is not None
        print(proc.stdout.read().decode().strip().splitlines()[-1])
    print("peak RSS (MB) by process, the crawl's first:", " ".join(f"{mb}" for mb in peaks.values()))
    step = max(1, len(samples) // 15)
    print("crawl process RSS (s: MB):", ", ".join(f"{t:.0f}: {mb}" for t, mb in samples[::step]))


if __name__ == "__main__":
    main()
