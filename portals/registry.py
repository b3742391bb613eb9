"""The portal registry: the known portals, as data (``registry.csv``), one row per site.

Archivists add a portal by adding a row. Columns: ``domain`` (the site id: host without
``www.``), ``name``, ``province`` (since 1 July 2025), ``province_before_2025``, ``level``
(province / department / district / commune), ``family`` (a profile name, or empty when
unknown), ``start_urls`` (space-separated), ``status`` (active / moved / retired / merged),
``successor`` (the site that took over, if any), ``status_since`` (the day the status took
effect, ISO 8601: 2025-07-01 for the provinces merged by Nghị quyết 202/2025/QH15), ``source``
(where the row comes from) and ``confirmed`` (what of it was confirmed: domain, family).

What crawls observe of a site (moved to another host, dark) is the archive's
(``archive.site_status``), not the registry's.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .folding import fold
from .urls import site_id

# A package resource, so the registry loads from a zipped egg too (Scrapyd deploys eggs).
REGISTRY_FILE: Traversable = files(__package__ or "portals") / "registry.csv"
LEVELS = ("province", "department", "district", "commune")
STATUSES = ("active", "moved", "retired", "merged")


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class Site:
    domain: str
    name: str
    province: str
    province_before_2025: str
    level: str
    family: str | None
    start_urls: tuple[str, ...]
    status: str
    successor: str | None
    status_since: str | None
    source: str
    confirmed: str

    def as_row(self) -> dict[str, object]:
        """The row as the registry file (and the archive's ``sites`` table) holds it."""
        row: dict[str, object] = asdict(self)
        row["start_urls"] = " ".join(self.start_urls)
        return row


# The registry's columns, in the file's order: the fields of a Site.
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Site))


def _site(row: dict[str, str], line: int) -> Site:
    domain = site_id(row.get("domain") or "")
    if not domain:
        raise RegistryError(f"registry line {line}: empty domain")
    level, status = row.get("level", "").strip(), row.get("status", "").strip()
    if level not in LEVELS:
        raise RegistryError(f"registry line {line}: level {level!r} is not one of {', '.join(LEVELS)}")
    if status not in STATUSES:
        raise RegistryError(f"registry line {line}: status {status!r} is not one of {', '.join(STATUSES)}")
    starts = tuple((row.get("start_urls") or "").split()) or (f"https://{domain}/",)
    since = (row.get("status_since") or "").strip() or None
    if since is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        raise RegistryError(f"registry line {line}: status_since {since!r} is not a day (YYYY-MM-DD)")
    return Site(
        domain=domain,
        name=row.get("name", "").strip(),
        province=row.get("province", "").strip(),
        province_before_2025=row.get("province_before_2025", "").strip(),
        level=level,
        family=(row.get("family") or "").strip() or None,
        start_urls=starts,
        status=status,
        successor=(row.get("successor") or "").strip() or None,
        status_since=since,
        source=row.get("source", "").strip(),
        confirmed=row.get("confirmed", "").strip(),
    )


@cache
def load_registry(path: Path | Traversable = REGISTRY_FILE) -> dict[str, Site]:
    rows = csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    sites: dict[str, Site] = {}
    for line, row in enumerate(rows, start=2):
        site = _site(row, line)
        if site.domain in sites:
            raise RegistryError(f"registry line {line}: {site.domain} listed twice")
        sites[site.domain] = site
    return sites


def find_site(name_or_url: str) -> Site | None:
    """The registered site for a domain (``www.`` optional) or for a URL on it."""
    return load_registry().get(site_id(name_or_url))


class UnknownProvince(ValueError):
    """A province name that no registered portal has, before or since 2025."""


# "Tỉnh Thừa Thiên Huế", "TP. Đà Nẵng", "thành phố Huế": the administrative word is optional.
_PROVINCE_PREFIX = re.compile(r"^(?:tinh|thanh pho|tp\.?)\s+")


def province_key(name: str) -> str:
    """A province name as compared: folded, single-spaced, without "tỉnh" / "thành phố" / "TP."."""
    return _PROVINCE_PREFIX.sub("", " ".join(fold(name).split()))


def in_province(site: Site, name: str) -> bool:
    """Whether ``site`` is in the province ``name`` (its current or pre-2025 name, diacritics and
    "tỉnh" / "thành phố" optional)."""
    key = province_key(name)
    return bool(key) and key in (province_key(site.province), province_key(site.province_before_2025))


def sites_in_provinces(names: Iterable[str]) -> set[str]:
    """Domains of the registered portals in these provinces, and the portals that took over from
    them (``successor``): a province merged in 2025 is found by its former name with the portal of
    the province it joined, as by the new name. UnknownProvince for a name that matches none."""
    registry = load_registry()
    domains: set[str] = set()
    for name in names:
        found = {domain for domain, site in registry.items() if in_province(site, name)}
        if not found:
            close = closest_provinces(name)
            hint = f"; closest: {', '.join(close)}" if close else ""
            raise UnknownProvince(f"no province {name!r} in the registry{hint} (`portal-archive sites` lists the portals)")
        domains |= found | {s for domain in found for s in successors(domain)}
    return domains


def successors(domain: str) -> list[str]:
    """The sites that took over from ``domain``, nearest first (its successor, that one's, …)."""
    registry, chain = load_registry(), []
    current = registry.get(domain)
    while current is not None and current.successor and current.successor not in chain and current.successor != domain:
        chain.append(current.successor)
        current = registry.get(current.successor)
    return chain


def province_names() -> list[str]:
    """Every province name the registry knows, current and pre-2025, as it spells them."""
    names = {n for site in load_registry().values() for n in (site.province, site.province_before_2025) if n}
    return sorted(names, key=province_key)


def closest_provinces(name: str, n: int = 3) -> list[str]:
    """The known province names nearest to ``name``, compared as ``province_key`` compares them."""
    import difflib

    by_key: dict[str, str] = {}
    for known in province_names():
        by_key.setdefault(province_key(known), known)
    return [by_key[k] for k in difflib.get_close_matches(province_key(name), list(by_key), n=n, cutoff=0.6)]


def site_places() -> dict[str, dict[str, str]]:
    """domain → name, province, province_before_2025 of every registered portal."""
    return {
        d: {"name": s.name, "province": s.province, "province_before_2025": s.province_before_2025}
        for d, s in load_registry().items()
    }
