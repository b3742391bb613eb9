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

from .. import speedups

try:  # the regular-expression parser (its module name until Python 3.11)
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover
    import sre_parse as _sre_parse  # type: ignore[no-redef]

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
    feeds: tuple[str, ...] = ()  # the platform's usual feed and sitemap paths, tried on a first crawl
    selectors: dict[str, CSSSelector] = field(default_factory=dict)
    remove: tuple[CSSSelector, ...] = ()
    marker_needles: tuple[tuple[tuple[str, ...], ...], ...] = ()  # for each marker, see needles()

    def __post_init__(self) -> None:
        if len(self.marker_needles) != len(self.markers):
            object.__setattr__(self, "marker_needles", tuple(needles(m) for m in self.markers))

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
        feeds=tuple(urls.get("feeds", ())),
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
    """The family that serves ``host``, if any (matched once per host: the hosts' patterns cost
    a quarter of a millisecond a page)."""
    profiles = load_profiles()
    served = _SERVED.get(id(profiles))
    if served is None or served[0] is not profiles:
        served = _SERVED[id(profiles)] = (profiles, {})
    hosts = served[1]
    if host not in hosts:
        if len(hosts) >= 4096:  # a crawl of many hosts: the cache stays small
            hosts.clear()
        hosts[host] = next((profile for profile in profiles.values() if profile.serves(host)), None)
    return hosts[host]


_SERVED: dict[int, tuple[dict[str, PortalProfile], dict[str, PortalProfile | None]]] = {}


def needles(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """Groups of literal strings such that every match of ``pattern`` contains one string of
    each group; none for a case-insensitive pattern.

    Python's ``re`` searches fast only from a literal prefix; a marker that starts with ``\\b``,
    a character class or an alternation is tried at every position of a 400 KB page, while
    ``needle in text`` rules most pages out at C speed. The groups come in the order worth
    trying: words before markup syntax (``class="`` is on every page), one string before
    several, long before short."""
    if pattern.flags & re.IGNORECASE:
        return ()
    try:
        groups = _required(list(_sre_parse.parse(pattern.pattern, pattern.flags)))
    except Exception:  # an internal parser this version lacks: no shortcut
        return ()
    return tuple(sorted(groups, key=lambda g: (any(len(n) < 3 or _SYNTAX.search(n) for n in g), -min(map(len, g)) / len(g))))


def folded_needles(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """For a case-insensitive pattern, groups of lower-case ASCII strings such that every match
    contains one string of each group once its ASCII letters are lower-cased; none for another.

    IGNORECASE also matches four letters outside ASCII with ASCII ones (İ and ı with i, K with
    k, ſ with s): a literal is cut around i, k and s, and its longest piece kept."""
    if not pattern.flags & re.IGNORECASE:
        return ()
    try:
        return tuple(_required(list(_sre_parse.parse(pattern.pattern, pattern.flags)), folded=True))
    except Exception:  # an internal parser this version lacks: no shortcut
        return ()


_FOLD_CUT = re.compile("[iks]+")


_SYNTAX = re.compile("[\"'<>]|^(?:class|id|href|src|content)=")


def _required(items: list, *, folded: bool = False) -> list[tuple[str, ...]]:
    """The groups of literals that a match of the parsed sequence ``items`` passes through;
    ``folded``: lower-cased, as ``folded_needles`` gives them."""
    constants = _sre_parse
    groups: list[tuple[str, ...]] = []
    run: list[str] = []
    for op, arg in [*items, (None, None)]:
        if op is constants.LITERAL:
            run.append(chr(arg))
            continue
        if run:
            literal = "".join(run)
            if folded:  # the longest piece without i, k, s, of two ASCII characters or more
                literal = max(_FOLD_CUT.split(literal.lower()) if literal.isascii() else [""], key=len)
            if len(literal) >= (2 if folded else 1):
                groups.append((literal,))
            run = []
        if op is constants.SUBPATTERN:
            if folded or not arg[1] & re.IGNORECASE:  # (a case-insensitive part: no literal of it)
                groups += _required(list(arg[-1]), folded=folded)
        elif op is constants.BRANCH:  # one literal of each branch, if every branch has one
            branches = [_required(list(branch), folded=folded) for branch in arg[1]]
            if all(branches):
                groups.append(tuple(n for branch in branches for n in max(branch, key=lambda g: min(map(len, g)))))
        elif op is constants.MAX_REPEAT or op is constants.MIN_REPEAT:
            low, _high, sub = arg
            if low >= 1:
                groups += _required(list(sub), folded=folded)
    return groups


MIN_MARKER_HITS = 2  # one shared class name ("entry-content", "aspnetForm") proves no platform


def detect_profile(html: str) -> PortalProfile | None:
    """The family whose markers the page shows most of (e.g. ``tandan-``, ``dnn_``), with at
    least two of them, or None."""
    best, best_hits = None, MIN_MARKER_HITS - 1
    head = html[:400_000]
    present: dict[str, bool] = {}  # needle → in the page: each is looked for once

    def has(needle: str, within: tuple[str, ...]) -> bool:
        found = present.get(needle)
        if found is None:  # absent where a needle it holds is absent; else looked for
            found = present[needle] = not any(present.get(n) is False for n in within) and needle in head
        return found

    plan = _detection_plan(load_profiles())
    lowered: set[str] | None = None  # the folded needles in the page, lower-cased (ASCII letters)
    if speedups.scan is not None:  # the needles all looked for in one pass over the page
        needles, folded = _ascii_needles(plan)
        found, lowered = speedups.scan.needles_in(head, needles, folded)
        present.update((n, n in found) for n in needles)
    for profile, markers in plan:
        hits, left = 0, len(markers)
        for marker, groups, folded_groups in markers:
            if hits + left <= best_hits:  # the markers left cannot make this family the best
                break
            left -= 1
            if (
                all(any(has(n, within) for n, within in group) for group in groups)
                and (lowered is None or all(any(n in lowered for n in group) for group in folded_groups))
                and marker.search(head)
            ):
                hits += 1
        if hits > best_hits:
            best, best_hits = profile, hits
    return best


# For each profile, its markers: each with its groups of needles (each needle with the needles it
# holds), and its groups of folded needles.
_Plan = list[
    tuple[PortalProfile, list[tuple[re.Pattern[str], list[list[tuple[str, tuple[str, ...]]]], tuple[tuple[str, ...], ...]]]]
]
_PLANS: dict[int, tuple[dict[str, PortalProfile], _Plan]] = {}


_NEEDLES: dict[int, tuple[_Plan, tuple[tuple[str, ...], tuple[str, ...]]]] = {}


def _ascii_needles(plan: _Plan) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every needle of the plan that is ASCII, and every folded needle (what ``needles_in`` looks for)."""
    known = _NEEDLES.get(id(plan))
    if known is None or known[0] is not plan:
        every = {n for _, markers in plan for _, groups, _ in markers for group in groups for n, _ in group}
        folded = {n for _, markers in plan for _, _, groups in markers for group in groups for n in group}
        known = _NEEDLES[id(plan)] = (plan, (tuple(sorted(n for n in every if n.isascii())), tuple(sorted(folded))))
    return known[1]


def _detection_plan(profiles: dict[str, PortalProfile]) -> _Plan:
    """The profiles' markers in the order ``detect_profile`` tries them, each needle with the
    other needles it holds. A family's hits do not depend on the order of its markers, only what
    a page costs does: a marker whose needle others hold goes first (its absence rules them out
    without a search), a marker without needles (a case-insensitive one, a regex run over the
    whole page) last; within a marker, needles looked for before come first."""
    known = _PLANS.get(id(profiles))
    if known is not None and known[0] is profiles:
        return known[1]
    every = {n for p in profiles.values() for groups in p.marker_needles for g in groups for n in g}
    within = {n: tuple(sorted(m for m in every if m != n and m in n)) for n in every}
    plan: _Plan = []
    seen: set[str] = set()
    for profile in profiles.values():
        items = list(zip(profile.markers, profile.marker_needles, strict=True))
        # How many of the family's other markers hold a needle of this one's first group.
        rules_out = {
            id(item): sum(
                1 for other in items if other is not item and any(n in m for n in item[1][0] for g in other[1] for m in g)
            )
            for item in items
            if item[1]
        }
        items.sort(key=lambda item: (not item[1], -rules_out.get(id(item), 0)))
        markers = []
        for marker, groups in items:
            ordered = sorted(groups, key=lambda g: not any(n in seen for n in g))  # (stable)
            markers.append((marker, [[(n, within[n]) for n in g] for g in ordered], folded_needles(marker)))
            seen.update(n for g in groups[:1] for n in g)
        plan.append((profile, markers))
    _PLANS[id(profiles)] = (profiles, plan)
    return plan
