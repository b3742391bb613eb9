"""The compiled loops, or None where they are not available.

- ``scan`` (``portals/_scan.pyx``): passes over a page's text and over texts (marker needles, the
  markup bounds check, the legacy-font hint, cleaning and folding); it loads no other module.
- ``walk()`` (``portals/_walk.pyx``): the reading walk over a parsed page, through lxml's C API;
  loaded on first use, so that what imports ``portals.text`` loads no lxml.

The package's build compiles them (Cython; the walk against the lxml it builds with). Where a
module is missing, or the walk was built for another lxml than the one installed (lxml's C API
refuses to load then), extraction runs the pure-Python forms of the same loops: the same
records, slower. ``PORTAL_ARCHIVE_PURE_PYTHON=1`` asks for the pure-Python forms.
"""

from __future__ import annotations

import os
import warnings
from importlib import import_module
from types import ModuleType


def _load(name: str) -> ModuleType | None:
    if os.environ.get("PORTAL_ARCHIVE_PURE_PYTHON"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Cython's "size changed" warning: another lxml
            return import_module(f"portals.{name}")
    except Exception:  # missing, or built against another lxml: the pure-Python forms
        return None


scan: ModuleType | None = _load("_scan")
_walk: list[ModuleType | None] = []


def walk() -> ModuleType | None:
    """The compiled walk (loaded on the first call), or None."""
    if not _walk:
        _walk.append(_load("_walk"))
    return _walk[0]
