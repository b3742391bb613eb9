"""Canonical URLs (one article, one URL, however a portal links to it) and site ids (one site,
one id, however a user or a link names it)."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that never identify content: session ids and link tracking.
SESSION_PARAMS = frozenset({"asp.net_sessionid", "jsessionid", "phpsessid", "sid", "sessionid", "cfid", "cftoken"})
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "zarsrc", "_ga", "_gl", "mc_cid", "mc_eid", "yclid", "igshid"})
_SESSION_PATH = re.compile(r"/\((?:[A-Z]\([^)]*\))+\)|;jsessionid=[^/?#]*", re.I)  # ASP.NET (S(...)), Java
_DEFAULT_PORTS = {"http": 80, "https": 443}
_KEPT = {"%3A": ":", "%2F": "/", "%40": "@", "%2C": ","}
_KEEP_IN_QUERY = re.compile("|".join(_KEPT), re.I)


def is_junk_param(name: str, extra: frozenset[str] = frozenset()) -> bool:
    """A query parameter that never identifies content: a session id or link tracking (or one of ``extra``)."""
    low = name.lower()
    return low in SESSION_PARAMS or low in TRACKING_PARAMS or low.startswith("utm_") or low in extra


# Remembered: a portal's menus, footers and related lists repeat the same links on every page.
@lru_cache(maxsize=1 << 12)
def canonicalize(url: str, drop_params: frozenset[str] = frozenset()) -> str:
    """Lower-case scheme and host, no default port, no fragment, no session or tracking
    parameters (nor ``drop_params``), the other parameters sorted:
    ``http://SDL.x.vn:80/?tc=4335&cn=121&gd=4&utm_source=zalo#top`` → ``http://sdl.x.vn/?cn=121&gd=4&tc=4335``.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = _port(parts, url)
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = _SESSION_PATH.sub("", parts.path) or "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_junk_param(k, drop_params)])
    canonical = canonicalize_url(urlunsplit((scheme, host, path, query, "")))
    # Keep in query values what browsers show as is (Joomla's "id=1605:slug", "ngay=28/08/2020").
    head, sep, tail = canonical.partition("?")
    return head + sep + _KEEP_IN_QUERY.sub(lambda m: _KEPT[m.group().upper()], tail)


def site_of(url: str) -> str:
    """The site a URL belongs to: its host, lower-case, without ``www.`` (``:port`` if not default)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    port = _port(parts, url)
    if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return host


def site_id(name_or_url: str) -> str:
    """The site id of what a user or a registry row names: a domain (``www.`` optional, any case,
    a trailing slash allowed) or any URL on the site (``site_of``)."""
    value = name_or_url.strip()
    return site_of(value) if "://" in value else value.lower().removeprefix("www.").rstrip("/")


def _port(parts: SplitResult, url: str) -> int | None:
    try:
        return parts.port
    except ValueError:  # ":99999", ":abc"
        raise ValueError(f"not a usable URL: {url!r}") from None


@lru_cache(maxsize=1 << 12)
def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")
