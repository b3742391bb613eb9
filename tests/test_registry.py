"""The portal registry as data: complete, consistent with the profiles, and growable from the
portals' own link lists."""

from __future__ import annotations

from portal_archive.sample_portal import SamplePortalServer
from portals.profiles import load_profiles
from portals.registry import load_registry

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
