"""Each extraction concern on its own: text, dates, counters, attribution, URLs, encodings."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from portals.extract import Record, extract
from portals.extract.attribution import Source, label_value_source, parse_source, split_inline_source
from portals.extract.dates import find_dates, parse_date
from portals.extract.encoding import decode
from portals.extract.legacy import detect
from portals.folding import decompose, fold, fold_many, needed_words
from portals.text import clean, clean_many, parse_count
from portals.urls import canonicalize, site_of


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Ngày cập nhật 27/08/2020", "2020-08-27"),
        ("Ngày cập nhật 07/04/2019", "2019-04-07"),
        ("Cập nhật:18/09/2020 4:19:27 CH", "2020-09-18T16:19:27+07:00"),
        ("Cập nhật:05/03/2021 9:05:11 SA", "2021-03-05T09:05:11+07:00"),
        ("Cập nhật:05/03/2021 12:30:00 CH", "2021-03-05T12:30:00+07:00"),
        ("Cập nhật:05/03/2021 12:10:45 SA", "2021-03-05T00:10:45+07:00"),
        ("Đăng ngày 11 - 11 - 2023", "2023-11-11"),
        ("Thứ năm - 27/08/2020 14:30", "2020-08-27T14:30+07:00"),
        ("6:11:13 , 17/1/2018", "2018-01-17T06:11:13+07:00"),
        ("Thanh Long 22:07 23/01/2026", "2026-01-23T22:07+07:00"),
        ("Thời gian đăng: 26/11/2018 01:49:17 PM", "2018-11-26T13:49:17+07:00"),
        ("Cập nhật lúc : 01/05/2020 15:02", "2020-05-01T15:02+07:00"),
        ("Hà Nội, ngày 27 tháng 8 năm 2020", "2020-08-27"),
        ("22/09/2022 15:15", "2022-09-22T15:15+07:00"),
    ],
)
def test_dates(text: str, iso: str) -> None:
    assert parse_date(text) == iso


@pytest.mark.parametrize(
    "text", ["Sáng ngày 07/4, đoàn công tác", "chiều nay (26/8)", "31/02/2020", "Số 1125/TB-SDL", "13:92 01/01/2020x"]
)
def test_not_dates(text: str) -> None:
    assert parse_date(text) in (None, "2020-01-01") if "13:92" in text else parse_date(text) is None


def test_date_labels_tell_publication_from_update() -> None:
    found = find_dates("Ngày đăng: 01/09/2020 | Cập nhật: 03/09/2020 08:15")
    assert [(d.iso, d.label) for d in found] == [("2020-09-01", "published"), ("2020-09-03T08:15+07:00", "updated")]


@pytest.mark.parametrize(
    ("text", "publisher", "author"),
    [
        ("theo www.thuathienhue.gov.vn (HNQ)", "www.thuathienhue.gov.vn", "HNQ"),
        ("www.thuathienhue.gov.vn", "www.thuathienhue.gov.vn", None),
        ("Sở Du lịch Thừa Thiên Huế", "Sở Du lịch Thừa Thiên Huế", None),
        ("Nguồn: Báo Thừa Thiên Huế", "Báo Thừa Thiên Huế", None),
        ("Theo: Đinh Thanh - Văn Đức/baohatinh.vn", "baohatinh.vn", "Đinh Thanh - Văn Đức"),
        ("Tác giả: Nguyễn Văn A", None, "Nguyễn Văn A"),
        ("Minh Hiền - Sở Du lịch", "Sở Du lịch", "Minh Hiền"),
        ("Bảo Châu - Trung tâm Thông tin Xúc tiến du lịch", "Trung tâm Thông tin Xúc tiến du lịch", "Bảo Châu"),
        ("Hoàng Lan", None, "Hoàng Lan"),
        ("PV", None, "PV"),
        ("Theo TTXVN", "TTXVN", None),
    ],
)
def test_attribution(text: str, publisher: str | None, author: str | None) -> None:
    assert parse_source(text) == Source(text, publisher, author)


@pytest.mark.parametrize(
    "text",
    [
        "(Ảnh: Thanh Vân)",
        "Chúc mừng các đơn vị đạt giải.",
        "Sở Du lịch tổ chức hội nghị tổng kết năm 2020 tại thành phố Huế.",
        "Theo báo cáo của Bộ Thông tin và Truyền thông, năm 2019 tỉnh dẫn đầu cả nước về chỉ số ứng dụng CNTT.",
    ],
)
def test_not_attribution(text: str) -> None:
    assert parse_source(text) is None


def test_inline_attribution_after_the_closing_mark() -> None:
    body, source = split_inline_source("… hướng đến phát triển bền vững./. theo www.thuathienhue.gov.vn (NTH)")  # type: ignore[misc]
    assert body == "… hướng đến phát triển bền vững./."
    assert source == Source("theo www.thuathienhue.gov.vn (NTH)", "www.thuathienhue.gov.vn", "NTH")


def test_text_normalisation_and_folding() -> None:
    nfd = unicodedata.normalize("NFD", "Thừa Thiên Huế")
    assert clean(f"  {nfd}\u00a0\u200b dẫn\n\tđầu ") == "Thừa Thiên Huế dẫn đầu"
    assert clean("Ðà Nẵng") == "Đà Nẵng"  # U+00D0 → U+0110
    assert fold("Đà Nẵng, THỪA THIÊN HUẾ") == "da nang, thua thien hue"
    assert fold("hoá") == fold("hóa") == "hoa" and fold("thuý") == fold("thúy")
    text = "Thừa Thiên Huế dẫn đầu"
    assert len(fold(text)) == len(text)


@pytest.mark.parametrize(("text", "n"), [("53.957", 53957), ("13.092.837", 13092837), ("7", 7), ("1,204", 1204), ("4 741", 4741)])
def test_counts(text: str, n: int) -> None:
    assert parse_count(text) == n


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://sdl.thuathienhue.gov.vn/?gd=4&cn=121&tc=4335", "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335"),
        (
            "http://SDL.thuathienhue.gov.vn:80/?tc=4335&cn=121&gd=4#top",
            "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335",
        ),
        (
            "http://sdl.thuathienhue.gov.vn/?tc=4335&utm_source=zalo&cn=121&gd=4&fbclid=x",
            "http://sdl.thuathienhue.gov.vn/?cn=121&gd=4&tc=4335",
        ),
        ("http://x.gov.vn/(S(abcdefghijklmno))/Default.aspx?id=3", "http://x.gov.vn/Default.aspx?id=3"),
        ("http://x.gov.vn/news.jsp;jsessionid=ABC123?id=3", "http://x.gov.vn/news.jsp?id=3"),
        ("https://x.gov.vn/a?PHPSESSID=1&b=2", "https://x.gov.vn/a?b=2"),
        ("https://x.gov.vn", "https://x.gov.vn/"),
    ],
)
def test_canonical_urls(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


def test_site_of() -> None:
    assert site_of("http://www.thuathienhue.gov.vn/vi-vn/") == "thuathienhue.gov.vn"
    assert site_of("http://127.0.0.1:8765/?tc=1") == "127.0.0.1:8765"


def test_wrong_charset_declaration_is_overruled() -> None:
    html = '<html><head><meta charset="windows-1258"></head><body><p>Thừa Thiên Huế</p></body></html>'.encode()
    text, encoding = decode(html)
    assert "Thừa Thiên Huế" in text and encoding == "utf-8"


def to_cp1258(text: str) -> bytes:
    """Encode as legacy Vietnamese Windows pages do: letters precomposed, tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return out


def test_windows_1258_decodes_to_nfc() -> None:
    title = "Thừa Thiên Huế dẫn đầu về công nghệ thông tin"
    html = f'<html><head><meta charset="windows-1258"></head><body><h1>{title}</h1></body></html>'
    record = extract(to_cp1258(html), "http://x.gov.vn/a")
    assert record.title == title
    assert unicodedata.is_normalized("NFC", record.title)


def test_extract_never_raises_on_garbage() -> None:
    for junk in (
        b"",
        b"\x00\xff\xfe garbage",
        b"<html><body>" + b"<div>" * 3000,
        "<p>chỉ một dòng</p>",
        b"<?xml version='1.0' encoding='utf-8'?><html/>",
    ):
        record = extract(junk, "http://x.gov.vn/")
        assert "no_title" in record.warnings or record.title


TRICKY = [
    "",
    " ",
    "  Thừa\u00a0Thiên \u200bHuế\t",
    "ΣΑΣ σας",  # Greek final sigma: lower-cases by context
    "İstanbul",  # İ lower-cases into two characters
    "x\u0301 \u0301a",  # combining marks on nothing they compose with
    "e\u200b\u0301",  # an invisible character between a letter and its mark
    "한국 \u1100\u1161",  # Hangul syllables and jamo
    "“Đà Nẵng” – ÐÀ",
    "a\x00b",  # the separator itself
]


@pytest.mark.parametrize("texts", [TRICKY, TRICKY[2:5], [t for t in TRICKY if t.isascii()], [], ["Hà Nội"] * 3])
def test_many_at_once_is_one_by_one(texts: list[str]) -> None:
    assert clean_many(texts) == [clean(t) for t in texts]
    assert fold_many(texts) == [fold(t) for t in texts]
    cleaned = [clean(t) for t in texts]
    assert fold_many(cleaned) == [fold(t) for t in cleaned]


def test_fold_ascii_shortcut_holds_for_all_of_unicode() -> None:
    """fold keeps the ASCII characters of the decomposed text when that keeps the length: right
    only because no character gives two ASCII characters, and one that gives one gives nothing
    else but combining marks (U+0300–U+036F)."""
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        decomposed = decompose(chr(cp))
        ascii_chars = [c for c in decomposed if c.isascii()]
        assert len(ascii_chars) <= 1, hex(cp)
        if ascii_chars:
            assert all(c.isascii() or "\u0300" <= c <= "\u036f" for c in decomposed), hex(cp)


def test_needed_words() -> None:
    assert needed_words(["Lượt xem", "Xem", "Lượt đọc", "Số lượt đọc"]) == ("luot doc", "xem")


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<font face=".VnTime">', "tcvn3"),
        ("<p style=\"FONT-FAMILY: 'VNI-Times'\">", "vni"),
        ('<p style="font-family:.VNARIAL">', "tcvn3"),
        ('<a href="http://x.gov.vn/vn">.vn VNI', None),
        ("<p style='font-family: Arial'>", None),
    ],
)
def test_legacy_font_detection(html: str, kind: str | None) -> None:
    assert detect(f"<html><body>{html}</body></html>") == kind


# -- attribution and counters of CMS modules -------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "publisher", "author"),
    [
        ("Minh Anh - Trung tâm Văn hóa Thông tin.", "Trung tâm Văn hóa Thông tin", "Minh Anh"),  # closing full stop
        ("Ngọc Minh - Huyện Đoàn Krông Pắc", "Huyện Đoàn Krông Pắc", "Ngọc Minh"),
        ("Trần Nam - Công ty Điện lực Gia Lai", "Công ty Điện lực Gia Lai", "Trần Nam"),
        ("Minh Đức - TTVH-TT&TT huyện", "TTVH-TT&TT huyện", "Minh Đức"),  # a unit by its abbreviation
        ("T.Hà", None, "T.Hà"),
        ("H'Hen Niê - Hội LHPN huyện", "Hội LHPN huyện", "H'Hen Niê"),
        ("Viết bởi Nguyễn Thu Hà", None, "Nguyễn Thu Hà"),  # Joomla's "Written by"
        ("Đăng bởi Sở Y tế", "Sở Y tế", None),
    ],
)
def test_attribution_signatures_and_bylines(text: str, publisher: str | None, author: str | None) -> None:
    assert parse_source(text) == Source(text, publisher, author)


@pytest.mark.parametrize(
    "text",
    [
        "Viết bởi Super User",  # Joomla's default account credits nobody
        "Đăng bởi admin",
        "Bởi vì thời tiết thuận lợi",  # "because", not "by"
        "Đại diện các đơn vị đã chia sẻ kinh nghiệm - Trung tâm Văn hóa Thông tin",  # a sentence, not a signature
        "Minh Anh - PV",  # a role, not a unit: read as two names, not as a publisher
    ],
)
def test_not_signature_or_byline(text: str) -> None:
    source = parse_source(text)
    assert source is None or source.publisher is None


def test_label_and_value_in_separate_elements() -> None:
    assert label_value_source("Nguồn tin:", "Sở Y tế") == Source("Nguồn tin: Sở Y tế", "Sở Y tế", None)
    assert label_value_source("Tác giả:", "Nguyễn Văn A") == Source("Tác giả: Nguyễn Văn A", None, "Nguyễn Văn A")
    assert label_value_source("Hội nghị", "Sở Y tế") is None  # not a label
    assert label_value_source("Nguồn:", "Tác giả:") is None  # two labels


_PARAGRAPHS = "".join(
    f"<p>{p}</p>"
    for p in (
        "Sáng 12/3, Ủy ban nhân dân huyện tổ chức hội nghị sơ kết công tác chuyển đổi số quý I năm 2024 với sự"
        " tham dự của lãnh đạo các phòng, ban và các xã, thị trấn.",
        "Trong quý I, toàn huyện có 85% hồ sơ thủ tục hành chính được tiếp nhận và giải quyết trực tuyến, tăng"
        " 12% so với cùng kỳ năm trước.",
        "Hội nghị thống nhất các nhiệm vụ trọng tâm của quý II, trong đó ưu tiên nâng cao chất lượng dịch vụ công"
        " trực tuyến và bảo đảm an toàn thông tin./.",
    )
)


def _article(body: str, aside: str = "") -> Record:
    html = (
        "<html><head><title>Hội nghị sơ kết chuyển đổi số</title></head><body>"
        '<ul class="menu"><li><a href="/">Trang chủ</a></li><li><a href="/tin">Tin tức</a></li></ul>'
        '<div class="main"><h1>Hội nghị sơ kết công tác chuyển đổi số quý I</h1><div class="date">13/03/2024 08:15</div>'
        f'<div class="content">{body}</div>'
        '<div class="related"><h3>Các tin khác</h3><ul><li><a href="/a">Tập huấn kỹ năng số</a> (10/03/2024)</li></ul></div>'
        f'</div><div class="sidebar">{aside}</div></body></html>'
    )
    return extract(html.encode(), "http://huyen-mau.gov.vn/tin-tuc/hoi-nghi-so-ket-123.html")


def test_counter_row_in_the_body_is_not_the_widget() -> None:
    body = _PARAGRAPHS + "<p>Hôm nay: 123</p><p>Tổng: 4.560</p>"
    assert _article(body).visitor_stats is None
    widget = "<h3>Thống kê truy cập</h3><p>Đang truy cập: 12</p><p>Tổng lượt truy cập: 1.234.567</p>"
    assert _article(body, widget).visitor_stats == {"online": 12, "total": 1234567}


def test_signature_mid_body_is_a_paragraph() -> None:
    body = _PARAGRAPHS.replace("</p><p>Trong", "</p><p>Minh Anh - Trung tâm Văn hóa Thông tin</p><p>Trong", 1)
    record = _article(body)
    assert record.source is None
    assert "Minh Anh - Trung tâm Văn hóa Thông tin" in (record.body or "")


@pytest.mark.parametrize(
    ("widget", "stats"),
    [
        # NukeViet 4 statistics block: label and number in two spans; "Thành viên online" is a part
        (
            "<ul><li><span>Thành viên online</span><span>2</span></li><li><span>Hôm nay</span><span>3,214</span></li>"
            "<li><span>Tổng lượt truy cập</span><span>3,905,117</span></li></ul>",
            {"today": 3214, "total": 3905117},
        ),
        # Vinaora Visitors Counter 2.x: a column of titles beside a column of numbers
        (
            '<h3>Thống kê truy cập</h3><div class="vstats_title"><div class="vrow">Hôm nay</div><div class="vrow">Hôm qua</div>'
            '<div class="vrow">Tất cả</div></div><div class="vstats_number"><div class="vrow">312</div>'
            '<div class="vrow">1204</div><div class="vrow">98765</div></div>',
            {"today": 312, "yesterday": 1204, "total": 98765},
        ),
        # a counter control's short rows under its heading, Joomla's Who's Online in words
        (
            "<h3>Thống kê truy cập</h3><p>Ngày: 215</p><p>Tuần: 1.902</p><p>Tổng : 402.117</p>"
            "<div>Hiện có 14 khách và 2 thành viên Trực tuyến</div>",
            {"today": 215, "this_week": 1902, "total": 402117, "online": 16},
        ),
        # no heading, no total of a known wording: period rows and a weak total row together
        (
            "<p>Hôm nay <span>312</span></p><p>Hôm qua <span>1204</span></p><p>Tất cả <span>98765</span></p>",
            {"today": 312, "yesterday": 1204, "total": 98765},
        ),
        # a lone "Ngày: 215" is no widget
        ("<p>Ngày: 215</p><p>Tháng: 12</p>", None),
    ],
)
def test_counter_modules(widget: str, stats: dict[str, int] | None) -> None:
    assert _article(_PARAGRAPHS, widget).visitor_stats == stats


_PARAGRAPH = "<p>Trong quý I, toàn huyện có 85% hồ sơ thủ tục hành chính được giải quyết trực tuyến.</p>"


def test_headline_links_in_the_body_are_left_out() -> None:
    """A line that is only a link to another page of the site is a related article's headline; a
    link to another site (a product, a source) or an address written out is what the article says."""
    first, second, third = _PARAGRAPHS.removeprefix("<p>").removesuffix("</p>").split("</p><p>")
    body = (
        f'<p>{first}</p><p><a href="/tin-tuc/tap-huan-ky-nang-so-456.html">Tập huấn kỹ năng số cho cán bộ cấp xã</a></p>'
        f'<p>{second}</p><p><a href="https://dichvucong.gov.vn/p/home/dvc-trang-chu.html">Cổng Dịch vụ công quốc gia</a></p>'
        f'<p><a href="http://huyen-mau.gov.vn/bao-cao">http://huyen-mau.gov.vn/bao-cao</a></p><p>{third}</p>'
    )
    text = _article(body).body or ""
    assert "Tập huấn kỹ năng số" not in text
    assert "Cổng Dịch vụ công quốc gia" in text
    assert "http://huyen-mau.gov.vn/bao-cao" in text
    assert "Hội nghị thống nhất các nhiệm vụ" in text  # the paragraph after the headline


def test_a_quoted_post_in_a_social_box_is_read_a_pull_quote_is_not() -> None:
    embed = (
        '<div class="social-embed"><blockquote class="twitter-tweet"><p>Cổng dịch vụ công của huyện đã tiếp nhận hồ sơ'
        " trực tuyến thứ 10.000 trong năm nay.</p>— UBND huyện (@ubndhuyen) 12/3/2024</blockquote></div>"
    )
    pull = "<aside><blockquote>Chuyển đổi số phải lấy người dân làm trung tâm.</blockquote></aside>"
    text = _article(_PARAGRAPHS.replace("</p><p>Trong", f"</p>{embed}{pull}<p>Trong", 1)).body or ""
    assert "hồ sơ trực tuyến thứ 10.000" in text
    assert "lấy người dân làm trung tâm" not in text


def test_a_repeated_caption_is_read_once() -> None:
    caption = "Lãnh đạo huyện phát biểu tại hội nghị sơ kết công tác chuyển đổi số quý I (Ảnh: Minh Anh)"
    figure = f'<figure><img src="/anh/hoi-nghi.jpg" alt=""><figcaption>{caption}</figcaption></figure>'
    viewer = f'<div class="gallery-viewer"><div class="caption">{caption}</div></div>'
    text = _article(figure + _PARAGRAPHS + viewer).body or ""
    assert text.count(caption) == 1
    # a paragraph said twice, outside figures, stays twice (a question asked of each guest, a recipe line)
    twice = _PARAGRAPH + _PARAGRAPHS + _PARAGRAPH
    assert (_article(twice).body or "").count("giải quyết trực tuyến.") == 2
