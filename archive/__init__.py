"""The SQLite archive of portal-archive: schema and migrations, storage, search and the CLI.

A library first (``Archive``, ``search``), with the ``portal-archive`` command as a thin layer
on top. It never imports Scrapy; the crawler hands it records through its pipeline.
"""

from .store import Archive, ArchiveError, Capture, WriteResult

__all__ = ["Archive", "ArchiveError", "Capture", "WriteResult"]
