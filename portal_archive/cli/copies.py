"""``copies``: the stories republished most across portals, and linking the copies of articles
stored before copies were linked (``archive.copies``)."""

from __future__ import annotations

import click

from ..output import emit
from .common import EXIT_CODES, db_option, open_archive


@click.command(epilog=EXIT_CODES)
@db_option
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many stories.")
@click.option(
    "--rebuild",
    is_flag=True,
    help="First find the copies of every archived article again (archives made before copies were linked).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table", show_default=True)
def copies(db_path: str, limit: int, rebuild: bool, fmt: str) -> None:
    """List the stories republished most across portals: each once (its earliest article), with
    how many copies of it other sites hold, and which sites.

    Copies are found as articles are stored: the same text once folded (exact) or 3-syllable
    shingles with a Jaccard similarity of at least 0.5 (near). `portal-archive show ID` lists an
    article's copies and its original; `search --collapse` shows one hit per story.

    \b
    Examples:
      portal-archive copies --limit 50 --format csv
      portal-archive copies --rebuild
    """
    from archive.copies import most_republished
    from archive.copies import rebuild as rebuild_copies

    archive = open_archive(db_path, readonly=not rebuild)
    try:
        if rebuild:
            click.echo(f"looked for the copies of {rebuild_copies(archive.db):,} article(s)", err=True)
        stories = most_republished(archive.db, limit)
    finally:
        archive.close()
    columns = ["id", "title", "site", "date", "url", "copies", "republished_on", "has_exact_copy"]
    emit(stories, fmt, columns)


COMMANDS = [copies]
