"""Platform-family profiles: declarative TOML files, one per family of portals.

A profile says which hosts use the family, how to recognise its pages from their markup, what
its URLs mean (article, listing, pagination, traps), and optionally which CSS selectors override
the generic extraction rules. It is data: adding a family means adding a file here.

    name = "hue_subsite"
    hosts = ["*.thuathienhue.gov.vn"]          # fnmatch patterns
    exclude_hosts = ["thuathienhue.gov.vn"]
    markers = ["UploadFiles/TinTuc"]           # regexes on the raw HTML for auto-detection
    [urls]
    article = ['[?&]tc=\\d+']                    # regexes on the URL
    listing = ['[?&]cn=\\d+']
    pagination = ['[?&]p=\\d+']
    trap = ['[?&]ngay=']
    drop_params = []                           # extra query parameters that never identify a page
    [selectors]                                # optional CSS overriding the generic rules
    title = ".TieuDeTin"
    remove = [".quangcao"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from lxml.cssselect import CSSSelector

# Read as package resources, so profiles load from a zipped egg too (Scrapyd deploys eggs).
PROFILE_DIR: Traversable = files(__name__)
SELECTOR_FIELDS = ("title", "date", "summary", "body", "source", "views")


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class PortalProfile:
    name: str
    description: str = ""
    hosts: tuple[str, ...] = ()
    exclude_hosts: tuple[str, ...] = ()
    markers: tuple[re.Pattern[str], ...] = ()
    article: tuple[re.Pattern[str], ...] = ()
    listing: tuple[re.Pattern[str], ...] = ()
    pagination: tuple[re.Pattern[str], ...] = ()
    trap: tuple[re.Pattern[str], ...] = ()
    drop_params: frozenset[str] = frozenset()
    selectors: dict[str, CSSSelector] = field(default_factory=dict)
    remove: tuple[CSSSelector, ...] = ()

    def serves(self, host: str) -> bool:
        host = host.lower()
        if any(fnmatch(host, pattern) for pattern in self.exclude_hosts):
            return False
        return any(fnmatch(host, pattern) for pattern in self.hosts)

    def is_article(self, url: str) -> bool:
        return any(p.search(url) for p in self.article)

    def is_listing(self, url: str) -> bool:
        return any(p.search(url) for p in self.listing) or any(p.search(url) for p in self.pagination)

    def is_trap(self, url: str) -> bool:
        return any(p.search(url) for p in self.trap)


def _patterns(source: Path | Traversable, values: list[str], flags: int = 0) -> tuple[re.Pattern[str], ...]:
    try:
        return tuple(re.compile(v, flags) for v in values)
    except re.error as exc:
        raise ProfileError(f"{source.name}: bad pattern: {exc}") from None


def _selector(source: Path | Traversable, css: str) -> CSSSelector:
    try:
        return CSSSelector(css)
    except Exception as exc:  # cssselect raises several error types
        raise ProfileError(f"{source.name}: bad selector {css!r}: {exc}") from None


def parse_profile(path: Path | Traversable) -> PortalProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path.name}: {exc}") from None
    urls = data.get("urls", {})
    selectors = data.get("selectors", {})
    unknown = set(selectors) - set(SELECTOR_FIELDS) - {"remove"}
    if unknown:
        raise ProfileError(f"{path.name}: unknown selector(s) {sorted(unknown)}")
    return PortalProfile(
        name=data.get("name", path.name.removesuffix(".toml")),
        description=data.get("description", ""),
        hosts=tuple(data.get("hosts", ())),
        exclude_hosts=tuple(data.get("exclude_hosts", ())),
        markers=_patterns(path, data.get("markers", [])),
        article=_patterns(path, urls.get("article", []), re.I),
        listing=_patterns(path, urls.get("listing", []), re.I),
        pagination=_patterns(path, urls.get("pagination", []), re.I),
        trap=_patterns(path, urls.get("trap", []), re.I),
        drop_params=frozenset(p.lower() for p in urls.get("drop_params", [])),
        selectors={k: _selector(path, v) for k, v in selectors.items() if k != "remove" and v},
        remove=tuple(_selector(path, css) for css in selectors.get("remove", [])),
    )


@cache
def load_profiles(directory: Path | Traversable = PROFILE_DIR) -> dict[str, PortalProfile]:
    """All profiles in ``directory``, by name (parsed once per process)."""
    profiles = {}
    for path in sorted((p for p in directory.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name):
        profile = parse_profile(path)
        profiles[profile.name] = profile
    return profiles


def get_profile(name: str) -> PortalProfile:
    try:
        return load_profiles()[name]
    except KeyError:
        raise ProfileError(f"unknown family {name!r} (known: {', '.join(sorted(load_profiles()))})") from None


def profile_for_host(host: str) -> PortalProfile | None:
    for profile in load_profiles().values():
        if profile.serves(host):
            return profile
    return None


MIN_MARKER_HITS = 2  # one shared class name ("entry-content", "aspnetForm") proves no platform


def detect_profile(html: str) -> PortalProfile | None:
    """The family whose markers the page shows most of (e.g. ``tandan-``, ``dnn_``), with at
    least two of them, or None."""
    best, best_hits = None, MIN_MARKER_HITS - 1
    head = html[:400_000]
    for profile in load_profiles().values():
        hits = sum(1 for marker in profile.markers if marker.search(head))
        if hits > best_hits:
            best, best_hits = profile, hits
    return best
