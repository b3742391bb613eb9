"""``portal-archive demo``: the whole product in one command, on the bundled sample portals."""

from __future__ import annotations

from pathlib import Path

import click

from ..output import emit
from .archivists import report_runs
from .common import EXIT_CODES, BadInput, open_archive
from .researchers import search


@click.command(epilog=EXIT_CODES)
@click.option(
    "--db",
    "db_path",
    default="portal-archive-demo/archive.sqlite",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the demo archive.",
)
@click.option(
    "--sites-dir",
    type=click.Path(file_okay=False, exists=True),
    help="Saved portals to serve (default: the bundled sample portals).",
)
@click.option("--query", default="cong nghe thong tin", show_default=True, help="The search to show at the end.")
def demo(db_path: str, sites_dir: str | None, query: str) -> None:
    """Crawl the bundled sample portals end to end and search them.

    Serves the saved sample portals (shipped with the package) on 127.0.0.1, crawls them with
    the real spider over real HTTP into a SQLite archive, then prints what was stored, the latest
    visitor statistics of each site and the result of a search typed without diacritics.
    """
    from ..demo import crawl_samples
    from ..sample_portal import DEFAULT_SITES_DIR

    folder = Path(sites_dir) if sites_dir else DEFAULT_SITES_DIR
    if not folder.is_dir():
        raise BadInput(f"no sample portals at {folder}")
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    open_archive(db_path, readonly=False, create=True).close()
    run_ids = crawl_samples(db_path, folder, announce=click.echo)
    report_runs(db_path, run_ids)
    archive = open_archive(db_path, readonly=True)
    summary = archive.site_summary()
    archive.close()
    emit(
        summary,
        "table",
        ["site", "articles", "versions", "newest", "observed_at", "total", "online", "today"],
        title="Archive: articles and latest visitor statistics per site",
    )
    click.echo(f'\n$ portal-archive search --db {db_path} "{query}"')
    click.get_current_context().invoke(search, query=query, db_path=db_path, limit=5)


COMMANDS = [demo]
