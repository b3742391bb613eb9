"""`export versions`, `export attachments` and the report's per-site axes, on the researchers'
archive (every sample portal crawled, one Huế article edited and crawled again)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sqlite3
from pathlib import Path

from archive.report import LEFT, RIGHT, WIDTH
from archive.tables import export_kinds
from archive.warc import read_record

from .conftest import EDITED_TITLE, EDITED_URL, run_cli


def _query(db: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def _jsonl(*args: str) -> list[dict]:
    result = run_cli("export", *args, "--format", "jsonl")
    assert result.code == 0, result.err
    return [json.loads(line) for line in result.out.splitlines()]


def test_export_versions_every_version_with_its_capture(research_archive: Path) -> None:
    db = str(research_archive)
    rows = _jsonl("versions", "--db", db)
    assert rows and list(rows[0]) == list(export_kinds()["versions"].columns)
    assert len(rows) == _query(research_archive, "SELECT count(*) FROM article_versions")[0][0]
    assert [(r["article_id"], r["version"]) for r in rows] == sorted((r["article_id"], r["version"]) for r in rows)

    edited = [r for r in rows if r["url"] == EDITED_URL]
    assert [r["version"] for r in edited] == [1, 2]
    assert edited[0]["title"] == "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin"
    assert edited[1]["title"] == EDITED_TITLE and edited[0]["date"] == edited[1]["date"] == "2020-08-27"
    assert edited[0]["fetched_at"] < edited[1]["fetched_at"] and edited[0]["content_hash"] != edited[1]["content_hash"]
    assert (
        edited[1]["content_hash"]
        == _query(research_archive, "SELECT content_hash FROM articles WHERE url = ?", [EDITED_URL])[0][0]
    )
    assert {r["province"] for r in edited} == {"Huế"}
    for row in edited:  # the WARC pointer leads to the page the version was extracted from
        response = read_record(research_archive.parent / row["warc_dir"], row["warc_file"], row["warc_offset"])
        assert response.status == 200 and row["title"] in response.body.decode("utf-8")
        assert row["warc_record_id"].startswith("<urn:uuid:") and row["payload_digest"].startswith("sha1:")

    # The filters and the query of `export articles` select the articles whose versions are written.
    danang = _jsonl("versions", "--db", db, "--province", "da nang", "--since", "2021-06")
    assert danang and {r["site"] for r in danang} == {"danang.gov.vn"} and all(r["date"] >= "2021-06" for r in danang)
    queried = _jsonl("versions", "--db", db, "--query", '"tiep tuc dan dau"')
    assert [(r["url"], r["version"]) for r in queried] == [(EDITED_URL, 1), (EDITED_URL, 2)]


def test_export_attachments_with_their_article_and_bytes(research_archive: Path) -> None:
    db = str(research_archive)
    result = run_cli("export", "attachments", "--db", db)
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and list(rows[0]) == list(export_kinds()["attachments"].columns)
    assert len(rows) == _query(research_archive, "SELECT count(*) FROM attachments")[0][0]
    urls = dict(_query(research_archive, "SELECT id, url FROM articles"))
    assert all(urls[int(r["article_id"])] == r["article_url"] for r in rows)
    fetched = [r for r in rows if r["status"] == "fetched"]
    assert fetched and {r["status"] for r in rows} >= {"fetched", "pending"}
    for row in fetched:  # size, SHA-1 and WARC pointer describe the bytes archived
        response = read_record(research_archive.parent / row["warc_dir"], row["warc_file"], int(row["warc_offset"]))
        assert len(response.body) == int(row["size"]) and hashlib.sha1(response.body).hexdigest() == row["sha1"]
        assert row["media_type"] and row["url"] == response.url
    site = fetched[0]["site"]
    only = _jsonl("attachments", "--db", db, "--site", site)
    assert only and {r["site"] for r in only} == {site} and len(only) == sum(r["site"] == site for r in rows)


def test_export_versions_bad_input_is_one_line(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "v.csv"
    for args, message in [
        (["--query", "AND hue"], "bad query"),
        (["--province", "Atlantis"], "Atlantis"),
        (["--since", "2021-13"], "is not a date"),
    ]:
        result = run_cli("export", "versions", "--db", str(research_archive), "--out", str(out), *args)
        assert result.code == 2 and result.err.startswith("Error: ") and message in result.err
        assert len(result.err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_each_sites_chart_spans_its_own_months(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert run_cli("report", "--db", str(research_archive), "--out", str(out)).code == 0
    page = out.read_text(encoding="utf-8")
    spans = _query(
        research_archive, "SELECT site, min(substr(date, 1, 7)), max(substr(date, 1, 7)), count(*) FROM articles GROUP BY site"
    )
    assert len(spans) > 5
    for site, first, last, n in spans:
        chart = re.search(rf'<figure id="pub-{re.escape(site)}">(.*?)</figure>', page, re.S)
        assert chart, site
        assert f"<desc>{n} articles published from {first} to {last}</desc>" in chart.group(1)
        year_a, month_a, year_b, month_b = (int(x) for x in (*first.split("-"), *last.split("-")))
        months = (year_b - year_a) * 12 + month_b - month_a + 1
        # One slot per month of the site's own range: bars as wide as the range allows.
        assert chart.group(1).count("<rect") == len(
            _query(research_archive, ("SELECT DISTINCT substr(date, 1, 7) FROM articles WHERE site = ?"), [site])
        )
        widths = {float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', chart.group(1))}
        assert widths == {float(f"{min(max((WIDTH - LEFT - RIGHT) / months * 0.8, 1), 40):.1f}")}
    overall = re.search(r"<figure><svg.*?<desc>(.*?)</desc>", page, re.S)
    assert overall and overall.group(1).endswith("from 2010-03 to 2024-10")
