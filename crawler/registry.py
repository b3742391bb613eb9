"""The portal registry: the known portals, as data (``registry.csv``), one row per site.

Archivists add a portal by adding a row. Columns: ``domain`` (the site id: host without
``www.``), ``name``, ``province`` (since 1 July 2025), ``province_before_2025``, ``level``
(province / department / district / commune), ``family`` (a profile name, or empty when
unknown), ``start_urls`` (space-separated), ``status`` (active / moved / retired / merged),
``successor`` (the site that took over, if any), ``source`` (where the row comes from) and
``confirmed`` (what of it was confirmed: domain, family).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .urls import site_of

# A package resource, so the registry loads from a zipped egg too (Scrapyd deploys eggs).
REGISTRY_FILE: Traversable = files(__package__ or "crawler") / "registry.csv"
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
    source: str
    confirmed: str

    def as_row(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "name": self.name,
            "province": self.province,
            "province_before_2025": self.province_before_2025,
            "level": self.level,
            "family": self.family,
            "start_urls": " ".join(self.start_urls),
            "status": self.status,
            "successor": self.successor,
            "source": self.source,
            "confirmed": self.confirmed,
        }


def _site(row: dict[str, str], line: int) -> Site:
    domain = (row.get("domain") or "").strip().lower().removeprefix("www.")
    if not domain:
        raise RegistryError(f"registry line {line}: empty domain")
    level, status = row.get("level", "").strip(), row.get("status", "").strip()
    if level not in LEVELS:
        raise RegistryError(f"registry line {line}: level {level!r} is not one of {', '.join(LEVELS)}")
    if status not in STATUSES:
        raise RegistryError(f"registry line {line}: status {status!r} is not one of {', '.join(STATUSES)}")
    starts = tuple((row.get("start_urls") or "").split()) or (f"https://{domain}/",)
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
    key = site_of(name_or_url) if "://" in name_or_url else name_or_url.strip().lower().removeprefix("www.").rstrip("/")
    return load_registry().get(key)
