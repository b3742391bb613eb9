"""The compiled loops (portals/_scan.pyx, portals/_walk.pyx) give exactly what their pure-Python forms give, and
the other short cuts of extraction what the long way gives.

The install builds them; extraction falls back to the Python forms only where they do not load.
Here both forms run on every saved page of the repository, on markup made to reach each branch of
the walk, and on generated text for the needle search.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from portals import folding, speedups, text
from portals.extract import dom, legacy
from portals.extract.bounds import MAX_ATTRIBUTES, readable_pattern
from portals.extract.encoding import decode
from portals.profiles import _ascii_needles, _detection_plan, detect_profile, folded_needles, load_profiles

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
PAGES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".html", ".htm") and p.is_file())
scan = speedups.scan
walk = speedups.walk()


def test_the_install_built_the_compiled_loops() -> None:
    # `pip install` (bootstrap.py) compiles them; without them extraction is about twice as slow.
    assert scan is not None, "portals._scan was not built or does not load"
    assert walk is not None, "portals._walk was not built or does not load (built for another lxml?)"
    assert Path(scan.__file__).suffix in (".so", ".pyd") and Path(walk.__file__).suffix in (".so", ".pyd")


def test_what_cleans_and_folds_text_loads_no_parser() -> None:
    # portals.text and portals.folding (which storage imports) use the scan module, not the walk's.
    code = "import sys, portals.folding, portals.text; print('lxml' in sys.modules, 'portals._scan' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split()
    assert out == ["False", "True"]


def _both(root: etree._Element) -> tuple[tuple, tuple]:
    """The Python walk's runs, anchors and spans, and the compiled walk's (its spans as a dict)."""
    assert walk is not None
    runs, anchors, spans = walk.runs(root, dom._KIND, dom._HIDDEN_STYLE.search, dom._hidden_classes, dom._HIDDEN_NAMES)
    assert len(dict(spans.items())) == len(spans)
    for el, span in list(spans.items())[:50]:  # the mapping's other ways in
        assert el in spans and spans[el] == spans.get(el) == span
    assert spans.get(None, "none") == "none" and etree.Element("p") not in spans
    return dom._runs(root), (runs, anchors, dict(spans.items()))


def test_the_walk_reads_every_saved_page_as_the_python_walk_does() -> None:
    assert len(PAGES) > 400
    differ = []
    for path in PAGES:
        root = dom.parse_tree(path.read_bytes().decode("utf-8", "replace"))
        python, fast = _both(root)
        if python != fast:
            differ.append(str(path.relative_to(FIXTURES)))
    assert not differ, differ[:10]


# Each branch of the walk: hidden elements of every kind, line breaks (hidden or not), links with
# and without targets, images, bold, inline elements with classes and digits ("15:40" "2.315"),
# a counter drawn digit by digit in spans of one class, text after skipped elements, the root's tail.
BRANCHES = """<!DOCTYPE html><html><head><title>Tiêu đề</title><script>var x = "<p>";</script></head>
<body>Văn bản đầu<div class="menu"><a href="/a">Trang chủ</a> | <a>Không đích</a> |<a href="">rỗng</a></div>
<div hidden>ẩn</div><p aria-hidden="true">ẩn lá</p><p aria-hidden="true">còn <b>con</b></p>
<p style="color:red; DISPLAY : none">ẩn kiểu</p><p style="visibility:hidden">ẩn</p><p class="x d-none">ẩn lớp</p>
<p class="">lớp rỗng</p><p id="">id rỗng</p><p class="HIDDEN">ẩn hoa</p><p class="a	sr-only">ẩn tab</p>
<p class="Visually-Hidden thêm">ẩn ngoài ASCII</p><p class="hiddenx d-non">hiện lớp gần giống</p><p class="  ">hiện khoảng</p>
<div class="tin"><span class="time">15:40</span><span class="views">2.315 lượt xem</span>
<span class="so">1</span><span class="so">2</span><span class="so">3</span> lượt</div>
<p>Dòng một<br>dòng hai<br hidden>nối tiếp<br style="display:none">dòng ba<br/></p>
<h2>Tiêu <strong>đậm <a href="/b">liên kết <b>trong</b></a></strong> hết</h2>
<table><tr><td>Ô một</td><td><img src="/anh.jpg" alt="ảnh"> chú thích</td></tr></table>
<select><option>Liên kết website</option></select>sau select
<ul><li>Mục <em class="nhan" id="m1">một</em></li><li id="m2">hai</li></ul>
<iframe src="/x">khung</iframe>sau khung<noscript>không</noscript>
<a href="/c"><span class="icon"></span></a><a href="/d">   </a>
<div><div><div><p>sâu <i>nghiêng</i></p>đuôi</div>đuôi hai</div></div>
</body></html>sau html"""


def test_the_walk_takes_each_branch_as_the_python_walk_does() -> None:
    root = dom.parse_tree(BRANCHES)
    python, fast = _both(root)
    assert python == fast
    runs, anchors, spans = fast
    texts = [run[0] for run in runs]
    assert not any("ẩn" in t for t in texts), texts
    assert any("hiện lớp gần giống" in t for t in texts) and any("hiện khoảng" in t for t in texts), texts
    assert any("15:40 2.315" in t for t in texts), texts  # two items, not "15:402.315"
    assert any("123 lượt" in t for t in texts), texts  # one number drawn digit by digit
    assert [el.get("href") or el.get("src") for _, el in anchors] == ["/a", "/b", "/anh.jpg", "/c", "/d"]
    assert all(begin < end for begin, end in spans.values())


def test_the_walk_reads_trees_the_parser_does_not_make() -> None:
    # Comments and processing instructions (the parser drops them; the walk does not see them nor
    # the text after them), an entity reference, namespaced tags, CDATA text, and nesting deeper
    # than the parser's limit: built through lxml's API.
    root = dom.parse_tree("<html><body><div><p>một</p></div></body></html>")
    div = root.find(".//div")
    div.append(etree.Comment("chú thích"))
    div[-1].tail = "sau chú thích"
    div.append(etree.ProcessingInstruction("php", "echo 1"))
    div[-1].tail = "sau pi"
    div.append(etree.Entity("amp"))
    div[-1].tail = "sau thực thể"
    span = etree.SubElement(div, "{urn:x}span", {"class": "ns"})
    span.text = "không gian tên"
    bold = etree.SubElement(div, "b")
    bold.text = etree.CDATA("cdata")
    el = div
    for depth in range(5000):
        el = etree.SubElement(el, "div" if depth % 2 else "span")
        el.text = f"{depth} "
    python, fast = _both(root)
    assert python == fast
    texts = " ".join(run[0] for run in fast[0])
    assert "sau thực thể" in texts and "sau pi" not in texts and "4999" in texts


def _ascii_lower(text: str) -> str:
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.sampled_from('abcdgnpvAGNP_=-/"<> \nĐàẵ😀cl'), max_size=300),
    st.lists(st.text(alphabet=st.sampled_from('abcdgnpvAGNP_=-/"<> cl'), max_size=6), max_size=20),
    st.lists(st.text(alphabet=st.sampled_from("abcdgnpv_=-/<>"), min_size=2, max_size=6), max_size=8),
)
def test_the_needle_search_finds_what_in_finds(text: str, needles: list[str], folded: list[str]) -> None:
    assert scan is not None
    assert scan.needles_in(text, tuple(needles), tuple(folded)) == (
        {n for n in needles if n in text},
        {n for n in folded if n in _ascii_lower(text)},
    )


def test_the_needle_search_on_every_saved_page() -> None:
    assert scan is not None
    needles, folded = _ascii_needles(_detection_plan(load_profiles()))
    assert len(needles) > 50 and folded
    for path in PAGES:
        text = path.read_bytes().decode("utf-8", "replace")
        lowered = _ascii_lower(text)
        assert scan.needles_in(text, needles, folded) == (
            {n for n in needles if n in text},
            {n for n in folded if n in lowered},
        ), path


def test_the_needle_search_at_the_edges() -> None:
    assert scan is not None
    find = scan.needles_in
    assert find("", ("a", "")) == ({""}, set())
    assert find("xyz", ()) == (set(), set())
    assert find("abc", ("abc", "abcd", "bc", "c", "c", "cx")) == ({"abc", "bc", "c"}, set())
    assert find("ĐĐab", ("ab",)) == ({"ab"}, set())  # two-byte characters
    assert find("😀ab😀", ("ab", "b", "x")) == ({"ab", "b"}, set())  # four-byte characters
    assert find("/Trang/TinTuc.ASPX", ("/trang/",), ("/trang/", ".aspx")) == (set(), {"/trang/", ".aspx"})
    with pytest.raises(UnicodeEncodeError):
        find("xĐ", ("Đ",))
    with pytest.raises(ValueError, match="lower-case"):
        find("x", (), ("Ab",))
    with pytest.raises(ValueError, match="NUL"):  # (NUL stands for the characters outside ASCII)
        find("x", ("a\0",))
    assert find("a\0b", ("ab", "a")) == ({"a"}, set())


# Case-insensitive markers: every match holds the folded needles once ASCII letters are lower-cased,
# even where IGNORECASE matched a letter outside ASCII (İ ı K ſ) or another case.
_CASES = {"i": "iIİı", "k": "kKK", "s": "sSſ"}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_folded_needles_are_in_every_match(data: st.DataObject) -> None:
    markers = [m for p in load_profiles().values() for m in p.markers if m.flags & re.IGNORECASE]
    assert markers
    marker = data.draw(st.sampled_from(markers))
    example = data.draw(st.from_regex(marker, fullmatch=True).filter(lambda t: len(t) < 200))
    # The same match with its ASCII letters in any case, or as a letter IGNORECASE takes for them.
    varied = "".join(
        data.draw(st.sampled_from(_CASES.get(c.lower(), c + c.swapcase()))) if c.isascii() and c.isalpha() else c for c in example
    )
    assert marker.fullmatch(varied)
    lowered = _ascii_lower(varied)
    for group in folded_needles(marker):
        assert any(n in lowered for n in group), (marker.pattern, varied, group)


def test_profiles_are_detected_alike_with_and_without_the_compiled_search(monkeypatch: pytest.MonkeyPatch) -> None:
    pages = [path.read_bytes().decode("utf-8", "replace") for path in PAGES]
    fast = [detect_profile(text) for text in pages]
    monkeypatch.setattr(speedups, "scan", None)
    assert [detect_profile(text) for text in pages] == fast
    assert sum(p is not None for p in fast) > 100


def test_pure_python_extraction_gives_the_same_records() -> None:
    # PORTAL_ARCHIVE_PURE_PYTHON=1: where the compiled module is missing, the records are the same.
    pages = [p for p in PAGES if p.is_relative_to(FIXTURES / "pages")]
    assert len(pages) > 50
    script = (
        "import json, sys\n"
        "from portals import speedups\n"
        "from portals.extract import extract\n"
        "out = [extract(open(p, 'rb').read(), 'https://example.gov.vn/bai-viet').to_dict() for p in sys.argv[1:]]\n"
        "print(json.dumps([speedups.scan is not None and speedups.walk() is not None, out], ensure_ascii=False, default=str))\n"
    )
    results = []
    for pure in ("", "1"):
        env = {**os.environ, "PORTAL_ARCHIVE_PURE_PYTHON": pure}
        proc = subprocess.run(
            [sys.executable, "-c", script, *map(str, pages)], capture_output=True, text=True, env=env, cwd=ROOT, check=True
        )
        results.append(json.loads(proc.stdout))
    (fast_compiled, fast), (pure_compiled, pure) = results
    assert fast_compiled and not pure_compiled
    assert fast == pure


# The markup tokenizer of cut_markup: where the first start tag of too many attributes begins.
_MARKUP = st.lists(
    st.sampled_from(
        [
            "<",
            ">",
            "/",
            "=",
            '"',
            "'",
            " ",
            "\n",
            "\t",
            "-",
            "!",
            "<!--",
            "-->",
            "--!>",
            "a",
            "b",
            "x",
            "é",
            "Đ",
            "😀",
            "<p",
            "<P ",
            "<br/",
            "</",
            "<script",
            "<SCRIPT",
            "</script",
            "</scRipt>",
            "<style",
            "<ſcript",
            "<scrİpt",
            "<tıtle",
            "</tıtle",
            "<textarea",
            "<title",
            "<xmp",
            "<iframe",
            "<noembed",
            "<noframes",
            "<noscript",
            "<plaintext",
            "<strong",
            "<nobr",
            "<pl",
            "<!DOCTYPE",
            "a=1",
            'b="x y"',
            "c='>'",
            "d=",
        ]
    ),
    max_size=80,
).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_MARKUP, st.integers(min_value=0, max_value=4))
def test_the_markup_tokenizer_stops_where_the_pattern_stops(text: str, most: int) -> None:
    assert scan is not None
    assert scan.readable_end(text, most) == readable_pattern(most).match(text).end()


def test_the_markup_tokenizer_on_every_saved_page_and_at_the_limit() -> None:
    assert scan is not None
    pattern = readable_pattern(MAX_ATTRIBUTES)
    for path in PAGES:
        text = path.read_bytes().decode("utf-8", "replace")
        assert scan.readable_end(text, MAX_ATTRIBUTES) == pattern.match(text).end() == len(text), path
    for count in (MAX_ATTRIBUTES, MAX_ATTRIBUTES + 1):
        for tag in ("p", "script", "STYLE"):
            text = "<p>trước</p><!-- <p " + "a " * 400 + "--><" + tag + " " + " ".join(f'x{i}="v"' for i in range(count)) + ">sau"
            end = scan.readable_end(text, MAX_ATTRIBUTES)
            assert end == pattern.match(text).end()
            assert (end < len(text)) == (count > MAX_ATTRIBUTES)


def test_a_page_in_utf8_parses_from_its_bytes_to_the_same_tree() -> None:
    # parse_tree(text, utf8): lxml reads the page's bytes rather than the decoded text.
    read = 0
    for path in PAGES:
        raw = path.read_bytes()
        text, encoding = decode(raw)
        if encoding != "utf-8":
            continue
        assert etree.tostring(dom.parse_tree(text, raw)) == etree.tostring(dom.parse_tree(text)), path
        read += 1
    assert read > 400
    # Where the bytes would not give the text's tree, the text is parsed: an undecodable byte
    # (decoded as U+FFFD), NUL (dropped from the text), an XML declaration (cut from the text).
    for raw in (b"<p>a\xff b</p>", b"<p>a\x00b</p>", b'<?xml version="1.0"?><p>\xc4\x90\xc3\xa0</p>'):
        text = raw.decode("utf-8", errors="replace")
        assert etree.tostring(dom.parse_tree(text, raw)) == etree.tostring(dom.parse_tree(text))


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(".vVnNiIİıſKx- Đ😀")), max_size=30))
def test_the_font_hint_is_the_pattern_on_lower_cased_bytes(text: str) -> None:
    assert scan is not None
    lowered = text.encode("utf-8", "surrogatepass").lower()
    assert scan.font_hint(text) == any(hint.search(lowered) for hint in legacy._FONT_HINT)


def test_text_content_is_xpaths_string_of_every_element() -> None:
    string = etree.XPath("string()", smart_strings=False)
    for path in PAGES[::5]:
        root = dom.parse_tree(path.read_bytes().decode("utf-8", "replace"))
        for el in root.iter():
            assert dom.text_content(el) == str(string(el)), (path, el.tag)
    root = dom.parse_tree("<p>a<b>b</b><![CDATA[c]]>d</p>")
    paragraph = root.find(".//p")
    paragraph.append(etree.Entity("amp"))
    etree.SubElement(paragraph, "i").text = etree.CDATA("e")
    assert dom.text_content(paragraph) == str(string(paragraph)) == "abd&e"


_TEXTS = st.lists(
    st.text(
        alphabet=st.sampled_from(
            list("ab Đ\t\n\r\x0b\x0c\x1c\x85\xa0\u2028\u3000\x01\x1b\x7f\x9f\xad\u200b\ufeff😀\U000e0041\u0301")
        )
    )
)


@settings(max_examples=1000, deadline=None)
@given(_TEXTS)
def test_clean_many_is_clean_of_each_text(texts: list[str]) -> None:
    assert scan is not None
    assert text.clean_many(texts) == [text.clean(t) for t in texts]
    joined = text._SEP.join(texts)
    assert scan.collapse_many(joined, text._SEP) == [t.strip() for t in " ".join(joined.split()).split(text._SEP)]


@settings(max_examples=1000, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("ab Đ\t\n\x00\x01\x1b\x7f\x85\x9f\xa0\xad\u0600\u200b\u202e\ufeff\ufffb😀\U000110bd\U000e0041")
        )
    )
)
def test_the_character_sets_are_their_patterns(sample: str) -> None:
    assert scan is not None
    assert scan.chars_in(sample, *text._UNPRINTABLE_SET) == (re.search(text.UNPRINTABLE, sample) is not None)
    hidden = re.compile(f"[{text._HIDDEN_BUT_NUL.pattern[1:-1]}{text._FORMAT_ASTRAL}]")
    assert scan.chars_in(sample, *text._HIDDEN_BUT_NUL_SET) == (hidden.search(sample) is not None)


_FOLDABLE = st.lists(
    st.text(alphabet=st.sampled_from(list("aAzZ Đđ\u00d0ðẴẵáÁ\u0301\u0303ΣσςΑλİıǅßẞ–“”ø😀한中\ufffe\uffffКк\u0654ﬁ"))),
    max_size=6,
)


@settings(max_examples=1500, deadline=None)
@given(_FOLDABLE)
def test_fold_many_folds_each_text_as_fold_does(texts: list[str]) -> None:
    assert scan is not None
    assert folding.fold_many(texts) == [folding.fold(t) for t in texts]


def test_fold_many_on_the_lines_of_every_saved_page() -> None:
    for path in PAGES[::3]:
        texts = [block.text for block in dom.parse(path.read_bytes().decode("utf-8", "replace")).blocks]
        assert folding.fold_many(texts) == [folding.fold(t) for t in texts], path
