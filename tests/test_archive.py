"""The archive library: idempotent storage, versions, visitor statistics, folding search."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from archive import schema
from archive.history import history
from archive.merge import merge
from archive.schema import SCHEMA_VERSION
from archive.search import QueryError, parse_query, search, snippet
from archive.store import Archive, ArchiveError, Batch, check_archive
from portals.extract import Record, Source
from portals.items import Provenance

T0 = "2026-11-26T09:00:00+07:00"
T1 = "2026-11-27T09:00:00+07:00"


def _record(url: str, title: str, body: str, **kw: object) -> Record:
    return Record(
        url=url,
        site="sdl.thuathienhue.gov.vn",
        family="hue_subsite",
        title=title,
        date=kw.pop("date", "2020-08-27"),
        body=body,
        **kw,
    )  # type: ignore[arg-type]


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    arc = Archive(tmp_path / "a.sqlite")
    yield arc
    arc.close()


ARTICLES = [
    _record(
        "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=1",
        "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin",
        "Tỉnh Thừa Thiên Huế là địa phương dẫn đầu trong toàn quốc về chỉ số ứng dụng CNTT.",
        source=Source("theo www.thuathienhue.gov.vn (HNQ)", "www.thuathienhue.gov.vn", "HNQ"),
    ),
    _record(
        "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=2",
        "Đoàn công tác thành phố Đà Nẵng thăm Huế",
        "Sáng 12/9, đoàn công tác của Sở Du lịch Đà Nẵng đã làm việc với Sở Du lịch Thừa Thiên Huế.",
        date="2021-09-12",
    ),
    # Stored from a page in decomposed Unicode with the old tone placement ("hoá") and Ð (U+00D0).
    _record(
        "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=3",
        "Lễ hội văn hoá ẩm thực",
        unicodedata.normalize("NFC", "Ðêm hội văn hoá ẩm thực Huế thu hút du khách.".replace("Ð", "Đ")),
        date="2019-04-07",
    ),
]


def test_new_archive_is_versioned_and_in_wal_mode(archive: Archive) -> None:
    assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"sites", "articles", "article_versions", "visitor_stats", "crawl_runs", "articles_fts"} <= set(
        archive.db.table_names()
    )


def test_same_batch_twice_stores_each_article_once(archive: Archive) -> None:
    batch = [(r, Provenance(T0, r.url, 200)) for r in ARTICLES]
    first = archive.add_articles(batch)
    again = archive.add_articles([(r, Provenance(T1, r.url, 200)) for r in ARTICLES])
    assert (first.new, first.changed, first.unchanged) == (3, 0, 0)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 3)
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    assert archive.db.execute("SELECT count(*) FROM article_versions").fetchone()[0] == 3
    assert archive.db.execute("SELECT first_seen, last_seen FROM articles WHERE url = ?", [ARTICLES[0].url]).fetchone() == (
        T0,
        T1,
    )


def test_changed_article_adds_a_version_and_keeps_the_old(archive: Archive) -> None:
    original = ARTICLES[0]
    archive.add_articles([(original, Provenance(T0, original.url))])
    edited = _record(original.url, original.title or "", original.body + " Năm 2020, tỉnh tiếp tục giữ vị trí thứ nhất.")
    result = archive.add_articles([(edited, Provenance(T1, edited.url))])
    assert result.changed == 1
    rows = archive.db.execute("SELECT version, record FROM version_records ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [1, 2]
    assert "giữ vị trí thứ nhất" not in rows[0][1] and "giữ vị trí thứ nhất" in rows[1][1]
    article = archive.db.execute("SELECT versions, last_changed, body FROM articles").fetchone()
    assert article[0] == 2 and article[1] == T1 and article[2].endswith("thứ nhất.")
    # The search index follows the latest version only.
    assert [h.url for h in search(archive, "giu vi tri thu nhat")] == [original.url]


def test_the_text_is_stored_once_and_every_version_reads_whole(archive: Archive, tmp_path: Path) -> None:
    """The latest version's record leaves its body to the article's row; a version replaced by
    a newer one gets it back in its record, in its place; every reader sees whole records."""
    first = ARTICLES[0]
    second = _record(first.url, first.title or "", first.body + " Năm 2020, tỉnh tiếp tục giữ vị trí thứ nhất.")
    third = _record(first.url, "Thừa Thiên Huế giữ vị trí thứ nhất", second.body + " Chỉ số năm 2021 tăng.")
    stored = lambda: [json.loads(r[0]) for r in archive.db.execute("SELECT record FROM article_versions ORDER BY version")]  # noqa: E731
    run = archive.start_run(first.site, [])
    archive.add_articles([(first, Provenance(T0, first.url))], run)
    assert "body" not in stored()[0] and stored()[0] == {k: v for k, v in first.to_dict().items() if k != "body"}
    # Two more versions in one batch: the second is replaced within the transaction that wrote it.
    archive.add_articles([(second, Provenance(T1, first.url)), (third, Provenance("2026-11-28T09:00:00+07:00", first.url))], run)
    archive.finish_run(run, "finished")
    versions = stored()
    assert [list(v) for v in versions[:2]] == [list(first.to_dict()), list(second.to_dict())]  # body back in its place
    assert versions[:2] == [first.to_dict(), second.to_dict()] and "body" not in versions[2]
    # Read whole: through the view, `show`'s history, and a merge into another archive.
    whole = [json.loads(r[0]) for r in archive.db.execute("SELECT record FROM version_records ORDER BY version")]
    assert whole == [first.to_dict(), second.to_dict(), third.to_dict()]
    assert [v.record for v in history(archive, first.url).versions] == whole
    assert [list(v.record) for v in history(archive, first.url).versions] == [list(first.to_dict())] * 3
    with Archive(tmp_path / "main.sqlite") as main:
        merge(main, archive.path, warc_dir=tmp_path / "warc")
        merged = [json.loads(r[0]) for r in main.db.execute("SELECT record FROM version_records ORDER BY version")]
        assert merged == whole
        assert main.db.execute("SELECT body FROM articles").fetchone()[0] == third.body


def test_records_stored_whole_before_schema_15_are_read_as_they_are(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    before = [name for name, _ in schema.MIGRATIONS].index("m015_bodies_once")
    first = ARTICLES[1]
    edited = _record(first.url, first.title or "", first.body + " Đoàn đã thăm Đại Nội.", date=first.date)
    with pytest.MonkeyPatch.context() as older:
        older.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        with Archive(path) as old:  # that schema's code kept the body in every record
            old.write(Batch(articles=[(first, Provenance(T0, first.url))]))
            old.db.execute("UPDATE article_versions SET record = ?", [json.dumps(first.to_dict(), ensure_ascii=False)])
    with Archive(path) as migrated:
        assert migrated.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [json.loads(r[0]) for r in migrated.db.execute("SELECT record FROM version_records")] == [first.to_dict()]
        migrated.add_articles([(edited, Provenance(T1, first.url))])
        records = [json.loads(r[0]) for r in migrated.db.execute("SELECT record FROM article_versions ORDER BY version")]
        assert records[0] == first.to_dict() and "body" not in records[1]
        assert [v.record for v in history(migrated, first.url).versions] == [first.to_dict(), edited.to_dict()]


def _segments(archive: Archive, index: str) -> int:
    """How many segments an FTS5 index holds (each write adds one; merges join them)."""
    return archive.db.execute(f"SELECT count(DISTINCT segid) FROM {index}_idx").fetchone()[0]


def test_search_indexes_merge_sixteen_segments_at_a_time(tmp_path: Path) -> None:
    """Each write adds a segment to both search indexes; they are merged once 16 wait (FTS5's
    default is 4), also in an archive made before schema 17, and search reads them all."""
    path = tmp_path / "old.sqlite"
    before = [name for name, _ in schema.MIGRATIONS].index("m017_index_merges")
    with pytest.MonkeyPatch.context() as older:
        older.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        with Archive(path) as old:
            assert old.db.execute("SELECT count(*) FROM articles_fts_config WHERE k = 'automerge'").fetchone()[0] == 0
    written = []
    with Archive(path) as archive:
        for index in schema.SEARCH_MERGED:
            assert archive.db.execute(f"SELECT v FROM {index}_config WHERE k = 'automerge'").fetchone()[0] == 16
        for n in range(1, 17):
            place = ["Hương Trà", "Phong Điền", "Đà Nẵng", "A Lưới"][n % 4]
            r = _record(f"http://sdl.thuathienhue.gov.vn/?gd=1&cn=28&tc={100 + n}", f"Tin {place} số {n}", f"Bài {n} về {place}.")
            archive.write(Batch(articles=[(r, Provenance(T0, r.url))]))
            written.append(r.url)
            if n == 15:  # one segment per write so far: none merged
                assert [_segments(archive, index) for index in schema.SEARCH_MERGED] == [15, 15]
        assert [_segments(archive, index) for index in schema.SEARCH_MERGED] == [1, 1]  # the 16th merged them
        for index in schema.SEARCH_MERGED:
            archive.db.execute(f"INSERT INTO {index} ({index}) VALUES ('integrity-check')")
        found = [hit.url for hit in search(archive, "da nang", limit=20)]
        assert sorted(found) == sorted(u for n, u in enumerate(written, start=1) if n % 4 == 2)


def test_views_alone_do_not_make_a_new_version(archive: Archive) -> None:
    r = ARTICLES[0]
    archive.add_articles([(r, Provenance(T0, r.url))])
    viewed = _record(r.url, r.title or "", r.body or "", source=r.source, views=1204)
    assert archive.add_articles([(viewed, Provenance(T1, r.url))]).unchanged == 1
    assert archive.db.execute("SELECT views, versions FROM articles").fetchone() == (1204, 1)


def test_visitor_stats_one_row_per_site_per_run(archive: Archive) -> None:
    run1 = archive.start_run("sdl.thuathienhue.gov.vn", ["http://sdl.thuathienhue.gov.vn/"])
    archive.add_visitor_stats("sdl.thuathienhue.gov.vn", {"total": 53957, "online": 7}, observed_at=T0, url="u", run_id=run1)
    archive.add_visitor_stats("sdl.thuathienhue.gov.vn", {"total": 53960, "online": 9}, observed_at=T0, url="u", run_id=run1)
    run2 = archive.start_run("sdl.thuathienhue.gov.vn", [])
    archive.add_visitor_stats("sdl.thuathienhue.gov.vn", {"total": 54001, "online": 3}, observed_at=T1, url="u", run_id=run2)
    rows = archive.db.execute("SELECT crawl_run_id, total, online FROM visitor_stats ORDER BY id").fetchall()
    assert rows == [(run1, 53960, 9), (run2, 54001, 3)]


@pytest.mark.parametrize(
    ("query", "expected_tc"),
    [
        ("da nang", {2}),
        ("Đà Nẵng", {2}),
        ("ĐÀ NẴNG", {2}),
        (unicodedata.normalize("NFD", "Đà Nẵng"), {2}),
        ("Ðà Nẵng", {2}),  # U+00D0 typed for Đ
        ("dan dau", {1}),
        ("Thừa Thiên Huế", {1, 2}),
        ("thua thien hue", {1, 2}),
        ("van hoa", {3}),
        ("văn hóa", {3}),  # new tone placement finds the old "hoá"
        ("dem hoi", {3}),
        ('"cong nghe thong tin"', {1}),
        ('"thong tin cong nghe"', set()),
        ("da nang OR ẩm thực", {2, 3}),
        ("hue NOT nang", {1, 3}),
        ("du*", {1, 2, 3}),  # "dụng" is a "du…" word too
        ("khach*", {3}),
        ("(da nang OR am thuc) AND du khach", {3}),
    ],
)
def test_search_folds_diacritics(archive: Archive, query: str, expected_tc: set[int]) -> None:
    archive.add_articles([(r, Provenance(T0, r.url)) for r in ARTICLES])
    got = {int(h.url.rsplit("=", 1)[1]) for h in search(archive, query)}
    assert got == expected_tc


def test_search_filters_and_orders(archive: Archive) -> None:
    archive.add_articles([(r, Provenance(T0, r.url)) for r in ARTICLES])
    assert [h.date for h in search(archive, "hue", order="date")] == ["2021-09-12", "2020-08-27", "2019-04-07"]
    assert [h.date for h in search(archive, "hue", since="2020-01-01", until="2020-12-31")] == ["2020-08-27"]
    assert search(archive, "hue", site="other.gov.vn") == []
    # Title hits weigh more than body hits.
    assert search(archive, "da nang")[0].title == "Đoàn công tác thành phố Đà Nẵng thăm Huế"


def test_snippet_highlights_the_original_diacritics() -> None:
    text = "Sáng 12/9, đoàn công tác của Sở Du lịch Đà Nẵng đã làm việc với Sở Du lịch Thừa Thiên Huế."
    assert "[Đà Nẵng]" in snippet(text, parse_query('"da nang"').terms, mark=("[", "]"))
    assert "[Đà Nẵng đã]" in snippet(text, parse_query("da nang").terms, mark=("[", "]"))  # "đã" is a "da" too
    assert snippet(text, parse_query("du*").terms, mark=("[", "]")).count("[Du]") == 2


@pytest.mark.parametrize(
    "query",
    ['"unclosed', "AND hue", "hue OR", "NOT hue", "(hue", "hue)", "()", "   ", "***", "hue AND OR nang"],
)
def test_malformed_queries_are_refused_clearly(query: str) -> None:
    with pytest.raises(QueryError):
        parse_query(query)


def test_no_query_can_inject_fts_syntax(archive: Archive) -> None:
    archive.add_articles([(r, Provenance(T0, r.url)) for r in ARTICLES])
    for query in ["title:hue", "NEAR(hue nang)", "hue^", "{title}: hue", "hue + nang", "'; DROP TABLE articles; --"]:
        search(archive, query)  # must not raise an FTS5 syntax error
    assert archive.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 3


def test_refuses_a_file_that_is_not_an_archive(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("hello, not a database")
    with pytest.raises(ArchiveError, match="cannot use"):
        Archive(text)
    assert text.read_text() == "hello, not a database"
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE people (name TEXT)")
    conn.commit()
    conn.close()
    with pytest.raises(ArchiveError, match="not a portal-archive archive"):
        Archive(other)


def test_refuses_an_archive_from_a_newer_version(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite"
    Archive(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    for readonly in (False, True):
        with pytest.raises(ArchiveError, match="newer"):
            Archive(path, readonly=readonly)


def test_opening_an_open_archive_again_keeps_the_process_locks(tmp_path: Path) -> None:
    """Closing any file descriptor of a file drops every POSIX lock the process holds on it.
    An archive open in this process is opened again (a report, a merge, the browser's pages)
    without its bytes being read outside SQLite, so the shared lock of its connection stays, and
    no other process can take the file from under it (check the write-ahead log in and delete it
    as its last connection closes). Checked from another process: the lock range SQLite's
    readers hold cannot be taken."""
    path = tmp_path / "a.sqlite"
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR)\n"
        "try:\n"
        "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 510, 0x40000002)\n"  # SQLite's SHARED range
        "    print('free')\n"
        "except OSError:\n"
        "    print('held')\n"
    )

    def lock() -> str:
        return subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True).stdout.strip()

    with Archive(path) as archive:
        archive.add_articles([(ARTICLES[0], Provenance(T0, ARTICLES[0].url))])
        assert lock() == "held"
        assert check_archive(path) == SCHEMA_VERSION
        with Archive(path, readonly=True) as again:
            assert again.db.execute("SELECT count(*) FROM articles").fetchone() == (1,)
        Archive(path).close()
        assert lock() == "held"
        other = sqlite3.connect(path)  # still refused when newer, read through SQLite
        other.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        other.close()
        with pytest.raises(ArchiveError, match="newer"):
            Archive(path, readonly=True)
        assert lock() == "held"
    assert lock() == "free"


def test_readonly_never_creates_a_file(tmp_path: Path) -> None:
    with pytest.raises(ArchiveError, match="no archive"):
        Archive(tmp_path / "missing.sqlite", readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()
