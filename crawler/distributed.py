"""Many workers, one crawl: the frontier of a site in Redis, shared through scrapy-redis.

``portal-archive crawl SITE --frontier redis://HOST:PORT/DB --db shard.sqlite`` on any number
of machines makes every worker take requests from one queue and check one dupefilter, so each
URL is fetched once by one of them. What scrapy-redis does not give, added here:

- **No lost requests.** A worker takes a request by moving it, in one atomic step, from the
  queue into its own *processing* hash, and removes it from there only once the request is done
  (answered, failed, or dropped). Each worker keeps a heartbeat key alive; the requests held by
  a worker whose heartbeat expired (killed, crashed, unplugged) go back into the queue.
- **One crawl, however the work is split.** A worker whose queue runs dry stays while any other
  worker still holds requests (those may discover more), and leaves when nothing is left.
- **Politeness per host across all workers.** Requests to a host are spaced by the download
  delay (or robots.txt Crawl-delay) through a reservation in Redis, not per worker.
- **Incremental across runs.** Articles stored by any worker go into a Redis set of known
  articles, which later runs skip like a single crawl skips its archive's articles.

Records go to each worker's own SQLite shard and WARC files; ``portal-archive merge`` folds
shards into the main archive, idempotently.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.queue import PriorityQueue
from twisted.internet.task import LoopingCall

from . import settings as project_settings
from .engine_state import closing, wake_after
from .middlewares import sleep

HEARTBEAT_SECONDS = 2.0
IDLE_POLL_SECONDS = 0.25  # how often an idle worker looks at the shared queue again
# Seconds without a heartbeat before a worker counts as dead (FRONTIER_HEARTBEAT_TTL setting, or
# the PORTAL_FRONTIER_HEARTBEAT_TTL environment variable).
HEARTBEAT_TTL = 20

# Take the first request of the queue and hold it in this worker's processing hash, atomically.
_TAKE = """
local item = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #item == 0 then return nil end
redis.call('ZREM', KEYS[1], item[1])
redis.call('HSET', KEYS[2], item[1], item[2])
return item[1]
"""
# Reserve the next moment a host may be asked, ``delay`` seconds after the previous one.
_RESERVE = """
local now = tonumber(ARGV[1])
local delay = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, last + delay)
redis.call('SET', KEYS[1], tostring(slot), 'PX', math.floor((slot - now + 60) * 1000))
return tostring(slot)
"""


def keys(site: str) -> dict[str, str]:
    base = f"portal-archive:{site}"
    return {
        "requests": f"{base}:requests",
        "dupefilter": f"{base}:dupefilter",
        "processing": f"{base}:processing:%s",
        "alive": f"{base}:alive:%s",
        "known": f"{base}:known",
        "polite": f"{base}:polite:%s",
        "recovery": f"{base}:recovery-lock",
    }


def worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def frontier_settings(url: str, site: str, worker: str | None = None) -> dict[str, Any]:
    """Scrapy settings that put a crawl of ``site`` on the shared frontier at ``url``."""
    k = keys(site)
    return {
        "REDIS_URL": url,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": k["requests"],
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": k["dupefilter"],
        "SCHEDULER_PERSIST": True,
        "PORTAL_FRONTIER": url,
        "PORTAL_WORKER": worker or worker_id(),
        "FRONTIER_HEARTBEAT_TTL": int(os.environ.get("PORTAL_FRONTIER_HEARTBEAT_TTL", HEARTBEAT_TTL)),
        "DOWNLOADER_MIDDLEWARES": {
            **project_settings.DOWNLOADER_MIDDLEWARES,
            "crawler.distributed.SharedPolitenessMiddleware": 130,
            "crawler.distributed.AckMiddleware": 950,
        },
        "EXTENSIONS": {**project_settings.EXTENSIONS, "crawler.distributed.Coordinator": 300},
    }


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def reset(url: str, site: str) -> None:
    """Forget a site's shared queue, dupefilter and held requests (not its known articles):
    the next worker starts a new crawl."""
    server, k = connect(url), keys(site)
    doomed = [k["requests"], k["dupefilter"], *server.keys(k["processing"] % "*")]
    server.delete(*doomed)


class FrontierUnreachable(RuntimeError):
    """The shared frontier's Redis server cannot be reached."""


def join_frontier(url: str, site: str, *, fresh: bool = False, worker: str | None = None) -> dict[str, Any]:
    """Settings for a worker crawling ``site`` on the shared frontier at ``url``, after checking
    the server answers (and, with ``fresh``, forgetting the site's shared queue first)."""
    try:
        connect(url).ping()
        if fresh:
            reset(url, site)
    except redis.RedisError as exc:
        raise FrontierUnreachable(f"cannot reach the frontier at {url}: {exc}") from None
    return frontier_settings(url, site, worker)


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue, with requests held (not lost) until done."""

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None):
        super().__init__(server, spider, key, serializer)
        self.site = getattr(spider, "site_id", spider.name)
        self.worker = spider.settings.get("PORTAL_WORKER") or worker_id()
        self.processing = keys(self.site)["processing"] % self.worker
        self._take = server.register_script(_TAKE)

    def pop(self, timeout: int = 0) -> Request | None:
        token = self._take(keys=[self.key, self.processing])
        if token is None:
            return None
        request = self._decode_request(token)
        request.meta["frontier_token"] = token
        return request

    def ack(self, token: bytes) -> None:
        self.server.hdel(self.processing, token)

    def recover(self) -> int:
        """Put back into the queue what dead workers held; return how many requests."""
        k = keys(self.site)
        if not self.server.set(k["recovery"], self.worker, nx=True, ex=30):
            return 0  # another worker is at it
        moved = 0
        try:
            for held in self.server.scan_iter(k["processing"] % "*"):
                worker = held.decode().rsplit(":", 1)[1]
                if worker == self.worker or self.server.exists(k["alive"] % worker):
                    continue
                for token, score in self.server.hgetall(held).items():
                    pipe = self.server.pipeline()
                    pipe.zadd(self.key, {token: float(score)})
                    pipe.hdel(held, token)
                    pipe.execute()
                    moved += 1
        finally:
            self.server.delete(k["recovery"])
        return moved

    def held_elsewhere(self) -> int:
        """Requests other workers hold: live ones may discover more; dead ones' requests come
        back to the queue once their heartbeat has expired."""
        k = keys(self.site)
        return sum(
            self.server.hlen(held)
            for held in self.server.scan_iter(k["processing"] % "*")
            if held.decode().rsplit(":", 1)[1] != self.worker
        )


def _queue(crawler: Crawler) -> ReliableQueue | None:
    scheduler = crawler.engine.scheduler if crawler.engine else None
    queue = getattr(scheduler, "queue", None)
    return queue if isinstance(queue, ReliableQueue) else None


class AckMiddleware:
    """Sits next to the downloader. A redirect or a retry goes back to the queue as a request of
    its own, so the request that led to it is done at once; any other answer or error is done
    when the spider has stored what it produced (``done_when_stored``)."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.retry_codes = {int(code) for code in crawler.settings.getlist("RETRY_HTTP_CODES")}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AckMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if 300 <= response.status < 400 or response.status in self.retry_codes:
            self._ack(request)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._ack(request)

    def _ack(self, request: Request) -> None:
        token = request.meta.pop("frontier_token", None)
        if token is not None and (queue := _queue(self.crawler)) is not None:
            queue.ack(token)


class SharedPolitenessMiddleware:
    """Space the requests to a host by the download delay (or its Crawl-delay) across workers."""

    def __init__(self, crawler: Crawler, url: str):
        self.crawler = crawler
        self.server = connect(url)
        self.reserve = self.server.register_script(_RESERVE)
        self.delay = crawler.settings.getfloat("DOWNLOAD_DELAY")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedPolitenessMiddleware:
        url = crawler.settings.get("PORTAL_FRONTIER")
        if not url:
            raise NotConfigured
        return cls(crawler, url)

    async def process_request(self, request: Request) -> None:
        host = urlparse_cached(request).netloc
        crawl_delay = _crawl_delay(self.crawler, host)
        delay = max(self.delay, crawl_delay)
        if delay <= 0 or urlparse_cached(request).path == "/robots.txt":
            return None
        site = getattr(self.crawler.spider, "site_id", "portal")
        slot = float(self.reserve(keys=[keys(site)["polite"] % host], args=[time.time(), delay]))
        while (remaining := slot - time.time()) > 0:
            if closing(self.crawler):
                raise IgnoreRequest("crawl closing")
            await sleep(min(remaining, 0.25))
        return None


def _crawl_delay(crawler: Crawler, host: str) -> float:
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return float(stats.get(f"robotstxt/crawl_delay/{host}", 0.0))


class Coordinator:
    """Heartbeat, recovery of dead workers' requests, the known-articles set, and staying until
    the whole crawl — not just this worker's share — is done."""

    def __init__(self, crawler: Crawler, url: str):
        self.crawler = crawler
        self.server = connect(url)
        self.worker = crawler.settings.get("PORTAL_WORKER") or worker_id()
        self.ttl = crawler.settings.getint("FRONTIER_HEARTBEAT_TTL", HEARTBEAT_TTL)
        self.loop: LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Coordinator:
        url = crawler.settings.get("PORTAL_FRONTIER")
        if not url:
            raise NotConfigured
        return cls(crawler, url)

    def _keys(self, spider: Spider) -> dict[str, str]:
        return keys(getattr(spider, "site_id", spider.name))

    def spider_opened(self, spider: Spider) -> None:
        k = self._keys(spider)
        self.beat(spider)
        session = getattr(spider, "session", None)
        if session is not None:  # articles any worker stored in any earlier run are known
            for url in self.server.smembers(k["known"]):
                session.known.setdefault(url.decode() if isinstance(url, bytes) else url, (None, None))
            session.on_stored = lambda url: self.server.sadd(k["known"], url)
        self.loop = LoopingCall(self.beat, spider)
        self.loop.start(HEARTBEAT_SECONDS, now=False)

    def beat(self, spider: Spider) -> None:
        self.server.set(self._keys(spider)["alive"] % self.worker, time.time(), ex=self.ttl)
        if (queue := _queue(self.crawler)) is not None and (moved := queue.recover()):
            spider.logger.warning("put back %d requests held by workers that stopped", moved)
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("frontier/recovered", moved)

    def spider_idle(self, spider: Spider) -> None:
        session = getattr(spider, "session", None)
        if session is not None and not session.storage_error:
            session.flush()  # commit, and so release, what this worker still holds
        queue = _queue(self.crawler)
        if queue is not None and (len(queue) or queue.held_elsewhere()):
            # Others may still discover work: look again soon, not at the engine's next
            # heartbeat (5 s), or a worker idles while the others fill the queue.
            wake_after(self.crawler, IDLE_POLL_SECONDS)
            raise DontCloseSpider

    def spider_closed(self, spider: Spider) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.server.delete(self._keys(spider)["alive"] % self.worker)
