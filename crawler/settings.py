"""Scrapy settings: polite defaults for government portals, overridable per run (``-s``)."""

from portals import __version__

BOT_NAME = "portal-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Who we are and how to reach us; archivists running their own crawls set their own contact.
CONTACT_URL = "https://github.com/portal-archive/portal-archive"
USER_AGENT = f"portal-archive/{__version__} (+{CONTACT_URL})"

# Politeness: robots.txt obeyed, a delay between requests to a host, few requests at once,
# AutoThrottle backing off when a portal slows down.
ROBOTSTXT_OBEY = True
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50% around DOWNLOAD_DELAY
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry, tripled at each one (1, 3, 9 s) …
RETRY_BACKOFF_FACTOR = 3.0
RETRY_BACKOFF_MAX = 30.0  # … up to this
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.ExactHostOffsiteMiddleware": 50,
    # After the scope check (so off-site links spend nothing), before anything is fetched.
    "crawler.middlewares.PageBudgetMiddleware": 60,
    # Never a connection to a link-local address, nor to a private one unless the crawl starts there.
    "crawler.addresses.AddressGuardMiddleware": 70,
    "crawler.middlewares.LocalProxyMiddleware": 90,
    # After robots.txt (100): Crawl-delay is known before the site's first page is requested.
    "crawler.middlewares.CrawlDelayMiddleware": 120,
    # The sitemaps robots.txt names go to the crawl's frontier.
    "crawler.sources.RobotsSitemapsMiddleware": 125,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Sees the compressed bytes before HttpCompressionMiddleware (590) inflates them.
    "crawler.middlewares.TruncatedEncodingMiddleware": 595,
    # Sees a redirect before RedirectMiddleware (600) follows it.
    "crawler.middlewares.RedirectGuardMiddleware": 650,
}
# Items are stored synchronously: more than a few in flight per response buy nothing, and Scrapy
# starts one task per slot for every response (100 by default).
CONCURRENT_ITEMS = 8
# Responses waiting for extraction, per crawl, in bytes (Scrapy's default: 5 MB). A crawl of many
# sites at once holds this much for each while the extraction workers catch up; a few hundred
# kilobytes keep them busy.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.engine_state.ClosingWatch": 50,
    "crawler.capture.WarcCapture": 100,
    "crawler.progress.Progress": 200,
}

# The archive the crawl writes to; how many records go into one transaction, and how often a
# transaction is written at least (a kill loses no more than this).
ARCHIVE_DB = "archive.sqlite"
ARCHIVE_BATCH_SIZE = 50
ARCHIVE_FLUSH_SECONDS = 2.0
# Raw capture: WARC files in WARC_DIR (default: warc/ beside the archive), rolled at this size.
WARC_ENABLED = True
WARC_DIR = None
WARC_MAX_SIZE = 1024 * 1024 * 1024
# Documents and images linked from articles are fetched up to this size.
ATTACHMENT_MAXSIZE = 25 * 1024 * 1024
# Their text (PDF, DOCX, XLSX) is read as they are stored, in a bounded child process.
ATTACHMENT_TEXT = True
# Pages are parsed and extracted in this many worker processes, off the crawl's event loop;
# None: one when the machine has a second core, else none (0: in the crawl's own process).
EXTRACT_PROCESSES = None
# Progress: "live" (one updating line, for a terminal), "plain" (a line every few seconds), or None.
PROGRESS = None
# All requests through this HTTP proxy (e.g. a replay server on 127.0.0.1); None: direct.
PORTAL_PROXY = None
# At most this many URLs fetched in a crawl (`--max-pages`); None: no limit.
PORTAL_MAX_PAGES = None
# A site is recorded dark after this many crawls in a row fetched nothing
# (``archive.site_status.DARK_AFTER``, which a test holds equal to this).
PORTAL_DARK_AFTER = 3

# Names are checked after resolution: none may lead a crawl to an address it may not reach.
TWISTED_DNS_RESOLVER = "crawler.addresses.GuardedResolver"

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
