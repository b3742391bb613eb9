"""Charts a researcher can open: visitor statistics over time and publication volume per month,
per site, as inline SVG; and ``render_report``, one self-contained HTML page (no scripts, no
external resources: it opens offline, and prints) with the charts and per-site tables.

The same chart fragments are shown in the browser by ``portal-archive serve`` (``/-/charts``).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from portals.registry import site_places

from .schema import now
from .search import Filters
from .store import Archive

WIDTH, HEIGHT = 720, 180
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 26, 30
COLOR, ACCENT = "#2563eb", "#dc2626"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])")


@dataclass
class SiteData:
    site: str
    name: str
    province: str
    articles: int
    versions: int
    changed: int
    first_date: str | None
    last_date: str | None
    months: dict[str, int]  # "YYYY-MM" → articles published
    visitors: list[dict[str, Any]]  # observations, oldest first
    removals: dict[str, int] = field(default_factory=dict)  # "YYYY-MM" → articles found gone that month


@contextmanager
def snapshot(archive: Archive) -> Iterator[None]:
    """One read transaction: the queries inside it see one committed state of the archive (in
    WAL mode a reader keeps the state of its first read while crawls commit), so totals, months
    and visitor statistics agree with each other. Inside another transaction, that one."""
    conn = archive.db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")  # it read only


def collect(archive: Archive, filters: Filters | None = None, *, versions: bool = True) -> list[SiteData]:
    """Per site: counts, monthly publication volume and visitor statistics, as filtered, read in
    one ``snapshot``. ``versions=False`` leaves the version counts at 0: the rest comes from the
    indexes alone, while counting versions reads every article row (a second per 100,000
    articles)."""
    with snapshot(archive):
        return _collect(archive, filters or Filters(), versions)


def _collect(archive: Archive, filters: Filters, versions: bool) -> list[SiteData]:
    where, params = filters.conditions("a")
    cond = " AND ".join(where) or "1"
    places = site_places()
    counted = "sum(a.versions), sum(a.versions > 1)" if versions else "0, 0"
    totals = {
        r[0]: r[1:]
        for r in archive.db.execute(
            f"SELECT a.site, count(*), {counted}, min(a.date), max(a.date) FROM articles a WHERE {cond} GROUP BY a.site",
            params,
        )
    }
    months: dict[str, dict[str, int]] = defaultdict(dict)
    for site, month, n in archive.db.execute(
        f"SELECT a.site, substr(a.date, 1, 7) AS month, count(*) FROM articles a WHERE {cond} AND a.date IS NOT NULL "
        "GROUP BY a.site, month ORDER BY a.site, month",
        params,
    ):
        if _MONTH.match(month):
            months[site][month] = n
    removals: dict[str, dict[str, int]] = defaultdict(dict)
    if archive.db["article_events"].exists():  # an archive of an older schema, opened read-only, has none
        for site, month, n in archive.db.execute(
            f"SELECT a.site, substr(e.at, 1, 7) AS month, count(*) FROM article_events e JOIN articles a "
            f"ON a.id = e.article_id WHERE e.event = 'gone' AND {cond} GROUP BY a.site, month ORDER BY a.site, month",
            params,
        ):
            removals[site][month] = n
    vfilters = Filters(filters.sites, filters.provinces, (), filters.since, filters.until)
    vwhere, vparams = vfilters.conditions("v", "observed_at")
    visitors: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in archive.db.query(
        f"SELECT v.site, v.observed_at, v.total, v.online, v.today FROM visitor_stats v "
        f"WHERE {' AND '.join(vwhere) or '1'} ORDER BY v.site, v.observed_at, v.id",
        vparams,
    ):
        visitors[row.pop("site")].append(row)
    if filters.families:  # visitor statistics belong to sites, not families: keep those sites only
        visitors = defaultdict(list, {s: v for s, v in visitors.items() if s in totals})
    out = []
    for site in sorted(set(totals) | set(visitors)):
        count, versions, changed, first, last = totals.get(site, (0, 0, 0, None, None))
        place = places.get(site, {})
        out.append(
            SiteData(
                site,
                place.get("name", ""),
                place.get("province", ""),
                count,
                versions or 0,
                changed or 0,
                first,
                last,
                months.get(site, {}),
                visitors.get(site, []),
                removals.get(site, {}),
            )
        )
    return out


def month_range(data: list[SiteData]) -> list[str]:
    """Every month from the earliest to the latest publication month of any site."""
    found = sorted({m for d in data for m in d.months})
    if not found:
        return []
    year, month = map(int, found[0].split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= found[-1]:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def ticks(lo: float, hi: float) -> list[float]:
    """Round gridline values covering ``lo``..``hi`` in at most five steps of 1, 2 or 5 × 10^k
    (whole numbers: these are counts)."""
    span = max(hi - lo, 1)
    magnitude = 10 ** max(0, math.floor(math.log10(span / 5)))
    step = next(
        m * magnitude for m in (1, 2, 5, 10, 20, 50) if math.ceil(hi / (m * magnitude)) - math.floor(lo / (m * magnitude)) <= 5
    )
    first, last = math.floor(lo / step), max(math.ceil(hi / step), math.floor(lo / step) + 1)
    return [k * step for k in range(first, last + 1)]


def _svg_open(title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(title)}" style="max-width:{WIDTH}px;font-family:system-ui,sans-serif;font-size:11px">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        f'<text x="{LEFT}" y="15" font-size="13" font-weight="600">{escape(title)}</text>',
    ]


def _y_axis(values: list[float]) -> list[str]:
    """Gridlines and labels at ``values`` (from ``ticks``), the lowest at the bottom."""
    parts = []
    for i, value in enumerate(values):
        y = HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * i / (len(values) - 1)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#4b5563">{value:,.0f}</text>')
    return parts


def bar_chart(title: str, months: list[str], counts: dict[str, int]) -> str:
    """Articles per month as bars over ``months`` (every month of the range, with or without
    articles)."""
    total = sum(counts.get(m, 0) for m in months)
    parts = _svg_open(title, f"{total} articles published from {months[0] if months else '-'} to {months[-1] if months else '-'}")
    if not months:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT / 2}" fill="#6b7280">No dated article.</text></svg>')
        return "".join(parts)
    grid = ticks(0, max(counts.values(), default=0))
    top = grid[-1]
    parts += _y_axis(grid)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(months)
    for i, month in enumerate(months):
        x = LEFT + i * step
        n = counts.get(month, 0)
        if n:
            h = plot_h * n / top
            bar = min(max(step * 0.8, 1), 40)  # a few months: bars, not slabs
            parts.append(
                f'<rect x="{x + (step - bar) / 2:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLOR}"><title>{month}: {n} article{"s" if n != 1 else ""}</title></rect>'
            )
        label = _month_label(months, i)
        if label:
            parts.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle" fill="#4b5563">{label}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _month_label(months: list[str], i: int) -> str:
    """Axis labels that never crowd: months (with the year at January) over two years or less,
    otherwise years at January, every second or fifth year over longer spans."""
    month = months[i]
    if len(months) <= 24:
        return month if (i == 0 or month.endswith("-01")) else month[5:]
    if not month.endswith("-01"):
        return ""
    years = len(months) / 12
    every = 1 if years <= 12 else 2 if years <= 24 else 5
    return month[:4] if int(month[:4]) % every == 0 else ""


def _when(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def line_chart(title: str, observations: list[dict[str, Any]], key: str = "total") -> str:
    """A site's visitor counter (``total`` visits since the counter started) at each crawl."""
    points = [(w, o[key]) for o in observations if o.get(key) is not None and (w := _when(o["observed_at"]))]
    parts = _svg_open(title, f"{len(points)} observations of the {key} visitor counter")
    if not points:
        parts.append(f'<text x="{LEFT}" y="{HEIGHT / 2}" fill="#6b7280">No visitor statistics observed.</text></svg>')
        return "".join(parts)
    values = [v for _, v in points]
    # A counter grows slowly against its total: the axis spans its change, not zero to the top.
    pad = max(1, max(values) // 500) if min(values) == max(values) else 0  # one value: mid-height
    grid = ticks(min(values) - pad, max(values) + pad)
    lo, hi = grid[0], grid[-1]
    parts += _y_axis(grid)
    t0, t1 = points[0][0].timestamp(), points[-1][0].timestamp()
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def xy(when: datetime, value: float) -> tuple[float, float]:
        x = LEFT + (plot_w * (when.timestamp() - t0) / (t1 - t0) if t1 > t0 else plot_w / 2)
        return x, HEIGHT - BOTTOM - plot_h * (value - lo) / (hi - lo)

    coords = [xy(w, v) for w, v in points]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="2"/>')
    for (when, value), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{ACCENT}"><title>{when:%Y-%m-%d %H:%M}: '
            f"{value:,} {key}</title></circle>"
        )
    ends = (
        ((points[0][0], "start", LEFT), (points[-1][0], "end", WIDTH - RIGHT))
        if t1 > t0
        else ((points[0][0], "middle", coords[0][0]),)
    )
    for when, anchor, x in ends:
        parts.append(f'<text x="{x}" y="{HEIGHT - BOTTOM + 14}" text-anchor="{anchor}" fill="#4b5563">{when:%Y-%m-%d}</text>')
    parts.append("</svg>")
    return "".join(parts)


def charts_html(data: list[SiteData]) -> str:
    """The two kinds of chart for every site, as an HTML fragment (headings and inline SVG).
    Each site's publication chart spans that site's own months (a site archived for a year is a
    year of bars, not a spike on the axis of a site archived for fifteen), and says so in its
    description; the chart of all sites spans them all."""
    months = month_range(data)
    overall: dict[str, int] = defaultdict(int)
    for d in data:
        for m, n in d.months.items():
            overall[m] += n
    parts = ['<section class="charts"><h2>Publication volume per month</h2>']
    if len(data) > 1:
        parts.append(f"<figure>{bar_chart('All sites: articles per month', months, overall)}</figure>")
    for d in data:
        if d.articles:
            chart = bar_chart(f"{d.site}: articles per month", month_range([d]), d.months)
            parts.append(f'<figure id="pub-{escape(d.site)}">{chart}</figure>')
    parts.append("<h2>Visitor statistics over time</h2>")
    parts.append("<p>The total visits counter each portal shows, as read at every crawl (hover a point for its value).</p>")
    for d in data:
        parts.append(f'<figure id="visits-{escape(d.site)}">{line_chart(f"{d.site}: total visits", d.visitors)}</figure>')
    parts.append("</section>")
    return "\n".join(parts)


def site_table_html(data: list[SiteData]) -> str:
    head = (
        "<tr><th>Site</th><th>Province</th><th>Articles</th><th>Versions</th><th>Changed after publication</th>"
        "<th>First article</th><th>Last article</th><th>Visitor counter (latest)</th><th>Observed</th></tr>"
    )
    body = []
    for d in data:
        latest = d.visitors[-1] if d.visitors else {}
        total = latest.get("total")
        body.append(
            "<tr>"
            f"<td><b>{escape(d.site)}</b><br><small>{escape(d.name)}</small></td><td>{escape(d.province)}</td>"
            f'<td class="n">{d.articles:,}</td><td class="n">{d.versions:,}</td><td class="n">{d.changed:,}</td>'
            f"<td>{escape((d.first_date or '')[:10])}</td><td>{escape((d.last_date or '')[:10])}</td>"
            f'<td class="n">{"" if total is None else f"{total:,}"}</td>'
            f"<td>{escape(latest.get('observed_at', '')[:16].replace('T', ' '))}</td>"
            "</tr>"
        )
    return f'<table class="sites"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'


def monthly_table_html(data: list[SiteData]) -> str:
    """Per site, the number of articles of every month (the numbers behind the bar charts)."""
    parts = []
    for d in data:
        if not d.months:
            continue
        rows = "".join(f'<tr><td>{m}</td><td class="n">{n:,}</td></tr>' for m, n in sorted(d.months.items()))
        parts.append(
            f"<details><summary>{escape(d.site)}: {d.articles:,} articles in {len(d.months)} months</summary>"
            f'<table class="months"><thead><tr><th>Month</th><th>Articles</th></tr></thead><tbody>{rows}</tbody></table>'
            "</details>"
        )
    return "\n".join(parts)


def removals_table_html(data: list[SiteData]) -> str:
    """Per site and month, the archived articles crawls found removed from the portal (404/410,
    a soft 404, no longer in its sitemap); their versions stay in the archive."""
    rows = [
        f'<tr><td>{escape(d.site)}</td><td>{escape(m)}</td><td class="n">{n:,}</td></tr>'
        for d in data
        for m, n in sorted(d.removals.items())
    ]
    if not rows:
        return "<p>No archived article was found removed.</p>"
    head = "<tr><th>Site</th><th>Month found gone</th><th>Articles</th></tr>"
    return f'<table class="months"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#111827;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2rem;border-bottom:1px solid #e5e7eb}
figure{margin:1rem 0} table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} .meta{color:#4b5563} small{color:#6b7280}
details{margin:.4rem 0} table.months{width:auto}
"""


def render_report(archive: Archive, filters: Filters | None = None, *, title: str = "Portal archive report") -> str:
    """A self-contained HTML page: per-site table, charts, and the monthly numbers."""
    data = collect(archive, filters)
    described = _describe(filters or Filters())
    articles = sum(d.articles for d in data)
    sites = f"{len(data)} site{'' if len(data) == 1 else 's'}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">Archive {escape(archive.path.name)} · {sites} · {articles:,} articles{described} ·
generated {escape(now())}</p>
<h2>Sites</h2>
{site_table_html(data) if data else "<p>No article or visitor statistics match.</p>"}
{charts_html(data)}
<h2>Articles per month, by site</h2>
{monthly_table_html(data)}
<h2>Removals per month, by site</h2>
{removals_table_html(data)}
</body></html>
"""


def _describe(filters: Filters) -> str:
    parts = []
    if filters.sites:
        parts.append("site " + ", ".join(filters.sites))
    if filters.provinces:
        parts.append("province " + ", ".join(filters.provinces))
    if filters.families:
        parts.append("family " + ", ".join(filters.families))
    if filters.since or filters.until:
        parts.append(f"dated {filters.since or '…'} to {filters.until or '…'}")
    return (" · " + escape("; ".join(parts))) if parts else ""
