"""Extraction on real pages nobody here wrote: ``benchmarks/real_pages.py`` on a sample of the
article extraction benchmark (181 real article pages, ``../shared/corpora/`` beside the
repository, or the folder in ``PORTAL_ARCHIVE_REAL_PAGES``). The corpus is never copied into
the repository; where it is absent the test is skipped and says where it looked.

No time is asserted; body F1 scored the benchmark's own way must stay at or above 0.95.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.real_pages import DEFAULT_CORPUS, PHASES, _shingles, phases, scores, tp_fp_fn

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("PORTAL_ARCHIVE_REAL_PAGES") or DEFAULT_CORPUS)
MIN_F1 = 0.95
SAMPLE = 60  # pages, spread over the corpus
LAST_LINE = re.compile(
    r"^real body_f1=(?P<f1>[\d.]+) precision=(?P<precision>[\d.]+) recall=(?P<recall>[\d.]+) "
    r"extract_ms=[\d.]+ parse_ms=[\d.]+$"
)


def test_phases_time_each_stage_and_put_them_back() -> None:
    """``--phases`` times extract() and each stage it goes through, on saved pages of platforms no
    profile knows (the corpus is not needed), and leaves the extraction as it found it."""
    import importlib
    import json

    from portals.extract import extract

    originals = {(m, n): getattr(importlib.import_module(m), n) for m, n, _ in PHASES}
    folders = sorted((ROOT / "tests" / "fixtures" / "pages" / "generic").iterdir())[:8]
    pages = [
        (f.name, json.loads((f / "meta.json").read_text(encoding="utf-8"))["url"], (f / "page.html").read_bytes(), "")
        for f in folders
    ]
    before = [extract(html, url) for _, url, html, _ in pages]
    medians = phases(pages)
    assert list(medians) == ["extract", *(label for _, _, label in PHASES)]
    assert all(ms >= 0 for ms in medians.values())
    # Every page is parsed and walked; a stage is never longer than the extraction holding it.
    assert medians["lxml parse"] > 0 and medians["walk (_segment)"] > 0
    assert medians["extract"] >= medians["parse"] >= medians["walk (_segment)"]
    assert {(m, n): getattr(importlib.import_module(m), n) for m, n, _ in PHASES} == originals
    assert [extract(html, url) for _, url, html, _ in pages] == before


def test_scoring_is_the_benchmarks_own() -> None:
    """4-token shingles of \\w+ runs, as multisets, normalised per page."""
    assert _shingles("Đà Nẵng, ngày 27/08/2020") == {
        ("Đà", "Nẵng", "ngày", "27"): 1,
        ("Nẵng", "ngày", "27", "08"): 1,
        ("ngày", "27", "08", "2020"): 1,
    }
    truth = "one two three four five six"
    assert tp_fp_fn(truth, truth) == (1.0, 0.0, 0.0)
    tp, fp, fn = tp_fp_fn(truth, "one two three four")  # 1 of 3 shingles found, none extra
    assert (round(tp, 3), fp, round(fn, 3)) == (0.333, 0.0, 0.667)
    assert scores([(1.0, 0.0, 0.0), (0.5, 0.5, 0.0)]) == pytest.approx({"f1": 2 * 0.75 / 1.75, "precision": 0.75, "recall": 1.0})


@pytest.mark.skipif(
    not (CORPUS / "ground-truth.json").is_file(),
    reason=f"the real-page corpus is not at {CORPUS} (clone scrapinghub/article-extraction-benchmark there, "
    "or set PORTAL_ARCHIVE_REAL_PAGES to its folder)",
)
def test_body_f1_on_real_pages() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "real_pages.py"),
            "--corpus",
            str(CORPUS),
            "--sample",
            str(SAMPLE),
            "--no-trafilatura",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    found = LAST_LINE.match(last)
    assert found, last
    print(f"\nreal pages ({SAMPLE} sampled): {last}")
    assert float(found["f1"]) >= MIN_F1, last
