"""Calls into the extraction library in a child process, each with a time bound.

A regular expression that backtracks catastrophically holds the interpreter in C code: a thread
cannot interrupt it, and a test that calls it directly would hang the suite. ``Watchdog`` sends
each call to a child process and waits at most ``seconds``; a call past its bound is a ``Hang``
(the child is killed and a new one started), a call that raises comes back as its traceback.
"""

from __future__ import annotations

import multiprocessing
import re
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


class Hang(AssertionError):
    """A call ran past its time bound."""


class Raised(AssertionError):
    """A call raised; the message holds the child's traceback."""


def _functions() -> dict[str, Callable[..., Any]]:
    from portals.extract import extract
    from portals.extract.attribution import byline_source, parse_source, split_inline_source
    from portals.extract.counters import is_counter_line, view_count, visitor_stats
    from portals.extract.dates import before_label, find_dates
    from portals.extract.dom import parse
    from portals.folding import fold
    from portals.profiles import get_profile
    from portals.text import clean, parse_count

    def run_extract(html: bytes | str, url: str, family: str | None = None, content_type: str | None = None) -> dict:
        return extract(html, url, get_profile(family) if family else None, content_type=content_type).to_dict()

    def counters(text: str) -> tuple[Any, ...]:
        """The counter readers over ``text`` as one block and cut into lines of a widget's size."""
        lines = "<br>".join(text[i : i + 250] for i in range(0, len(text), 250))
        blocks = parse(f"<div>{lines}</div><p>{text}</p>").blocks
        return visitor_stats(blocks), view_count(blocks, range(len(blocks))), [is_counter_line(b) for b in blocks]

    return {
        "extract": run_extract,
        "find_dates": lambda text: len(find_dates(text)),
        "before_label": lambda text: len(before_label(text)),
        "parse_source": lambda text: repr(parse_source(text, strict=False)),
        "split_inline_source": lambda text: split_inline_source(text) is not None,
        "byline_source": lambda text: repr(byline_source(text)),
        "clean": lambda text: len(clean(text)),
        "fold": lambda text: len(fold(text)),
        "parse_count": parse_count,
        "counters": lambda text: repr(counters(text))[:200],
        # The watchdog's own check: a textbook catastrophic backtracking.
        "backtrack": lambda text: re.match(r"(a+)+$", text) is not None,
    }


# The regex-heavy helpers of dates.py, attribution.py, text.py and counters.py, by name.
HELPERS: tuple[str, ...] = ("find_dates", "before_label", "parse_source", "split_inline_source", "byline_source")
HELPERS += ("clean", "fold", "parse_count", "counters")


def _serve(conn: Connection) -> None:
    functions = _functions()
    while True:
        name, args = conn.recv()
        started = time.perf_counter()
        try:
            result = functions[name](*args)
        except BaseException:
            conn.send((False, traceback.format_exc(), time.perf_counter() - started))
        else:
            conn.send((True, result, time.perf_counter() - started))


class Watchdog:
    """A child process that runs named extraction functions (see ``_functions``) one at a time."""

    def __init__(self) -> None:
        self.calls = 0
        self.slowest = 0.0
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._proc = context.Process(target=_serve, args=(child,), daemon=True)
        self._proc.start()

    def call(self, name: str, *args: Any, seconds: float) -> Any:
        """``name(*args)`` in the child: its result, or ``Hang`` past ``seconds``, or ``Raised``."""
        self.calls += 1
        self._conn.send((name, args))
        if not self._conn.poll(seconds):
            self._proc.kill()
            self._proc.join()
            self._start()
            raise Hang(f"{name} ran past {seconds} s on an input of {sum(len(a) for a in args if a)} characters/bytes")
        ok, value, elapsed = self._conn.recv()
        if not ok:
            raise Raised(f"{name} raised:\n{value}")
        self.slowest = max(self.slowest, elapsed)
        return value

    def close(self) -> None:
        self._proc.kill()
        self._proc.join()
