"""Relevance search in tiers (titles, words together, words apart), paging by offset and cursor,
the source/publisher/author and changed filters, and the bulk write path they all read from."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archive import schema
from archive import search as search_module
from archive.search import CursorError, FilterError, Filters, search
from archive.store import Archive
from portals.extract import Record, Source
from portals.folding import indexed
from portals.items import Provenance
from portals.record import Attachment

from .conftest import run_cli

AT = "2025-03-01T08:00:00+07:00"

# (title, date, body, source): what provincial portals print, with "Đà Nẵng" in titles, bodies,
# and "đã … nâng" / "bánh đa … nâng cao" that hold the same syllables apart.
ARTICLES = [
    (
        "Đà Nẵng đón 1,2 triệu lượt khách du lịch dịp Tết",
        "2024-02-20",
        "Trong 9 ngày nghỉ Tết, các cơ sở lưu trú trên địa bàn thành phố kín phòng.",
        Source("Theo Báo Đà Nẵng (Thu Hà)", "Báo Đà Nẵng", "Thu Hà"),
    ),
    (
        "Hội nghị xúc tiến đầu tư vào Đà Nẵng năm 2023",
        "2023-05-11",
        "Lãnh đạo thành phố giới thiệu các dự án kêu gọi đầu tư.",
        Source("Theo Báo Nhân Dân", "Báo Nhân Dân", None),
    ),
    (
        "Thừa Thiên Huế đẩy mạnh liên kết du lịch miền Trung",
        "2024-06-01",
        "Huế cùng Đà Nẵng và Quảng Nam xây dựng sản phẩm du lịch chung cho du khách quốc tế.",
        Source("Theo Báo Thừa Thiên Huế (Hoàng Nam)", "Báo Thừa Thiên Huế", "Hoàng Nam"),
    ),
    (
        "Quảng Nam khai trương tuyến xe buýt liên tỉnh",
        "2022-09-30",
        "Tuyến xe nối Hội An với trung tâm Đà Nẵng, mỗi ngày 20 chuyến.",
        None,
    ),
    (
        "Làng nghề bánh đa Quảng Nam",
        "2024-11-15",
        "Người dân làng nghề làm bánh đa theo cách truyền thống; tỉnh hỗ trợ nâng cao chất lượng sản phẩm.",
        Source("Theo Báo Quảng Nam (Lê Hà)", "Báo Quảng Nam", "Lê Hà"),
    ),
    (
        "Hà Tĩnh tập huấn chuyển đổi số cho cán bộ xã",
        "2021-04-02",
        "Sau khóa học, các học viên đã được nâng cao kỹ năng sử dụng dịch vụ công trực tuyến.",
        None,
    ),
]


def _record(i: int, title: str, day: str, body: str, source: Source | None) -> Record:
    site = ("danang.gov.vn", "hue.gov.vn", "quangnam.gov.vn")[i % 3]
    return Record(url=f"https://{site}/tin-tuc/{i}", site=site, title=title, date=day, body=body, source=source)


@pytest.fixture
def archive(tmp_path: Path) -> Archive:
    archive = Archive(tmp_path / "archive.sqlite")
    archive.add_articles([(_record(i, *a), Provenance(AT, f"https://x/{i}")) for i, a in enumerate(ARTICLES)])
    return archive


def _titles(hits: list) -> list[str]:
    return [h.title for h in hits]


def test_titles_first_then_words_together_then_apart(archive: Archive) -> None:
    hits = search(archive, "da nang")
    assert _titles(hits) == [
        # the title holds "Đà Nẵng": scored by the title's bm25 (the shorter title first)
        "Hội nghị xúc tiến đầu tư vào Đà Nẵng năm 2023",
        "Đà Nẵng đón 1,2 triệu lượt khách du lịch dịp Tết",
        # the body holds it: newest first
        "Thừa Thiên Huế đẩy mạnh liên kết du lịch miền Trung",
        "Quảng Nam khai trương tuyến xe buýt liên tỉnh",
        # "bánh đa … nâng cao", "đã được nâng cao": the syllables apart, newest first
        "Làng nghề bánh đa Quảng Nam",
        "Hà Tĩnh tập huấn chuyển đổi số cho cán bộ xã",
    ]
    assert [h.apart for h in hits] == [False] * 4 + [True] * 2
    assert hits[0].score is not None and hits[0].score > hits[1].score and hits[2].score is None
    assert "<mark>bánh đa</mark>" in hits[4].snippet or "<mark>đa</mark>" in hits[4].snippet
    # A phrase, or a single word, has no words apart: no hit says so.
    assert not any(h.apart for h in search(archive, '"da nang"')) and len(search(archive, '"da nang"')) == 4
    assert not any(h.apart for h in search(archive, "quang OR hue"))


@pytest.mark.parametrize("per_id", [100, 0])  # the index read over the hits' range, or asked id by id
def test_newest_first_says_which_hits_are_apart(archive: Archive, monkeypatch: pytest.MonkeyPatch, per_id: int) -> None:
    monkeypatch.setattr(search_module, "_RANGE_PER_ID", per_id)
    hits = search(archive, "da nang", order="date")
    assert [h.date for h in hits] == ["2024-11-15", "2024-06-01", "2024-02-20", "2023-05-11", "2022-09-30", "2021-04-02"]
    assert [h.apart for h in hits] == [True, False, False, False, False, True]
    assert all(h.score is None for h in hits)


def test_not_leaves_out_articles_by_any_field_in_every_tier(archive: Archive) -> None:
    # "Đà Nẵng" in the title, "khách" in the body: the title tier must not keep it.
    assert _titles(search(archive, "da nang NOT du lich")) == [
        "Hội nghị xúc tiến đầu tư vào Đà Nẵng năm 2023",
        "Quảng Nam khai trương tuyến xe buýt liên tỉnh",
        "Làng nghề bánh đa Quảng Nam",
        "Hà Tĩnh tập huấn chuyển đổi số cho cán bộ xã",
    ]


@pytest.mark.parametrize("order", ["relevance", "date"])
def test_pages_by_offset_and_by_cursor_give_every_hit_once(archive: Archive, order: str) -> None:
    everything = search(archive, "da nang", order=order, limit=100)
    assert len(everything) == 6
    assert [h.id for h in search(archive, "da nang", order=order, limit=2, offset=3)] == [h.id for h in everything[3:5]]
    paged, after = [], None
    while page := search(archive, "da nang", order=order, limit=2, after=after):
        paged += page
        after = page[-1].cursor
    assert [h.to_dict() for h in paged] == [h.to_dict() for h in everything]
    # A cursor names a hit, not a position: an article archived meanwhile does not shift the next page.
    cursor = everything[1].cursor
    archive.add_articles([(_record(9, "Đà Nẵng khánh thành cầu mới", "2025-01-01", "Cầu mới.", None), Provenance(AT, "x"))])
    assert [h.id for h in search(archive, "da nang", order=order, after=cursor, limit=3)] == [h.id for h in everything[2:5]]


def test_a_cursor_no_search_printed_is_refused(archive: Archive) -> None:
    cursor = search(archive, "da nang", order="date")[0].cursor
    with pytest.raises(CursorError, match="sorted by date"):
        search(archive, "da nang", after=cursor)
    for bad in ["xyz", "", "bnVsbA", cursor[:-3]]:
        with pytest.raises(CursorError):
            search(archive, "da nang", order="date", after=bad or "=")


def test_filters_by_source_publisher_and_author_without_diacritics(archive: Archive) -> None:
    def titles(**kwargs: object) -> set[str]:
        return {h.title or "" for h in search(archive, "du lich OR dau tu OR quang nam", Filters.of(**kwargs))}  # type: ignore[arg-type]

    assert titles(publisher="bao nhan dan") == {"Hội nghị xúc tiến đầu tư vào Đà Nẵng năm 2023"}
    assert titles(author="THU HA") == {"Đà Nẵng đón 1,2 triệu lượt khách du lịch dịp Tết"}
    assert titles(author=["hoàng nam", "le ha"]) == {
        "Thừa Thiên Huế đẩy mạnh liên kết du lịch miền Trung",
        "Làng nghề bánh đa Quảng Nam",
    }
    assert titles(source="theo bao quang") == {"Làng nghề bánh đa Quảng Nam"}
    assert titles(author="ha") == {"Đà Nẵng đón 1,2 triệu lượt khách du lịch dịp Tết", "Làng nghề bánh đa Quảng Nam"}
    assert titles(author="hoa") == set()  # whole words: not the start of "Hoàng"
    with pytest.raises(FilterError):
        titles(publisher="…")


def test_changed_keeps_articles_with_more_than_one_version(archive: Archive) -> None:
    title, day, body, source = ARTICLES[3]
    edited = _record(3, title, day, body + " Giá vé 25.000 đồng.", source)
    archive.add_articles([(edited, Provenance("2025-03-02T08:00:00+07:00", edited.url))])
    assert _titles(search(archive, "da nang", Filters.of(changed=True))) == [title]
    assert _titles(search(archive, "gia ve", Filters.of(changed=True), order="date")) == [title]


def test_a_batch_stores_every_record_in_order(tmp_path: Path) -> None:
    """The bulk path: a page twice in one batch (a new version the second time), a page given
    unchanged, text the tokenizer cannot fold alone (U+00D0, Greek), all in one call."""
    archive = Archive(tmp_path / "a.sqlite")
    first = Record(url="https://danang.gov.vn/a", site="danang.gov.vn", title="Ðà Nẵng mùa lễ hội", body="Pháo hoa bên sông Hàn.")
    second = Record(url=first.url, site=first.site, title="Ðà Nẵng mùa lễ hội", body="Pháo hoa quốc tế bên sông Hàn.")
    greek = Record(
        url="https://hue.gov.vn/b",
        site="hue.gov.vn",
        family="hue_portal",
        title="Đoàn khách Ελλάδα thăm Huế",
        date="2025-02-28T09:15+07:00",
        summary='Đoàn công tác "hữu nghị"\tthăm Huế.',
        body="Đoàn công tác.\n\nThăm Đại Nội.",
        source=Source("Theo TTXVN", "TTXVN", None),
        views=1204,
        visitor_stats={"total": 53957, "online": 7},
        attachments=[Attachment("https://hue.gov.vn/files/lich-trinh.pdf", "Lịch trình")],
        warnings=["date: from the byline"],
    )
    result = archive.add_articles(
        [(first, Provenance(AT, first.url)), (greek, Provenance(AT, greek.url)), (second, Provenance(AT, "u"))]
    )
    assert (result.new, result.changed, result.unchanged) == (2, 1, 0)
    # Every version keeps the whole record, as extracted.
    stored = [json.loads(r[0]) for r in archive.db.execute("SELECT record FROM version_records ORDER BY id")]
    assert stored == [first.to_dict(), greek.to_dict(), second.to_dict()]
    assert archive.add_articles([(greek, Provenance("2025-03-05T00:00:00+07:00", greek.url))]).unchanged == 1
    rows = archive.db.execute("SELECT url, versions, last_seen FROM articles ORDER BY id").fetchall()
    assert rows == [(first.url, 2, AT), (greek.url, 1, "2025-03-05T00:00:00+07:00")]
    assert [h.url for h in search(archive, "phao hoa quoc te")] == [first.url]
    assert search(archive, "phao hoa bên song", order="date")[0].url == first.url
    assert _titles(search(archive, "da nang")) == ["Ðà Nẵng mùa lễ hội"]  # Ð (U+00D0) folded by the archive
    assert _titles(search(archive, "ελλαδα")) == [greek.title]
    # Every article once in each index, with the latest version's words only, folded.
    assert indexed(second.title) == "Da Nang mua le hoi"
    assert _terms(archive, "articles_fts") == {
        1: {"da", "nang", "mua", "le", "hoi", "phao", "hoa", "quoc", "te", "ben", "song", "han"},
        2: {"doan", "khach", "ελλαδα", "tham", "hue", "cong", "tac", "huu", "nghi", "dai", "noi"},
    }
    assert _terms(archive, "articles_title_fts") == {
        1: {"da", "nang", "mua", "le", "hoi"},
        2: {"doan", "khach", "ελλαδα", "tham", "hue"},
    }
    # A new version again: its old words leave the index (given back as they were indexed).
    third = Record(url=first.url, site=first.site, title="Đà Nẵng đón khách", body="Khách quốc tế.")
    assert archive.add_articles([(third, Provenance("2025-03-06T00:00:00+07:00", first.url))]).changed == 1
    assert _terms(archive, "articles_title_fts")[1] == {"da", "nang", "don", "khach"}
    assert _terms(archive, "articles_fts")[1] == {"da", "nang", "don", "khach", "quoc", "te"}
    assert _titles(search(archive, "phao hoa")) == []


def _terms(archive: Archive, index: str) -> dict[int, set[str]]:
    """Article id → the words ``index`` holds for it (FTS5's own vocabulary of the index)."""
    archive.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{index}_words USING fts5vocab(main, {index}, 'instance')")
    terms: dict[int, set[str]] = {}
    for term, doc in archive.db.execute(f"SELECT term, doc FROM temp.{index}_words"):
        terms.setdefault(doc, set()).add(term)
    return terms


def test_the_title_index_is_built_for_an_archive_that_had_none(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = [h.to_dict() for h in search(archive, "da nang")]
    # The same articles in an archive made before the index of titles: its rows written as that
    # schema's code wrote them.
    path = tmp_path / "old.sqlite"
    before = [name for name, _ in schema.MIGRATIONS].index("m010_title_index")
    with monkeypatch.context() as older:
        older.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:before])
        with Archive(path) as old:
            for id_, url, site, title, day, summary, body, digest in archive.db.execute(
                "SELECT id, url, site, title, date, summary, body, content_hash FROM articles ORDER BY id"
            ):
                texts = [indexed(text) for text in (title, summary, body)]  # that schema's index kept them folded
                old.db.execute(
                    "INSERT INTO articles (id, url, site, title, date, body, content_hash, first_seen, last_seen, last_changed) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [id_, url, site, title, day, body, digest, AT, AT, AT],
                )
                old.db.execute("INSERT INTO articles_fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)", [id_, *texts])
    with Archive(path, readonly=True) as old:  # read as it is: the full index answers for titles
        assert old.db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles_title_fts'").fetchone() == (0,)
        assert [h.title for h in search(old, "da nang")] == [h["title"] for h in expected]
    with Archive(path) as migrated:
        assert migrated.db.execute("SELECT count(*) FROM articles_title_fts").fetchone()[0] == len(ARTICLES)
        assert [h.to_dict() for h in search(migrated, "da nang")] == expected


def test_search_command_pages_filters_and_refuses_a_bad_cursor(archive: Archive) -> None:
    db = str(archive.path)
    archive.close()
    first = run_cli("search", "da nang", "--db", db, "--limit", "4")
    assert first.code == 0 and first.out.count("words apart") == 0 and "next page: --after " in first.out
    cursor = first.out.rsplit("--after ", 1)[1].split()[0]
    rest = run_cli("search", "da nang", "--db", db, "--after", cursor)
    assert rest.code == 0 and rest.out.count("words apart") == 2 and "Làng nghề bánh đa" in rest.out
    csv = run_cli("search", "da nang", "--db", db, "--format", "csv", "--publisher", "bao quang nam").out.splitlines()
    assert csv[0].endswith(",score,apart,cursor") and len(csv) == 2 and ",True," in csv[1]
    bad = run_cli("search", "da nang", "--db", db, "--after", "not-a-cursor")
    assert bad.code != 0 and "not a cursor that search printed" in bad.err and len(bad.err.strip().splitlines()) == 1
