"""The pure core of portal-archive: what every other part shares, with no Scrapy, no SQLite and
no network.

- ``portals.record``: the article record and its JSON schema (``record.schema.json``);
- ``portals.text`` (the stored form of text) and ``portals.folding`` (the searched form);
- ``portals.urls``: canonical URLs and site ids;
- ``portals.registry`` (``registry.csv``): the known portals and their provinces;
- ``portals.profiles`` (``profiles/*.toml``): one declarative profile per platform family;
- ``portals.extract``: ``extract(html, url, profile=None) -> Record``, the extraction library;
- ``portals.links``: which links of a page a crawl follows, and as what;
- ``portals.items``: what a crawl hands the archive (provenance, frontier marks, attachments,
  visitor observations);
- ``portals.proposals``: registry rows proposed from a portal's "Liên kết website" lists.

The layers above: ``archive`` (storage) imports this; ``crawler`` (Scrapy) imports both;
``portal_archive`` (the command) imports everything. Nothing imports upward (import-linter
contracts in pyproject.toml).
"""

__version__ = "0.1.0"
