"""Hostile and broken input to extraction: ``extract()`` never raises and never hangs, whatever
the bytes — arbitrary, deeply nested, with huge attributes, binary garbage, mutated real pages —
and returns a record whose missing fields are named in its warnings. The regex-heavy helpers
(dates, attribution, counters, text) and ``extract()`` return in time on long adversarial input.

Every call runs in a child process with a time bound (``tests/extract_watchdog.py``): a hang is
a failure, not a stuck suite. The bound is generous; no speed is asserted, only an end.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portals.extract import Record
from portals.profiles import load_profiles

from .conftest import PAGES
from .extract_watchdog import HELPERS, Hang, Watchdog

BOUND = 30.0  # seconds one call may take before it counts as a hang (they take well under one)
URLS = (
    "http://sdl.thuathienhue.gov.vn/?gd=4&cn=121&tc=4335",  # a registered site: its profile applies
    "https://example-province.gov.vn/tin-tuc/bai-viet-123.html",  # unknown: generic extraction
    "http://127.0.0.1:8000/index.php?option=com_content&view=article&id=1605:slug",
)
FAMILIES = (None, *sorted(load_profiles()))
CONTENT_TYPES: tuple[str | None, ...] = (
    None,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=windows-1258",
    "text/html; charset=utf-16",
)
CONTENT_TYPES += ("text/html; charset=x-no-such-charset", "application/octet-stream", "text/html; charset=")
CASES = sorted(PAGES.glob("*/*/page.html"))


def fuzz(examples: int) -> settings:
    """Hypothesis settings: no deadline (the watchdog bounds each call), big inputs allowed."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


EXAMPLES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def watchdog(reliability_figures: dict[str, object]) -> Iterator[Watchdog]:
    dog = Watchdog()
    yield dog
    dog.close()
    reliability_figures["fuzz examples"] = (
        f"{sum(EXAMPLES.values())} hypothesis examples ({', '.join(f'{k} {v}' for k, v in EXAMPLES.items())}); "
        f"{dog.calls} bounded calls in all, the slowest {dog.slowest:.2f} s (bound {BOUND:.0f} s)"
    )


def _extract(
    dog: Watchdog, html: bytes | str, url: str = URLS[1], family: str | None = None, content_type: str | None = None
) -> dict:
    record = dog.call("extract", html, url, family, content_type, seconds=BOUND)
    assert set(Record.__dataclass_fields__) <= set(record)
    assert isinstance(record["warnings"], list)
    missing = [f"no_{name}" for name in ("title", "date", "body") if not record[name]]
    assert set(missing) <= set(record["warnings"]), f"fields missing without a warning: {missing} {record['warnings']}"
    return record


def test_the_watchdog_turns_a_hang_into_a_failure(watchdog: Watchdog) -> None:
    with pytest.raises(Hang):
        watchdog.call("backtrack", "a" * 64 + "!", seconds=1)
    assert watchdog.call("backtrack", "aaa", seconds=BOUND) is True  # and goes on with a new child


# -- property-based: any input gives a record -------------------------------------------------------
@fuzz(150)
@given(
    data=st.binary(max_size=4000),
    url=st.sampled_from(URLS),
    family=st.sampled_from(FAMILIES),
    content_type=st.one_of(st.sampled_from(CONTENT_TYPES), st.text(max_size=60)),
)
def test_arbitrary_bytes(watchdog: Watchdog, data: bytes, url: str, family: str | None, content_type: str | None) -> None:
    EXAMPLES["arbitrary bytes"] += 1
    _extract(watchdog, data, url, family, content_type)


NESTING_TAGS = ("div", "table", "tr", "td", "span", "p", "ul", "li", "b", "font", "a", "center", "blockquote")


@fuzz(40)
@given(
    depth=st.integers(min_value=100, max_value=30_000),
    tags=st.lists(st.sampled_from(NESTING_TAGS), min_size=1, max_size=4),
    closed=st.booleans(),
    leaf=st.text(max_size=80),
    family=st.sampled_from(FAMILIES),
)
def test_deeply_nested_markup(
    watchdog: Watchdog, depth: int, tags: list[str], closed: bool, leaf: str, family: str | None
) -> None:
    EXAMPLES["deep nesting"] += 1
    opening = "".join(f"<{tags[i % len(tags)]}>" for i in range(depth))
    closing = "".join(f"</{tags[i % len(tags)]}>" for i in reversed(range(depth))) if closed else ""
    html = f"<html><head><title>Tiêu đề</title></head><body>{opening}Ngày 27/08/2020 {leaf}{closing}</body></html>"
    _extract(watchdog, html, URLS[0] if family == "hue_subsite" else URLS[1], family)


@fuzz(25)
@given(
    size=st.integers(min_value=10_000, max_value=3_000_000),
    name=st.sampled_from(["class", "style", "href", "id", "onclick", "data-x", "content", "src", "x" * 5000]),
    quote=st.sampled_from(['"', "'", ""]),
    terminated=st.booleans(),
    count=st.integers(min_value=1, max_value=50),
    fill=st.sampled_from(["a", " ", "&amp;", "đ", "<", "=", "\\"]),
)
def test_huge_attributes(watchdog: Watchdog, size: int, name: str, quote: str, terminated: bool, count: int, fill: str) -> None:
    EXAMPLES["huge attributes"] += 1
    value = fill * (size // len(fill))
    end = quote if terminated else ""
    attrs = " ".join(f"{name}{i}={quote}{value[: size // count]}{end}" for i in range(count))
    html = f'<html><body><h1 {attrs}>Tiêu đề</h1><a href="{quote}{value}{end}">x</a><p {attrs}>Nội dung</p></body></html>'
    _extract(watchdog, html)


@fuzz(80)
@given(
    garbage=st.binary(min_size=500, max_size=60_000),
    charset=st.sampled_from(["utf-8", "windows-1258", "windows-1252", "utf-16", "utf-32", "tcvn3", "x-bogus", ""]),
    content_type=st.sampled_from(CONTENT_TYPES),
    where=st.sampled_from(["head", "body", "everywhere"]),
)
def test_binary_garbage(watchdog: Watchdog, garbage: bytes, charset: str, content_type: str | None, where: str) -> None:
    EXAMPLES["binary garbage"] += 1
    head = f'<html><head><meta charset="{charset}"><title>Tiêu đề bài viết</title></head><body>'.encode()
    text = "<h1>Tiêu đề bài viết</h1><p>Ngày đăng 27/08/2020</p><p>Nội dung bài viết có dấu tiếng Việt.</p>".encode()
    parts = {"head": [garbage, head, text], "body": [head, garbage, text], "everywhere": [garbage, head, garbage, text, garbage]}
    _extract(watchdog, b"".join(parts[where]), URLS[1], None, content_type)


def _case(path: Path) -> tuple[bytes, str, str | None]:
    meta = json.loads((path.parent / "meta.json").read_text(encoding="utf-8"))
    family = path.parent.parent.name
    return path.read_bytes(), meta["url"], None if family == "generic" else family


MUTATION = st.tuples(
    st.sampled_from(["delete", "duplicate", "insert", "flip", "truncate", "swap"]),
    st.floats(min_value=0, max_value=1),
    st.integers(min_value=1, max_value=20_000),
    st.binary(min_size=1, max_size=64),
)


def _mutate(page: bytes, mutations: list[tuple[str, float, int, bytes]]) -> bytes:
    for kind, where, length, data in mutations:
        at = int(where * len(page))
        if kind == "delete":
            page = page[:at] + page[at + length :]
        elif kind == "duplicate":
            page = page[: at + length] + page[at : at + length] + page[at + length :]
        elif kind == "insert":
            page = page[:at] + data + page[at:]
        elif kind == "flip":
            page = page[:at] + bytes(b ^ data[0] for b in page[at : at + min(length, 256)]) + page[at + min(length, 256) :]
        elif kind == "truncate":
            page = page[:at]
        else:  # swap the halves around the cut
            page = page[at:] + page[:at]
    return page


@fuzz(150)
@given(case=st.sampled_from(CASES), mutations=st.lists(MUTATION, min_size=1, max_size=6), keep_family=st.booleans())
def test_mutated_real_pages(
    watchdog: Watchdog, case: Path, mutations: list[tuple[str, float, int, bytes]], keep_family: bool
) -> None:
    EXAMPLES["mutated fixtures"] += 1
    page, url, family = _case(case)
    _extract(watchdog, _mutate(page, mutations), url, family if keep_family else None)


# Links no URL parser accepts, as they turn up in real pages (hypothesis found the first one).
MALFORMED_LINKS = {
    "unclosed IPv6 bracket": '<a href="http://[sdl.thuathienhue.gov.vn/">x</a>',
    "protocol-relative bracket": '<a href="//[x">x</a>',
    "stray closing bracket": '<a href="http://a]b/">x</a>',
    "malformed base": '<base href="http://[">',
    "port out of range": '<a href="http://example-province.gov.vn:99999/">x</a>',
}


@pytest.mark.parametrize("name", list(MALFORMED_LINKS))
def test_malformed_links(watchdog: Watchdog, name: str) -> None:
    link = MALFORMED_LINKS[name]
    _extract(watchdog, f"<html><head>{link}</head><body><h1>Tiêu đề</h1>{link}<p>Nội dung.</p></body></html>", URLS[1])


# -- long adversarial input: no catastrophic backtracking ---------------------------------------------
N = 100_000  # characters of each adversarial text
ADVERSARIAL = {
    "digits": "1" * N,
    "dotted digits": "1." * (N // 2),
    "thousands groups": "1" + ".000" * (N // 4) + ".0",
    "slashes": "1/" * (N // 2),
    "date fragments": "27/08/" * (N // 6),
    "clock fragments": "12:" * (N // 3),
    "whitespace": " \t\u00a0\u200b" * (N // 4),
    "ngay": "ngày " * (N // 5),
    "thang": "12 tháng " * (N // 9),
    "date labels": "Ngày cập nhật: " * (N // 15),
    "closing marks": "./." * (N // 3),
    "spaced closing marks": ". / ." * (N // 5),
    "open parentheses": "(" * N,
    "unclosed parentheses": "(a" * (N // 2) + ")",
    "sentence ends": "." * N + "(Theo TTXVN)",
    "source labels": "Theo " * (N // 5),
    "view counters": "Lượt xem 1.000" * (N // 14),
    "visitor labels": "Lượt truy cập: 15.996.402 Đang online " * (N // 38),
    "full dates": "Thứ năm, 27 tháng 8 năm 2020 lúc 4:19:27 CH, " * (N // 44),
    "names": "Nguyễn Văn A - " * (N // 15),
    "domains": "www.thuathienhue.gov.vn/" * (N // 24),
    "combining marks": "a\u0301\u0323" * (N // 3),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_helpers_return_in_time_on_long_adversarial_text(watchdog: Watchdog, name: str) -> None:
    text = ADVERSARIAL[name]
    failures = []
    for helper in HELPERS:
        try:
            watchdog.call(helper, text, seconds=BOUND)
        except AssertionError as exc:  # Hang or Raised
            failures.append(f"{helper}: {str(exc).strip().splitlines()[-1]}")
    page = f"<html><body><h1>Tiêu đề</h1><p>{text}</p><div>{'<br>'.join(text[i : i + 400] for i in range(0, N, 400))}</div>"
    for url in URLS[:2]:
        try:
            _extract(watchdog, page, url)
        except AssertionError as exc:
            failures.append(f"extract at {url}: {str(exc).strip().splitlines()[-1]}")
    assert not failures, failures


LARGE_PAGES: dict[str, Callable[[], str]] = {
    "20,000 paragraphs": lambda: "<h1>Tiêu đề</h1>" + "".join(f"<p>Đoạn {i}, ngày 27/08/2020.</p>" for i in range(20_000)),
    "30,000 links": lambda: "".join(f'<a href="/?cn=1&gd=4&tc={i}">Tin {i}</a>' for i in range(30_000)),
    "30,000 line breaks": lambda: "Ngày 27/08/2020<br>" * 30_000,
    "100,000 nested divs": lambda: "<div>" * 100_000 + "Ngày 27/08/2020" + "</div>" * 100_000,
    "a 10 MB attribute": lambda: '<div class="' + "a" * 10_000_000 + '">Nội dung</div>',
    "a 1 MB title": lambda: "<title>" + "Tiêu đề " * 125_000 + "</title>",
    "100,000 comments": lambda: "<!--" * 100_000,
    "a million NUL bytes": lambda: "\x00" * 1_000_000,
}


@pytest.mark.parametrize("name", list(LARGE_PAGES))
def test_extract_returns_in_time_on_large_adversarial_pages(watchdog: Watchdog, name: str) -> None:
    _extract(watchdog, LARGE_PAGES[name](), URLS[1])
