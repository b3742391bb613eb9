"""Republished copies: which articles of other portals carry the same text, and which archived
article a credit line points to as the original.

Found in passes behind the writes: the transaction that stores new articles and new versions
(``archive.store.Archive.write``) lists them as waiting (``copy_pending``), and a pass
(``link_waiting``, through ``Archive.link_copies``) takes many of them at once. A crawl runs one
when ``COPY_PASS`` articles wait and when it ends; ``merge`` and ``reextract`` when they end;
``Archive.add_articles`` at once. A kill between the two leaves them waiting for the next pass.
Each article gets its fingerprint (``portals.copies.Fingerprint``; the crawl computes it in its
extraction workers, beside the record) in ``copy_signatures`` (the key of its exact copies, its
MinHash signature, the site its credit line names) and its band keys in ``copy_bands``; it is
then compared only with the articles sharing its body key or one of its band keys, never with
the whole archive, and the copies found are linked both ways (``article_copies``). The band keys
are hashes: every insertion lands on another page of their B-tree, which costs the same for one
key as for many on that page, so a pass over many articles writes each page once for many
keys where a pass per write would write it again and again. Articles of the same site are never
copies of each other: the band keys are kept by site, and a lookup reads the other sites' keys
only (pages of one site made from one template share all their keys). How bodies are compared, and the threshold of near copies:
``portals.copies``.

``rebuild`` does the same for every article (archives made before copies were linked).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlite_utils

from portals.copies import NEAR_THRESHOLD, Fingerprint, band_keys, fingerprint, similarity

_LOOKUP = 500  # URLs looked up per statement


def link_waiting(db: sqlite_utils.Database, given: Mapping[str, tuple[str, Fingerprint]], limit: int) -> int:
    """Find and link the copies of up to ``limit`` of the articles waiting for it
    (``copy_pending``: new articles and new versions), inside the caller's transaction; they
    stop waiting. Those whose copies were found for their current content already are left
    as they are. ``given``: URL → (content hash, fingerprint) of records written (``Archive``'s
    writes keep those the crawl computed), used for an article still of that content instead
    of computing it here. Return how many articles stopped waiting."""
    rows = db.execute(
        "SELECT a.id, a.url, a.site, a.body, a.source_text, a.source_publisher, a.content_hash, s.minhash, "
        "s.article_id IS NOT NULL, s.content_hash IS a.content_hash FROM copy_pending p "
        "JOIN articles a ON a.id = p.article_id LEFT JOIN copy_signatures s ON s.article_id = a.id "
        "ORDER BY p.article_id LIMIT ?",
        [limit],
    ).fetchall()
    changed = []
    for row in rows:
        if not row[9]:
            digest, print_ = given.get(row[1], ("", None))
            changed.append(_Changed(*row[:3], print_ if digest == row[6] else fingerprint(*row[3:6]), *row[6:9]))  # type: ignore[arg-type]
    _link_all(db, changed)
    db.execute(
        "DELETE FROM copy_pending WHERE article_id IN (SELECT value FROM json_each(?))", [json.dumps([row[0] for row in rows])]
    )
    return len(rows)


def rebuild(db: sqlite_utils.Database, *, batch: int = 500) -> int:
    """Find the copies of every article again, ``batch`` articles per transaction; return how
    many articles were looked at."""
    from .schema import transaction

    done, last = 0, 0
    while True:
        rows = db.execute(
            "SELECT a.id, a.url, a.site, a.body, a.source_text, a.source_publisher, a.content_hash, s.minhash, "
            "s.article_id IS NOT NULL FROM articles a LEFT JOIN copy_signatures s ON s.article_id = a.id "
            "WHERE a.id > ? ORDER BY a.id LIMIT ?",
            [last, batch],
        ).fetchall()
        if not rows:
            return done
        with transaction(db):
            _link_all(db, [_Changed(*row[:3], fingerprint(*row[3:6]), *row[6:]) for row in rows])
            db.execute("DELETE FROM copy_pending WHERE article_id > ? AND article_id <= ?", [last, rows[-1][0]])
        done += len(rows)
        last = rows[-1][0]


@dataclass(frozen=True)
class _Changed:
    """An article whose copies are looked for: its fingerprint, and what it had before (if ``known``)."""

    id: int
    url: str
    site: str
    print: Fingerprint
    digest: str
    old_minhash: bytes | None
    known: bool


def _link_all(db: sqlite_utils.Database, changed: Sequence[_Changed]) -> None:
    """The articles' signatures, band keys and copies, replacing what they had, in a few
    statements for all of them: their exact and near candidates are looked up at once, among
    the archived articles and among themselves (``_candidates``)."""
    if not changed:
        return
    old = [c for c in changed if c.known]
    if old:
        gone = [(key, c.site, c.id) for c in old if c.old_minhash is not None for key in band_keys(c.old_minhash)]
        db.conn.executemany("DELETE FROM copy_bands WHERE band_key = ? AND site = ? AND article_id = ?", gone)
        mine = json.dumps([c.id for c in old])
        db.execute(  # links are stored both ways: the reverse ones by their key
            "DELETE FROM article_copies WHERE (article_id, copy_id) IN "
            "(SELECT copy_id, article_id FROM article_copies WHERE article_id IN (SELECT value FROM json_each(?)))",
            [mine],
        )
        db.execute("DELETE FROM article_copies WHERE article_id IN (SELECT value FROM json_each(?))", [mine])
    db.conn.executemany(
        "INSERT OR REPLACE INTO copy_signatures (article_id, content_hash, body_key, minhash, named_site) VALUES (?, ?, ?, ?, ?)",
        [(c.id, c.digest, c.print.body_key, c.print.minhash, c.print.named_site) for c in changed],
    )
    linkable = [c for c in changed if c.print.body_key is not None and c.print.minhash is not None]
    found = _candidates(db, linkable) if linkable else {}
    db.conn.executemany(  # sorted: the keys are hashes, and a B-tree takes them best in order
        "INSERT INTO copy_bands (band_key, site, article_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        sorted((key, c.site, c.id) for c in changed for key in c.print.bands),
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO article_copies (article_id, copy_id, kind, similarity) VALUES (?, ?, ?, ?)",
        [row for (a, b), (kind, value) in found.items() for row in ((a, b, kind, value), (b, a, kind, value))],
    )


def _candidates(db: sqlite_utils.Database, linkable: Sequence[_Changed]) -> dict[tuple[int, int], tuple[str, float]]:
    """(article, copy) → (kind, similarity) of the copies of ``linkable`` among the archived
    articles (their band keys not stored yet) and among themselves."""
    found: dict[tuple[int, int], tuple[str, float]] = {}
    by_key: dict[str, list[_Changed]] = {}
    for c in linkable:
        by_key.setdefault(c.print.body_key, []).append(c)  # type: ignore[arg-type]
    for key, other, other_site in db.execute(
        "SELECT s.body_key, s.article_id, a.site FROM copy_signatures s JOIN articles a ON a.id = s.article_id "
        "WHERE s.body_key IN (SELECT value FROM json_each(?))",
        [json.dumps(list(by_key))],
    ):
        for c in by_key[key]:
            if other != c.id and other_site != c.site:
                found[c.id, other] = ("exact", 1.0)
    by_band: dict[tuple[int, str], list[_Changed]] = {}
    for c in linkable:
        for key in c.print.bands:
            by_band.setdefault((key, c.site), []).append(c)
    pairs: set[tuple[int, int]] = set()
    # The articles of other sites sharing a band key: two ranges of the key's rows, around the
    # site's own (which may be a template's thousands).
    wanted = json.dumps(list(by_band))
    for key, site, other in db.execute(
        "WITH w (key, site) AS MATERIALIZED (SELECT value ->> 0, value ->> 1 FROM json_each(?)) "
        "SELECT w.key, w.site, b.article_id FROM w JOIN copy_bands b ON b.band_key = w.key AND b.site < w.site "
        "UNION ALL SELECT w.key, w.site, b.article_id FROM w JOIN copy_bands b ON b.band_key = w.key AND b.site > w.site",
        [wanted],
    ):
        pairs.update((c.id, other) for c in by_band[key, site])
    by_key: dict[int, dict[str, list[_Changed]]] = {}  # among themselves: band key → site → articles
    for (key, site), group in by_band.items():
        by_key.setdefault(key, {})[site] = group
    for sites in by_key.values():
        if len(sites) > 1:
            for site, group in sites.items():
                others = [o.id for s, g in sites.items() if s != site for o in g]
                pairs.update((c.id, o) for c in group for o in others)
    pairs -= found.keys()
    if pairs:
        others = {other for _, other in pairs}
        known = {
            other: (site, sig)
            for other, site, sig in db.execute(
                "SELECT s.article_id, a.site, s.minhash FROM copy_signatures s JOIN articles a ON a.id = s.article_id "
                "WHERE s.article_id IN (SELECT value FROM json_each(?))",
                [json.dumps(sorted(others))],
            )
        }
        mine = {c.id: c for c in linkable}
        for this, other in pairs:
            c = mine[this]
            site, sig = known.get(other, (None, None))
            if sig is not None and site != c.site and (value := similarity(c.print.minhash, sig)) >= NEAR_THRESHOLD:  # type: ignore[arg-type]
                found[this, other] = ("near", value)
    return found


# -- reading -------------------------------------------------------------------------------------
def linked(db: sqlite_utils.Database) -> bool:
    """Whether this archive has the copies' tables (an older one opened read-only has not)."""
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'article_copies'").fetchone() is not None


def copies_of(db: sqlite_utils.Database, article_id: int) -> list[dict[str, Any]]:
    """The article's copies on other sites, oldest first: id, site, url, title, date, kind
    (exact or near) and similarity (1.0 for exact; the estimated Jaccard similarity for near)."""
    if not linked(db):
        return []
    return list(
        db.query(
            "SELECT a.id, a.site, a.url, a.title, a.date, c.kind, round(c.similarity, 2) AS similarity "
            "FROM article_copies c JOIN articles a ON a.id = c.copy_id WHERE c.article_id = ? "
            "ORDER BY coalesce(a.date, a.first_seen), a.id",
            [article_id],
        )
    )


def original_of(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    """The archived original of an article whose credit line names another site: the
    earliest-dated of its copies on that site (id, site, url, title, date, kind, similarity and
    the site named), or None."""
    if not linked(db):
        return None
    row = db.execute(
        "SELECT s.named_site FROM copy_signatures s JOIN articles a ON a.id = s.article_id "
        "WHERE s.article_id = ? AND s.named_site IS NOT NULL AND s.named_site != a.site",
        [article_id],
    ).fetchone()
    if row is None:
        return None
    named = row[0]
    for copy in copies_of(db, article_id):
        if copy["site"] == named:
            return {**copy, "named_site": named}
    return None


def collapse(db: sqlite_utils.Database, hits: Sequence[Any], limit: int | None = None) -> list[Any]:
    """One hit per story, in the hits' order: a hit whose article is a copy of an earlier hit's
    (or of an article whose copy an earlier hit is) is left out. Each hit kept gets ``copies``,
    the number of copies its article has on other sites (hits are dataclasses: a copy of each is
    returned with that field added, ``to_dict`` giving it too). At most ``limit`` hits."""
    ids = [hit.id for hit in hits]
    groups: dict[int, list[int]] = {i: [] for i in ids}
    if ids and linked(db):
        for start in range(0, len(ids), _LOOKUP):
            part = ids[start : start + _LOOKUP]
            for article_id, copy_id in db.execute(
                f"SELECT article_id, copy_id FROM article_copies WHERE article_id IN ({', '.join('?' for _ in part)})", part
            ):
                groups[article_id].append(copy_id)
    kept: list[Any] = []
    seen: set[int] = set()
    for hit in hits:
        story = {hit.id, *groups[hit.id]}
        if story & seen:
            seen |= story
            continue
        seen |= story
        kept.append(_with_copies(hit, len(groups[hit.id])))
        if limit is not None and len(kept) >= limit:
            break
    return kept


def _with_copies(hit: Any, copies: int) -> Any:
    """The hit with a ``copies`` count: an instance of a subclass of its class with that field."""
    cls = _collapsed_class(type(hit))
    return cls(**{f: getattr(hit, f) for f in hit.__dataclass_fields__}, copies=copies)


@cache
def _collapsed_class(base: type) -> type:
    def to_dict(self: Any) -> dict[str, Any]:
        return {**base.to_dict(self), "copies": self.copies}

    cls = dataclass(type(f"Collapsed{base.__name__}", (base,), {"__annotations__": {"copies": int}, "copies": 0}))
    cls.to_dict = to_dict  # type: ignore[attr-defined]
    return cls


# The browser's canned query (``archive.web``): each story once (its earliest article), by copies.
MOST_REPUBLISHED_SQL = """
SELECT a.id, a.title, a.site, a.date, a.url, count(*) AS copies,
       group_concat(DISTINCT b.site) AS republished_on, max(c.kind = 'exact') AS has_exact_copy
FROM article_copies c JOIN articles a ON a.id = c.article_id JOIN articles b ON b.id = c.copy_id
WHERE NOT EXISTS (
    SELECT 1 FROM article_copies e JOIN articles o ON o.id = e.copy_id
    WHERE e.article_id = a.id AND (coalesce(o.date, ''), o.id) < (coalesce(a.date, ''), a.id)
)
GROUP BY a.id
ORDER BY copies DESC, a.date DESC
"""


def most_republished(db: sqlite_utils.Database, limit: int = 20) -> list[dict[str, Any]]:
    """The stories with the most copies: each once, as its earliest article (id, title, site,
    date, url), with its number of copies, the sites that republished it and whether one copy
    is exact."""
    if not linked(db):
        return []
    return list(db.query(f"{MOST_REPUBLISHED_SQL} LIMIT ?", [limit]))
