"""`portal-archive serve`: the archive in Datasette, run as a user runs it and driven from real
headless Chromium (Debian's chromium and chromium-driver; `bootstrap.py test` installs them).
Screenshots go to test-artifacts/."""

from __future__ import annotations

import base64
import html
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portals.folding import fold

from .conftest import EDITED_URL, run_cli

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
DANANG_TITLE = "Đà Nẵng trao quyết định chủ trương đầu tư cho 5 dự án công nghiệp"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1600",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db: Path, *options: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "portal_archive", "serve", "--db", str(db), "--port", str(self.port), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.stop()}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/versions.json", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError("serve did not answer within 60 s")

    def get(self, path: str, **params: str) -> tuple[int, str]:
        url = f"{self.url}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")

    def json(self, path: str, **params: str) -> Any:
        status, body = self.get(path, **params)
        assert status == 200, body[:500]
        return json.loads(body)

    def stop(self) -> str:
        self.proc.terminate()
        try:
            out, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return out.decode() + err.decode()


@pytest.fixture(scope="module")
def server(research_archive: Path) -> Iterator[Server]:
    srv = Server(research_archive)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.fail(
            "the browser tests need Chromium and ChromeDriver (Debian: apt-get install chromium chromium-driver); "
            "`python3 bootstrap.py test` installs them when run as root"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    drv = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    drv.set_page_load_timeout(60)
    yield drv
    drv.quit()


def _screenshot_down_to(browser: Any, element: Any, path: Path) -> None:
    """The page from its top down to ``element`` (the search box and the rows above it too)."""
    width, bottom = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return [document.documentElement.scrollWidth, Math.ceil(r.bottom + window.scrollY) + 16];",
        element,
    )
    clip = {"x": 0, "y": 0, "width": width, "height": bottom, "scale": 1}
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


# -- the JSON the pages are built from ------------------------------------------------------------
@pytest.mark.parametrize(
    "query",
    [
        "da nang",
        '"da nang"',
        "hue OR da nang",
        "cong nghe NOT thong tin",
        "chuyen doi*",
        "(du lich OR van hoa) AND hue",
    ],
)
def test_the_search_box_finds_what_the_cli_finds(server: Server, research_archive: Path, query: str) -> None:
    cli = run_cli("search", query, "--db", str(research_archive), "--format", "json", "--limit", "1000")
    expected = sorted(h["id"] for h in json.loads(cli.out))
    assert expected, f"the CLI finds nothing for {query!r}"
    rows = server.json("/archive/articles.json", _search=query, _shape="array", _size="max", _col="title")
    assert sorted(r["id"] for r in rows) == expected


def test_the_search_box_folds_diacritics_like_the_cli(server: Server) -> None:
    spellings = ["da nang", "Đà Nẵng", "ĐÀ NẴNG", unicodedata.normalize("NFD", "Đà Nẵng"), "Ðà Nẵng"]
    results = [
        sorted(r["id"] for r in server.json("/archive/articles.json", _search=s, _shape="array", _size="max")) for s in spellings
    ]
    assert results[0] and all(r == results[0] for r in results)
    # What was typed stays in the search box; an unclosed quote is searched word by word.
    status, page = server.get("/archive/articles", _search="Đà Nẵng")
    assert status == 200 and 'name="_search" value="Đà Nẵng"' in page and DANANG_TITLE in page
    assert DANANG_TITLE in server.get("/archive/articles", _search='"da nang')[1]


def test_facets_and_the_province_filter(server: Server, research_archive: Path) -> None:
    data = server.json("/archive/articles.json", _size="1")
    facets = data["facet_results"]
    assert {"site", "province", "year"} <= set(facets)
    provinces = {r["value"]: r["count"] for r in facets["province"]["results"]}
    assert provinces["Huế"] == 39 and provinces["Đà Nẵng"] == 9
    years = {r["value"]: r["count"] for r in facets["year"]["results"]}
    assert years["2021"] >= 9 and all(len(y) == 4 for y in years)
    for name in ("thua thien hue", "Huế"):  # pre-2025 or current name, diacritics optional
        hue = server.json("/archive/articles.json", _province=name, _size="max")
        assert hue["filtered_table_rows_count"] == 39
        site = hue["columns"].index("site")
        assert {r[site] for r in hue["rows"]} == {"sdl.thuathienhue.gov.vn", "thuathienhue.gov.vn"}
    year = server.json("/archive/articles.json", date__startswith="2021", _size="max")
    assert year["filtered_table_rows_count"] == years["2021"]


def test_canned_queries(server: Server) -> None:
    months = server.json("/archive/articles_per_site_per_month.json", site="", _shape="array")
    assert {"site": "danang.gov.vn", "month": "2021-06", "articles": 9} in months
    visits = server.json("/archive/visitor_statistics_over_time.json", site="sdl.thuathienhue.gov.vn", _shape="array")
    assert [v["total"] for v in visits] == [53957, 54321]
    changed = server.json("/archive/articles_changed_after_publication.json", _shape="array")
    assert [c["url"] for c in changed] == [EDITED_URL] and changed[0]["versions"] == 2


def test_read_only_and_no_sql(server: Server, research_archive: Path) -> None:
    databases = server.json("/-/databases.json")
    assert [(d["name"], d["is_mutable"]) for d in databases] == [("archive", True)]  # read live (mode=ro)
    assert server.get("/archive", sql="select count(*) from articles")[0] == 403
    assert server.get("/archive/articles", _where="1 = 1")[0] == 403
    request = urllib.request.Request(f"{server.url}/archive/articles", data=b"title=x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    refused.value.close()
    # Columns and tables carry their descriptions.
    status, page = server.get("/archive/articles")
    assert status == 200 and "Publication date (ISO 8601" in page and "Every article archived" in page


def test_allow_sql_and_a_bad_archive(research_archive: Path, tmp_path: Path) -> None:
    srv = Server(research_archive, "--allow-sql")
    try:
        rows = srv.json("/archive.json", sql="select fold('Đà Nẵng') as f, count(*) as n from articles", _shape="array")
        assert rows[0]["f"] == "da nang" and rows[0]["n"] > 100
    finally:
        srv.stop()
    notes = tmp_path / "notes.sqlite"
    notes.write_text("không phải cơ sở dữ liệu")
    result = run_cli("serve", "--db", str(notes))
    assert result.code == 2 and result.err.startswith("Error: ") and len(result.err.strip().splitlines()) == 1


def test_charts_page(server: Server) -> None:
    status, page = server.get("/-/charts")
    assert status == 200 and page.count("<svg") >= 20
    assert "sdl.thuathienhue.gov.vn: total visits" in page and "danang.gov.vn: articles per month" in page
    status, page = server.get("/-/charts", province="da nang")
    assert status == 200 and "danang.gov.vn: articles per month" in page and "sdl.thuathienhue" not in page
    assert server.get("/-/charts", province="Atlantis")[0] == 400
    status, page = server.get("/-/charts", province=HOSTILE, site=HOSTILE)
    assert status == 400 and HOSTILE not in page and "&lt;img src=x onerror=" in page


HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


# -- in a real browser ---------------------------------------------------------------------------
def test_search_da_nang_in_chromium(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server.url}/archive/articles")
    box = browser.find_element(By.ID, "_search")
    box.send_keys("da nang")
    box.submit()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("_search="))
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.rows-and-columns")))
    cells = {td.text: td for td in browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns td.col-title")}
    assert DANANG_TITLE in cells, list(cells)
    assert browser.find_element(By.ID, "_search").get_attribute("value") == "da nang"
    facets = browser.find_element(By.CSS_SELECTOR, ".facet-results").text
    assert "province" in facets and "year" in facets and "site" in facets
    _screenshot_down_to(browser, cells[DANANG_TITLE], ARTIFACTS / "datasette-search-da-nang.png")


def test_charts_and_report_render_in_chromium(server: Server, browser: Any, research_archive: Path, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    # A parameter the page repeats is text, never markup: the hostile one runs nothing.
    for name in ("province", "site"):
        browser.get(f"{server.url}/-/charts?{urllib.parse.urlencode({name: HOSTILE})}")
        assert browser.title != "pwned" and not browser.find_elements(By.CSS_SELECTOR, "img[src=x]")

    browser.get(f"{server.url}/-/charts")
    svgs = browser.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(svgs) >= 20 and all(s.size["width"] > 300 and s.size["height"] > 60 for s in svgs)
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "datasette-charts.png"))

    report = tmp_path / "report.html"
    assert run_cli("report", "--db", str(research_archive), "--out", str(report)).code == 0
    browser.get(report.as_uri())
    assert browser.title == "Portal archive report"
    bars = browser.find_elements(By.CSS_SELECTOR, "svg rect")
    assert len(bars) > 20 and all(b.size["height"] > 0 for b in bars)
    points = browser.find_elements(By.CSS_SELECTOR, "#visits-sdl\\.thuathienhue\\.gov\\.vn circle")
    assert len(points) == 2
    browser.save_screenshot(str(ARTIFACTS / "report.png"))


# -- the search page: relevance or newest first, with snippets -----------------------------------
_HIT = re.compile(r'<a class="hit-title" href="/archive/articles/(\d+)">(.*?)</a>.*?<p class="hit-snippet">(.*?)</p>', re.S)


@pytest.mark.parametrize(("order", "sort"), [("relevance", "relevance"), ("newest", "date")])
def test_search_page_orders_and_snippets_as_the_cli(server: Server, research_archive: Path, order: str, sort: str) -> None:
    query = "du lich"
    cli = run_cli("search", query, "--db", str(research_archive), "--format", "json", "--sort", sort, "--limit", "20")
    expected = json.loads(cli.out)
    status, page = server.get("/-/search", q=query, order=order)
    assert status == 200 and len(expected) == 20
    hits = _HIT.findall(page)
    assert [int(h[0]) for h in hits] == [h["id"] for h in expected]
    for (_, _, snippet), hit in zip(hits, expected, strict=True):  # the CLI's snippet, escaped, marks kept
        assert html.unescape(snippet) == hit["snippet"]
        assert all(fold(m) in ("du lich", "du", "lich") for m in re.findall(r"<mark>(.*?)</mark>", snippet))
    if order == "newest":
        dates = [h["date"][:10] for h in expected]
        assert dates == sorted(dates, reverse=True)
    total = int(re.search(r'class="portal-search-count">([\d,]+) article', page).group(1).replace(",", ""))
    # Page by page, with the cursor of each page's last hit: every match once, in the CLI's order.
    everything = run_cli("search", query, "--db", str(research_archive), "--format", "json", "--sort", sort, "--limit", "1000")
    seen, link = [int(h[0]) for h in hits], re.search(r'class="portal-search-next" href="([^"]+)"', page)
    while link:
        page = server.get(html.unescape(link.group(1)))[1]
        seen += [int(h[0]) for h in _HIT.findall(page)]
        link = re.search(r'class="portal-search-next" href="([^"]+)"', page)
    assert seen == [h["id"] for h in json.loads(everything.out)] and len(seen) == total > 20


def test_search_page_filters_and_bad_input(server: Server) -> None:
    status, page = server.get("/-/search", q="du lich", province="Thừa Thiên Huế", since="2020-08-01", until="2020-08-31")
    assert status == 200
    metas = re.findall(r'<div class="hit-meta">(\d{4}-\d\d-\d\d) · ([^ ]+) ·', page)
    assert metas and all("2020-08-01" <= d <= "2020-08-31" for d, _ in metas)
    assert {s for _, s in metas} <= {"sdl.thuathienhue.gov.vn", "thuathienhue.gov.vn"}
    status, page = server.get("/-/search", q="du lich", publisher="bao ha tinh")
    sites = {s for _, s in re.findall(r'<div class="hit-meta">(\S+) · ([^ ]+) ·', page)}
    assert status == 200 and sites and sites <= {"sovhttdl.hatinh.gov.vn", "nongthonmoi.hatinh.gov.vn"}
    status, page = server.get("/-/search", q="thong tin", changed="1")
    assert status == 200 and re.findall(r'<span class="hit-url">([^<]+)</span>', html.unescape(page)) == [EDITED_URL]
    bad = [
        ({"q": '"da nang'}, "unbalanced quotes"),
        ({"q": "hue", "province": "Atlantis"}, "Atlantis"),
        ({"q": "hue", "after": "x"}, "cursor"),
    ]
    for args, message in bad:
        status, page = server.get("/-/search", **args)
        assert status == 400 and message in html.unescape(page)
    status, page = server.get("/-/search")
    assert status == 200 and 'name="q" value=""' in page and "hit-title" not in page


def test_source_publisher_and_author_facets(server: Server, research_archive: Path) -> None:
    facets = server.json("/archive/articles.json", _size="1")["facet_results"]
    assert {"source_text", "source_publisher", "source_author"} <= set(facets)
    publishers = {r["value"]: r["count"] for r in facets["source_publisher"]["results"]}
    assert publishers["www.thuathienhue.gov.vn"] >= 16 and publishers["Báo Hà Tĩnh"] >= 6
    narrowed = server.json("/archive/articles.json", source_publisher="Báo Hà Tĩnh", _search="nong thon", _shape="objects")
    assert narrowed["rows"] and all(r["source_publisher"] == "Báo Hà Tĩnh" for r in narrowed["rows"])


def test_search_page_in_chromium(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(f"{server.url}/-/search")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("Đà Nẵng")
    Select(browser.find_element(By.NAME, "order")).select_by_visible_text("newest")
    box.submit()
    WebDriverWait(browser, 30).until(expected_conditions.url_contains("order=newest"))
    hits = browser.find_elements(By.CSS_SELECTOR, "ol.portal-search-hits li")
    assert hits and any(DANANG_TITLE in h.text for h in hits)
    marks = {fold(m.text) for m in browser.find_elements(By.CSS_SELECTOR, ".hit-snippet mark, .hit-title mark")}
    assert "da nang" in marks and marks <= {"da nang", "da", "nang"}
    assert Select(browser.find_element(By.NAME, "order")).first_selected_option.text == "newest"
    _screenshot_down_to(browser, hits[min(4, len(hits) - 1)], ARTIFACTS / "datasette-search-page.png")
