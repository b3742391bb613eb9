"""The package as users install it: the wheel, built from this tree and installed (not editable)
into a fresh virtualenv outside the checkout, runs `portal-archive demo` from its own files.

The wheel is built without build isolation and installed without its dependencies, which the
fresh virtualenv borrows from this one (a path entry, not an install): the suite never fetches
anything from the network. The checkout itself is not on that interpreter's path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Not part of the source tree as a build sees it.
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
    "test-artifacts",
    "portal-archive-demo",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "portal-archive"
    shutil.copytree(ROOT, source, ignore=IGNORED, symlinks=True)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (built,) = out.glob("portal_archive-*.whl")
    return built


def test_the_wheel_holds_the_packages_and_their_data_not_the_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.startswith("portal_archive-")}
    assert tops == {"portals", "archive", "crawler", "portal_archive"}
    for data in (
        "portals/registry.csv",
        "portals/record.schema.json",
        "portals/profiles/hue_subsite.toml",
        "archive/tables.toml",
        "archive/web/templates/portal-archive-charts.html",
        "archive/web/static/portal-archive.css",
        "portal_archive/sample_sites/sdl.thuathienhue.gov.vn/routes.json",
    ):
        assert data in names, data
    samples = [n for n in names if n.startswith("portal_archive/sample_sites/")]
    sites = {n.split("/")[2] for n in samples}
    assert len(sites) == len([p for p in (ROOT / "tests" / "fixtures" / "sites").iterdir() if (p / "routes.json").exists()])
    # What the server answers with, not how the fixtures were made nor what the tests expect.
    assert not [n for n in samples if n.endswith((".py", "expected.json"))]
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n]


def test_demo_runs_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies, borrowed: this virtualenv's site-packages as a plain path entry (its own
    # .pth files, among them the editable install of the checkout, are not read from there).
    (site_packages / "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PORTAL_ARCHIVE_DB")}
    env.update(COLUMNS="200", PYTHONIOENCODING="utf-8")

    where = subprocess.run(
        [str(python), "-c", "import portal_archive, portals, archive, crawler; print(portal_archive.__file__, portals.__file__)"],
        capture_output=True,
        text=True,
        cwd=run_dir,
        env=env,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(site_packages) for p in where), where

    demo = subprocess.run(
        [str(env_dir / "bin" / "portal-archive"), "demo", "--db", str(run_dir / "demo" / "archive.sqlite")],
        capture_output=True,
        text=True,
        cwd=run_dir,
        env=env,
        timeout=600,
        check=False,
    )
    assert demo.returncode == 0, demo.stdout[-2000:] + demo.stderr[-3000:]
    samples = site_packages / "portal_archive" / "sample_sites"
    assert not samples.is_symlink() and (samples / "sdl.thuathienhue.gov.vn" / "routes.json").is_file()
    saved = len([p for p in (ROOT / "tests" / "fixtures" / "sites").iterdir() if (p / "routes.json").exists()])
    assert f"Serving {saved} saved portal(s)" in demo.stdout
    assert "sdl.thuathienhue.gov.vn" in demo.stdout and "finished" in demo.stdout
    assert "Thừa Thiên Huế dẫn đầu toàn quốc về ứng dụng công nghệ thông tin" in demo.stdout
    assert (run_dir / "demo" / "archive.sqlite").exists() and list((run_dir / "demo" / "warc").glob("*.warc.gz"))
