"""Republished copies: which articles of other portals carry the same text, and which archived
article a credit line points to as the original.

Found at ingest: ``link_copies`` runs inside the transaction that stores articles
(``archive.store.Archive._add_articles``) and looks at those whose content changed since their
copies were last found. Each such article gets a signature (``copy_signatures``: the key of its
exact copies, its MinHash signature, the site its credit line names) and its band keys
(``copy_bands``); it is then compared only with the articles sharing its body key or one of its
band keys, never with the whole archive, and the copies found are linked both ways
(``article_copies``). Articles of the same site are never copies of each other. How bodies are
compared, and the threshold of near copies: ``portals.copies``.

``rebuild`` does the same for every article (archives made before copies were linked).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlite_utils

from portals.copies import NEAR_THRESHOLD, band_keys, body_key, name_index, named_site, signature, similarity, syllables
from portals.registry import load_registry

_LOOKUP = 500  # URLs looked up per statement


@cache
def _registry_names() -> dict[str, str]:
    return name_index((domain, site.name) for domain, site in load_registry().items())


def link_copies(db: sqlite_utils.Database, urls: Iterable[str]) -> int:
    """Find and link the copies of the articles at ``urls`` whose content changed since their
    copies were last found (new articles, new versions); inside the caller's transaction.
    Return how many articles were looked at."""
    urls = list(dict.fromkeys(urls))
    done = 0
    for start in range(0, len(urls), _LOOKUP):
        part = urls[start : start + _LOOKUP]
        rows = db.execute(
            "SELECT a.id, a.site, a.body, a.source_text, a.source_publisher, a.content_hash, s.article_id IS NOT NULL "
            "FROM articles a "
            "LEFT JOIN copy_signatures s ON s.article_id = a.id "
            f"WHERE a.url IN ({', '.join('?' for _ in part)}) AND s.content_hash IS NOT a.content_hash",
            part,
        ).fetchall()
        for row in rows:
            _link(db, *row)
        done += len(rows)
    return done


def rebuild(db: sqlite_utils.Database, *, batch: int = 500) -> int:
    """Find the copies of every article again, ``batch`` articles per transaction; return how
    many articles were looked at."""
    from .schema import transaction

    done, last = 0, 0
    while True:
        rows = db.execute(
            "SELECT id, site, body, source_text, source_publisher, content_hash, 1 FROM articles "
            "WHERE id > ? ORDER BY id LIMIT ?",
            [last, batch],
        ).fetchall()
        if not rows:
            return done
        with transaction(db):
            for row in rows:
                _link(db, *row)
        done += len(rows)
        last = rows[-1][0]


def _link(
    db: sqlite_utils.Database,
    article_id: int,
    site: str,
    body: str | None,
    credit: str | None,
    publisher: str | None,
    digest: str,
    known: bool,
) -> None:
    """One article's signature, band keys and copies, replacing what it had (if ``known``)."""
    if known:
        db.execute("DELETE FROM copy_bands WHERE article_id = ?", [article_id])
        db.execute(  # links are stored both ways: the reverse ones by their key
            "DELETE FROM article_copies WHERE (article_id, copy_id) IN "
            "(SELECT copy_id, article_id FROM article_copies WHERE article_id = ?)",
            [article_id],
        )
        db.execute("DELETE FROM article_copies WHERE article_id = ?", [article_id])
    words = syllables(body, credit)
    key, sig = body_key(words), signature(words)
    db.execute(
        "INSERT OR REPLACE INTO copy_signatures (article_id, content_hash, body_key, minhash, named_site) VALUES (?, ?, ?, ?, ?)",
        [article_id, digest, key, sig, named_site(credit, publisher, _registry_names())],
    )
    if key is None or sig is None:
        return
    found: dict[int, tuple[str, float]] = {
        other: ("exact", 1.0)
        for (other,) in db.execute(
            "SELECT s.article_id FROM copy_signatures s JOIN articles a ON a.id = s.article_id "
            "WHERE s.body_key = ? AND s.article_id != ? AND a.site != ?",
            [key, article_id, site],
        )
    }
    keys = band_keys(sig)
    candidates = db.execute(
        "SELECT s.article_id, s.minhash FROM copy_signatures s JOIN articles a ON a.id = s.article_id "
        f"WHERE s.article_id IN (SELECT article_id FROM copy_bands WHERE band_key IN ({', '.join('?' for _ in keys)})) "
        "AND s.article_id != ? AND a.site != ?",
        [*keys, article_id, site],
    )
    for other, other_sig in candidates:
        if other not in found and (value := similarity(sig, other_sig)) >= NEAR_THRESHOLD:
            found[other] = ("near", value)
    db.conn.executemany(
        "INSERT INTO copy_bands (band_key, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [(k, article_id) for k in keys]
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO article_copies (article_id, copy_id, kind, similarity) VALUES (?, ?, ?, ?)",
        [
            row
            for other, (kind, value) in found.items()
            for row in ((article_id, other, kind, value), (other, article_id, kind, value))
        ],
    )


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
