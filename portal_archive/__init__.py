"""The ``portal-archive`` command and what only the command does: scheduling, dispatch to
Scrapyd, registry discovery over the network, re-extraction, the demo and its sample portals.

The application layer, on top of the crawler (``crawler``), the archive (``archive``) and the
pure core (``portals``); nothing imports it. Its commands (``portal_archive.cli``) parse input,
call one library function and print.
"""

from portals import __version__

__all__ = ["__version__"]
