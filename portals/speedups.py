"""The compiled loops (``portals/_speedups.pyx``), or None where they are not available.

The package's build compiles them (Cython, against the lxml it builds with). Where the module is
missing, or was built for another lxml than the one installed (lxml's C API refuses to load
then), extraction runs the pure-Python forms of the same loops: the same records, slower.
``PORTAL_ARCHIVE_PURE_PYTHON=1`` asks for the pure-Python forms.
"""

from __future__ import annotations

import os
import warnings
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("PORTAL_ARCHIVE_PURE_PYTHON"):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Cython's "size changed" warning: another lxml
            from . import _speedups  # type: ignore[attr-defined]
    except Exception:  # missing, or built against another lxml: the pure-Python forms
        return None
    return _speedups


compiled: ModuleType | None = _load()
