"""``portal-archive``: the command line, a thin layer over the libraries below it.

Each command parses its input, calls one library function and prints; no command holds SQL or
crawl logic. The commands are grouped by who uses them: ``portals`` (the registry and single
pages), ``archivists`` (crawls, their runs, merges, re-extraction, verification), ``schedules``,
``researchers`` (search, show, export, report, serve) and ``demo``.

Exit codes (every command): 0 success; 1 the work failed at run time (a crawl that failed, a
disk that filled); 2 bad input (unknown site, unreadable file, malformed query, bad date, a
file that is not an archive) — reported in one line, with nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from portals import __version__

from . import archivists, demo, portals, researchers, schedules
from .common import EXIT_CODES


@click.group(epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="portal-archive")
def cli() -> None:
    """Archive Vietnam's provincial government portals and search what they published.

    Start with `portal-archive demo`; then crawl a portal with `portal-archive crawl SITE`,
    search with `portal-archive search QUERY`, read one page with `portal-archive extract FILE`.
    """


for _module in (portals, archivists, schedules, researchers, demo):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: Iterable[str] | None = None) -> None:
    """Entry point: click's errors become one line on stderr with the documented exit code."""
    import signal

    # Past a file-size limit (ulimit -f), writes fail with an error the archive handles (nothing
    # half-written) instead of the process being killed mid-write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        code = cli.main(args=list(argv) if argv is not None else None, prog_name="portal-archive", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        click.echo(f"Error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
