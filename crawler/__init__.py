"""The Scrapy project of portal-archive: one spider for every portal, the extraction library,
platform profiles, the portal registry and the pipeline into the archive.

Importing this package does not import Scrapy: the extraction library is pure and is also used
by the archive's CLI and by re-extraction.
"""

__version__ = "0.1.0"
