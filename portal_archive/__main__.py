"""``python -m portal_archive ARGS`` is ``portal-archive ARGS``."""

from .cli import main

if __name__ == "__main__":
    main()
