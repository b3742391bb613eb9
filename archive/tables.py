"""The description of the archive's tables and columns (``tables.toml``), the one source for the
browser's column descriptions, the column sets of ``export`` and the tables section of
docs/schema.md.

``python -m archive.tables`` prints that section as Markdown; ``python -m archive.tables
docs/schema.md`` rewrites it in place, between its two marker lines.
"""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

BEGIN = "<!-- tables: made from archive/tables.toml by `python -m archive.tables docs/schema.md`; do not edit here -->"
END = "<!-- end of tables -->"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    notes: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class ExportKind:
    name: str  # as `portal-archive export KIND` names it
    table: str
    date_column: str  # what --since/--until compare
    order: str  # columns of the table, comma-separated
    columns: tuple[str, ...]


@cache
def _data() -> dict:
    # A package resource, so it loads from a zipped egg too.
    return tomllib.loads((files(__package__ or "archive") / "tables.toml").read_text(encoding="utf-8"))


@cache
def tables() -> dict[str, Table]:
    """Every table of the archive, by name, in the order the file describes them."""
    return {
        name: Table(
            name,
            spec["description"].strip(),
            spec.get("notes", "").strip(),
            tuple(Column(column, kind, meaning) for column, (kind, meaning) in spec["columns"].items()),
        )
        for name, spec in _data()["table"].items()
    }


@cache
def export_kinds() -> dict[str, ExportKind]:
    """What ``portal-archive export`` writes, by kind (articles, visitor-stats, runs)."""
    return {
        name: ExportKind(name, spec["table"], spec["date_column"], spec["order"], tuple(spec["columns"]))
        for name, spec in _data()["export"].items()
    }


def plain(text: str) -> str:
    """Markdown as plain text (for the browser's descriptions): no backticks, no emphasis."""
    return re.sub(r"\*\*([^*]+)\*\*", r"\1", text.replace("`", ""))


def markdown() -> str:
    """The tables section of docs/schema.md."""
    out = [BEGIN, "", "## Tables"]
    for table in tables().values():
        out += ["", f"### `{table.name}`", "", table.description, "", "| column | type | meaning |", "| --- | --- | --- |"]
        out += [f"| `{c.name}` | {c.type} | {c.meaning} |" for c in table.columns]
        if table.notes:
            out += ["", table.notes]
    out += ["", "## Export columns", "", _EXPORT_INTRO, ""]
    for kind in export_kinds().values():
        order = ", then ".join(f"`{c.strip()}`" for c in kind.order.split(","))
        out.append(f"- **{kind.name}** (by {order}): `{', '.join(kind.columns)}`")
    out += ["", END]
    return "\n".join(out)


_EXPORT_INTRO = (
    "`portal-archive export` writes these columns, in this order, for every archive (a column an\n"
    "older archive lacks is empty). Columns are only ever added at the end. CSV has a header row and\n"
    "empty cells for NULL; JSON Lines has one object per line, with numbers as numbers, NULL as\n"
    "`null`, and the JSON columns of runs (`seeds`, `error_kinds`, `warc_files`, `settings`) as JSON\n"
    "values. `province` and `province_before_2025` come from the registry, by site."
)


def rewrite(path: Path) -> bool:
    """Replace the section between the markers of ``path`` with ``markdown()``; whether it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + markdown() + text[end:]
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(f"{sys.argv[1]}: {'rewritten' if rewrite(Path(sys.argv[1])) else 'already up to date'}")
    else:
        print(markdown())
