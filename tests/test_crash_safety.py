"""Crash safety: crawls SIGKILLed at random moments — in the middle of a database batch write, of
a WARC record, or at a random time — then resumed with ``--resume``.

Kills come in chains (kill, resume killed again, …, then a resume that finishes), several chains
at once against one saved portal. After every kill: SQLite's integrity check is ok, no article is
stored twice or half, everything stored before is still stored, and once repaired (what
``portal-archive verify --repair`` does) every stored version's WARC pointer resolves. After each
chain: the archive holds exactly what a clean crawl stores, and ``portal-archive verify --repair``
then ``portal-archive verify`` pass. ``PA_KILL_SEED`` replays the random choices of a run.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.store import Archive
from archive.verify import verify
from archive.warc import read_record
from portal_archive.sample_portal import SamplePortalServer

from . import crawl_hooks
from .conftest import SITES, expected_articles

HOST = "sdl.thuathienhue.gov.vn"
CHAINS = 6  # chains of kills, each ending in a resume that finishes
KILLS_PER_CHAIN = 4
MIN_KILL_POINTS = 20
WORKERS = 3
# Small transactions, written often: more batch writes to be killed in.
SETTINGS = {"ARCHIVE_BATCH_SIZE": 10, "ARCHIVE_FLUSH_SECONDS": 0.5}


@dataclass
class Kill:
    chain: int
    spec: str  # a crawl_hooks PA_TEST_KILL value, or "time:SECONDS"
    landed: bool = False  # the crawl died of it (rather than finishing first)
    cut_tail: bool = False  # it left a WARC file ending in a partial record (which repair cut)
    problems: dict[str, list[str]] = field(default_factory=dict)  # check → what was wrong


@dataclass
class Chain:
    number: int
    kills: list[Kill]
    final_code: int | None = None
    final_err: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)


def _snapshot(db: Path) -> tuple[dict[str, str], dict[tuple[str, str], tuple[str, str | None]]]:
    """(article URL → content hash, (article URL, attachment URL) → (status, sha1)); nothing for
    an archive a kill left uncreated or unmigrated."""
    if not db.exists():
        return {}, {}
    conn = sqlite3.connect(db)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'attachments'").fetchone():
            return {}, {}
        articles = dict(conn.execute("SELECT url, content_hash FROM articles").fetchall())
        attachments = {
            (a, u): (s, h)
            for a, u, s, h in conn.execute(
                "SELECT a.url, t.url, t.status, t.sha1 FROM attachments t JOIN articles a ON a.id = t.article_id"
            )
        }
    finally:
        conn.close()
    return articles, attachments


def _crawl(portal: SamplePortalServer, db: Path, *, resume: bool, kill: str | None, host: str = HOST) -> subprocess.Popen[bytes]:
    args = ["crawl", f"http://{host}/", "--db", str(db), "--proxy", portal.url, "--delay", "0"]
    hook = kill if kill and not kill.startswith("time:") else None
    return subprocess.Popen(
        crawl_hooks.command(*args, *(["--resume"] if resume else [])),
        env=crawl_hooks.environment(settings=SETTINGS, kill=hook),
        cwd=crawl_hooks.REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _verify_cli(db: Path, *options: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        crawl_hooks.command("verify", "--db", str(db), *options),
        env=crawl_hooks.environment(),
        cwd=crawl_hooks.REPO_ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )


def _check_after_kill(kill: Kill, db: Path, before: dict[str, str], clean: dict[str, str]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if not db.exists():  # killed before the archive was created
        return problems
    conn = sqlite3.connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            problems["integrity"] = [integrity]
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'article_versions'").fetchone():
            return problems  # killed before the archive was migrated
        articles, versions, distinct = conn.execute(
            "SELECT count(*), (SELECT count(*) FROM article_versions), count(DISTINCT url) FROM articles"
        ).fetchone()
        if not articles == versions == distinct:
            problems["duplicates"] = [f"{articles} articles, {distinct} URLs, {versions} versions"]
    finally:
        conn.close()
    now, _ = _snapshot(db)
    lost = [u for u, h in before.items() if now.get(u) != h]
    if lost:
        problems["lost"] = lost
    half = [u for u, h in now.items() if clean.get(u) != h]
    if half:
        problems["duplicates"] = [*problems.get("duplicates", []), *(f"{u}: not as a clean crawl stores it" for u in half)]
    # What `portal-archive verify --repair` then `verify` do (the CLI runs them at each chain's end).
    with Archive(db) as archive:
        kill.cut_tail = bool(verify(archive, db.parent / "warc", repair=True).truncated)
    pointer_problems = []
    with Archive(db, readonly=True) as archive:
        report = verify(archive, db.parent / "warc")
        pointer_problems += report.lines() if not report.ok or report.truncated else []
        for url, file, offset in archive.db.execute(
            "SELECT url, warc_file, warc_offset FROM attachments WHERE status = 'fetched' AND warc_file IS NOT NULL"
        ):
            try:
                read_record(db.parent / "warc", file, offset)
            except (OSError, ValueError) as exc:
                pointer_problems.append(f"attachment {url}: {exc}")
    if pointer_problems:
        problems["pointers"] = pointer_problems
    return problems


def _run_chain(chain: Chain, portal: SamplePortalServer, folder: Path, clean: tuple[dict, dict], host: str = HOST) -> Chain:
    db = folder / "archive.sqlite"
    before: dict[str, str] = {}
    for i, kill in enumerate(chain.kills):
        proc = _crawl(portal, db, resume=i > 0, kill=kill.spec, host=host)
        try:
            proc.communicate(timeout=float(kill.spec.split(":")[1]) if kill.spec.startswith("time:") else 120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
        kill.landed = proc.returncode == -signal.SIGKILL
        if not kill.landed:
            if not (kill.spec.startswith("time:") and proc.returncode == 0):  # (a crawl may finish first)
                chain.problems["ended before its kill"] = [f"{kill.spec}: exit {proc.returncode}"]
            break
        kill.problems = _check_after_kill(kill, db, before, clean[0])
        before = _snapshot(db)[0]
    final = _crawl(portal, db, resume=True, kill=None, host=host)
    _, err = final.communicate(timeout=120)
    chain.final_code, chain.final_err = final.returncode, err.decode()
    with sqlite3.connect(db) as conn:  # the chain's last run: nothing left pending, so finished
        (status,) = conn.execute("SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
        pending = conn.execute("SELECT count(*) FROM frontier WHERE status = 'pending'").fetchone()[0]
    if status != "finished" or pending:
        chain.problems["articles"] = [f"the last resume ended {status!r} with {pending} URL(s) pending"]
    articles, attachments = _snapshot(db)
    if articles != clean[0]:
        chain.problems["articles"] = chain.problems.get("articles", []) + [
            f"{u}: {'lost' if u not in articles else 'extra' if u not in clean[0] else 'differs'}"
            for u in sorted(set(articles) | set(clean[0]))
            if articles.get(u) != clean[0].get(u)
        ]
    if attachments != clean[1]:
        chain.problems["attachments"] = [
            f"{k}: {v} (clean: {clean[1].get(k)})" for k, v in attachments.items() if clean[1].get(k) != v
        ]
    for options in (["--repair"], []):
        checked = _verify_cli(db, *options)
        if checked.returncode != 0:
            chain.problems["pointers"] = [checked.stdout.decode() + checked.stderr.decode()]
    return chain


def _kill(rng: random.Random, place: str, *, fresh: bool, clean_seconds: float) -> str:
    """A kill point: anywhere in a fresh crawl (some 20 batch writes, 57 responses), early in a
    resumed one (which has less left to do)."""
    if place == "db":
        return f"db:{rng.randint(1, 16 if fresh else 2)}:{rng.choice([2, 3, 5, 8, 13, 999])}"
    if place == "warc":
        rec_type = rng.choice(["response", "response", "request", "warcinfo"])
        nth = 1 if rec_type == "warcinfo" else rng.randint(1, 45 if fresh else 4)
        return f"warc:{rec_type}:{nth}:{rng.choice([0, 0.3, 0.5, 0.9])}"
    return f"time:{rng.uniform(0.3, 0.9 if fresh else 0.5) * clean_seconds:.2f}"


def _plan(rng: random.Random, clean_seconds: float) -> list[Chain]:
    """Chains of kills: the first in a fresh crawl, the others in resumed ones; in batch writes,
    in WARC records and at random times, in turn."""
    places = ["db", "warc", "time"]
    chains = []
    for number in range(CHAINS):
        kills = [
            Kill(number, _kill(rng, places[(number + i) % 3], fresh=i == 0, clean_seconds=clean_seconds))
            for i in range(KILLS_PER_CHAIN)
        ]
        chains.append(Chain(number, kills))
    return chains


@pytest.fixture(scope="module")
def chains(tmp_path_factory: pytest.TempPathFactory, reliability_figures: dict[str, object]) -> Iterator[list[Chain]]:
    seed = int(os.environ.get("PA_KILL_SEED") or random.randrange(1 << 32))
    with SamplePortalServer(SITES) as portal:
        clean_db = tmp_path_factory.mktemp("clean") / "archive.sqlite"
        started = time.monotonic()
        clean_crawl = _crawl(portal, clean_db, resume=False, kill=None)
        _, err = clean_crawl.communicate(timeout=120)
        assert clean_crawl.returncode == 0, err.decode()
        clean_seconds = time.monotonic() - started
        clean = _snapshot(clean_db)
        assert len(clean[0]) == 24 and clean[1], "the clean crawl did not store the saved portal"
        planned = _plan(random.Random(seed), clean_seconds)
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            done = list(pool.map(lambda c: _run_chain(c, portal, tmp_path_factory.mktemp(f"chain{c.number}"), clean), planned))
    kills = [k for c in done for k in c.kills if k.landed]
    reliability_figures["kill points"] = (
        f"{len(kills)} kills landed (seed {seed}): {sum(k.spec.startswith('db:') for k in kills)} in a batch write, "
        f"{sum(k.spec.startswith('warc:') for k in kills)} in a WARC record, {sum(k.spec.startswith('time:') for k in kills)} "
        f"at a random time; {sum(k.cut_tail for k in kills)} left a partial WARC record (cut by repair); "
        f"{len(done)} resumed chains"
    )
    for chain in done:
        for kill in chain.kills:
            kill.spec = f"{kill.spec} (chain {chain.number}, seed {seed})"
    yield done


# What must hold after every kill (the first four) and once each chain's last resume finished.
CHECKS = {
    "integrity": "SQLite's integrity check is ok",
    "duplicates": "no article is stored twice, nor other than a clean crawl stores it",
    "lost": "nothing stored before the kill is lost",
    "pointers": "every stored version's WARC pointer resolves once repaired; verify passes",
    "articles": "the resumed crawl stores exactly the articles a clean crawl stores",
    "attachments": "the resumed crawl fetches every attachment a clean crawl fetches",
}


# A portal of a platform no profile knows (generic discovery and extraction, listings paged
# three articles a page): killed at instants spread over the whole of its crawl.
UNKNOWN_HOST = "tamky.quangnam.gov.vn"
UNKNOWN_CHAINS = 9
UNKNOWN_KILLS_PER_CHAIN = 4
MIN_UNKNOWN_KILLS = 30


@pytest.fixture(scope="module")
def unknown_chains(tmp_path_factory: pytest.TempPathFactory, reliability_figures: dict[str, object]) -> Iterator[list[Chain]]:
    seed = int(os.environ.get("PA_KILL_SEED") or random.randrange(1 << 32))
    rng = random.Random(seed)
    with SamplePortalServer(SITES) as portal:
        clean_db = tmp_path_factory.mktemp("clean-unknown") / "archive.sqlite"
        started = time.monotonic()
        clean_crawl = _crawl(portal, clean_db, resume=False, kill=None, host=UNKNOWN_HOST)
        _, err = clean_crawl.communicate(timeout=120)
        assert clean_crawl.returncode == 0, err.decode()
        clean_seconds = time.monotonic() - started
        clean = _snapshot(clean_db)
        assert sorted(clean[0]) == sorted(expected_articles(UNKNOWN_HOST)), "the clean crawl did not store the portal's articles"
        # Instants from just after start to the end of a whole crawl; resumed crawls, which have
        # less left to do, are killed earlier on.
        planned = [
            Chain(
                n,
                [
                    Kill(n, f"time:{rng.uniform(0.05, 0.95 if i == 0 else 0.7) * clean_seconds:.2f}")
                    for i in range(UNKNOWN_KILLS_PER_CHAIN)
                ],
            )
            for n in range(UNKNOWN_CHAINS)
        ]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            done = list(
                pool.map(
                    lambda c: _run_chain(c, portal, tmp_path_factory.mktemp(f"unknown{c.number}"), clean, UNKNOWN_HOST), planned
                )
            )
    landed = sorted(float(k.spec.split(":")[1]) for c in done for k in c.kills if k.landed)
    reliability_figures["kill instants, unknown platform"] = (
        f"{len(landed)} kills landed in crawls of {UNKNOWN_HOST} (a clean crawl: {clean_seconds:.1f} s, "
        f"{len(clean[0])} articles; seed {seed}) at {', '.join(f'{t:.2f}' for t in landed)} s"
    )
    for chain in done:
        for kill in chain.kills:
            kill.spec = f"{kill.spec} (chain {chain.number}, seed {seed})"
    yield done


def test_kills_land_at_instants_spread_over_a_whole_crawl_of_an_unknown_portal(unknown_chains: list[Chain]) -> None:
    landed = [k for c in unknown_chains for k in c.kills if k.landed]
    assert len(landed) >= MIN_UNKNOWN_KILLS, [k.spec for c in unknown_chains for k in c.kills if not k.landed]
    unfinished = [(c.number, c.final_code, c.final_err[-500:]) for c in unknown_chains if c.final_code != 0]
    assert not unfinished, f"a resumed crawl did not finish: {unfinished}"


@pytest.mark.parametrize("check", CHECKS)
def test_kills_then_resumes_of_an_unknown_portal_keep(unknown_chains: list[Chain], check: str) -> None:
    problems = _problems(unknown_chains, check)
    assert not problems, f"{CHECKS[check]}:\n" + "\n".join(problems)


def _problems(chains: list[Chain], check: str) -> list[str]:
    found = [f"{k.spec}: {p}" for c in chains for k in c.kills for p in k.problems.get(check, [])]
    return found + [f"chain {c.number} (final): {p}" for c in chains for p in c.problems.get(check, [])]


def test_kills_land_in_batch_writes_in_warc_records_and_at_random_times(chains: list[Chain]) -> None:
    landed = [k for c in chains for k in c.kills if k.landed]
    assert len(landed) >= MIN_KILL_POINTS, [k.spec for c in chains for k in c.kills if not k.landed]
    assert any(k.spec.startswith("db:") for k in landed) and any(k.spec.startswith("warc:") for k in landed)
    unfinished = [(c.number, c.final_code, c.final_err[-500:]) for c in chains if c.final_code != 0]
    assert not unfinished, f"a resumed crawl did not finish: {unfinished}"


@pytest.mark.parametrize("check", CHECKS)
def test_kills_then_resumes_keep(chains: list[Chain], check: str) -> None:
    problems = _problems(chains, check)
    assert not problems, f"{CHECKS[check]}:\n" + "\n".join(problems)
