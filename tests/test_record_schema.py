"""The record's contract, ``portals/record.schema.json``: what it refuses, and that the crawl's
pipeline stores no record that breaks it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from portals.record import VISITOR_KEYS, InvalidRecord, Record, Source, validate

GOOD = Record(
    url="http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335",
    site="sdl.thuathienhue.gov.vn",
    family="hue_subsite",
    title="Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin",
    date="2020-08-27",
    body="Theo báo cáo của Bộ Thông tin và Truyền thông …",
    source=Source("theo www.thuathienhue.gov.vn (HNQ)", "www.thuathienhue.gov.vn", "HNQ"),
    visitor_stats={"total": 53957, "online": 7},
)


def test_a_good_record_passes_and_the_schema_names_the_visitor_counters() -> None:
    validate(GOOD)
    validate(replace(GOOD, date="2021-06-17T15:40+07:00", updated="2021-06-17T16:02:05+07:00", source=None, visitor_stats=None))
    assert VISITOR_KEYS == (
        "total",
        "online",
        "today",
        "yesterday",
        "this_week",
        "last_week",
        "this_month",
        "last_month",
        "this_year",
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"date": "27/08/2020"}, "date"),
        ({"updated": "2020-08-27T09:00+08:00"}, "updated"),
        ({"url": "sdl.thuathienhue.gov.vn/?tc=4335"}, "url"),
        ({"site": ""}, "site"),
        ({"visitor_stats": {"total": 53957, "visits": 3}}, "visitor_stats"),
        ({"visitor_stats": {"total": -1}}, "visitor_stats.total"),
        ({"views": "1.204"}, "views"),
        ({"title": "Thu\u0300a Thie\u0302n Hue\u0302\u0301"}, "title is not NFC"),  # NFD: decomposed marks
        ({"body": "Đa\u0300 Nẵng"}, "body is not NFC"),
    ],
)
def test_a_record_that_breaks_the_contract_is_refused_with_the_field_named(change: dict, named: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        validate(replace(GOOD, **change))
    assert named in str(caught.value)


def test_a_record_that_breaks_the_contract_is_not_stored(tmp_path) -> None:
    """The pipeline drops it, and marks its page failed with the reason, in the crawl's run."""
    from scrapy.exceptions import DropItem

    from archive.store import Archive
    from crawler.pipelines import ArchivePipeline
    from crawler.session import CrawlSession
    from portals.items import ArticleItem, Provenance

    db = tmp_path / "archive.sqlite"
    session = CrawlSession(str(db), GOOD.site, [GOOD.url])
    crawler = type("Crawler", (), {"spider": type("Spider", (), {"session": session})()})()
    pipeline = ArchivePipeline(crawler)  # type: ignore[arg-type]
    bad = replace(GOOD, date="27/08/2020")
    with pytest.raises(DropItem):
        pipeline.process_item(ArticleItem(bad, Provenance("2026-12-07T09:00:00+07:00", bad.url, 200)))
    pipeline.process_item(ArticleItem(GOOD, Provenance("2026-12-07T09:00:00+07:00", GOOD.url, 200)))
    session.close("finished")
    with Archive(db, readonly=True) as archive:
        assert [r["url"] for r in archive.articles()] == [GOOD.url]  # the good one, once
        (failed,) = archive.db.query("SELECT url, status, error FROM frontier WHERE status = 'failed'")
        assert failed["url"] == bad.url and failed["error"].startswith("invalid_record: ") and "date" in failed["error"]
