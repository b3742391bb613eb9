"""One committed state of the archive per page: every query a request makes reads inside one
read transaction.

Datasette runs each query of a page (the rows, their count, every facet) on whichever of its
thread's connections is free, each query a transaction of its own: a crawl committing between
two of them shows a page whose count, facets and rows disagree, and a search's matches taken from
one state and its rows from another. ``SnapshotDatabase`` gives each request one connection
(from a small pool), opens a transaction on it at the request's first query and ends it when
the response is sent (``request_snapshot``, around the whole request). In WAL mode a reader
keeps the state of its first read while writers commit, and never blocks them.

The archive's own pages (search, charts, captures) read through the same connection
(``read_archive``), never through a connection of their own: one opened and closed in this
process beside the live ones (``immutable``, as ``archive.store.check_archive`` may open one)
would drop the process's POSIX locks on the file, after which a crawl ending would take itself
for the last user of the archive and remove the write-ahead log under the live readers.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import sqlite_utils
from datasette.database import Database

from ..store import Archive

_current: ContextVar[Snapshot | None] = ContextVar("portal_archive_snapshot", default=None)


class Snapshot:
    """The connections (one per database) a request reads through, each in its transaction."""

    def __init__(self) -> None:
        self.lock = threading.Lock()  # a request's queries may be gathered: one at a time
        self.connections: dict[SnapshotDatabase, sqlite3.Connection] = {}

    def connection(self, db: SnapshotDatabase) -> sqlite3.Connection:
        conn = self.connections.get(db)
        if conn is None:
            conn = self.connections[db] = db.checkout()
            conn.execute("BEGIN")  # the state is fixed at the first read that follows
        return conn

    def close(self) -> None:
        for db, conn in self.connections.items():
            db.checkin(conn)
        self.connections.clear()


class SnapshotDatabase(Database):  # type: ignore[misc]
    """A Datasette database whose queries, within a request, all read one snapshot."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._idle: list[sqlite3.Connection] = []
        self._idle_lock = threading.Lock()

    def checkout(self) -> sqlite3.Connection:
        with self._idle_lock:
            if self._idle:
                return self._idle.pop()
        conn = self.connect()
        self.ds._prepare_connection(conn, self.name)
        return conn

    def checkin(self, conn: sqlite3.Connection) -> None:
        try:
            conn.rollback()  # it only read: ends the transaction, lets checkpoints proceed
        except sqlite3.Error:
            conn.close()
            return
        with self._idle_lock:
            self._idle.append(conn)

    async def execute_fn(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        snapshot = _current.get()
        if snapshot is None:  # outside a request (startup): Datasette's own way
            return await super().execute_fn(fn)

        def in_thread() -> Any:
            with snapshot.lock:
                return fn(snapshot.connection(self))

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


@asynccontextmanager
async def request_snapshot() -> AsyncIterator[None]:
    """Around one request: its queries read one snapshot, released when it is answered."""
    snapshot = Snapshot()
    token = _current.set(snapshot)
    try:
        yield
    finally:
        _current.reset(token)
        await asyncio.get_running_loop().run_in_executor(None, _close, snapshot)


def _close(snapshot: Snapshot) -> None:
    with snapshot.lock:
        snapshot.close()


async def read_archive(db: Database, fn: Callable[[Archive], Any]) -> Any:
    """``fn(archive)`` with the archive read through ``db``'s connection of this request (its
    snapshot): the library's readers (search, report, history) on the page's state."""
    path = Path(db.path)

    def on(conn: sqlite3.Connection) -> Any:
        archive = Archive.__new__(Archive)  # an open connection, not a file to open and check
        archive.path, archive.readonly, archive.db = path, True, sqlite_utils.Database(conn)
        return fn(archive)

    return await db.execute_fn(on)
