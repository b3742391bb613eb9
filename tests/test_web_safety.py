"""`portal-archive serve` under attack: hostile values in every page's query parameters and in
what an archive stores (titles, bodies, sources, attachments, site names, crawl settings),
every page loaded in headless Chromium. No script of theirs may run, and every response (pages,
static files, error pages, captures) carries a Content-Security-Policy; the pages' own scripts
run under it (no violation is reported, the search box and menus work)."""

from __future__ import annotations

import json
import sqlite3
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.store import Archive, Batch
from portals.items import AttachmentRow, Provenance, VisitorObservation
from portals.record import Attachment, Record, Source

from .test_web import CHROMIUM_FLAGS, Server

# Each payload, if it ran, would set window.__pwned (or the title) to its number. The first
# breaks out of every context a value can land in: text, a quoted attribute (either quote), a
# <textarea>, <title> or <style>.
BREAKOUT = (
    "</textarea></title></style>'\"><script>window.__pwned = 1</script>"
    '<img src=x onerror="window.__pwned = 2"><svg onload="window.__pwned = 3">'
)
PAYLOADS = [
    BREAKOUT,
    "<script>window.__pwned = 1</script>",
    '"><img src=x onerror="window.__pwned = 2">',
    '\'><svg onload="window.__pwned = 3">',
    "javascript:window.__pwned = 4",
    "</textarea></title><script>window.__pwned = 5</script>",
    '" autofocus onfocus="window.__pwned = 6" x="',
    "<svg><script>window.__pwned = 7</script></svg>",
    '<iframe srcdoc="<script>parent.__pwned = 8</script>"></iframe>',
    "</style><script>document.title = 'pwned 9'</script>",
    '<a href="javascript:window.__pwned = 10" id=pwnlink>Đà Nẵng</a>',
]
HOSTILE_SITE = '"><svg onload="window.__pwned = 11">.gov.vn'


def _hostile(i: int) -> str:
    return PAYLOADS[i % len(PAYLOADS)]


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Articles of a Đà Nẵng portal whose pages carried markup in every field, an article of a
    hostile "site", their attachments, versions, visitor statistics and crawl runs."""
    db = tmp_path_factory.mktemp("hostile") / "archive.sqlite"
    with Archive(db) as archive:
        run = archive.start_run("danang.gov.vn", [f"http://danang.gov.vn/{_hostile(0)}"], {"note": _hostile(1)})
        batch = Batch()
        for i, payload in enumerate(PAYLOADS):
            url = f"http://danang.gov.vn/tin-tuc/{i}?q={urllib.parse.quote(payload)}"
            record = Record(
                url=url,
                site="danang.gov.vn",
                title=f"Đà Nẵng đẩy mạnh chuyển đổi số {payload}",
                date=f"2024-0{1 + i % 9}-15",
                summary=f"Tóm tắt {_hostile(i + 1)}",
                body=f"Thành phố Đà Nẵng tổ chức hội nghị về chuyển đổi số. {payload}\n\nNội dung {_hostile(i + 2)}",
                source=Source(f"Theo {_hostile(i + 3)}", _hostile(i + 4), _hostile(i + 5)),
                attachments=[Attachment(f"http://danang.gov.vn/files/{i}.pdf", _hostile(i + 6))],
            )
            batch.articles.append((record, Provenance("2024-10-01T09:00:00+07:00", url, 200, warc_file=_hostile(i))))
            batch.attachments.append(
                AttachmentRow(url, f"http://danang.gov.vn/files/{i}.pdf", _hostile(i + 6), "pending", media_type=_hostile(i))
            )
        url = "http://evil.example/bai-viet"
        batch.articles.append(
            (
                Record(url=url, site=HOSTILE_SITE, title="Tin Đà Nẵng", date="2024-05-01", body=PAYLOADS[0]),
                Provenance("2024-10-01", url),
            )
        )
        batch.visitors.append(
            VisitorObservation("danang.gov.vn", {"total": 53957, "online": 7}, "2024-10-01T09:00:00+07:00", _hostile(2))
        )
        batch.visitors.append(VisitorObservation(HOSTILE_SITE, {"total": 1}, "2024-10-02T09:00:00+07:00", _hostile(3)))
        archive.write(batch, run, "danang.gov.vn")
        archive.finish_run(run, "finished", error_kinds={_hostile(4): 1}, warc_files=[_hostile(5)])
        archive.sync_sites([{"domain": HOSTILE_SITE, "name": _hostile(6), "province": _hostile(7)}])
    return db


@pytest.fixture(scope="module")
def hostile_server(hostile_archive: Path) -> Iterator[Server]:
    srv = Server(hostile_archive, "--allow-sql")  # the SQL editor's page too
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Chromium that keeps its console (CSP violations) and its network log (response headers)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    chromium_path, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium_path or not driver:
        pytest.fail("the browser tests need Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver)")
    options = Options()
    options.binary_location = chromium_path
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-safety')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


# Every page of `serve` and the query parameters it reads (Datasette's own and the archive's).
TABLE_PARAMS = [
    "_search", "_province", "_sort", "_sort_desc", "_facet", "_facet_province", "_facet_year", "_col", "_nocol",
    "_next", "_size", "_labels", "_nofacet", "_nocount", "_trace", "site", "title__contains", "date__startswith",
    "source_publisher__exact", "_through",
]  # fmt: skip
PAGES: dict[str, list[str]] = {
    "/": ["_trace"],
    "/archive": ["sql", "_hide_sql"],
    "/archive/articles": TABLE_PARAMS,
    "/archive/article_versions": ["_search", "_province", "article_id", "_sort"],
    "/archive/attachments": ["text__contains", "_facet", "_sort_desc"],
    "/archive/visitor_stats": ["site", "_province", "_facet_year"],
    "/archive/crawl_runs": ["status", "_facet", "_province"],
    "/archive/sites": ["name__contains", "_search"],
    "/archive/articles/1": ["_labels", "_extras"],
    "/archive/articles_per_site_per_month": ["site", "_hide_sql"],
    "/archive/visitor_statistics_over_time": ["site"],
    "/archive/articles_changed_after_publication": ["_hide_sql"],
    "/-/search": ["q", "order", "site", "province", "since", "until", "limit"],
    "/-/charts": ["site", "province"],
    "/-/capture/1": ["http"],
    "/-/versions": [],
    "/-/metadata": [],
    "/-/plugins": [],
    "/-/settings": [],
    "/-/databases": [],
    "/-/allow-debug": ["actor", "allow"],
    "/-/permissions": [],
    "/-/messages": [],
    "/-/actor": [],
    "/-/threads": [],
    "/-/patterns": [],
}


OWN_PAGES = ("/-/search", "/-/charts", "/-/capture")


def _urls(base: str, db: Path) -> list[str]:
    """Every page plain (every table's too); with each of its parameters in turn breaking out
    of where it lands; and with all of them at once holding the other payloads (a javascript:
    URL among them)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT GLOB '*_fts_*'")
    ]
    conn.close()
    pages = {**{f"/archive/{t}": ["_sort"] for t in tables}, **PAGES}
    urls = []
    for path, params in pages.items():
        urls.append(base + path)
        others = {"q": "da nang"} if path == "/-/search" else {}
        for name in params:
            urls.append(f"{base}{path}?{urllib.parse.urlencode({**others, name: BREAKOUT})}")
        if len(params) > 1:
            urls.append(f"{base}{path}?{urllib.parse.urlencode({name: _hostile(i + 1) for i, name in enumerate(params)})}")
    urls.append(base + "/" + urllib.parse.quote(PAYLOADS[0]))  # the 404 page repeats the path
    urls.append(base + "/archive/" + urllib.parse.quote(PAYLOADS[1]))
    urls.append(base + "/archive/articles/" + urllib.parse.quote(PAYLOADS[2]))
    urls.append(base + "/-/search?" + urllib.parse.urlencode({"q": "chuyen doi so " + PAYLOADS[0]}))
    return urls


def _responses(browser: Any) -> list[dict[str, Any]]:
    """The responses Chromium received since the last call (documents, scripts, styles, images)."""
    found = []
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            found.append(message["params"]["response"])
    return found


def test_no_hostile_value_runs_and_every_response_has_a_policy(
    hostile_server: Server, hostile_archive: Path, chromium: Any
) -> None:
    urls = _urls(hostile_server.url, hostile_archive)
    seen: set[str] = set()
    _responses(chromium), chromium.get_log("browser")  # start clean
    for url in urls:
        chromium.get(url)
        state = chromium.execute_script("return [window.__pwned === undefined ? null : window.__pwned, document.title]")
        assert state[0] is None and not state[1].startswith("pwned"), f"a hostile value ran on {url}: {state}"
        for response in _responses(chromium):
            if not response["url"].startswith(hostile_server.url):  # data: URLs of the style sheet
                continue
            headers = {k.lower(): v for k, v in response["headers"].items()}
            assert "content-security-policy" in headers, f"no CSP on {response['url']} (from {url})"
            path = urllib.parse.urlsplit(response["url"]).path
            if path.startswith(OWN_PAGES):  # bad input is a 400 (Datasette answers some with 500)
                assert response["status"] < 500, f"{response['status']} for {response['url']}"
            seen.add(path)
        # Nothing was even refused: the payloads stayed text, and the pages' own scripts and
        # styles are what the policy allows.
        violations = [e["message"] for e in chromium.get_log("browser") if "Content Security Policy" in e["message"]]
        assert not violations, f"{url}: {violations}"
    # Static files (Datasette's and the archive's) came with the policy too.
    assert {"/-/static/app.css", "/-/static/table.js", "/-/static-plugins/archive.web/close-open-menus.js"} <= seen
    assert "/-/static/codemirror-5.57.0.min.js" in seen


def test_stored_markup_is_shown_as_text(hostile_server: Server, chromium: Any) -> None:
    from selenium.webdriver.common.by import By

    chromium.get(f"{hostile_server.url}/archive/articles/1")
    text = chromium.find_element(By.CSS_SELECTOR, "body").text
    for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]):  # title, summary, body of article 1
        assert payload in text
    assert not chromium.find_elements(By.CSS_SELECTOR, "#pwnlink, img[src=x], iframe, svg[onload]")

    chromium.get(f"{hostile_server.url}/-/search?" + urllib.parse.urlencode({"q": "chuyen doi so", "order": "newest"}))
    hits = chromium.find_elements(By.CSS_SELECTOR, "ol.portal-search-hits li")
    assert len(hits) == len(PAYLOADS)
    assert any(PAYLOADS[0] in h.text for h in hits) and not chromium.find_elements(By.CSS_SELECTOR, "#pwnlink, img[src=x]")
    marks = chromium.find_elements(By.CSS_SELECTOR, ".hit-snippet mark")
    assert marks and {m.text for m in marks} == {"chuyển đổi số"}

    chromium.get(f"{hostile_server.url}/-/search?" + urllib.parse.urlencode({"q": PAYLOADS[5], "site": PAYLOADS[1]}))
    assert chromium.find_element(By.NAME, "q").get_attribute("value") == PAYLOADS[5]
    assert chromium.find_element(By.NAME, "site").get_attribute("value") == PAYLOADS[1]


def test_the_policy_blocks_what_escaping_would_miss(hostile_server: Server, chromium: Any) -> None:
    """Even markup that reached the page unescaped runs nothing: an inline script and an event
    handler added to a served page are refused by its policy."""
    chromium.get(f"{hostile_server.url}/-/charts")
    chromium.get_log("browser")
    chromium.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__pwned = 12'; document.body.append(s);"
        "document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.__pwned = 13\">');"
    )
    chromium.execute_async_script("setTimeout(arguments[0], 300)")
    assert chromium.execute_script("return window.__pwned === undefined")
    refused = [e["message"] for e in chromium.get_log("browser") if "Content Security Policy" in e["message"]]
    assert len(refused) >= 2, refused


def test_every_http_answer_carries_the_policy(hostile_server: Server) -> None:
    """Also what a browser does not load as a page: JSON, CSV, errors, a refused write."""
    for path in (
        "/archive/articles.json",
        "/archive/articles.csv",
        "/-/capture/999999",
        "/-/charts?site=" + urllib.parse.quote(HOSTILE_SITE),
    ):
        request = urllib.request.Request(hostile_server.url + path)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                headers = response.headers
        except urllib.error.HTTPError as exc:
            headers = exc.headers
            assert exc.code < 500, (path, exc.code)
            exc.close()
        assert headers["Content-Security-Policy"], path
    post = urllib.request.Request(hostile_server.url + "/archive/articles", data=b"x=1", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(post, timeout=10)
    assert refused.value.code == 405 and "default-src 'none'" in refused.value.headers["Content-Security-Policy"]
    refused.value.close()
