"""Extraction quality, field by field, of portal-archive's extractor and trafilatura side by side,
over every golden page (tests/fixtures/pages/<family>/<case>/).

    python benchmarks/extraction_quality.py            # print the table
    python benchmarks/extraction_quality.py --write    # and put it into docs/extraction.md

Scores (the share of pages where the field is right):
- title, summary: exact (whitespace collapsed, NFC); trafilatura's summary is its description.
- date: the day (YYYY-MM-DD) for both, as trafilatura gives no time; ours exactly too.
- body: mean token F1 against the expected paragraphs (trafilatura's main text).
- source: ours, the whole credit (text, publisher, author); trafilatura's author against the
  expected author (or publisher), a looser test in its favour.
- views, visitor_stats: exact; trafilatura does not read them.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portals.extract import extract  # noqa: E402

PAGES = ROOT / "tests" / "fixtures" / "pages"
DOC = ROOT / "docs" / "extraction.md"
FIELDS = ("title", "date (day)", "date (exact)", "summary", "body (token F1)", "source", "views", "visitor_stats")
BEGIN, END = "<!-- quality-table:begin -->", "<!-- quality-table:end -->"


def norm(text: Any) -> str | None:
    if not text:
        return None
    return " ".join(unicodedata.normalize("NFC", str(text)).split())


def tokens(text: str | None) -> Counter[str]:
    return Counter(re.findall(r"\w+", unicodedata.normalize("NFC", text or "").lower()))


def token_f1(expected: str | None, got: str | None) -> float:
    want, have = tokens(expected), tokens(got)
    if not want and not have:
        return 1.0
    common = sum((want & have).values())
    if not common:
        return 0.0
    precision, recall = common / sum(have.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


@dataclass
class Scores:
    values: dict[str, list[float]] = field(default_factory=lambda: {f: [] for f in FIELDS})

    def add(self, name: str, value: float | None) -> None:
        if value is not None:
            self.values[name].append(value)

    def get(self, name: str) -> float | None:
        return mean(self.values[name]) if self.values[name] else None


def score_ours(expected: dict[str, Any], got: dict[str, Any], scores: Scores) -> None:
    scores.add("title", float(norm(got["title"]) == norm(expected["title"])))
    scores.add("date (day)", float((got["date"] or "")[:10] == (expected["date"] or "")[:10]))
    scores.add("date (exact)", float(got["date"] == expected["date"]))
    scores.add("summary", float(norm(got["summary"]) == norm(expected["summary"])))
    scores.add("body (token F1)", token_f1(expected["body"], got["body"]))
    scores.add("source", float(got["source"] == expected["source"]))
    scores.add("views", float(got["views"] == expected["views"]))
    scores.add("visitor_stats", float(got["visitor_stats"] == expected["visitor_stats"]))


def score_trafilatura(expected: dict[str, Any], html: bytes, url: str, scores: Scores) -> None:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html.decode("utf-8", errors="replace") if _is_utf8(html) else html, url=url, with_metadata=True
    )
    got = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    scores.add("title", float(norm(got.get("title")) == norm(expected["title"])))
    scores.add("date (day)", float((got.get("date") or "")[:10] == (expected["date"] or "")[:10]))
    scores.add("summary", float(norm(got.get("description")) == norm(expected["summary"])))
    scores.add("body (token F1)", token_f1(expected["body"], got.get("text")))
    credit = expected["source"] or {}
    wanted = norm(credit.get("author") or credit.get("publisher"))
    scores.add("source", float(norm(got.get("author")) == wanted))


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def measure(with_trafilatura: bool = True) -> tuple[int, dict[str, Scores], dict[str, Scores]]:
    ours: dict[str, Scores] = {}
    theirs: dict[str, Scores] = {}
    cases = sorted(p for p in PAGES.glob("*/*") if (p / "expected.json").exists())
    for case in cases:
        family = case.parent.name
        meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        html = (case / "page.html").read_bytes()
        got = extract(html, meta["url"], content_type=meta.get("content_type")).to_dict()
        for key in (family, "all"):
            score_ours(expected, got, ours.setdefault(key, Scores()))
            if with_trafilatura:
                score_trafilatura(expected, html, meta["url"], theirs.setdefault(key, Scores()))
    return len(cases), ours, theirs


def table(count: int, ours: dict[str, Scores], theirs: dict[str, Scores]) -> str:
    def cell(value: float | None) -> str:
        return "—" if value is None else f"{value:.3f}"

    lines = [
        f"Over {count} golden pages (all families and `generic`):",
        "",
        "| field | portal-archive | trafilatura |",
        "|---|---|---|",
    ]
    for name in FIELDS:
        theirs_value = theirs["all"].get(name) if "all" in theirs else None
        lines.append(f"| {name} | {cell(ours['all'].get(name))} | {cell(theirs_value)} |")
    lines += [
        "",
        "Per family (portal-archive / trafilatura):",
        "",
        "| family | title | date (day) | body F1 | source |",
        "|---|---|---|---|---|",
    ]
    for family in sorted(k for k in ours if k != "all"):
        o, t = ours[family], theirs.get(family, Scores())
        row = " | ".join(f"{cell(o.get(f))} / {cell(t.get(f))}" for f in ("title", "date (day)", "body (token F1)", "source"))
        lines.append(f"| {family} | {row} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write the table into docs/extraction.md")
    args = parser.parse_args()
    count, ours, theirs = measure()
    text = table(count, ours, theirs)
    print(text)
    if args.write:
        doc = DOC.read_text(encoding="utf-8")
        start, stop = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[stop:], encoding="utf-8")
    worst = min(v for name in FIELDS if (v := ours["all"].get(name)) is not None)
    return 0 if worst >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
