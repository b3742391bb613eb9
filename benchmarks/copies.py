"""Copy linking on pages of one site made from one template.

Portals publish many pages from one template (a weekly "Lịch tiếp công dân", a recurring notice):
their bodies differ by a date or a number, so they share all their LSH band keys. Articles of one
site are never each other's copies, and a lookup must not read them as candidates. Measured: the
writes and copies passes (``Archive.write`` and ``Archive.link_copies``, batches of 500) of ``N``
such pages of one site, against ``N`` pages of distinct text of the same length (the baseline,
in the same run). A lookup that reads the site's own pages grows with the square of ``N``; the
ratio then grows with ``N``.

    python -m benchmarks.copies [--pages N]

Prints ``copies template_s=… distinct_s=… ratio=…`` last.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from archive.store import Archive, Batch
from portals.copies import record_fingerprint
from portals.items import Provenance
from portals.record import Record

SITE = "phongdien.thuathienhue.gov.vn"
NOTICE = (
    "Ủy ban nhân dân huyện thông báo lịch tiếp công dân định kỳ của Chủ tịch Ủy ban nhân dân huyện "
    "tại trụ sở tiếp công dân, đề nghị các cơ quan, đơn vị và công dân có nhu cầu liên hệ trước để "
    "được bố trí thời gian phù hợp theo quy định hiện hành của pháp luật về tiếp công dân. "
)


def pages(count: int, template: bool) -> list[tuple[Record, Provenance]]:
    out = []
    for n in range(count):
        # Distinct: words of the page's own (no shingle in common with another page), as many.
        tail = f"Tuần thứ {n}." if template else " ".join(f"mục{n}x{k}" for k in range(190))
        url = f"http://{SITE}/lich-tiep-cong-dan/{n}"
        body = NOTICE * 3 + tail if template else tail
        record = Record(url=url, site=SITE, title=f"Lịch tiếp công dân tuần {n}", date="2024-01-08", body=body)
        out.append((record, Provenance("2024-01-08T08:00:00+07:00", url)))
    return out


def measure(count: int, workdir: Path) -> dict[str, float]:
    took = {}
    for kind in ("template", "distinct"):
        batches = pages(count, kind == "template")
        prints = {r.url: record_fingerprint(r) for r, _ in batches}  # as the extraction workers make them
        with Archive(workdir / f"{kind}.sqlite") as archive:
            start = time.perf_counter()
            for first in range(0, count, 500):
                batch = batches[first : first + 500]
                archive.write(Batch(articles=batch, fingerprints={r.url: prints[r.url] for r, _ in batch}))
                archive.link_copies()
            took[kind] = time.perf_counter() - start
    return {"template_s": took["template"], "distinct_s": took["distinct"], "ratio": took["template"] / took["distinct"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2_000, help="pages of each kind (default 2,000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="portal-bench-copies-") as workdir:
        r = measure(args.pages, Path(workdir))
    print(f"copies pages={args.pages} template_s={r['template_s']:.2f} distinct_s={r['distinct_s']:.2f} ratio={r['ratio']:.2f}")


if __name__ == "__main__":
    main()
