"""The text of fetched attachments, read off the crawl's event loop.

Reading a document takes a child process (``portals.documents.extract_document``: bounded in
size, memory and time) and up to its timeout; ``DocumentReader`` waits for it in a thread of its
own, so the reactor goes on fetching and storing meanwhile, and other users of the reactor's
thread pool (name resolution) never wait behind a slow PDF.
"""

from __future__ import annotations

import logging
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Any

from twisted.internet.defer import Deferred

from portals.documents import DocumentText, Limits, extract_document, failed

logger = logging.getLogger(__name__)


class DocumentReader:
    """``read(body)`` → a Deferred firing with the document's ``DocumentText``."""

    def __init__(self, limits: Limits | None = None, workers: int = 1):
        self.limits = limits or Limits()
        self._pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="documents")

    def read(self, body: bytes) -> Deferred[DocumentText]:
        from twisted.internet import reactor  # the installed one

        d: Deferred[DocumentText] = Deferred()
        future = self._pool.submit(extract_document, body, self.limits)

        def settle(done: Future[DocumentText]) -> None:  # in the pool's thread: hand over to the reactor's
            reactor.callFromThread(_fire, d, done)  # type: ignore[attr-defined]

        future.add_done_callback(settle)
        return d

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _fire(d: Deferred[Any], done: Future[DocumentText]) -> None:
    try:
        document = done.result()
    except CancelledError:  # the crawl closed first
        document = failed("interrupted")
    except Exception as exc:  # a bug, logged: the attachment is still stored, its text marked failed
        logger.exception("reading an attachment's text failed")
        document = failed(f"the reader raised {type(exc).__name__}")
    d.callback(document)
