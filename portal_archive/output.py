"""How the commands print: tables for people (rich), JSON, JSON Lines and CSV for programs.

Nothing printed carries a control or format character from the data (``portals.text.UNPRINTABLE``:
ESC, BEL, CR, DEL, C1 controls, bidirectional overrides …): an archive written before stored text
was cleaned of them may hold some, and in a terminal they move the cursor, recolour, retitle the
window or reorder what is shown. Text, tables and CSV show each as its escape (``\\x1b``,
``\\u202e``); JSON escapes them (``\\u001b``), so a JSON reader gets the value unchanged.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click

from portals.text import UNPRINTABLE

_UNPRINTABLE = re.compile(UNPRINTABLE)


def terminal_safe(text: str) -> str:
    """``text`` with every character of ``UNPRINTABLE`` shown as its escape: ``\\x1b``,
    ``\\u202e``, ``\\U000e0041`` (line feeds and tabs stay)."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # a surrogate pair, as JSON spells a character past the BMP
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_text(value: Any, indent: int | None = None) -> str:
    """``value`` as JSON (UTF-8, not ASCII escapes) with the characters of ``UNPRINTABLE`` escaped:
    json escapes C0 controls, not DEL, C1 controls or format characters. (Those can stand only
    inside strings, where an escape reads back as the same character.)"""
    return _UNPRINTABLE.sub(_json_escape, json.dumps(value, ensure_ascii=False, indent=indent))


def echo(text: str, *, err: bool = False) -> None:
    """``click.echo`` of text that may hold the archive's data (see ``terminal_safe``)."""
    click.echo(terminal_safe(text), err=err)


def emit(
    rows: list[dict[str, Any]],
    fmt: str,
    columns: list[str] | tuple[str, ...],
    title: str | None = None,
    *,
    narrow: list[str] | tuple[str, ...] | None = None,
) -> None:
    """Print ``rows`` as a ``table``, ``json`` (one array), ``jsonl`` (an object a line) or ``csv``
    (a header, then a line per row), with ``columns`` in this order. A table fits the terminal
    (``table``): with the ``narrow`` columns only when all of them do not fit, or else as records."""
    if fmt == "json":
        click.echo(json_text(rows, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json_text(row))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: terminal_safe(v) if isinstance(v, str) else v for k, v in row.items()} for row in rows)
    else:
        table(rows, columns, title, narrow=narrow)


# Table headers for people (JSON and CSV keep the column names).
LABELS = {
    "province_before_2025": "before 2025",
    "articles_new": "new",
    "articles_changed": "changed",
    "articles_unchanged": "unchanged",
    "started_at": "started",
    "finished_at": "finished",
    "next_run_at": "next run",
    "last_run_at": "last run",
    "last_status": "last status",
    "observed_at": "observed",
    "http_status": "http",
}
MIN_COLUMN = 10  # a column is never cut narrower than this (or its header, or its widest value)
_GAP = 3  # between two columns: padding, rule, padding


def _cell(value: Any) -> str:
    """A value as one line of a table: text from the archive or the user is shown, never read as
    markup or layout (line breaks and tabs become spaces, control characters escapes)."""
    return "" if value is None else terminal_safe(" ".join(str(value).split()))


def table(
    rows: list[dict[str, Any]],
    columns: list[str] | tuple[str, ...],
    title: str | None = None,
    *,
    narrow: list[str] | tuple[str, ...] | None = None,
) -> None:
    """Print rows for a person, within the terminal's width (``COLUMNS``; 80 when not a
    terminal): a table whose columns are each at least ``MIN_COLUMN`` wide (or their header, or
    their widest value), the long values cut with "…"; when the columns do not fit, the
    ``narrow`` ones and a note of what was left out; when those do not fit either, one record
    per row, its fields packed into lines ("label value"). Nothing is read as rich markup."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    width = console.width
    cells = [{c: _cell(row.get(c)) for c in columns} for row in rows]

    def plan(chosen: list[str] | tuple[str, ...], *, whole: bool = False) -> list[int] | None:
        natural = [max([cell_len(LABELS.get(c, c))] + [cell_len(r[c]) for r in cells]) for c in chosen]
        if whole:  # every value whole, or no plan
            return natural if sum(natural) + _GAP * (len(chosen) - 1) <= width else None
        widths = [min(n, max(cell_len(LABELS.get(c, c)), MIN_COLUMN)) for c, n in zip(chosen, natural, strict=True)]
        spare = width - _GAP * (len(chosen) - 1) - sum(widths)
        if spare < 0:
            return None
        while spare > 0:  # the rest to the narrowest of the columns that were cut
            short = [i for i, w in enumerate(widths) if w < natural[i]]
            if not short:
                break
            widths[min(short, key=lambda i: widths[i])] += 1
            spare -= 1
        return widths

    # Every column with whole values; else the narrow columns whole; else every column, or the
    # narrow ones, with long values cut; else records.
    chosen: list[str] | tuple[str, ...] = columns
    widths = plan(columns, whole=True)
    if widths is None and narrow:
        chosen, widths = narrow, plan(narrow, whole=True)
    if widths is None:
        chosen, widths = columns, plan(columns)
    if widths is None and narrow:
        chosen, widths = narrow, plan(narrow)
    if widths is None:
        _records(console, cells, columns, title, width)
        return
    if title:  # a line of its own (a table's title would wrap to the table's width)
        console.print(Text(title), no_wrap=True, overflow="ellipsis", crop=True)
    grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for c, w in zip(chosen, widths, strict=True):
        numeric = bool(cells) and all(r[c].lstrip("-").isdigit() for r in cells if r[c])
        grid.add_column(
            Text(LABELS.get(c, c)), width=w, no_wrap=True, overflow="ellipsis", justify="right" if numeric else "left"
        )
    for r in cells:
        grid.add_row(*(Text(r[c]) for c in chosen))
    console.print(grid)
    if chosen is not columns:
        left_out = ", ".join(LABELS.get(c, c) for c in columns if c not in chosen)
        console.print(Text(f"(not shown at this width: {left_out}; --format csv has them)", style="dim"))


def _records(
    console: Any, cells: list[dict[str, str]], columns: list[str] | tuple[str, ...], title: str | None, width: int
) -> None:
    """Rows as records for a narrow terminal: "label value" fields packed into lines, a record's
    further lines indented; a value too long for a line is cut with "…"."""
    from rich.cells import cell_len
    from rich.text import Text

    def put(line: Text) -> None:
        console.print(line, no_wrap=True, overflow="ellipsis", crop=True)

    if title:
        put(Text(title, style="bold"))
    for r in cells:
        line = Text()
        for c in columns:
            if not r[c]:
                continue
            field = Text.assemble((LABELS.get(c, c), "dim"), " ", r[c])
            if line.plain.strip() and cell_len(line.plain) + 2 + field.cell_len > width:
                put(line)
                line = Text("  ")
            elif line.plain.strip():
                line.append("  ")
            line.append_text(field)
        put(line)
    if not cells:
        put(Text("(none)", style="dim"))


@contextmanager
def text_output(path: Path | None) -> Iterator[TextIO]:
    """UTF-8 text with no newline translation (CSV writes its own line ends) to ``path``, which
    appears complete or not at all (written beside it, renamed at the end), or to standard output."""
    if path is None:
        stream = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=False)
        try:
            yield stream
        finally:  # flush, and give stdout back to Python rather than closing it
            stream.flush()
            stream.detach()
        return
    part = path.with_name(f".{path.name}.part")
    try:
        with part.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        part.replace(path)
    finally:
        if part.exists():
            part.unlink()


def print_hits(hits: list[Any], total: int, query: str) -> None:
    """Search results for a terminal: title, date, site and id; the snippet with its matches in
    bold; the URL. Hits carry their matches between NUL and SOH (see ``search(mark=…)``)."""
    from rich.console import Console
    from rich.text import Text

    # Text objects throughout: titles, snippets, URLs and the query are shown as they are, never
    # read as rich markup ("[/]", "[bold]" in a query or an article stay literal).
    console = Console(highlight=False)
    if not hits:
        console.print(Text(f"No article matches {terminal_safe(repr(query))}."))
        return
    for hit in hits:
        snippet = Text("  ")
        for n, part in enumerate(hit.snippet.replace("\x01", "\x00").split("\x00")):
            snippet.append(terminal_safe(part), style="bold yellow" if n % 2 else None)
        apart = " · words apart" if getattr(hit, "apart", False) else ""  # typed side by side, found apart
        copies = getattr(hit, "copies", None)  # search --collapse: copies of the story on other sites
        apart += f" · {copies} cop{'y' if copies == 1 else 'ies'} elsewhere" if copies else ""
        title = terminal_safe(hit.title or "(no title)")
        where = terminal_safe(f"{hit.date or ''} · {hit.site} · #{hit.id}{apart}")
        console.print(Text.assemble((title, "bold"), "  ", (where, "dim")))
        console.print(snippet)
        console.print(Text.assemble("  ", (terminal_safe(hit.url), "blue")))
    more = f" (--limit {min(total, 10_000)} shows all)" if total > len(hits) else ""
    console.print(Text(f"{len(hits)} of {total:,} result(s){more}", style="dim"))


def print_attachment_hits(hits: list[Any], total: int, query: str) -> None:
    """Documents found for a terminal: the document's name and the page of the match; the snippet
    with its matches in bold; the article it is attached to; the document's URL."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    if not hits:
        console.print(Text(f"No attached document matches {terminal_safe(repr(query))}."))
        return
    for hit in hits:
        snippet = Text("  ")
        for n, part in enumerate(hit.snippet.replace("\x01", "\x00").split("\x00")):
            snippet.append(terminal_safe(part), style="bold yellow" if n % 2 else None)
        of = f" of {hit.pages}" if hit.pages else ""
        console.print(Text.assemble((terminal_safe(hit.document), "bold"), "  ", (f"page {hit.page}{of}", "dim")))
        console.print(snippet)
        article = terminal_safe(f"in: {hit.article_title or '(no title)'} · {hit.date or ''} · {hit.site} · #{hit.article_id}")
        console.print(Text.assemble("  ", (article, "dim")))
        console.print(Text.assemble("  ", (terminal_safe(hit.url), "blue")))
    more = f" (--limit {min(total, 10_000)} shows all)" if total > len(hits) else ""
    console.print(Text(f"{len(hits)} of {total:,} document(s){more}", style="dim"))


# Marks that wrap a match in a snippet meant for ``print_hits`` (never in stored text).
TERMINAL_MARK = ("\x00", "\x01")
