"""Crawl locks: one crawl of a site into an archive at a time.

An exclusive ``flock`` on ``<archive>.locks/<site>.lock``: the operating system releases it
when its holder exits, however it exits (a killed crawl never leaves a stale lock behind).
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path


class CrawlLocked(RuntimeError):
    """Another crawl of the same site into the same archive is running."""


_held: dict[Path, int] = {}  # lock file → open descriptor, for this process


def lock_path(db_path: str | os.PathLike[str], site: str) -> Path:
    db = Path(db_path).resolve()
    return db.parent / f"{db.name}.locks" / f"{site.replace(':', '_')}.lock"


def acquire_lock(db_path: str | os.PathLike[str], site: str) -> Path:
    """Take the crawl lock of ``site`` in this archive (idempotent within a process)."""
    path = lock_path(db_path, site)
    if path in _held:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
        os.close(fd)
        raise CrawlLocked(f"a crawl of {site} into {Path(db_path).name} is already running ({holder})") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
    _held[path] = fd
    return path


def release_lock(path: Path) -> None:
    fd = _held.pop(path, None)
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def is_locked(db_path: str | os.PathLike[str], site: str) -> bool:
    """Whether another process holds the site's crawl lock right now."""
    try:
        path = acquire_lock(db_path, site)
    except CrawlLocked:
        return True
    release_lock(path)
    return False
