"""The portal registry as data: complete, consistent with the profiles, and growable from the
portals' own link lists."""

from __future__ import annotations

from portal_archive.sample_portal import SamplePortalServer
from portals.profiles import load_profiles
from portals.registry import load_registry, sites_in_provinces

from .conftest import run_cli


def test_every_family_in_the_registry_has_a_profile() -> None:
    families = {site.family for site in load_registry().values() if site.family}
    assert families - set(load_profiles()) == set()


def test_successors_exist_and_end_at_an_active_site() -> None:
    sites = load_registry()
    for site in sites.values():
        seen = {site.domain}
        current = site
        while current.successor:
            assert current.successor in sites, f"{current.domain}: successor {current.successor} is not registered"
            assert current.successor not in seen, f"{site.domain}: successor loop"
            seen.add(current.successor)
            current = sites[current.successor]
        if current is not site:  # the chain ends at a portal that is up, or that was retired
            assert current.status in ("active", "retired"), f"{site.domain} ends at {current.domain} ({current.status})"
        if site.successor and site.level == "province":  # a province's successor is a portal still up
            assert current.status == "active", f"{site.domain} ends at {current.domain} ({current.status})"
        if site.status == "moved":  # a moved portal always has its new address
            assert site.successor, f"{site.domain} moved, but to where?"


def test_provinces_before_and_since_2025() -> None:
    provinces = [s for s in load_registry().values() if s.level == "province"]
    assert len({s.province_before_2025 for s in provinces}) == 63
    assert len({s.province for s in provinces}) == 34
    kept = {s.province for s in provinces if s.status == "active"}
    assert len(kept) == 34  # every unit since 1 July 2025 has an active portal


def test_discover_proposes_the_portals_a_site_links_to(portal_proxy: SamplePortalServer) -> None:
    result = run_cli("discover", "http://thuathienhue.gov.vn/", "--proxy", portal_proxy.url, "--all", "--format", "json")
    assert result.code == 0, result.err
    rows = {r["domain"]: r for r in result.json()}
    assert rows["sdl.thuathienhue.gov.vn"]["level"] == "department"
    assert rows["sdl.thuathienhue.gov.vn"]["family"] == "hue_subsite"  # fetched and detected
    districts = [r for r in rows.values() if r["level"] == "district"]
    assert districts and all("not reachable" in r["source"] for r in districts)
    assert "thuathienhue.gov.vn" not in rows


def test_every_merged_province_names_the_portal_it_merged_into_and_when() -> None:
    """Nghị quyết 202/2025/QH15: 63 provinces became 34 on 1 July 2025. Each of the 29 merged into
    another has its portal's successor: the portal of the province it joined, from the registry's
    own rows, with that day as data."""
    sites = load_registry()
    provinces = [s for s in sites.values() if s.level == "province"]
    portal_of = {s.province: s.domain for s in provinces if s.status == "active" and s.province == s.province_before_2025}
    portal_of["Huế"] = "hue.gov.vn"  # Thừa Thiên Huế became the city of Huế on 1 January 2025
    merged = [s for s in provinces if s.province not in (s.province_before_2025, "Huế")]
    assert len(merged) == 63 - 34
    for site in merged:
        assert site.status == "merged", site.domain
        assert site.successor == portal_of[site.province], site.domain
        assert site.status_since == "2025-07-01", site.domain
    assert sites["thuathienhue.gov.vn"].status_since == "2025-01-01"
    kept = [s for s in provinces if s.status == "active"]
    assert all(s.successor is None and s.status_since is None for s in kept)


def test_a_former_province_name_finds_the_portal_that_took_over() -> None:
    assert sites_in_provinces(["Quảng Bình"]) == sites_in_provinces(["Quảng Trị"]) == {"quangbinh.gov.vn", "quangtri.gov.vn"}
    binh_dinh = sites_in_provinces(["binh dinh"])
    assert {"binhdinh.gov.vn", "gialai.gov.vn", "stp.binhdinh.gov.vn", "stp.gialai.gov.vn"} == binh_dinh
    assert binh_dinh < sites_in_provinces(["Gia Lai"])  # the new province has more: its own departments
    assert sites_in_provinces(["Thừa Thiên Huế"]) == sites_in_provinces(["Huế"])
