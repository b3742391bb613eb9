"""One extraction of a hostile input, in a process of its own: ``python -m tests.bounded_child CASE``.

``tests/test_bounded_work.py`` starts it under an address-space limit (``RLIMIT_AS``) and a time
bound. The input is built here, in the child (50 MB through a pipe would cost the test more than
the extraction). It prints one JSON line: the record's warnings and sizes, the seconds the
extraction took, and the process's resident memory before it (interpreter, modules and input)
and at its peak. ``cli ARGS…`` runs the command line instead (``portal_archive.cli.main``), and
reports its peak on stderr as the last line.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

URL = "https://example-province.gov.vn/tin-tuc/hoi-nghi-chuyen-doi-so-2020.html"
MB = 1_000_000

PARAGRAPHS = (
    "Sáng ngày 27/8, tại Trung tâm Hành chính công tỉnh, UBND tỉnh Thừa Thiên Huế tổ chức hội nghị tổng kết công tác "
    "chuyển đổi số năm 2020 và triển khai nhiệm vụ năm 2021.",
    "Theo báo cáo của Sở Thông tin và Truyền thông, năm 2020 tỉnh đã hoàn thành 95% chỉ tiêu về xây dựng chính quyền "
    "điện tử, tỷ lệ hồ sơ trực tuyến mức độ 3, 4 đạt 68,5%.",
    "Phát biểu tại hội nghị, đồng chí Phan Ngọc Thọ, Chủ tịch UBND tỉnh đề nghị các sở, ban, ngành tiếp tục đẩy mạnh "
    "ứng dụng công nghệ thông tin trong hoạt động của cơ quan nhà nước.",
    "Dịp này, UBND tỉnh đã tặng Bằng khen cho 12 tập thể và 25 cá nhân có thành tích xuất sắc trong triển khai các "
    "nhiệm vụ chuyển đổi số trên địa bàn tỉnh.",
)
TITLE = "Hội nghị tổng kết chuyển đổi số năm 2020"


def chrome(article: str) -> str:
    """A provincial portal's page around ``article``: header, menu, latest news, the "Liên kết
    website" select, the visitor counter, the footer."""
    return f"""<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>{TITLE} - Cổng thông tin điện tử tỉnh</title></head>
<body><div class="wrapper">
<div class="header"><a href="/"><img src="/images/logo.png" alt="Cổng thông tin điện tử tỉnh Thừa Thiên Huế"></a>
<div class="date">Thứ năm, 27/08/2020</div></div>
<ul class="menu"><li><a href="/">Trang chủ</a></li><li><a href="/gioi-thieu">Giới thiệu</a></li>
<li><a href="/tin-tuc">Tin tức - Sự kiện</a></li><li><a href="/van-ban">Văn bản</a></li>
<li><a href="/lien-he">Liên hệ</a></li></ul>
<div class="left"><div class="box"><div class="title">Tin mới</div><ul>
<li><a href="/tin-tuc/bai-101.html">Hội nghị triển khai kế hoạch phát triển kinh tế - xã hội</a></li>
<li><a href="/tin-tuc/bai-102.html">Tăng cường công tác phòng, chống dịch bệnh trên địa bàn</a></li>
<li><a href="/tin-tuc/bai-103.html">Ra mắt hệ thống thông tin giải quyết thủ tục hành chính</a></li></ul></div>
<div class="box"><div class="title">Liên kết website</div>
<select><option>Sở, Ban, Ngành</option><option>Sở Du lịch</option></select></div>
</div>
<div class="main">{article}</div>
<div class="right"><div class="box"><div class="title">Thống kê truy cập</div>
<div>Đang truy cập: 125</div><div>Hôm nay: 2.315</div><div>Tổng lượt truy cập: 13.092.837</div></div></div>
<div class="footer">CỔNG THÔNG TIN ĐIỆN TỬ TỈNH THỪA THIÊN HUẾ<br>Cơ quan chủ quản: UBND tỉnh Thừa Thiên Huế<br>
Địa chỉ: 16 Lê Lợi, thành phố Huế. Điện thoại: 0234.3822.520</div>
</div></body></html>"""


def article(body_html: str) -> str:
    return f"""<div class="news-detail"><h1 class="news-title">{TITLE}</h1>
<div class="news-date">Ngày đăng: 27/08/2020 08:15</div>{body_html}
<div class="news-source">Nguồn: Sở Thông tin và Truyền thông</div></div>"""


def _long_article() -> bytes:
    """An article of 50 MB: the portal's page, its paragraphs over and over (the page's end
    lies past any limit, so it is left out)."""
    head, _ = chrome(article('<div class="news-content">\x00')).split("\x00")
    paragraphs = "".join(f"<p>{p}</p>\n" for p in PARAGRAPHS).encode()
    return head.encode() + paragraphs * (50 * MB // len(paragraphs))


def _million_links() -> bytes:
    """A listing page of a million links (49 MB)."""
    out = io.BytesIO()
    head, tail = chrome('<div class="news-list"><ul>\x00</ul></div>').split("\x00")
    out.write(head.encode())
    for i in range(1_000_000):
        out.write(f'<li><a href="/tin-tuc/bai-{i}.html">Tin {i}</a></li>'.encode())
    out.write(tail.encode())
    return out.getvalue()


# Each: the input, and whether the crawl's links are asked for (``analyse(…, links=True)``).
CASES: dict[str, Callable[[], bytes]] = {
    "50 MB of zero bytes": lambda: bytes(50 * MB),
    "a 50 MB article": _long_article,
    "a million links": _million_links,
    # The most memory per byte measured: short elements, each with attributes.
    "8 MB of attribute-laden tags": lambda: b"<p a=1 b=2 c=3 d=4>" * (8 * 1024 * 1024 // 19 + 1),
    # libxml2 compares each attribute with those before it: n² for one tag of n.
    "a tag of 200,000 attributes": lambda: chrome(
        article("<p " + " ".join(f"x{i}" for i in range(200_000)) + ">Nội dung</p>")
    ).encode(),
}


def _rss_mb() -> float:
    """The process's peak resident memory: VmHWM (ru_maxrss would count the forked parent's)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux
    return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


def main(argv: list[str]) -> None:
    if argv[0] == "cli":
        import atexit

        from portal_archive.cli import main as cli

        atexit.register(lambda: sys.stderr.write(f"\npeak_rss_mb={_rss_mb():.0f}\n"))
        cli(argv[1:])
        return
    from portals.extract import analyse

    data = CASES[argv[0]]()
    before = _rss_mb()
    started = time.perf_counter()
    page = analyse(data, URL, links=True)
    seconds = time.perf_counter() - started
    record = page.record
    print(
        json.dumps(
            {
                "input_bytes": len(data),
                "warnings": record.warnings,
                "title": record.title,
                "body_chars": len(record.body or ""),
                "links": len(page.links),
                "last_link": page.links[-1][0] if page.links else None,
                "seconds": round(seconds, 2),
                "rss_before_mb": round(before),
                "rss_peak_mb": round(_rss_mb()),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
