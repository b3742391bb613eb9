"""Listing pages of every family: the crawler finds the articles they list and the other pages
of the same listing, and follows nothing else the profile calls a trap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portals.extract import analyse
from portals.links import classify_links, is_pagination
from portals.profiles import load_profiles
from portals.urls import host_of

from .conftest import FIXTURES

LISTINGS = FIXTURES / "listings"
CASES = sorted(p for p in LISTINGS.glob("*/*") if p.is_dir())


def test_every_family_has_a_listing_case() -> None:
    missing = set(load_profiles()) - {p.parent.name for p in CASES}
    assert not missing, f"families without a listing case: {sorted(missing)}"


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_listing(case: Path) -> None:
    meta = json.loads((case / "meta.json").read_text(encoding="utf-8"))
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    page = analyse((case / "page.html").read_bytes(), meta["url"], content_type=meta.get("content_type"))
    assert page.profile is not None and page.profile.name == case.parent.name
    assert page.is_article is expected["is_article"]
    host = host_of(meta["url"])
    found = classify_links(page, {host, host.removeprefix("www."), "www." + host.removeprefix("www.")})
    articles = [u for u, kind in found.items() if kind == "article"]
    pagination = [u for u in found if is_pagination(u, page.profile)]
    assert articles == expected["articles"]
    assert pagination == expected["pagination"]
