"""Replay WARC files with pywb, as an archivist's replay server would: run by the Python of
pywb's own virtualenv (``.venv/replay-tools``, made by ``bootstrap.py test``), not the project's.

Reads a JSON object on standard input — ``{"warcs": [paths], "work": folder, "requests":
[{"url": URL, "ts": "YYYYMMDDhhmmss"}]}`` — indexes the WARC files with pywb's own indexer
(CDXJ), asks pywb's WSGI application (in-process, through a test client: no port, no network)
for each URL at its timestamp in ``id_`` mode (the archived bytes, not rewritten), and prints one
JSON object per request: HTTP status, length and SHA-1 of the body, Memento-Datetime, and the
archived Content-Type. Imports nothing of portal-archive.
"""

from __future__ import annotations

import hashlib
import json
import sys
import warnings
from pathlib import Path


def main() -> int:
    job = json.load(sys.stdin)
    work = Path(job["work"])
    work.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gevent's monkey-patching warns at import
        from pywb.apps.frontendapp import FrontEndApp
        from pywb.indexer.cdxindexer import write_multi_cdx_index
        from werkzeug.test import Client

    index = work / "index.cdxj"
    write_multi_cdx_index(str(index), job["warcs"], sort=True, cdxj=True, surt_ordered=True, append_post=True)
    folders = sorted({str(Path(w).parent) + "/" for w in job["warcs"]})
    app = FrontEndApp(
        config_file=None,
        custom_config={"collections": {"archive": {"index_paths": str(index), "archive_paths": folders}}},
    )
    client = Client(app)
    for request in job["requests"]:
        response = client.get(f"/archive/{request['ts']}id_/{request['url']}")
        body = response.get_data()
        print(
            json.dumps(
                {
                    "url": request["url"],
                    "ts": request["ts"],
                    "status": response.status_code,
                    "length": len(body),
                    "sha1": hashlib.sha1(body).hexdigest(),
                    "memento": response.headers.get("Memento-Datetime"),
                    "content_type": response.headers.get("Content-Type"),
                }
            ),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
