"""Commands for researchers: ``search``, ``show`` (one article and its history), ``export``,
``report`` (a self-contained HTML page) and ``serve`` (the archive in a browser)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..output import TERMINAL_MARK, echo, emit, json_text, print_attachment_hits, print_hits, text_output
from .common import (
    EXIT_CODES,
    BadInput,
    Failure,
    article_key,
    checked_filters,
    db_option,
    filter_options,
    open_archive,
    output_path,
)


@click.command(epilog=EXIT_CODES)
@click.argument("query")
@db_option
@filter_options
@click.option("--limit", type=click.IntRange(min=1, max=10_000), default=20, show_default=True, help="At most this many results.")
@click.option(
    "--in",
    "where",
    type=click.Choice(["articles", "attachments"]),
    default="articles",
    show_default=True,
    help="Search the articles, or the text of their attached documents (PDF, DOCX, XLSX): one hit per document, with its page.",
)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best matches first (title matches, then the words together, then apart; newest first within), or newest first.",
)
@click.option("--offset", type=click.IntRange(min=0), default=0, help="Skip this many results first.")
@click.option("--after", "cursor", metavar="CURSOR", help="The results after the one of this cursor (printed for the next page).")
@click.option("--source", "sources", multiple=True, help="Only articles whose credit line has these words (repeatable).")
@click.option("--publisher", "publishers", multiple=True, help="Only articles of this publisher, accents optional (repeatable).")
@click.option("--author", "authors", multiple=True, help="Only articles by this author, diacritics optional (repeatable).")
@click.option("--changed", is_flag=True, help="Only articles changed after publication (more than one version).")
@click.option(
    "--collapse", is_flag=True, help="One hit per story: copies of a hit's article on other sites left out, their number shown."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
    help="Output format; json, jsonl and csv carry id, date, site, title, url, snippet (matches in <mark>), "
    "score (the title's bm25 for title matches by relevance, higher is better; else empty), apart (true: words "
    "typed side by side matched only apart) and cursor (--after it gives the results after this one).",
)
@click.option("--gone", "presence", flag_value="gone", help="Only articles marked removed from their portal.")
@click.option("--present", "presence", flag_value="present", help="Only articles not marked removed.")
def search(
    query: str,
    db_path: str,
    sites: tuple[str, ...] = (),
    provinces: tuple[str, ...] = (),
    families: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    sort: str = "relevance",
    fmt: str = "table",
    where: str = "articles",
    offset: int = 0,
    cursor: str | None = None,
    sources: tuple[str, ...] = (),
    publishers: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
    changed: bool = False,
    collapse: bool = False,
    presence: str | None = None,
) -> None:
    """Search archived articles, with or without diacritics.

    "da nang" finds "Đà Nẵng"; "dan dau" finds "dẫn đầu"; "hoà" finds "hòa". Use "quotes" for a
    phrase, AND / OR / NOT (capitals) between terms, parentheses, and a trailing * for a prefix
    (du*). Snippets show the matches in the original text. Words typed side by side match
    apart too ("da nang" finds "đã … nâng cao"): such results come last, marked apart.

    \b
    Examples:
      portal-archive search '"Thừa Thiên Huế" AND du lich*' --since 2020 --until 2020-12
      portal-archive search "chuyen doi so" --province "da nang" --sort date --format csv
      portal-archive search "da nang" --publisher "bao nhan dan" --changed --after CURSOR
      portal-archive search "cong van" --in attachments
    """
    if where == "attachments":
        if offset or cursor or sources or publishers or authors or changed or collapse or presence:
            raise BadInput("--in attachments takes --site, --province, --family, --since, --until, --limit and --sort only")
        _search_attachments(query, db_path, (sites, provinces, families, since, until), limit, sort, fmt)
        return
    from dataclasses import replace

    from archive.copies import collapse as collapse_copies
    from archive.search import CursorError, FilterError, QueryError, count
    from archive.search import search as run_search

    archive = open_archive(db_path, readonly=True)
    mark = TERMINAL_MARK if fmt == "table" else ("<mark>", "</mark>")
    try:
        filters = checked_filters(archive, sites, provinces, families, since, until)
        filters = replace(filters, sources=sources, publishers=publishers, authors=authors, changed=changed, presence=presence)
        wanted = min(limit * 5, 10_000) if collapse else limit  # --collapse: enough hits for `limit` stories
        hits = run_search(archive, query, filters, limit=wanted, order=sort, mark=mark, offset=offset, after=cursor)
        hits = collapse_copies(archive.db, hits, limit) if collapse else hits
        total = count(archive, query, filters) if fmt == "table" and not collapse else len(hits)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except CursorError as exc:
        raise BadInput(f"--after {cursor}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    if fmt == "table":
        print_hits(hits, total, query)
        if len(hits) == limit:
            click.echo(f"next page: --after {hits[-1].cursor}")
    else:
        columns = ["id", "date", "site", "title", "url", "snippet", "score", "apart", "cursor"]
        emit([h.to_dict() for h in hits], fmt, [*columns, "copies"] if collapse else columns)


def _search_attachments(query: str, db_path: str, filtering: tuple[Any, ...], limit: int, sort: str, fmt: str) -> None:
    """``search --in attachments``: the documents whose text matches, with their page and article."""
    from archive.attachment_search import count_attachments, search_attachments
    from archive.search import FilterError, QueryError

    archive = open_archive(db_path, readonly=True)
    mark = TERMINAL_MARK if fmt == "table" else ("<mark>", "</mark>")
    try:
        filters = checked_filters(archive, *filtering)
        hits = search_attachments(archive, query, filters, limit=limit, order=sort, mark=mark)
        total = count_attachments(archive, query, filters) if fmt == "table" else len(hits)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    if fmt == "table":
        print_attachment_hits(hits, total, query)
    else:
        columns = ["attachment_id", "document", "page", "pages", "url", "article_id", "article_title", "article_url"]
        emit([h.to_dict() for h in hits], fmt, [*columns, "site", "date", "snippet", "score"])


@click.command(epilog=EXIT_CODES)
@click.argument("article", metavar="URL_OR_ID")
@db_option
@click.option("--diff", is_flag=True, help="Also print a unified diff from each version to the next.")
@click.option("--no-body", is_flag=True, help="Leave the article's text out (metadata, versions, provenance only).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--raw", is_flag=True, help="Write the captured page of a version instead (decoded: de-chunked, decompressed).")
@click.option("--raw-http", is_flag=True, help="Write the captured HTTP response of a version: status line, headers, body.")
@click.option(
    "--version", "version", type=click.IntRange(min=1), help="With --raw/--raw-http: this version (default: the latest)."
)
@click.option("--warc-dir", type=click.Path(file_okay=False), help="With --raw/--raw-http: look for WARC files here first.")
def show(
    article: str,
    db_path: str,
    diff: bool,
    no_body: bool,
    fmt: str,
    raw: bool = False,
    raw_http: bool = False,
    version: int | None = None,
    warc_dir: str | None = None,
) -> None:
    """Print one article with its history: source, date, every version the archive kept (when it
    was fetched, which fields changed), its attachments and the WARC record of every capture.

    URL_OR_ID is the id that search prints (#42) or the article's URL in any spelling (http or
    https, with or without www., parameters in any order). --format json gives everything,
    including each version's full record.

    --raw writes the page as captured (the payload of the WARC record of the latest version, or
    of --version N) to standard output, as bytes; --raw-http the whole HTTP response as recorded.
    """
    from archive.history import ArticleNotFound, history, render_text, unified_diffs

    if raw or raw_http:
        _show_raw(db_path, article, version, http=raw_http, warc_dir=warc_dir)
        return
    if version is not None:
        raise BadInput("--version chooses the capture that --raw or --raw-http writes: give one of them")
    archive = open_archive(db_path, readonly=True)
    try:
        hist = history(archive, article_key(article))
    except ArticleNotFound as exc:
        raise BadInput(str(exc)) from None
    finally:
        archive.close()
    if fmt == "json":
        data = hist.to_dict()
        if diff:
            data["diffs"] = unified_diffs(hist)
        click.echo(json_text(data, indent=2))
    else:
        echo(render_text(hist, body=not no_body, diff=diff))


def _show_raw(db_path: str, article: str, version: int | None, *, http: bool, warc_dir: str | None) -> None:
    from archive.history import ArticleNotFound, CaptureMissing, raw_capture

    archive = open_archive(db_path, readonly=True)
    try:
        _, data = raw_capture(archive, article_key(article), version, http=http, warc_dir=Path(warc_dir) if warc_dir else None)
    except ArticleNotFound as exc:
        raise BadInput(str(exc)) from None
    except CaptureMissing as exc:
        raise Failure(str(exc)) from None
    finally:
        archive.close()
    stream = click.get_binary_stream("stdout")
    try:
        stream.write(data)
        stream.flush()
    except BrokenPipeError:  # `show --raw … | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@click.command(epilog=EXIT_CODES)
@click.argument("kind", type=click.Choice(["articles", "versions", "attachments", "visitor-stats", "runs", "wacz"]))
@db_option
@filter_options
@click.option(
    "--query", help="Articles (their versions, attachments, wacz) only: those matching this search (same syntax as `search`)."
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, allow_dash=True), help="Write to this file (default, or -: stdout).")
@click.option("--bom", is_flag=True, help="Start a CSV with a UTF-8 byte-order mark (for spreadsheet programs).")
@click.option(
    "--raw-cells",
    is_flag=True,
    help="CSV: keep text that begins with = + - @ as stored (by default it gets a leading ' so that "
    "spreadsheets do not run it as a formula).",
)
@click.option("--warc-dir", type=click.Path(file_okay=False), help="wacz: look for WARC files here first (default: as recorded).")
def export(
    kind: str,
    db_path: str,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
    query: str | None,
    fmt: str,
    out: str | None,
    bom: bool,
    raw_cells: bool = False,
    warc_dir: str | None = None,
) -> None:
    """Export articles, their versions or attachments, visitor statistics or crawl runs as CSV or
    JSON Lines; or the raw captures of articles as a WACZ file (`export wacz --out FILE.wacz`).

    Rows stream from the database (constant memory on any archive). The columns are fixed and
    documented in docs/schema.md: articles by id, visitor-stats by site and time, runs by id.
    --since/--until apply to the article date, the observation time or the run's start. A file
    given with --out appears complete or not at all.

    versions: every version of the selected articles (filters and --query as for articles), with
    its number, fetch time, content hash, title and date, and its WARC record (folder, file,
    offset, record id). attachments: the selected articles' attachments, with their URL, article,
    media type, size, SHA-1, status and WARC record.

    wacz (filters as for articles): the WARC records of every version of the selected articles,
    a CDXJ index, pages.jsonl (each article's URL, capture time, title and date) and
    datapackage.json, for ReplayWeb.page, pywb and other web-archive tools.
    """
    from archive import export as exporter
    from archive.report import snapshot
    from archive.search import FilterError, QueryError

    if kind == "wacz":
        _export_wacz(db_path, sites, provinces, families, since, until, query, out, warc_dir)
        return
    if kind not in ("articles", "versions", "attachments") and (query or families):
        raise BadInput("--query and --family apply to `export articles` only (and to its versions and attachments)")
    if bom and fmt != "csv":
        raise BadInput("--bom starts a CSV file: it applies to --format csv only")
    if raw_cells and fmt != "csv":
        raise BadInput("--raw-cells is about CSV cells: it applies to --format csv only (JSON Lines keep values as stored)")
    target = output_path(out, db_path=db_path)
    archive = open_archive(db_path, readonly=True)
    try:
        filters = checked_filters(archive, sites, provinces, families, since, until)
        with snapshot(archive):  # one committed state, whatever a crawl writes meanwhile
            rows = exporter.rows(archive, kind, filters, query)  # a bad query fails here, before any output
            with text_output(target) as stream:
                n = exporter.write(rows, kind, fmt, stream, bom=bom, raw_cells=raw_cells)
        if target:
            click.echo(f"exported {n:,} {kind} to {out}", err=True)
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    except BrokenPipeError:  # `export … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        archive.close()


def _export_wacz(
    db_path: str,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
    query: str | None,
    out: str | None,
    warc_dir: str | None,
) -> None:
    """``export wacz``: one zip file, to ``--out`` (``-``: standard output, once it is whole)."""
    import shutil
    import tempfile

    from archive.report import snapshot
    from archive.search import FilterError, QueryError
    from archive.wacz_export import WaczError, write_wacz

    if out is None:  # a zip, to a terminal only if asked for
        raise BadInput("export wacz writes a zip file: give --out FILE.wacz (or --out - for standard output)")
    target = output_path(out, db_path=db_path)
    archive = open_archive(db_path, readonly=True)
    scratch = tempfile.TemporaryDirectory(prefix="portal-archive-wacz-") if target is None else None
    try:
        filters = checked_filters(archive, sites, provinces, families, since, until)
        written = Path(scratch.name) / "export.wacz" if scratch else target
        with snapshot(archive):  # one committed state, whatever a crawl writes meanwhile
            report = write_wacz(archive, written, filters, query, warc_dir=Path(warc_dir) if warc_dir else None)
        if scratch:  # a zip is written with seeks: made aside, then sent whole
            with written.open("rb") as done:
                shutil.copyfileobj(done, sys.stdout.buffer)
            sys.stdout.buffer.flush()
    except QueryError as exc:
        raise BadInput(f"bad query {query!r}: {exc}") from None
    except FilterError as exc:
        raise BadInput(str(exc)) from None
    except WaczError as exc:
        raise Failure(str(exc)) from None
    finally:
        archive.close()
        if scratch:
            scratch.cleanup()
    click.echo(f"exported {report.articles:,} articles ({report.records:,} captures) to {out}", err=True)
    if report.missing:
        for line in report.missing[:20]:
            click.echo(f"  missing: {line}", err=True)
        raise Failure(f"{len(report.missing)} capture(s) not found, left out (see `portal-archive verify`)")


@click.command(epilog=EXIT_CODES)
@db_option
@filter_options
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, allow_dash=True), help="The HTML file to write (-: stdout)."
)
@click.option("--title", default="Portal archive report", show_default=True, help="The page's title.")
def report(
    db_path: str,
    sites: tuple[str, ...],
    provinces: tuple[str, ...],
    families: tuple[str, ...],
    since: str | None,
    until: str | None,
    out: str,
    title: str,
) -> None:
    """Write a self-contained HTML report: per-site tables, and charts of publication volume per
    month and of visitor statistics over time, for every site (inline SVG; no scripts, no external
    resources: it opens offline and prints). The filters narrow it like `search`.
    """
    from archive.report import render_report

    target = output_path(out, db_path=db_path)
    archive = open_archive(db_path, readonly=True)
    try:
        filters = checked_filters(archive, sites, provinces, families, since, until)
        page = render_report(archive, filters, title=title)
    finally:
        archive.close()
    with text_output(target) as stream:
        stream.write(page)
    if target:
        click.echo(f"report written to {target.resolve()}")


@click.command(epilog=EXIT_CODES)
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8001, show_default=True, help="Port to listen on.")
@click.option("--allow-sql", is_flag=True, help="Let visitors run their own (read-only) SQL queries.")
def serve(db_path: str, host: str, port: int, allow_sql: bool) -> None:
    """Browse and search the archive in a web browser (Datasette), read-only.

    The articles table has a search box that finds words with or without diacritics, exactly as
    `portal-archive search`; facets by site, province and year; canned queries (articles per site
    per month, visitor statistics of a site over time, articles changed after publication); and
    charts at /-/charts; search by relevance or newest first, with snippets, at /-/search; every
    article version links to its capture (/-/capture/ID: the page from its WARC record, as a
    sandboxed download). Nothing can be written; arbitrary SQL only with --allow-sql. Every page
    carries a Content-Security-Policy (no inline script runs). The file is read live, each page
    in one read transaction, so a crawl may write it meanwhile: a page shows the archive as one
    commit left it. Ctrl-C stops the server.
    """
    from archive.web.app import check_port, readable_live
    from archive.web.app import serve as run_server

    open_archive(db_path, readonly=True).close()  # not an archive: one line, exit 2
    path = Path(db_path).resolve()
    immutable = not readable_live(path)
    try:
        check_port(host, port)
    except OSError as exc:
        raise Failure(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"Serving {path} read-only at http://{shown}:{port}/{path.stem}/articles (Ctrl-C stops)")
    if immutable:
        click.echo("the archive's folder cannot be written here: reading it as a file nothing changes", err=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"note: listening on {host}: anyone who can reach this machine can read the archive", err=True)
    run_server(path, host=host, port=port, allow_sql=allow_sql, immutable=immutable)


COMMANDS = [search, show, export, report, serve]
