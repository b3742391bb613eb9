"""Search answers the same whichever plan finds the hits: newest first from a window of the date
index or from every match; highlights found in the text itself or in its fold; ``fold`` as quick
as it is and as it was defined."""

from __future__ import annotations

import random
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pytest

from archive import search as search_module
from archive.search import Filters, search
from archive.store import Archive, Batch
from portals.extract import Record
from portals.folding import COMBINING_MARKS, FOLD_TABLE, FOLDS_ALONE, TOKENIZER_FOLDS, decompose, fold, indexed
from portals.items import Provenance
from portals.text import nfc

SITES = ("danang.gov.vn", "hue.gov.vn", "thanhhoa.gov.vn")
# Syllables with their weights: "xa hoi" in most articles, "vac xin" in few, "hoa sen" in fewer.
COMMON = ["xã", "hội", "phát", "triển", "kinh", "tế", "Đà", "Nẵng", "thành", "phố", "người", "dân"]
RARE = ["vắc", "xin", "hoa", "sen"]


def _body(rng: random.Random, i: int) -> str:
    words = [rng.choice(COMMON) for _ in range(rng.randint(20, 60))]
    if i % 17 == 0:
        words[rng.randrange(len(words))] = "vắc xin"
    if i % 61 == 0:
        words.insert(rng.randrange(len(words)), "“hoa sen”")
    return " ".join(words).capitalize() + "."


def _archive(path: Path, order: str, n: int = 400) -> Archive:
    """``n`` articles; dates rising with the id (``order="rising"``), shuffled, or falling, some
    shared, a few missing."""
    rng = random.Random(n)
    days = [date(2020, 1, 1) + timedelta(days=i // 3) for i in range(n)]
    if order == "shuffled":
        rng.shuffle(days)
    elif order == "falling":
        days.reverse()
    archive = Archive(path)
    batch = Batch()
    for i, day in enumerate(days):
        record = Record(
            url=f"http://{SITES[i % 3]}/bai/{i}",
            site=SITES[i % 3],
            title=f"Tin số {i}" + (" vắc xin" if i % 50 == 0 else ""),
            date=None if i % 97 == 5 else day.isoformat(),
            body=_body(rng, i),
        )
        batch.articles.append((record, Provenance(fetched_at="2025-01-01T00:00:00+07:00", fetched_url=record.url)))
    archive.write(batch)
    return archive


@pytest.mark.parametrize("order", ["rising", "shuffled", "falling"])
def test_newest_first_finds_what_the_plain_plan_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    archive = _archive(tmp_path / "a.sqlite", order)
    # Small windows, so that growing them and falling back to the plain plan are both exercised.
    monkeypatch.setattr(search_module, "_WINDOW", 10)
    monkeypatch.setattr(search_module, "_WINDOW_MAX", 200)
    cases = [
        ("xa hoi", None),
        ("vac xin", None),
        ('"hoa sen"', None),
        ("hoa sen", Filters.of(site="hue.gov.vn")),
        ("da nang", Filters.of(since="2020-02-01", until="2020-03-15")),
        ("vac xin OR hoa", Filters.of(site=["danang.gov.vn", "thanhhoa.gov.vn"], since="2020-03-01")),
        ("thanh pho NOT vac xin", None),
        ("khong co dau", None),
    ]
    for query, filters in cases:
        for limit in (1, 5, 20, 500, 0):
            windowed = search(archive, query, filters, order="date", limit=limit)
            with monkeypatch.context() as plain:
                plain.setattr(search_module, "_newest", search_module._newest_all)
                expected = search(archive, query, filters, order="date", limit=limit)
            assert [h.to_dict() for h in windowed] == [h.to_dict() for h in expected], (query, filters, limit)
            keys = [(h.date or "", h.id) for h in windowed]
            assert keys == sorted(keys, reverse=True) or None in [h.date for h in windowed]
    assert len(search(archive, "vac xin", order="date", limit=500)) > 20  # the rare words are not that rare
    archive.close()


def test_newest_first_reads_a_window_where_ids_follow_dates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _archive(tmp_path / "a.sqlite", "rising")
    monkeypatch.setattr(search_module, "_WINDOW", 50)
    called: list[int] = []
    monkeypatch.setattr(search_module, "_newest_all", lambda *args: called.append(1) or [])
    hits = search(archive, "xa hoi", order="date", limit=2)  # a window of 50 of the 400 articles
    assert len(hits) == 2 and not called  # found in the window, without the plain plan
    assert search(archive, "khong co dau", order="date", limit=2) == [] and called  # none there: the plain plan
    archive.close()


def _fold_by_regex(text: str) -> str:
    """What ``fold`` gives, the slow way: every combining mark of the decomposed text dropped by
    one regex, or where that changes the length, the table."""
    text = nfc(text)
    folded = COMBINING_MARKS.sub("", decompose(text))
    return folded if len(folded) == len(text) else text.translate(FOLD_TABLE)


def test_fold_by_stretches_is_fold_by_regex() -> None:
    rng = random.Random(7)
    alphabet = "aăâeêioôơuưyđĐÀÁẢÃẠàáảãạẾếỆệ ,.“”–…\n\tΣσςﬁİıǅ²ΩАя中文\u0301\u0300\u0323\u0483Ððß\u00ad\u2000\u212b한"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert fold(text) == _fold_by_regex(text), repr(text)
    for _ in range(2_000):
        text = "".join(chr(rng.randint(1, 0x3000)) for _ in range(rng.randint(0, 10)))
        assert fold(text) == _fold_by_regex(text), repr(text)
    vietnamese = "“Đà Nẵng” – thành phố đáng sống… " * 50
    assert fold(vietnamese) == _fold_by_regex(vietnamese)


def test_characters_that_fold_alone() -> None:
    """What lets Vietnamese text be searched for highlights without folding it: for the characters
    of ``FOLDS_ALONE`` (and ASCII), the fold of two is the folds of each side by side, and each is a
    word character, or a space, as its fold is."""
    alone = FOLDS_ALONE + "".join(chr(c) for c in range(0x80))
    assert {"đ", "Đ", "ầ", "Ễ", "ự", "ý", "“", "–", "…", "\n"} <= set(alone)
    assert not {"\u0301", "Σ", "\u2000", "İ"} & set(alone)
    rng = random.Random(3)
    for a in alone:
        assert (re.match(r"\w", a) is None) == (re.match(r"\w", fold(a)) is None) and a.isspace() == fold(a).isspace()
        for b in [*rng.sample(alone, 40), " ", "a"]:
            assert fold(a + b) == fold(a) + fold(b), (a, b)
    for _ in range(5_000):
        text = "".join(rng.choice(alone) for _ in range(rng.randint(0, 30)))
        assert fold(text) == _fold_by_regex(text), repr(text)


def test_highlights_found_in_the_text_are_those_of_its_fold() -> None:
    """Vietnamese text is searched for its highlights as it is, with patterns that match every
    letter folding to the query's: the snippet is the one cut from the fold of the whole text."""
    from archive.search import _cut, _highlight_spans, _matches, parse_query

    rng = random.Random(11)
    words = ["Đà", "Nẵng", "đã", "nâng", "ĐÀ", "NẴNG", "hoa", "sen", "Hoạt", "động", "“Huế”", "–", "xã", "hội", "x2", "Ð", "ð"]
    filler = ["kinh", "tế", "người", "dân", "thành", "phố,", "số", "Đắk", "Lắk", "_", "(Huế)", "\n"]
    queries = ["da nang", '"da nang"', "hoa*", '"hoat dong xa hoi"', "hue OR sen", "nang hoa sen", "d*", "x2", "Đắk"]
    for _ in range(1_500):
        text = " ".join(rng.choice(filler) for _ in range(rng.randint(0, 200)))
        for _ in range(rng.randint(0, 6)):
            at = rng.randint(0, len(text))
            text = text[:at] + rng.choice(words) + rng.choice([" ", "    ", "  —  ", "", "-"]) + rng.choice(words) + text[at:]
        parsed = parse_query(rng.choice(queries))
        for width in (160, 40):
            folded = fold(text)
            expected = _cut(text, len(folded) == len(text), _highlight_spans(folded, parsed.terms), width, ("[", "]"))
            spans, same_length = _matches(text, parsed.terms)
            assert _cut(text, same_length, spans, width, ("[", "]")) == expected, (text, parsed.terms, width)
    assert _matches("Đà Nẵng", parse_query("da nang").terms) == ([(0, 7)], True)
    assert _matches("Ελλάδα", parse_query("ελλαδα").terms) == ([(0, 6)], True)  # folded: Greek is not in _ALONE


def _index_words(conn: sqlite3.Connection, text: str) -> list[str]:
    """The words the archive's FTS5 tokenizer reads in ``text``, in order."""
    conn.execute("DELETE FROM t")
    conn.execute("INSERT INTO t (rowid, x) VALUES (1, ?)", [text])
    return [row[0] for row in conn.execute("SELECT term FROM v ORDER BY offset")]


def test_the_index_is_given_text_whose_words_are_those_of_the_fold() -> None:
    """``indexed`` gives Vietnamese text to the tokenizer nearly as it is (only đ changed), other
    text folded: either way the index holds the words of ``fold(text)``, which is what a query is
    folded to. Checked against SQLite's tokenizer itself, for every character it is trusted with."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'unicode61 remove_diacritics 2')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    trusted = [c for c in map(chr, range(0x2100)) if re.fullmatch(f"[{TOKENIZER_FOLDS}]", c)]
    assert {"đ", "Đ", "ầ", "Ễ", "ự", "Ư", "ơ", "ĩ", "“", "–", "…", "é", "ß"} <= set(trusted)
    assert not {"ð", "Ð", "Ά", "ǡ", "\u0301"} & set(trusted)
    for c in trusted:
        text = f"x{c}y {c} z{c}"
        assert indexed(text) == text.replace("đ", "d").replace("Đ", "D")
        assert _index_words(conn, indexed(text)) == _index_words(conn, fold(text)), repr(c)
    rng = random.Random(5)
    alphabet = [*trusted[:: max(1, len(trusted) // 300)], "đ", "ư", "Ð", "ð", "Ά", "ǡ", "\u0301", "Σ", "中", "İ", "ﬁ"]
    for _ in range(3_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _index_words(conn, indexed(text)) == _index_words(conn, fold(text)), repr(text)
    page = "Thừa Thiên Huế “dẫn đầu” – ĐÀ NẴNG, Đắk Lắk… ư ơ Ð ð Ελλάδα " * 20
    assert _index_words(conn, indexed(page)) == _index_words(conn, fold(page))
