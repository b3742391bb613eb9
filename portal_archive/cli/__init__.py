"""``portal-archive``: the command line, a thin layer over the libraries below it.

Each command parses its input, calls one library function and prints; no command holds SQL or
crawl logic. The commands are grouped by who uses them: ``portals`` (the registry and single
pages), ``archivists`` (crawls, their runs, merges, re-extraction, verification), ``schedules``,
``researchers`` (search, show, export, report, serve) and ``demo``.

Exit codes (every command): 0 success; 1 the work failed at run time (a crawl that failed, a
disk that filled); 2 bad input (unknown site, unreadable file, malformed query, bad date, a
file that is not an archive) — reported in one line, with nothing written. The group below is
the one error boundary: whatever a command did not turn into one of these itself becomes one
line and exit 1 there (``common.as_click_error``); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any

import click

from portals import __version__

from ..output import terminal_safe
from . import archivists, copies, demo, portals, researchers, schedules
from .common import EXIT_CODES, as_click_error, one_line


class _ErrorBoundary(click.Group):
    """The command group that turns every error a command lets through into one line: an
    expected one (bad input, a file that cannot be written, …) with its exit code, anything else
    as exit 1 (``common.as_click_error``) — unless ``--debug`` asks for the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort, BrokenPipeError):
            raise
        except Exception as exc:
            if _debugging(ctx.params.get("debug")):
                raise
            raise as_click_error(exc) from exc


def _debugging(flag: object = None) -> bool:
    return bool(flag) or os.environ.get("PORTAL_ARCHIVE_DEBUG", "") not in ("", "0")


@click.group(
    cls=_ErrorBoundary,
    epilog=EXIT_CODES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="portal-archive")
@click.option(
    "--debug", is_flag=True, help="On an error, also show its Python traceback (anywhere on the line; or PORTAL_ARCHIVE_DEBUG=1)."
)
def cli(debug: bool) -> None:
    """Archive Vietnam's provincial government portals and search what they published.

    Start with `portal-archive demo`; then crawl a portal with `portal-archive crawl SITE`,
    search with `portal-archive search QUERY`, read one page with `portal-archive extract FILE`.
    """


for _module in (portals, archivists, schedules, researchers, copies, demo):
    for _command in _module.COMMANDS:
        cli.add_command(_command)


def main(argv: Iterable[str] | None = None) -> None:
    """Entry point: every error becomes one line on stderr with the documented exit code (the
    traceback too with ``--debug``)."""
    import signal

    args = list(argv) if argv is not None else sys.argv[1:]
    # --debug is global: taken wherever it stands (before a "--" that ends the options)
    options_end = args.index("--") if "--" in args else len(args)
    if "--debug" in args[:options_end]:
        args = ["--debug", *(a for i, a in enumerate(args) if a != "--debug" or i >= options_end)]
    # Past a file-size limit (ulimit -f), writes fail with an error the archive handles (nothing
    # half-written) instead of the process being killed mid-write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        code = cli.main(args=args, prog_name="portal-archive", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        hint = ""
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            hint = f" (see '{exc.ctx.command_path} --help')"
        if _debugging("--debug" in args) and exc.__cause__ is not None:
            import traceback

            traceback.print_exception(exc.__cause__, file=sys.stderr)
        click.echo(f"Error: {terminal_safe(one_line(exc.format_message()))}{hint}", err=True)
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # `portal-archive … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as exc:  # raised outside a command (the boundary lets nothing else through)
        if _debugging("--debug" in args):
            raise
        error = as_click_error(exc)
        click.echo(f"Error: {terminal_safe(one_line(error.format_message()))}", err=True)
        sys.exit(error.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
