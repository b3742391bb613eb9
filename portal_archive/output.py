"""How the commands print: tables for people (rich), JSON, JSON Lines and CSV for programs."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import click


def emit(rows: list[dict[str, Any]], fmt: str, columns: list[str] | tuple[str, ...], title: str | None = None) -> None:
    """Print ``rows`` as a ``table``, ``json`` (one array), ``jsonl`` (an object a line) or ``csv``
    (a header, then a line per row), with ``columns`` in this order."""
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)


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
    from rich.markup import escape

    console = Console()
    if not hits:
        console.print(f"No article matches {query!r}.")
        return
    for hit in hits:
        snippet = escape(hit.snippet).replace("\x00", "[bold yellow]").replace("\x01", "[/bold yellow]")
        console.print(f"[bold]{escape(hit.title or '(no title)')}[/bold]  [dim]{hit.date or ''} · {hit.site} · #{hit.id}[/dim]")
        console.print(f"  {snippet}")
        console.print(f"  [blue]{escape(hit.url)}[/blue]")
    more = f" (--limit {min(total, 10_000)} shows all)" if total > len(hits) else ""
    console.print(f"[dim]{len(hits)} of {total:,} result(s){more}[/dim]")


# Marks that wrap a match in a snippet meant for ``print_hits`` (never in stored text).
TERMINAL_MARK = ("\x00", "\x01")
