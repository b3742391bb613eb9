"""Which network addresses a crawl may connect to.

A portal's links, or its redirects, may point anywhere: at a cloud's metadata service
(169.254.169.254), at the machine's own services, at a private network. A crawl never connects
to a link-local address (169.254.0.0/16, fe80::/10) nor to an unspecified, multicast or reserved
one; to a loopback or private address only when one of its start URLs is itself there (a sample
portal or a replay server on 127.0.0.1, an intranet portal). The check is made on the address
connected to: ``GuardedResolver`` checks every name after DNS resolution (so a name that
resolves, or is made to resolve, to a private address is caught, redirects included), and
``AddressGuardMiddleware`` checks URLs whose host is an address. Through a proxy, names are
resolved by the proxy: only address hosts are checked.

The resolver is one per process (Scrapy installs it on the reactor), so the allowance is too:
the start URLs of every crawl of the process.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from scrapy.utils.httpobj import urlparse_cached

_START_HOSTS: set[str] = set()  # host names of start URLs: what they resolve to is allowed
_ALLOWED: set[str] = set()  # "loopback" / "private": allowed because a start URL is there


class AddressRefused(Exception):
    """A request whose address a crawl may not connect to."""


def kind_of(address: str) -> str:
    """``public``, ``loopback``, ``private`` or ``forbidden`` (link-local, unspecified, multicast,
    reserved) for an IPv4 or IPv6 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local or ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "forbidden"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")):
        return "private"
    return "public"


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def allow_start(urls: list[str]) -> None:
    """Allow what the start URLs of a crawl are: an address host's kind at once, a name's kind
    once it resolves."""
    for url in urls:
        host = (urlsplit(url).hostname or "").lower()
        address = _literal(host)
        if address is None:
            _START_HOSTS.add(host)
        elif kind_of(address) in ("loopback", "private"):
            _ALLOWED.add(kind_of(address))


def refusal(address: str, host: str | None = None) -> str | None:
    """Why a crawl may not connect to ``address`` (reached through ``host``), or None."""
    kind = kind_of(address)
    if kind == "forbidden":
        return f"{address} is a link-local, unspecified, multicast or reserved address"
    if kind in ("loopback", "private"):
        if host is not None and host in _START_HOSTS:
            _ALLOWED.add(kind)  # the start URL itself is there
        if kind not in _ALLOWED:
            return f"{address} is a {kind} address, and no start URL of the crawl is"
    return None


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to addresses a crawl may not reach."""

    def getHostByName(self, name: str, timeout: Any = ()) -> Any:  # noqa: N802 (Twisted's interface)
        d = super().getHostByName(name, timeout)

        def check(address: str) -> str:
            why = refusal(address, name.lower())
            if why:
                raise AddressRefused(f"{name}: {why}")
            return address

        return d.addCallback(check)


class AddressGuardMiddleware:
    """Refuse requests whose host is an address a crawl may not connect to (before any
    connection: the resolver never sees such hosts). Registers the crawl's start URLs."""

    def __init__(self, crawler: Crawler):
        proxy = crawler.settings.get("PORTAL_PROXY")  # where the user sends every request
        allow_start([*getattr(crawler.spider, "start_urls", []), *([proxy] if proxy else [])])

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AddressGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).hostname or ""
        address = _literal(host)
        if address is not None and (why := refusal(address)):
            raise AddressRefused(f"{request.url}: {why}")
