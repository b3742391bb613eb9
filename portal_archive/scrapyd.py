"""Hand crawls to a Scrapyd server instead of running them here (scrapyd-client's API).

The project deploys to Scrapyd as an egg (``scrapyd-deploy``, configured in scrapy.cfg); a due
schedule then becomes a job of the ``portal`` spider, with the archive file and the schedule's
options as spider arguments and settings — the settings made by ``CrawlOptions.settings()``, as
for a crawl run here, and those the schedule sets (``schedule add --set``). Scrapyd passes its
job id to the spider, which records it in the crawl run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from scrapyd_client import ScrapydClient
from scrapyd_client.exceptions import ErrorResponse, MalformedResponse

from crawler.options import CrawlOptions, mode_of

PROJECT = "portal-archive"


class ScrapydError(RuntimeError):
    pass


def job_arguments(site: str, db_path: str, options: dict[str, Any]) -> list[tuple[str, str]]:
    """The job's spider arguments and settings for a crawl of ``site`` into ``db_path`` with a
    schedule's options."""
    fields = [("site", site), ("setting", f"ARCHIVE_DB={Path(db_path).resolve()}")]
    mode = mode_of(options)
    if mode != "incremental":
        fields.append(("mode", mode))
    settings = CrawlOptions.from_dict(options).settings() | options.get("settings", {})
    fields += [("setting", f"{name}={_as_text(value)}") for name, value in settings.items()]
    return fields


def _as_text(value: Any) -> str:
    """A setting's value as Scrapy reads it back from text: lists comma-separated (``getlist``),
    numbers, flags and mappings as JSON (``getint``, ``getbool``, ``getdict``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return json.dumps(value, ensure_ascii=False)


def dispatch(url: str, site: str, db_path: str, options: dict[str, Any]) -> str:
    """Start a crawl on Scrapyd; return its job id."""
    try:
        return str(ScrapydClient(url.rstrip("/")).schedule(PROJECT, "portal", job_arguments(site, db_path, options)))
    except ErrorResponse as exc:
        raise ScrapydError(f"Scrapyd at {url} refused the job: {exc}") from None
    except (requests.RequestException, MalformedResponse, RuntimeError, KeyError) as exc:
        raise ScrapydError(f"cannot reach Scrapyd at {url}: {exc}") from None
