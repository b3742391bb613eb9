#!/usr/bin/env python3
"""Set up portal-archive in a local virtualenv (.venv) and run it.

    python3 bootstrap.py demo      # install what the command needs, then `portal-archive demo`
    python3 bootstrap.py test      # install with test dependencies, then the whole test suite
                                   # (and, when root, Debian's chromium, chromium-driver,
                                   # redis-server and antiword, which the tests drive, start on
                                   # 127.0.0.1 or read .doc files with;
                                   # and pywb, in .venv/replay-tools, to replay the WARC files)
    python3 bootstrap.py run ARGS  # install what the command needs, then `portal-archive ARGS`

Needs only Python 3.11+ with venv and pip. The install is redone only when pyproject.toml
changes (or when the tests need extras the last install lacked). Extra arguments go to the
command (`bootstrap.py test -k golden`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def ensure_installed(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may well be started by an older Python)
        sys.exit(f"portal-archive needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PYTHON.exists():
        print(f"creating virtualenv {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".portal-archive-installed"  # "<hash of pyproject.toml> <extras installed>"
    project = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = stamp.read_text().split(" ", 1) if stamp.exists() else []
    if installed[:1] == [project] and (not extras or installed[1:] == [extras]):
        return  # up to date: the command's dependencies are in every install, extras or not
    print(f"installing portal-archive{extras} into {VENV}", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f".{extras}"], check=True, cwd=ROOT)
    stamp.write_text(f"{project} {extras}")


REPLAY_VENV = VENV / "replay-tools"


def ensure_replay_tools() -> None:
    """The web-archive tools the tests replay the WARC files with (pywb), in a virtualenv of their
    own: their pins clash with the project's (``[tool.portal-archive] replay-tools`` in
    pyproject.toml says which, and why)."""
    import tomllib

    wanted = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["portal-archive"]["replay-tools"]
    stamp = REPLAY_VENV / ".installed"
    if stamp.exists() and stamp.read_text() == " ".join(wanted):
        return
    print(f"installing {', '.join(wanted)} into {REPLAY_VENV} (the tests replay WARC files with it)", flush=True)
    if not (REPLAY_VENV / BIN.name / PYTHON.name).exists():
        venv.EnvBuilder(with_pip=True).create(REPLAY_VENV)
    python = REPLAY_VENV / BIN.name / PYTHON.name
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", *wanted], check=True)
    stamp.write_text(" ".join(wanted))


# Programs the tests start on 127.0.0.1 or drive, by the Debian package that provides them:
# the browser tests (tests/test_web.py) and the shared-frontier tests (tests/test_scaling.py).
SYSTEM_PACKAGES = {
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
    "redis-server": "redis-server",
    "antiword": "antiword",  # the text of Word 97-2003 .doc attachments (portals/documents.py)
}


def ensure_system_packages() -> None:
    """Install the Debian packages the tests need when they are missing and apt-get can be used
    (as root), or say what is needed."""
    missing = sorted({pkg for program, pkg in SYSTEM_PACKAGES.items() if not shutil.which(program)})
    if not missing:
        return
    apt = shutil.which("apt-get")
    if apt and getattr(os, "geteuid", lambda: -1)() == 0:
        print(f"installing {', '.join(missing)} for the tests: apt-get install", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=True, env=env)
        subprocess.run([apt, "install", "-y", "-qq", *missing], check=True, env=env)
        if all(shutil.which(program) for program in SYSTEM_PACKAGES):
            return
    sys.exit(
        f"the tests need {', '.join(SYSTEM_PACKAGES)} on the PATH: on Debian or Ubuntu run "
        f"`sudo apt-get install {' '.join(sorted(set(SYSTEM_PACKAGES.values())))}` (as root, this script does it), then try again"
    )


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "run"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "test":
        ensure_installed("[test]")
        ensure_replay_tools()
        ensure_system_packages()
        return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    ensure_installed("")
    args = ["demo", *rest] if command == "demo" else rest
    return subprocess.call([str(BIN / "portal-archive"), *args])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
