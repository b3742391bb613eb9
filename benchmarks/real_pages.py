"""Extraction on real pages nobody here wrote: body F1 and speed against trafilatura.

    python benchmarks/real_pages.py                        # the shared corpus, every page
    python benchmarks/real_pages.py --corpus DIR           # a clone of the public benchmark
    python benchmarks/real_pages.py --sample 40 --no-trafilatura   # quick
    python benchmarks/real_pages.py --phases                # where extract()'s time goes

The corpus is Scrapinghub's article extraction benchmark (181 real article pages from news sites
and blogs in several languages): ``html/<key>.html.gz`` and ``ground-truth.json`` mapping each
key to ``{"url": …, "articleBody": …}``. It is read from ``--corpus`` (default
``../shared/corpora/article-extraction-benchmark`` beside the repository), never copied into it.

Body F1 is scored the benchmark's own way (its ``evaluate.py``): tokens are ``\\w+`` runs; a
page's body and the truth are compared as 4-token shingles (multisets), tp/fp/fn normalised per
page so that long pages weigh no more; precision and recall are the means over pages, F1 their
harmonic mean. Our body is the record's summary and body (the benchmark's articleBody holds the
lead), trafilatura's its main text.

Times, in one process and interleaved page by page (after a warm-up): ``extract()``,
``trafilatura.extract(html, url=…, with_metadata=True, output_format="json")``, and lxml's parse
of the same bytes (the floor any extractor stands on). The last line:

    real body_f1=… precision=… recall=… extract_ms=… trafilatura_ms=… parse_ms=… speedup=…

``speedup`` is trafilatura's median time over ours (medians over pages).
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is sys.path[0], not the repository
    sys.path.insert(0, str(ROOT))

from portals import speedups  # noqa: E402
from portals.extract import extract  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "article-extraction-benchmark"
_TOKEN = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
SHINGLE = 4


class CorpusMissing(FileNotFoundError):
    pass


def load_corpus(folder: Path, sample: int | None = None) -> list[tuple[str, str, bytes, str]]:
    """(key, url, html bytes, true body) of each page, in key order; ``sample``: every n-th page
    so that about that many are taken, spread over the corpus."""
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        raise CorpusMissing(f"no ground-truth.json in {folder}: give --corpus DIR (a clone of the article extraction benchmark)")
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    keys = sorted(truth)
    if sample:
        step = max(1, len(keys) // sample)
        keys = keys[::step][:sample]
    pages = []
    for key in keys:
        path = folder / "html" / f"{key}.html.gz"
        if path.is_file():
            pages.append(
                (
                    key,
                    truth[key].get("url") or "http://example.invalid/",
                    gzip.decompress(path.read_bytes()),
                    truth[key].get("articleBody") or "",
                )
            )
    return pages


# -- scoring, as the benchmark's evaluate.py does it ----------------------------------------------
def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)) if tokens[i : i + SHINGLE])


def tp_fp_fn(true: str, predicted: str) -> tuple[float, float, float]:
    expected, got = _shingles(true), _shingles(predicted)
    tp = fp = fn = 0.0
    for key in expected.keys() | got.keys():
        t, p = expected.get(key, 0), got.get(key, 0)
        tp += min(t, p)
        fp += max(0, p - t)
        fn += max(0, t - p)
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fp == 0 else tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return 0.0 if tp == fn == 0 else tp / (tp + fn)


def scores(counts: list[tuple[float, float, float]]) -> dict[str, float]:
    precision = statistics.mean(_precision(*c) for c in counts if c[0] + c[1] > 0)
    recall = statistics.mean(_recall(*c) for c in counts if c[0] + c[2] > 0)
    return {"f1": 2 * precision * recall / (precision + recall), "precision": precision, "recall": recall}


# -- the extractors ------------------------------------------------------------------------------
def ours(html: bytes, url: str) -> str:
    record = extract(html, url)
    return "\n\n".join(part for part in (record.summary, record.body) if part)


def theirs(html: bytes, url: str) -> str:
    import trafilatura

    found = trafilatura.extract(html, url=url, with_metadata=True, output_format="json")
    return json.loads(found).get("text") or "" if found else ""


def parse(html: bytes, url: str) -> Any:
    from lxml import etree

    return etree.fromstring(html, etree.HTMLParser())


def _timed(fn: Any, html: bytes, url: str) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn(html, url)
    return result, (time.perf_counter() - started) * 1000


def run(pages: list[tuple[str, str, bytes, str]], *, baseline: bool = True, show_worst: int = 0) -> dict[str, Any]:
    for _key, url, html, _ in pages[:3]:  # warm-up: imports, compiled patterns, caches
        ours(html, url)
        if baseline:
            theirs(html, url)
    ours_counts, theirs_counts = [], []
    times: dict[str, list[float]] = {"extract": [], "trafilatura": [], "parse": []}
    per_page = []
    for key, url, html, truth in pages:
        body, ms = _timed(ours, html, url)
        times["extract"].append(ms)
        ours_counts.append(tp_fp_fn(truth, body))
        per_page.append((key, url, ours_counts[-1]))
        if baseline:
            other, ms = _timed(theirs, html, url)
            times["trafilatura"].append(ms)
            theirs_counts.append(tp_fp_fn(truth, other))
        times["parse"].append(_timed(parse, html, url)[1])
    result: dict[str, Any] = {"pages": len(pages), **scores(ours_counts)}
    result["extract_ms"] = statistics.median(times["extract"])
    result["parse_ms"] = statistics.median(times["parse"])
    result["sizes_kb"] = statistics.median(len(p[2]) for p in pages) / 1024
    if baseline:
        result["trafilatura"] = scores(theirs_counts)
        result["trafilatura_ms"] = statistics.median(times["trafilatura"])
        result["speedup"] = result["trafilatura_ms"] / result["extract_ms"]
        result["total_speedup"] = sum(times["trafilatura"]) / sum(times["extract"])
    if show_worst:
        worst = sorted(
            per_page, key=lambda p: 2 * _precision(*p[2]) * _recall(*p[2]) / max(1e-9, _precision(*p[2]) + _recall(*p[2]))
        )
        result["worst"] = [(k, u, round(_precision(*c), 3), round(_recall(*c), 3)) for k, u, c in worst[:show_worst]]
    return result


# -- where the time goes --------------------------------------------------------------------------
# The stages of ``portals.extract.analyse`` by the module-level names it (and ``dom.parse``) calls
# them through: each is wrapped in a timer for the run, and put back after. cProfile's hooks cost
# more than the short Python calls they time; these time only the stages.
PHASES = (  # (module, name, label)
    ("portals.extract", "decode", "decode"),
    ("portals.extract", "cut_markup", "cut_markup"),
    ("portals.extract", "_resolve_profile", "profile (detect_profile)"),
    ("portals.extract", "parse", "parse"),
    ("portals.extract.dom", "parse_tree", "lxml parse"),
    ("portals.extract.legacy", "detect", "legacy fonts"),
    ("portals.extract.dom", "_read_head", "head"),
    ("portals.extract.dom", "_segment", "walk (_segment)"),
    ("portals.extract", "read_article", "read_article"),
    ("portals.extract", "looks_like_listing", "looks_like_listing"),
)
_IN_PARSE = ("lxml parse", "legacy fonts", "head", "walk (_segment)")


def phases(pages: list[tuple[str, str, bytes, str]]) -> dict[str, float]:
    """Median milliseconds per page of ``extract()`` and of each stage in ``PHASES`` (0 for a
    page that did not reach it), by label, in that order; ``parse`` holds ``_IN_PARSE``."""
    spent: dict[str, float] = {}
    wrapped = []

    def timer(function: Any, label: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + (time.perf_counter() - started) * 1000

        return timed

    for module_name, name, label in PHASES:
        module = importlib.import_module(module_name)
        wrapped.append((module, name, getattr(module, name)))
        setattr(module, name, timer(getattr(module, name), label))
    per_page: dict[str, list[float]] = {"extract": [], **{label: [] for _, _, label in PHASES}}
    try:
        for _key, url, html, _ in pages[:3]:  # warm-up
            ours(html, url)
        for _key, url, html, _ in pages:
            spent.clear()
            per_page["extract"].append(_timed(ours, html, url)[1])
            for _, _, label in PHASES:
                per_page[label].append(spent.get(label, 0.0))
    finally:
        for module, name, function in wrapped:
            setattr(module, name, function)
    return {label: statistics.median(values) for label, values in per_page.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="the benchmark's folder (ground-truth.json, html/)")
    parser.add_argument("--sample", type=int, help="about this many pages, spread over the corpus")
    parser.add_argument("--no-trafilatura", action="store_true", help="score and time ours alone")
    parser.add_argument("--worst", type=int, default=0, help="list the pages ours scores worst on")
    parser.add_argument("--phases", action="store_true", help="print where extract()'s time goes, stage by stage, and stop")
    args = parser.parse_args(argv)
    try:
        pages = load_corpus(args.corpus, args.sample)
    except CorpusMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.phases:
        print(f"median ms per page over {len(pages)} pages (parse holds the four stages below it):")
        for label, ms in phases(pages).items():
            indent = "    " if label in _IN_PARSE else "  "
            print(f"{indent}{label:<{28 - len(indent)}} {ms:7.2f}")
        return 0
    result = run(pages, baseline=not args.no_trafilatura, show_worst=args.worst)
    for key, url, precision, recall in result.get("worst", []):
        print(f"worst: precision={precision} recall={recall} {url} ({key[:12]})")
    print(f"corpus: {args.corpus} ({result['pages']} pages, median {result['sizes_kb']:.0f} KB)")
    built = [Path(m.__file__).name for m in (speedups.scan, speedups.walk()) if m is not None]
    print(f"compiled loops: {', '.join(built) or 'none (pure Python: see portals/speedups.py)'}")
    if "trafilatura" in result:
        t = result["trafilatura"]
        print(f"trafilatura: body_f1={t['f1']:.3f} precision={t['precision']:.3f} recall={t['recall']:.3f}")
    line = f"real body_f1={result['f1']:.3f} precision={result['precision']:.3f} recall={result['recall']:.3f}"
    line += f" extract_ms={result['extract_ms']:.2f}"
    if "trafilatura_ms" in result:
        line += f" trafilatura_ms={result['trafilatura_ms']:.2f}"
    line += f" parse_ms={result['parse_ms']:.2f}"
    if "speedup" in result:
        line += f" speedup={result['speedup']:.2f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
