"""Hand crawls to a Scrapyd server instead of running them here.

The project deploys to Scrapyd as an egg (``scrapyd-deploy``, configured in scrapy.cfg); a due
schedule then becomes a ``schedule.json`` call for the ``portal`` spider, with the archive file
and the schedule's options as spider arguments and settings. Scrapyd passes its job id to the
spider, which records it in the crawl run.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PROJECT = "portal-archive"


class ScrapydError(RuntimeError):
    pass


def _call(url: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    target = url.rstrip("/") + "/" + endpoint
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(target, data=body, timeout=30) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ScrapydError(f"cannot reach Scrapyd at {url}: {exc}") from None
    if answer.get("status") != "ok":
        raise ScrapydError(f"Scrapyd at {url} refused {endpoint}: {answer.get('message', answer)}")
    return answer


def job_arguments(site: str, db_path: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """``schedule.json`` form fields for a crawl of ``site`` into ``db_path`` with a schedule's options."""
    fields = [("project", PROJECT), ("spider", "portal"), ("site", site), ("setting", f"ARCHIVE_DB={Path(db_path).resolve()}")]
    if options.get("revisit"):
        fields.append(("mode", "revisit"))
    elif options.get("full"):
        fields.append(("mode", "full"))
    settings = {
        "CLOSESPIDER_PAGECOUNT": options.get("max_pages"),
        "CLOSESPIDER_TIMEOUT": options.get("max_time"),
        "DOWNLOAD_DELAY": options.get("delay"),
        "PORTAL_PROXY": options.get("proxy"),
    }
    if options.get("delay") == 0:
        settings["AUTOTHROTTLE_ENABLED"] = "False"
    fields += [("setting", f"{name}={value}") for name, value in settings.items() if value is not None]
    return fields


def dispatch(url: str, site: str, db_path: str, options: dict[str, Any]) -> str:
    """Start a crawl on Scrapyd; return its job id."""
    return str(_call(url, "schedule.json", job_arguments(site, db_path, options))["jobid"])


def jobs(url: str) -> dict[str, list[dict[str, Any]]]:
    return _call(url, f"listjobs.json?project={PROJECT}")
