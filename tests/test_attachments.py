"""Attached documents made searchable: a saved portal whose articles attach a PDF with Vietnamese
text, a scanned PDF, a DOCX and an XLSX (``fixtures/attachment_sites``, made by its build.py)
crawled over HTTP by the real spider, then searched through the CLI; and the bounds of reading
a document (``portals.documents``) against broken, hostile and huge files."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import unicodedata
import zipfile
from pathlib import Path

import pytest
from docx import Document

from portal_archive.sample_portal import SamplePortalServer
from portals.documents import Limits, extract_document, read_document

from .conftest import FIXTURES, run_cli

SITES = FIXTURES / "attachment_sites"
HOST = "thuathienhue.gov.vn"
FILES = SITES / HOST / "files"
PLAN, SCAN = "KeHoach_ChuyenDoiSo_2021.pdf", "QuyetDinh_QuyHoach_SDD_2021_scan.pdf"
LETTER, PROJECTS = "HuongDan_KhenThuong_2021.docx", "DanhMuc_DuAn_KeuGoiDauTu_2021.xlsx"
WORD97 = "CongVan_PhongChongBaoLu_2021.doc"  # Word 97-2003, read by antiword


def _crawl(db: Path, *options: str) -> None:
    with SamplePortalServer(SITES) as server:
        result = run_cli("crawl", f"http://{HOST}/", "--db", str(db), "--proxy", server.url, "--delay", "0", *options)
    assert result.code == 0, result.err + result.out


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("attachments") / "archive.sqlite"
    _crawl(db)
    return db


def _search(db: Path, query: str, *options: str) -> list[dict]:
    result = run_cli("search", query, "--in", "attachments", "--db", str(db), "--format", "json", *options)
    assert result.code == 0, result.err
    return result.json()  # type: ignore[return-value]


def _statuses(db: Path) -> dict[str, tuple[str, str | None, int | None]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT url, status, text_status, pages FROM attachments").fetchall()
    finally:
        conn.close()
    return {url.rsplit("/", 1)[1]: (status, text_status, pages) for url, status, text_status, pages in rows}


@pytest.mark.parametrize(
    ("query", "document", "file", "page", "matched"),
    [
        ("kho du lieu dung chung", "Kế hoạch số 68/KH-UBND", PLAN, 2, "dựng kho dữ liệu dùng chung"),  # "dung": dựng too
        ("phan dau", "Kế hoạch số 68/KH-UBND", PLAN, 1, "Phấn đấu"),
        ("cong van so 215", "Hướng dẫn số 215/SNV-TĐKT", LETTER, 1, "Công văn số 215"),
        ("han cuoi nop ho so", "Hướng dẫn số 215/SNV-TĐKT", LETTER, 2, "Hạn cuối nộp hồ sơ"),
        ('"bang khen"', "Hướng dẫn số 215/SNV-TĐKT", LETTER, 1, "Bằng khen"),  # a table cell
        ("dam lap an", "Danh mục dự án kêu gọi đầu tư", PROJECTS, 1, "đầm Lập An"),
        ("tong von du kien", "Danh mục dự án kêu gọi đầu tư", PROJECTS, 2, "Tổng vốn dự kiến"),  # the second sheet
        ("vung trung thap", "Công văn số 132/UBND-NN", WORD97, 1, "vùng trũng thấp"),
    ],
)
def test_search_in_attachments_finds_each_document_page_without_diacritics(
    archive: Path, query: str, document: str, file: str, page: int, matched: str
) -> None:
    hits = _search(archive, query)
    assert [(h["document"], h["url"].rsplit("/", 1)[1], h["page"]) for h in hits] == [(document, file, page)]
    assert f"<mark>{matched}</mark>" in hits[0]["snippet"]
    assert hits[0]["site"] == HOST and hits[0]["article_title"] and f"http://{HOST}/vi-vn/" in hits[0]["article_url"]


def test_search_in_attachments_for_people_and_the_default_stays_articles(archive: Path) -> None:
    table = run_cli("search", "kho du lieu dung chung", "--in", "attachments", "--db", str(archive))
    assert table.code == 0, table.err
    assert "Kế hoạch số 68/KH-UBND  page 2 of 2" in table.out
    assert "kho dữ liệu dùng chung" in table.out
    assert "in: Ban hành Kế hoạch chuyển đổi số tỉnh Thừa Thiên Huế năm 2021" in table.out
    assert f"http://{HOST}/Portals/0/Medias/Nam2021/T3/{PLAN}" in table.out
    assert "1 of 1 document(s)" in table.out
    # The words are in the document only: an article search does not find them …
    articles = run_cli("search", "kho du lieu dung chung", "--db", str(archive), "--format", "json")
    assert articles.code == 0 and articles.json() == []
    # … and words of an article's body are not found in the documents.
    assert _search(archive, "tra cuu ban do quy hoach") == []
    # Filters apply to the documents' articles; newest first orders by their dates.
    assert _search(archive, "2021", "--site", HOST, "--since", "2021-03-10", "--sort", "date", "--limit", "5") == [
        hit for hit in _search(archive, "2021", "--sort", "date") if hit["date"] >= "2021-03-10"
    ]


def test_scanned_pdf_is_marked_without_text_layer(archive: Path) -> None:
    expected = json.loads((SITES / HOST / "expected.json").read_text(encoding="utf-8"))["articles"]
    conn = sqlite3.connect(archive)
    assert {url for (url,) in conn.execute("SELECT url FROM articles")} == {a["url"] for a in expected}
    conn.close()
    assert _statuses(archive) == {
        PLAN: ("fetched", "text", 2),
        SCAN: ("fetched", "no_text_layer", 1),
        LETTER: ("fetched", "text", 2),
        PROJECTS: ("fetched", "text", 2),
        WORD97: ("fetched", "text", 1),
    }
    conn = sqlite3.connect(archive)
    article_id = conn.execute("SELECT article_id FROM attachments WHERE url LIKE ?", [f"%{SCAN}"]).fetchone()[0]
    conn.close()
    shown = run_cli("show", str(article_id), "--db", str(archive), "--no-body")
    assert shown.code == 0, shown.err
    assert "Quyết định số 612/QĐ-UBND (bản scan)" in shown.out
    assert "text: no_text_layer, 1 page(s)" in shown.out
    assert _search(archive, "quyet dinh 612") == []  # its link text is not its text


def test_bad_query_and_article_only_options_are_one_line_and_exit_2(archive: Path) -> None:
    result = run_cli("search", '"cong van', "--in", "attachments", "--db", str(archive))
    assert result.code == 2
    assert result.err.startswith("Error: bad query") and len(result.err.strip().splitlines()) == 1
    paged = run_cli("search", "cong van", "--in", "attachments", "--offset", "20", "--db", str(archive))
    assert paged.code == 2 and paged.err.startswith("Error: --in attachments takes --site, --province")


def test_merge_carries_the_text_of_a_shards_attachments(archive: Path, tmp_path: Path) -> None:
    main = tmp_path / "main.sqlite"
    merged = run_cli("merge", str(archive), "--db", str(main))
    assert merged.code == 0, merged.err
    assert _statuses(main) == _statuses(archive)
    for query in ("cong van", "kho du lieu", "tong von du kien"):
        assert [(h["document"], h["page"], h["snippet"]) for h in _search(main, query)] == [
            (h["document"], h["page"], h["snippet"]) for h in _search(archive, query)
        ]


def test_reextract_reads_attachments_archived_without_their_text(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    _crawl(db, "--set", "ATTACHMENT_TEXT=false")  # as an archive crawled before text was read
    assert {v[1] for v in _statuses(db).values()} == {None}
    assert _search(db, "cong van") == []

    result = run_cli("reextract", "--attachments", "--db", str(db))
    assert result.code == 0, result.err
    assert result.out.strip() == "read 5 attachments: 1 no_text_layer, 4 text; 0 without a readable capture"
    assert _statuses(db)[SCAN] == ("fetched", "no_text_layer", 1)
    assert sorted((h["document"], h["page"]) for h in _search(db, "cong van")) == [
        ("Công văn số 132/UBND-NN", 1),
        ("Hướng dẫn số 215/SNV-TĐKT", 1),
    ]
    again = run_cli("reextract", "--attachments", "--db", str(db))  # read again: replaced, not doubled
    assert again.code == 0 and len(_search(db, "han cuoi nop")) == 1

    shutil.rmtree(tmp_path / "warc")  # the captures lost: said in one line, exit 1, the text kept
    lost = run_cli("reextract", "--attachments", "--db", str(db))
    assert lost.code == 1
    assert lost.err.strip() == "Error: 5 attachment(s) have no readable WARC capture (see `portal-archive verify`)"
    assert len(_search(db, "cong van")) == 2


# -- reading documents: what comes out, and the bounds ------------------------------------------------
def _docx(paragraphs: list[str]) -> bytes:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def test_bounded_reader_gives_what_the_reader_gives() -> None:
    for name in (PLAN, SCAN, LETTER, PROJECTS):
        data = (FILES / name).read_bytes()
        assert extract_document(data) == read_document(data)


def test_text_is_stored_nfc_and_clean() -> None:
    decomposed = unicodedata.normalize("NFD", "Nghị quyết về phát triển đô thị")
    document = read_document(_docx([f"  {decomposed}\u200b  ", "", "Ðiều 1.\tPhạm vi"]))
    assert document.status == "text"
    assert document.pages == ("Nghị quyết về phát triển đô thị\nĐiều 1. Phạm vi",)


@pytest.mark.parametrize(
    ("cut", "reason"),
    [
        (0.5, "failed: unreadable PDF: Stream has ended unexpectedly"),
        (0.02, "failed: unreadable PDF: Stream has ended unexpectedly"),
    ],
)
def test_truncated_pdf_fails_with_a_reason(cut: float, reason: str) -> None:
    data = (FILES / PLAN).read_bytes()
    assert extract_document(data[: int(len(data) * cut)]).status == reason


def test_corrupt_files_fail_with_a_reason() -> None:
    garbage_pdf = b"%PDF-1.7\n" + bytes(range(256)) * 40
    assert extract_document(garbage_pdf).status.startswith("failed: unreadable PDF: ")
    docx = bytearray(_docx(["Quyết định số 15/2021/QĐ-UBND"]))
    start = docx.index(b"word/document.xml") + 40  # inside that part's compressed data
    docx[start : start + 64] = b"\x00" * 64
    status = extract_document(bytes(docx)).status
    assert status.startswith("failed: unreadable DOCX: "), status
    assert "\n" not in status and len(status) <= 200


def test_zip_bomb_like_docx_is_too_large_without_being_inflated() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("[Content_Types].xml", "<Types/>")
        with bomb.open("word/document.xml", "w") as part:  # 128 MiB of one byte: about 130 KB zipped
            for _ in range(128):
                part.write(b"a" * (1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    assert read_document(data).status == "too_large"
    assert extract_document(data).status == "too_large"


def test_oversized_unsupported_and_slow_documents() -> None:
    plan = (FILES / PLAN).read_bytes()
    assert extract_document(plan, limits=Limits(max_bytes=len(plan) - 1)).status == "too_large"
    assert extract_document(b"%PDF-1.4\n" + b"0" * (25 * 1024 * 1024)).status == "too_large"
    # Word 97–2003 (an OLE compound file), images and HTML error pages are not read.
    assert extract_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096).status == "unsupported"
    assert extract_document(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64).status == "unsupported"
    not_found = "<html><body>Không tìm thấy trang</body></html>".encode()  # served as "qd.pdf"
    assert extract_document(not_found).status == "unsupported"
    # A reader that outlasts its time is stopped: the document fails, nothing hangs.
    assert extract_document(plan, limits=Limits(timeout=0.01)).status == "failed: timeout"


def test_output_is_bounded() -> None:
    document = read_document((FILES / LETTER).read_bytes(), limits=Limits(max_chars=50))
    assert document.status == "text"
    assert sum(len(p) for p in document.pages) == 50
    assert document.pages[0].startswith("SỞ NỘI VỤ TỈNH THỪA THIÊN HUẾ")
    assert len(read_document((FILES / PROJECTS).read_bytes(), limits=Limits(max_pages=1)).pages) == 1


def test_rtf_served_as_doc_is_read_in_its_code_page_and_unicode_escapes() -> None:
    """Many portals offer "Word" .doc forms that are RTF: read, not unsupported. Vietnamese RTF
    writes letters as \\'hh in code page 1258 (tone marks as combining bytes) or as \\uN escapes."""
    rtf = (
        rb"{\rtf1\ansi\ansicpg1258\deff0 {\fonttbl {\f0 Times New Roman;}}\f0 "
        rb"\'d0\'f5n vi\'f2 chu\'d2 tri\'cc: UBND huy\'ea\'f2n Th\'fd\'f5\'ccng Xu\'e2n\par "
        rb"C\u244?ng v\u259?n s\u7889? 125/UBND v\u7873? vi\u7879?c b\u7843?o v\u7879? r\u7915?ng\par}"
    )
    document = extract_document(rtf)
    assert document.status == "text"
    (page,) = document.pages
    assert page.splitlines() == [
        "Đơn vị chủ trì: UBND huyện Thường Xuân",
        "Công văn số 125/UBND về việc bảo vệ rừng",
    ]
    assert unicodedata.is_normalized("NFC", page)
    saved = (Path(__file__).parent / "fixtures/sites/quangninh.gov.vn/files/Mau-phieu-dang-ky-du-tuyen.doc").read_bytes()
    assert extract_document(saved).pages == ("Mẫu phiếu đăng ký dự tuyển",)


def test_word_97_documents_are_read_by_antiword_and_other_ole_files_are_unsupported() -> None:
    """A binary .doc (as LibreOffice saves "MS Word 97"; tests/fixtures/attachment_sites/build.py;
    also crawled over HTTP above) gives its Vietnamese text, a cut one fails or is unsupported."""
    data = (SITES / HOST / "files" / WORD97).read_bytes()
    document = extract_document(data)
    assert document.status == "text", document.status
    lines = [line for page in document.pages for line in page.splitlines() if line.strip()]
    assert lines == [
        "ỦY BAN NHÂN DÂN TỈNH THỪA THIÊN HUẾ",
        "Công văn số 132/UBND-NN về việc chủ động phòng, chống bão lũ năm 2021",
        "Yêu cầu các huyện, thị xã và thành phố Huế rà soát phương án sơ tán dân ở vùng trũng thấp, ven sông và ven biển.",
        "Thời hạn báo cáo kết quả về Ban Chỉ huy Phòng chống thiên tai tỉnh: trước ngày 30 tháng 9 năm 2021.",
    ]
    assert all(unicodedata.is_normalized("NFC", page) for page in document.pages)
    assert extract_document(data[: len(data) // 3]).status.startswith(("failed", "unsupported"))
