"""Republished copies: the form in which two articles' bodies are compared, pure functions.

An article's body is compared as its syllables (``portals.folding.fold``: NFC, lower-case, no
diacritics, đ→d; punctuation and whitespace dropped), without its credit line ("Theo
www.thuathienhue.gov.vn", "Nguồn: Báo Thừa Thiên Huế") when the body carries one. Two bodies
with the same syllables are **exact** copies (``body_key``); two whose sets of 3-syllable
shingles have a Jaccard similarity of at least ``NEAR_THRESHOLD`` are **near** copies,
estimated from MinHash signatures (datasketch's ``MinHash``, ``NUM_PERM`` permutations) and
found through locality-sensitive hashing: the signature cut into ``BANDS`` bands of ``ROWS``
values, two articles sharing a band's values being candidates (``band_keys``). The bands are
kept in the archive (``archive.copies``) rather than in datasketch's ``MinHashLSH``, whose index
lives in memory (or Redis, Cassandra) and would be rebuilt by every process.

``NEAR_THRESHOLD`` is 0.5, measured on the fixtures (``tests/test_copies.py``): a copy whose
first paragraph was rewritten keeps 0.67 of the original's shingles; the saved thuathienhue.gov.vn
articles with their last paragraph cut keep 0.65-0.93; two distinct articles of the twelve saved
portals, the same topic and site included, share at most 0.24 (two district portals' reports of
the same training course), the other pairs under 0.12. With 32 bands of 4 rows, a pair at 0.5 is
a candidate with probability 0.87, at 0.6 with 0.99, at 0.2 with 0.05; candidates are kept when
their signatures estimate at least 0.5.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from .folding import fold
from .urls import site_id

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

NUM_PERM = 128
BANDS, ROWS = 32, 4  # BANDS * ROWS == NUM_PERM
SHINGLE = 3  # syllables per shingle
NEAR_THRESHOLD = 0.5
MIN_SYLLABLES = 40  # shorter bodies ("Xem file đính kèm") are never linked

_SYLLABLE = re.compile(r"\w+")
# A last paragraph that credits the text to someone else: "Theo …", "Nguồn: …" (folded).
_CREDIT = re.compile(r"^\W*(?:theo|nguon)\b")
_CREDIT_WORDS = 16
# A domain named in a credit line: "www.thuathienhue.gov.vn", "hue.gov.vn/tin-tuc".
_DOMAIN = re.compile(r"\b(?:www\.)?((?:[a-z0-9-]+\.)+(?:vn|com|net|org))\b")
_CREDIT_WORD = re.compile(r"^\W*(?:theo|nguon)\b\W*")
# What portals put before their name: "Cổng Thông tin điện tử tỉnh …", "Trang TTĐT …" (folded).
_PORTAL_PREFIX = re.compile(r"^(?:cong|trang) (?:thong tin dien tu|ttdt|tt dt) ")


def syllables(body: str | None, credit: str | None = None) -> list[str]:
    """The body's syllables as compared: folded, without a last paragraph that is the credit line
    (``credit``, the record's ``source.text``) or a short one that credits someone ("Theo …",
    "Nguồn: …")."""
    folded = fold(body or "").rstrip()
    head, _, last = folded.rpartition("\n")
    words = _SYLLABLE.findall(last)
    if head.strip() and words:
        credited = _CREDIT.match(last) and len(words) <= _CREDIT_WORDS
        if credited or words == _SYLLABLE.findall(fold(credit or "")):
            folded = head
    return _SYLLABLE.findall(folded)


def body_key(words: list[str]) -> str | None:
    """The key of exact copies (the SHA-1 of the syllables), or None for a body too short to link."""
    if len(words) < MIN_SYLLABLES:
        return None
    return hashlib.sha1(" ".join(words).encode()).hexdigest()


def shingles(words: list[str], size: int = SHINGLE) -> set[bytes]:
    """The distinct runs of ``size`` syllables."""
    return {" ".join(run).encode() for run in zip(*(words[i:] for i in range(size)), strict=False)}


def jaccard(a: set[bytes], b: set[bytes]) -> float:
    """The exact Jaccard similarity of two sets of shingles."""
    return len(a & b) / len(a | b) if a or b else 0.0


@cache
def _empty_minhash() -> Any:
    from datasketch import MinHash

    # The scheme and seed named: signatures are stored, and must stay comparable across versions.
    # Shingles come hashed (``_shingle_hashes``): the hash function is the identity.
    return MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32", hashfunc=int)


def _shingle_hashes(words: list[str]) -> Any:
    """The distinct 32-bit hashes of the body's shingles: each syllable's CRC-32, combined
    (FNV's prime) over the ``SHINGLE`` syllables of a shingle, in numpy rather than one by one."""
    import numpy as np

    crc = {w: zlib.crc32(w.encode()) for w in set(words)}
    ids = np.fromiter(map(crc.__getitem__, words), dtype=np.uint64, count=len(words))
    count = len(words) - SHINGLE + 1
    hashes = ids[:count].copy()
    for k in range(1, SHINGLE):
        hashes = hashes * np.uint64(0x01000193) + ids[k : k + count]
    return np.unique(hashes & np.uint64(0xFFFFFFFF))


def signature(words: list[str]) -> bytes | None:
    """The MinHash signature of the body's shingles (``NUM_PERM`` little-endian 32-bit values),
    or None for a body too short to link."""
    if len(words) < MIN_SYLLABLES:
        return None
    import numpy as np

    minhash = _empty_minhash().copy()
    minhash.update_batch(_shingle_hashes(words).tolist())
    return bytes(minhash.hashvalues.astype(np.dtype("<u4")).tobytes())


def similarity(a: bytes, b: bytes) -> float:
    """The Jaccard similarity two signatures estimate (the share of equal values)."""
    import numpy as np

    x, y = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(x == y)) / len(x)


def band_keys(sig: bytes) -> list[int]:
    """One key per band (signed 64-bit, the band's number hashed with its values): two signatures
    with a key in common are candidates."""
    width = ROWS * 4
    return [
        int.from_bytes(
            hashlib.blake2b(bytes([band]) + sig[band * width : (band + 1) * width], digest_size=8).digest(), "big", signed=True
        )
        for band in range(BANDS)
    ]


def name_index(names: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Folded site name → domain, for ``named_site``, from (domain, name) pairs (the registry's):
    each name with and without the "Cổng Thông tin điện tử" before it; the first site wins."""
    index: dict[str, str] = {}
    for domain, name in names:
        key = _name_key(name)
        index.setdefault(key, domain)
        if _PORTAL_PREFIX.match(key):
            index.setdefault(_PORTAL_PREFIX.sub("", key), domain)
    return index


def named_site(text: str | None, publisher: str | None, names: Mapping[str, str]) -> str | None:
    """The site a credit line names, as a site id: a domain in it ("theo www.thuathienhue.gov.vn"),
    else a site whose name it is (``names``: ``name_index`` of the registry), with or without the
    "Cổng Thông tin điện tử" before it ("Nguồn: Cổng Thông tin điện tử thành phố Huế", "Theo Cổng
    TTĐT tỉnh Thừa Thiên Huế"). None when it names no known site ("Báo Thừa Thiên Huế" is a
    newspaper, not a portal)."""
    for value in (publisher, text):
        if value and (found := _DOMAIN.search(value.lower())):
            return site_id(found.group(1))
    for value in (publisher, text):
        if not value:
            continue
        key = _name_key(_CREDIT_WORD.sub("", fold(value)))
        for candidate in (key, _PORTAL_PREFIX.sub("", key)):
            if candidate and candidate in names:
                return names[candidate]
    return None


def _name_key(name: str) -> str:
    return " ".join(_SYLLABLE.findall(fold(name)))


@dataclass(frozen=True)
class Fingerprint:
    """What an article's copies are found by, computed from its record alone: the key of its
    exact copies, its MinHash signature and band keys (None and empty for a body too short to
    link) and the site its credit line names. The crawl computes it in its extraction workers,
    beside the record (``PageAnalysis.fingerprint``), so that the archive's writer only looks
    the keys up; ``archive.copies`` computes it itself for a record that comes without one."""

    body_key: str | None
    minhash: bytes | None
    bands: tuple[int, ...]
    named_site: str | None


@cache
def registry_names() -> dict[str, str]:
    """``name_index`` of the registry's sites."""
    from .registry import load_registry

    return name_index((domain, site.name) for domain, site in load_registry().items())


def fingerprint(body: str | None, credit: str | None, publisher: str | None) -> Fingerprint:
    """The fingerprint of a body and its credit line (``source.text``, ``source.publisher``)."""
    words = syllables(body, credit)
    sig = signature(words)
    return Fingerprint(
        body_key(words), sig, tuple(band_keys(sig)) if sig is not None else (), named_site(credit, publisher, registry_names())
    )


def record_fingerprint(record: Any) -> Fingerprint:
    """``fingerprint`` of an extracted record (``portals.extract.Record``)."""
    source = record.source
    return fingerprint(record.body, source.text if source else None, source.publisher if source else None)
