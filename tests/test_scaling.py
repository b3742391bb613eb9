"""Many workers on one crawl (a real redis-server on 127.0.0.1), shards merged into one archive,
and scheduled crawls handed to a real Scrapyd."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from portal_archive.sample_portal import SamplePortalServer

from .conftest import SITES, expected_articles, run_cli

HOST = "sdl.thuathienhue.gov.vn"
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    assert server, "redis-server is not installed (Debian: apt-get install redis-server; .ci/run does)"
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    wait_for(client.ping, 10, "redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait()


def worker(name: str, folder: Path, portal: SamplePortalServer, frontier: str) -> subprocess.Popen[bytes]:
    args = [
        sys.executable, "-m", "portal_archive", "crawl", f"http://{HOST}/", "--db", str(folder / f"{name}.sqlite"),
        "--warc-dir", str(folder / f"warc-{name}"), "--proxy", portal.url, "--delay", "0.1",
        "--frontier", frontier, "--worker", name,
    ]  # fmt: skip
    env = {**os.environ, "PORTAL_FRONTIER_HEARTBEAT_TTL": "4", "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)


def stored(db: Path) -> int:
    if not db.exists() or db.stat().st_size == 0:
        return 0
    try:
        return sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def test_three_workers_one_killed_every_article_once(redis_url: str, tmp_path: Path) -> None:
    with SamplePortalServer(SITES, response_delay=0.2) as portal:
        procs = {name: worker(name, tmp_path, portal, redis_url) for name in ("w1", "w2", "w3")}
        # Kill w2 once it has stored something: it dies holding requests it had taken.
        wait_for(lambda: stored(tmp_path / "w2.sqlite") >= 1 or procs["w2"].poll() is not None, 60, "w2 to store")
        procs["w2"].send_signal(signal.SIGKILL)
        procs["w2"].wait()
        for name in ("w1", "w3"):
            _, err = procs[name].communicate(timeout=180)
            assert procs[name].returncode == 0, err.decode()
        procs["w2"].stderr.close()  # type: ignore[union-attr]

    shards = [tmp_path / f"{name}.sqlite" for name in ("w1", "w2", "w3")]
    assert sum(1 for shard in shards if stored(shard)) >= 2, "the work was not split"
    main = tmp_path / "main.sqlite"
    merged = run_cli("merge", *map(str, shards), "--db", str(main))
    assert merged.code == 0, merged.err
    conn = sqlite3.connect(main)
    urls = [u for (u,) in conn.execute("SELECT url FROM articles")]
    assert sorted(urls) == sorted(expected_articles(HOST)), "an article was lost or stored twice"
    assert conn.execute("SELECT count(*) FROM article_versions").fetchone()[0] == len(urls)
    assert run_cli("verify", "--db", str(main), "--repair").code == 0  # the killed worker's WARC may end cut
    assert run_cli("verify", "--db", str(main)).code == 0
    # Merging again changes nothing; nothing is left held in the frontier.
    again = run_cli("merge", *map(str, shards), "--db", str(main))
    assert "0 new" in again.out and conn.execute("SELECT count(*) FROM articles").fetchone()[0] == len(urls)
    client = redis.Redis.from_url(redis_url)
    held = [k for k in client.keys(f"portal-archive:{HOST}:processing:*") if client.hlen(k)]
    assert held == [] and client.zcard(f"portal-archive:{HOST}:requests") == 0


def test_a_frontier_that_is_not_redis_is_refused(tmp_path: Path) -> None:
    result = run_cli("crawl", HOST, "--db", str(tmp_path / "a.sqlite"), "--frontier", "http://127.0.0.1:1/")
    assert result.code == 2 and "not a redis:// URL" in result.err


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (folder / "scrapyd.conf").write_text(
        f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {port}\neggs_dir = {folder}/eggs\nlogs_dir = {folder}/logs\n"
        f"dbs_dir = {folder}/dbs\nitems_dir =\nmax_proc = 2\npoll_interval = 0.5\n"
    )
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=2), 30, "scrapyd")
    # Deploy the project as Scrapyd expects it: an egg built by scrapyd-deploy.
    egg = folder / "portal-archive.egg"
    build = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", "--build-egg", str(egg)], cwd=ROOT, capture_output=True, check=False
    )
    assert build.returncode == 0, build.stderr.decode()
    upload = subprocess.run(
        ["curl", "-sS", f"{url}/addversion.json", "-F", "project=portal-archive", "-F", "version=test", "-F", f"egg=@{egg}"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert json.loads(upload.stdout)["status"] == "ok", upload.stdout
    yield url
    proc.terminate()
    proc.wait()


def test_a_due_schedule_dispatched_through_scrapyd_runs_to_completion(
    scrapyd: str, portal_proxy: SamplePortalServer, tmp_path: Path
) -> None:
    db = tmp_path / "archive.sqlite"
    added = run_cli("schedule", "add", HOST, "--every", "day", "--db", str(db), "--proxy", portal_proxy.url, "--delay", "0")
    assert added.code == 0, added.err
    due = run_cli("schedule", "run-due", "--db", str(db), "--via", "scrapyd", scrapyd, "--now", "2099-01-01T00:00:00+07:00")
    assert due.code == 0, due.out + due.err
    job = due.out.split("Scrapyd job ")[1].split(")")[0]

    def finished() -> bool:
        with urllib.request.urlopen(f"{scrapyd}/listjobs.json?project=portal-archive", timeout=5) as response:
            return any(j["id"] == job for j in json.loads(response.read())["finished"])

    wait_for(finished, 120, f"Scrapyd job {job}")
    run = sqlite3.connect(db).execute("SELECT status, job_id, articles_new FROM crawl_runs").fetchall()
    assert run == [("finished", job, len(expected_articles(HOST)))]
    schedule = run_cli("schedule", "list", "--db", str(db), "--format", "json").json()[0]
    assert schedule["last_status"] == f"dispatched: Scrapyd job {job}"


def test_a_schedules_settings_go_to_scrapyd_as_scrapy_reads_them(tmp_path: Path) -> None:
    """`schedule add --set` values reach a Scrapyd job as settings Scrapy reads back to the same
    values (numbers and flags as written, mappings as JSON), beside the options' own."""
    from scrapy.settings import Settings

    from portal_archive.scrapyd import job_arguments

    options = {
        "revisit": True,
        "delay": 2.0,
        "settings": {
            "PORTAL_DARK_AFTER": 5,
            "ROBOTSTXT_OBEY": False,
            "USER_AGENT": "lưu trữ/1.0",
            "DOWNLOAD_SLOTS": {"hue.gov.vn": {"delay": 3}},
            "RETRY_HTTP_CODES": [500, 503],
        },
    }
    fields = job_arguments("hue.gov.vn", str(tmp_path / "a.sqlite"), options)
    assert ("mode", "revisit") in fields and ("site", "hue.gov.vn") in fields
    given = Settings(dict(value.split("=", 1) for key, value in fields if key == "setting"))
    assert given.getint("PORTAL_DARK_AFTER") == 5 and given.getbool("ROBOTSTXT_OBEY") is False
    assert given.get("USER_AGENT") == "lưu trữ/1.0" and [int(x) for x in given.getlist("RETRY_HTTP_CODES")] == [500, 503]
    assert given.getdict("DOWNLOAD_SLOTS") == {"hue.gov.vn": {"delay": 3}}
    assert given.getfloat("DOWNLOAD_DELAY") == 2.0 and given.get("ARCHIVE_DB") == str((tmp_path / "a.sqlite").resolve())
