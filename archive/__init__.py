"""The SQLite archive of portal-archive: schema and migrations, storage, search, history, WARC
files, exports, reports and the browser (Datasette).

The storage layer: it imports the pure core (``portals``) and never the crawler nor the
command; importing it loads no Scrapy, Twisted or lxml. A library first (``Archive``,
``search``); the ``portal-archive`` command (``portal_archive``) is a thin layer on top, and
the crawler hands it what it fetched through its pipeline.
"""

from .store import Archive, ArchiveError, Batch, WriteResult

__all__ = ["Archive", "ArchiveError", "Batch", "WriteResult"]
