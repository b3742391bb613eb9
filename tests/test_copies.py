"""Republished copies, crawled over HTTP with the real crawler and read through the CLI: the Huế
provincial portal (thuathienhue.gov.vn) and the city's (hue.gov.vn) republishing each other's
articles — an exact copy credited "theo www.thuathienhue.gov.vn", a copy whose first paragraph
was rewritten, credited by the portal's name, and the other way round — beside an article of the
same topic that is no copy. Both portals are rendered by the saved thuathienhue.gov.vn portal's
own build script (``tests/fixtures/sites/thuathienhue.gov.vn/build.py``) into a temporary folder.
And the threshold of near copies, measured on those edited copies and on every saved portal."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

from archive.web.app import make_datasette
from portal_archive.sample_portal import SamplePortalServer
from portals.copies import NEAR_THRESHOLD, body_key, jaccard, name_index, named_site, shingles, syllables

from .conftest import run_cli

SITES = Path(__file__).parent / "fixtures" / "sites"
BUILD = SITES / "thuathienhue.gov.vn" / "build.py"
FAST = ("--delay", "0", "--set", "RETRY_TIMES=0", "--set", "EXTRACT_PROCESSES=0")

THEO = ("theo www.thuathienhue.gov.vn", "www.thuathienhue.gov.vn", None)
PORTAL_TTH = ("Nguồn: Cổng Thông tin điện tử tỉnh Thừa Thiên Huế", "Cổng Thông tin điện tử tỉnh Thừa Thiên Huế", None)
PORTAL_HUE = ("Nguồn: Cổng Thông tin điện tử thành phố Huế", "Cổng Thông tin điện tử thành phố Huế", None)
NEW_LEAD = (
    "Ngày 18/9, tại thành phố Huế đã diễn ra Hội nghị xúc tiến đầu tư tỉnh Thừa Thiên Huế năm 2020. Gần 300 "
    "đại biểu đến từ các bộ, ngành, cơ quan ngoại giao, tổ chức quốc tế cùng nhiều doanh nghiệp, nhà đầu tư "
    "đã dự hội nghị, cả trực tiếp lẫn trực tuyến qua các điểm cầu."
)
HUE_S = dict(
    cat="vhxh",
    newsid="C1D2E3F4-A5B6-4C7D-8E9F-0A1B2C3D4E5F",
    title="Ra mắt phiên bản mới của ứng dụng Hue-S",
    date="25/09/2020 3:00:00 CH",
    blocks=[
        (
            "p",
            "Chiều 25/9, UBND thành phố Huế ra mắt phiên bản mới của ứng dụng Hue-S với nhiều tính năng "
            "mới như thanh toán học phí, đặt lịch khám bệnh, tra cứu hồ sơ thủ tục hành chính và phản ánh "
            "hiện trường bằng hình ảnh, video.",
        ),
        (
            "p",
            "Sau hơn một năm vận hành, Hue-S đã có hơn 300.000 lượt cài đặt, tiếp nhận và xử lý gần 40.000 "
            "phản ánh của người dân về trật tự đô thị, môi trường, giao thông; 95% phản ánh được xử lý đúng "
            "hạn, nhiều phản ánh được giải quyết ngay trong ngày.",
        ),
        (
            "p",
            "Thành phố đề nghị các phường, cơ quan chuyên môn tiếp tục cập nhật dữ liệu, nâng cao chất "
            "lượng trả lời phản ánh, đồng thời tuyên truyền để mỗi hộ gia đình có ít nhất một người dùng "
            "ứng dụng./.",
        ),
    ],
    source=("PV", None, "PV"),
)
UNRELATED = dict(
    cat="ktxh",
    newsid="D2E3F4A5-B6C7-4D8E-9F0A-1B2C3D4E5F60",
    title="Thành phố Huế kết nối trung tâm dữ liệu với các phường",
    date="22/09/2020 9:00:00 SA",
    blocks=[
        (
            "p",
            "UBND thành phố Huế vừa hoàn thành kết nối mạng diện rộng từ trung tâm dữ liệu của thành phố "
            "đến 27 phường, bảo đảm đường truyền cho hệ thống một cửa điện tử và phần mềm quản lý văn bản.",
        ),
        (
            "p",
            "Mỗi phường được trang bị thiết bị tường lửa, máy chủ lưu trữ dự phòng và được tập huấn quy "
            "trình sao lưu dữ liệu định kỳ. Đội ứng cứu sự cố an toàn thông tin của thành phố trực 24/7 để "
            "hỗ trợ các phường khi có sự cố.",
        ),
        (
            "p",
            "Thành phố phấn đấu trong quý IV năm 2020 đưa toàn bộ hồ sơ công việc cấp phường lên môi trường "
            "mạng, thay thế văn bản giấy trong trao đổi nội bộ./.",
        ),
    ],
    source=("PV", None, "PV"),
)


def _load(folder: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, folder / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _set_articles(module: ModuleType, articles: list[dict[str, Any]]) -> None:
    """Give a loaded build script these articles (the fields its module code derives included)."""
    module.ARTICLES[:] = articles
    for i, a in enumerate(articles):
        a["index"] = i
        a["slug"] = module.slugify(a["title"])
        a["path"] = (
            f"/vi-vn/{module.CATEGORIES[a['cat']][1]}/tid/{a['slug']}/newsid/{a['newsid']}/cid/{module.CATEGORIES[a['cat']][2]}"
        )
        a["iso"] = module.iso(a["date"])
        a["day"] = a["date"].split(" ")[0]
    module.NEWEST = sorted(articles, key=lambda a: a["iso"], reverse=True)
    module.TRACKED = [t for t in module.TRACKED if t[0] < len(articles)]


def _portals(root: Path) -> tuple[ModuleType, ModuleType]:
    """thuathienhue.gov.vn as saved, plus the city's Hue-S article republished word for word; and
    hue.gov.vn with copies of two of the province's articles, its Hue-S article and one of the
    same topic as the first copy that is no copy."""
    province_dir, city_dir = root / "thuathienhue.gov.vn", root / "hue.gov.vn"
    shutil.copytree(SITES / "thuathienhue.gov.vn", province_dir)
    shutil.copytree(SITES / "thuathienhue.gov.vn", city_dir, ignore=shutil.ignore_patterns("pages", "files"))
    province, city = _load(province_dir, "copies_province_build"), _load(city_dir, "copies_city_build")
    originals = {a["title"]: a for a in province.ARTICLES}
    data_centre = originals["Khánh thành Trung tâm dữ liệu tỉnh Thừa Thiên Huế"]
    investment = originals["Hội nghị xúc tiến đầu tư năm 2020"]
    _set_articles(
        province,
        [
            *province.ARTICLES,
            {**HUE_S, "newsid": "E3F4A5B6-C7D8-4E9F-8A0B-1C2D3E4F5A6B", "date": "26/09/2020 8:30:00 SA", "source": PORTAL_HUE},
        ],
    )
    city.HOST, city.ORIGIN, city.SITE_NAME = "hue.gov.vn", "http://hue.gov.vn", "Cổng Thông tin điện tử thành phố Huế"
    copy_of_investment = [("p", NEW_LEAD), *investment["blocks"][1:]]
    _set_articles(city, [
        dict(data_centre, newsid="F4A5B6C7-D8E9-4F0A-9B1C-2D3E4F5A6B7C", date="25/09/2020 7:45:00 SA", source=THEO),
        dict(investment, newsid="A5B6C7D8-E9F0-4A1B-8C2D-3E4F5A6B7C8D", date="19/09/2020 8:10:00 SA",
             blocks=copy_of_investment, source=PORTAL_TTH),
        dict(HUE_S),
        dict(UNRELATED),
    ])  # fmt: skip
    province.main()
    city.main()
    return province, city


def _show(db: Path, url: str) -> dict[str, Any]:
    result = run_cli("show", url, "--db", str(db), "--format", "json")
    assert result.code == 0, result.err
    return result.json()  # type: ignore[return-value]


def _url(module: ModuleType, title: str, *, last: bool = False) -> str:
    found = [module.ORIGIN + a["path"] for a in module.ARTICLES if a["title"] == title]
    return found[-1] if last else found[0]


def test_copies_across_two_portals_are_linked_at_ingest_and_shown(tmp_path: Path) -> None:
    province, city = _portals(tmp_path / "sites")
    db = tmp_path / "archive.sqlite"
    with SamplePortalServer(tmp_path / "sites") as server:
        crawl = run_cli(
            "crawl", "http://thuathienhue.gov.vn/", "http://hue.gov.vn/", "--db", str(db), "--proxy", server.url, *FAST,
            timeout=180,
        )  # fmt: skip
    assert crawl.code == 0, crawl.err

    data_centre = "Khánh thành Trung tâm dữ liệu tỉnh Thừa Thiên Huế"
    original, copy = _url(province, data_centre), _url(city, data_centre)
    shown = _show(db, copy)
    assert [(c["url"], c["kind"], c["similarity"]) for c in shown["copies"]] == [(original, "exact", 1.0)]
    assert shown["original"]["url"] == original and shown["original"]["named_site"] == "thuathienhue.gov.vn"
    text = run_cli("show", copy, "--db", str(db), "--no-body")
    assert "Original (on thuathienhue.gov.vn, which the source names)" in text.out
    assert "Copies on other sites (1)" in text.out and f"thuathienhue.gov.vn  exact 1.00  {original}" in text.out
    # The original lists its copy, and has no original of its own (it credits itself).
    back = _show(db, original)
    assert [(c["url"], c["kind"]) for c in back["copies"]] == [(copy, "exact")] and back["original"] is None

    # The copy with its first paragraph rewritten: near, credited by the portal's registered name.
    investment = "Hội nghị xúc tiến đầu tư năm 2020"
    edited = _show(db, _url(city, investment))
    assert [(c["url"], c["kind"]) for c in edited["copies"]] == [(_url(province, investment), "near")]
    assert NEAR_THRESHOLD <= edited["copies"][0]["similarity"] < 1
    assert edited["original"]["url"] == _url(province, investment)

    # The other way round: the province's portal republishing the city's article.
    hue_s = "Ra mắt phiên bản mới của ứng dụng Hue-S"
    republished = _show(db, _url(province, hue_s))
    assert republished["original"]["url"] == _url(city, hue_s) and republished["original"]["named_site"] == "hue.gov.vn"

    # Same topic, same words in places, no copy: linked to nothing.
    unrelated = _show(db, _url(city, UNRELATED["title"]))
    assert unrelated["copies"] == [] and unrelated["original"] is None
    assert "Copies on other sites" not in run_cli("show", _url(city, UNRELATED["title"]), "--db", str(db)).out

    # One hit per story, with its number of copies; the unrelated article stays a hit of its own.
    query = "trung tam du lieu"
    every = run_cli("search", query, "--db", str(db), "--format", "json", "--limit", "50")
    collapsed = run_cli("search", query, "--db", str(db), "--format", "json", "--limit", "50", "--collapse")
    assert every.code == 0 and collapsed.code == 0, every.err + collapsed.err
    every_urls = {h["url"] for h in every.json()}  # type: ignore[union-attr]
    assert {original, copy, _url(city, UNRELATED["title"])} <= every_urls
    stories = {h["url"]: h["copies"] for h in collapsed.json()}  # type: ignore[union-attr]
    assert len(stories) == len(every_urls) - 1
    assert [stories.get(original), stories.get(copy)].count(1) == 1 and None in (stories.get(original), stories.get(copy))
    assert stories[_url(city, UNRELATED["title"])] == 0
    phrase = run_cli("search", f'"{data_centre}"', "--db", str(db), "--collapse")
    assert phrase.code == 0 and "1 copy elsewhere" in phrase.out and phrase.out.count("Khanh-thanh-Trung-tam-du-lieu") == 1, (
        phrase.out
    )

    # The most republished stories: each story once.
    listed = run_cli("copies", "--db", str(db), "--format", "json")
    assert listed.code == 0, listed.err
    assert sorted(s["title"] for s in listed.json()) == sorted([data_centre, investment, hue_s])  # type: ignore[union-attr]

    # The browser's canned query lists the same stories.
    async def canned() -> list[dict[str, Any]]:
        response = await make_datasette(db).client.get("/archive/most_republished_stories.json?_shape=array")
        assert response.status_code == 200
        return response.json()

    assert [(s["id"], s["copies"]) for s in asyncio.run(canned())] == [(s["id"], s["copies"]) for s in listed.json()]  # type: ignore[union-attr]

    # Relinking every article finds the same.
    rebuilt = run_cli("copies", "--rebuild", "--db", str(db), "--format", "json")
    assert rebuilt.code == 0 and rebuilt.json() == listed.json(), rebuilt.err


def test_the_near_threshold_separates_edited_copies_from_distinct_articles(tmp_path: Path) -> None:
    """The measurement behind ``NEAR_THRESHOLD``: the edited copies above are above it, and no two
    distinct articles of the saved portals are (the highest pair: two district portals' reports
    of the same training course, 0.24)."""
    _portals(tmp_path / "sites")
    bodies = {
        name: {r["title"]: r for r in json.loads((tmp_path / "sites" / name / "expected.json").read_text())["articles"]}
        for name in ("thuathienhue.gov.vn", "hue.gov.vn")
    }

    def words(record: dict[str, Any]) -> list[str]:
        return syllables(record["body"], record["source"]["text"])

    investment = "Hội nghị xúc tiến đầu tư năm 2020"
    edited = jaccard(
        shingles(words(bodies["thuathienhue.gov.vn"][investment])), shingles(words(bodies["hue.gov.vn"][investment]))
    )
    assert NEAR_THRESHOLD < edited < 0.8
    # A copy whose credit line is written into its text, and whose last paragraph was cut.
    data_centre = bodies["thuathienhue.gov.vn"]["Khánh thành Trung tâm dữ liệu tỉnh Thừa Thiên Huế"]
    credited = data_centre["body"] + "\n\nTheo www.thuathienhue.gov.vn"
    assert body_key(syllables(credited, None)) == body_key(words(data_centre))
    cut = "\n\n".join(data_centre["body"].split("\n\n")[:-1])
    assert NEAR_THRESHOLD < jaccard(shingles(words(data_centre)), shingles(syllables(cut))) < 1

    records = [r for f in sorted(SITES.glob("*/expected.json")) for r in json.loads(f.read_text())["articles"]]
    shingled = [shingles(syllables(r["body"], (r["source"] or {}).get("text"))) for r in records if r["body"]]
    highest = max(jaccard(a, b) for a, b in itertools.combinations(shingled, 2))
    assert 0.1 < highest < NEAR_THRESHOLD


def test_the_site_a_credit_line_names() -> None:
    names = name_index(
        [
            ("thuathienhue.gov.vn", "Cổng Thông tin điện tử tỉnh Thừa Thiên Huế"),
            ("hue.gov.vn", "Cổng Thông tin điện tử thành phố Huế"),
        ]
    )
    assert named_site("theo www.thuathienhue.gov.vn (HNQ)", "www.thuathienhue.gov.vn", names) == "thuathienhue.gov.vn"
    assert named_site("Nguồn: HUE.GOV.VN", None, names) == "hue.gov.vn"
    assert named_site("Nguồn: Cổng Thông tin điện tử thành phố Huế", None, names) == "hue.gov.vn"
    assert named_site("Theo Cổng TTĐT tỉnh Thừa Thiên Huế", None, names) == "thuathienhue.gov.vn"
    assert named_site("Nguồn: Báo Thừa Thiên Huế", "Báo Thừa Thiên Huế", names) is None  # a newspaper, no portal
    assert named_site(None, None, names) is None


def test_a_new_version_is_linked_again_and_only_with_its_candidates(tmp_path: Path) -> None:
    """Copies follow an article's latest version, found from what the archive file holds (each
    write opens it anew): a copy edited into another text loses its link, and regains it when
    edited back; an article of the same site with the same text is never its copy."""
    from archive.copies import copies_of
    from archive.store import Archive
    from portals.items import Provenance
    from portals.record import Record, Source

    paragraphs = [b[1] for b in HUE_S["blocks"]]
    other = [b[1] for b in UNRELATED["blocks"]]

    def store(url: str, body: list[str], at: str, credit: Source | None = None) -> int:
        site = url.split("/")[2]
        record = Record(url=url, site=site, family=None, title="Hue-S", date="2020-09-25", body="\n\n".join(body), source=credit)
        with Archive(tmp_path / "archive.sqlite") as archive:
            archive.add_articles([(record, Provenance(at, url))])
            return archive.db.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()[0]

    def linked(article_id: int) -> list[tuple[int, str]]:
        with Archive(tmp_path / "archive.sqlite", readonly=True) as archive:
            return [(c["id"], c["kind"]) for c in copies_of(archive.db, article_id)]

    original = store("http://hue.gov.vn/tin/1", paragraphs, "2020-09-25T15:00:00+07:00")
    same_site = store("http://hue.gov.vn/tin/1-ban-in", paragraphs, "2020-09-25T15:01:00+07:00")
    credit = Source("Nguồn: Cổng Thông tin điện tử thành phố Huế", "Cổng Thông tin điện tử thành phố Huế", None)
    copy = store("http://thuathienhue.gov.vn/tin/9", [*paragraphs, credit.text], "2020-09-26T08:00:00+07:00", credit)
    assert linked(copy) == [(original, "exact"), (same_site, "exact")]
    assert linked(original) == [(copy, "exact")] and linked(same_site) == [(copy, "exact")]
    store("http://thuathienhue.gov.vn/tin/9", other, "2020-09-27T08:00:00+07:00", credit)  # version 2: another text
    assert linked(copy) == [] and linked(original) == []
    store("http://thuathienhue.gov.vn/tin/9", [*paragraphs, other[0]], "2020-09-28T08:00:00+07:00", credit)  # a paragraph added
    assert [kind for _, kind in linked(copy)] == ["near", "near"] and linked(original) == [(copy, "near")]


def test_copies_wait_for_a_pass_that_survives_a_restart_and_uses_only_fitting_fingerprints(tmp_path: Path) -> None:
    """A crawl's writes list new articles as waiting; the pass after a restart (a crawl killed
    between the two) links them from the archive alone, and a fingerprint given for content
    the archive does not hold (a write that was rolled back) is not used."""
    from archive.copies import copies_of
    from archive.store import Archive, Batch
    from portals.copies import Fingerprint, record_fingerprint
    from portals.items import Provenance
    from portals.record import Record

    paragraphs = [b[1] for b in HUE_S["blocks"]]
    at = "2020-09-25T15:00:00+07:00"
    original = Record(
        url="http://hue.gov.vn/tin/1", site="hue.gov.vn", title="Hue-S", date="2020-09-25", body="\n\n".join(paragraphs)
    )
    copy = Record(
        url="http://thuathienhue.gov.vn/tin/9", site="thuathienhue.gov.vn", title="Hue-S", date="2020-09-26", body=original.body
    )
    path = tmp_path / "archive.sqlite"
    with Archive(path) as archive:
        archive.write(Batch(articles=[(original, Provenance(at, original.url)), (copy, Provenance(at, copy.url))]))
        assert archive.db.execute("SELECT count(*) FROM copy_pending").fetchone() == (2,)
        assert archive.db.execute("SELECT count(*) FROM article_copies").fetchone() == (0,)
    with Archive(path) as archive:  # the process that wrote them is gone
        # A fingerprint kept for content the archive does not hold (a write rolled back): unused.
        archive._prints[copy.url] = ("not its content hash", Fingerprint("0" * 40, None, (), None))
        assert archive.link_copies() == 2
        ids = dict(archive.db.execute("SELECT url, id FROM articles").fetchall())
        assert [(c["id"], c["kind"]) for c in copies_of(archive.db, ids[copy.url])] == [(ids[original.url], "exact")]
        assert archive.db.execute("SELECT count(*) FROM copy_pending").fetchone() == (0,)
        signature = archive.db.execute(
            "SELECT body_key, minhash FROM copy_signatures WHERE article_id = ?", [ids[copy.url]]
        ).fetchone()
        assert signature == (record_fingerprint(copy).body_key, record_fingerprint(copy).minhash)


def test_pages_of_one_template_are_never_compared_with_each_other(tmp_path: Path, monkeypatch: Any) -> None:
    """Many pages of one site made from one template share all their band keys; a new one is
    compared only with other sites' articles (their keys are looked up around its own site's),
    in one write or in many, so its copy elsewhere is still found. Also in an archive whose
    keys were stored before they were kept by site (schema 16)."""
    from archive import copies, schema
    from archive.copies import copies_of
    from archive.store import Archive, Batch
    from portals.copies import record_fingerprint
    from portals.items import Provenance
    from portals.record import Record

    lead = " ".join(b[1] for b in HUE_S["blocks"])
    at = "2024-01-08T08:00:00+07:00"

    def page(site: str, n: int, tail: str = "") -> tuple[Record, Provenance]:
        url = f"http://{site}/lich-tiep-cong-dan/{n}"
        title = f"Lịch tiếp công dân tuần {n}"
        record = Record(url=url, site=site, title=title, date="2024-01-08", body=f"{lead} Tuần {n}.{tail}")
        return record, Provenance(at, url)

    compared: list[tuple[bytes, bytes]] = []
    real = copies.similarity
    monkeypatch.setattr(copies, "similarity", lambda a, b: compared.append((a, b)) or real(a, b))
    template = [page("phongdien.thuathienhue.gov.vn", n) for n in range(120)]
    path = tmp_path / "archive.sqlite"
    names = [name for name, _ in schema.MIGRATIONS]
    later = names[names.index("m016_bands_by_site") :]  # as an archive of schema 15 knew none of them
    with Archive(path) as archive:  # 60 in one write; then their keys as schema 15 kept them, without the site
        archive.add_articles(template[:60])
        for statement in (
            "CREATE TABLE old_bands (band_key INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (band_key, article_id)) "
            "WITHOUT ROWID",
            "INSERT INTO old_bands SELECT band_key, article_id FROM copy_bands",
            "DROP TABLE copy_bands",
            "ALTER TABLE old_bands RENAME TO copy_bands",
            f"DELETE FROM _migrations WHERE name IN ({', '.join(repr(name) for name in later)})",
            f"PRAGMA user_version = {len(names) - len(later)}",
        ):
            archive.db.execute(statement)
    with Archive(path) as archive:  # migrated
        assert archive.db.execute("SELECT count(DISTINCT article_id), min(site), max(site) FROM copy_bands").fetchone() == (
            60,
            "phongdien.thuathienhue.gov.vn",
            "phongdien.thuathienhue.gov.vn",
        )
        statements: list[str] = []
        archive.db.conn.set_trace_callback(statements.append)
        for start in range(60, 120, 20):  # the rest in writes of 20: among themselves and with the stored ones
            batch = template[start : start + 20]
            archive.write(Batch(articles=batch, fingerprints={r.url: record_fingerprint(r) for r, _ in batch}))
            archive.link_copies()
        archive.db.conn.set_trace_callback(None)
        # No candidate was found, so none was read to be compared.
        assert any("JOIN copy_bands" in s for s in statements)
        assert not any("s.minhash FROM copy_signatures" in s for s in statements) and compared == []
        assert archive.db.execute("SELECT count(*) FROM article_copies").fetchone() == (0,)
        # Week 7's page as the province's portal republished it, a line added: a near copy of it.
        copy, provenance = page("thuathienhue.gov.vn", 7, " Nguồn: UBND huyện Phong Điền.")
        archive.add_articles([(copy, provenance)])
        ids = dict(archive.db.execute("SELECT url, id FROM articles").fetchall())
        found = {c["url"]: c["kind"] for c in copies_of(archive.db, ids[copy.url])}
        assert found[template[7][0].url] == "near" and len(compared) <= 120
        assert [c["url"] for c in copies_of(archive.db, ids[template[7][0].url])] == [copy.url]
