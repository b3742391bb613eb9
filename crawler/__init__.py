"""The Scrapy project of portal-archive: settings, the one spider for every portal, its
pipeline into the archive, middlewares, WARC capture, the crawl session and frontier, and
page analysis off the event loop.

The crawler layer: it imports the pure core (``portals``: records, extraction, profiles, the
registry) and the archive (storage), never the command (``portal_archive``). Importing this
package does not import Scrapy.
"""

from portals import __version__

__all__ = ["__version__"]
