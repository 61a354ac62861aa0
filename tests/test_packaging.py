"""The package as a user installs it, away from the source tree.

A wheel is built from a copy of this checkout and installed (not editable) into a fresh virtual
environment, then ``chokepoint`` runs a shipped scenario by name from a folder outside the
repository: the scenarios are package data. An editable install of the same copy finds them in
the source folder. To stay fast and offline, the new environments install only Chokepoint
(``--no-deps --no-index``) and see the test environment's libraries through a ``.pth`` line
(that adds the folder only: the test environment's own Chokepoint, an editable finder
activated by its ``.pth`` file, is not loaded); each test checks that ``sim`` is the one it
installed. And ``make play`` installs the package alone, without the development tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
SOURCES = ("sim", "dashboards", "scenarios", "setup.py", "pyproject.toml", "README.md", "LICENSE")
JUNK = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _shipped_names() -> set[str]:
    return {p.stem for p in (ROOT / "scenarios").rglob("*.yaml")}


def _copy_sources(dest: Path) -> Path:
    dest.mkdir()
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=JUNK)
        else:
            shutil.copy2(src, dest / name)
    return dest


def _venv(where: Path) -> Path:
    """A fresh virtual environment (no pip of its own) that sees the test environment's
    libraries; returns its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True,
                   timeout=120)
    python = where / "bin" / "python"
    purelib = subprocess.run([str(python), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_test_libraries.pth").write_text("\n".join(sorted(ours)) + "\n")
    return where / "bin"


def _pip(bin_dir: Path, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"),
                           "install", "--quiet", "--no-deps", "--no-index", *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def _chokepoint(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(bin_dir / "chokepoint"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("build")
    src = _copy_sources(tmp / "src")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (found,) = (tmp / "dist").glob("chokepoint-*.whl")
    return found


def test_wheel_holds_every_package_file_and_the_scenarios(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in ("sim", "dashboards"):
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert path.relative_to(ROOT).as_posix() in names, path
    for path in (ROOT / "scenarios").rglob("*.yaml"):
        assert f"sim/{path.relative_to(ROOT).as_posix()}" in names, path
    assert {"sim/py.typed", "dashboards/py.typed"} <= names
    meta = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/METADATA")
    assert b"License-Expression: MIT" in meta


def test_wheel_install_runs_a_shipped_scenario_by_name_outside_the_repo(wheel, tmp_path):
    bin_dir = _venv(tmp_path / "venv")
    _pip(bin_dir, str(wheel))
    away = tmp_path / "elsewhere"
    away.mkdir()
    where = subprocess.run([str(bin_dir / "python"), "-c", "import sim; print(sim.__file__)"],
                           cwd=away, capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(tmp_path / "venv"), where

    run = _chokepoint(bin_dir, away, "run", "hikvision_2019", "--steps", "8", "--out", "r.csv")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Hikvision 2019 — 8 steps") and (away / "r.csv").stat().st_size

    listing = _chokepoint(bin_dir, away, "scenarios")
    assert listing.returncode == 0, listing.stderr
    listed = {line.split()[0] for line in listing.stdout.splitlines()[1:] if line[:1].isalnum()}
    assert _shipped_names() <= listed
    assert str(tmp_path / "venv") in listing.stdout  # the installed copy, not the checkout's

    version = _chokepoint(bin_dir, away, "--version")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert version.stdout.strip() == f"chokepoint {project['version']}"


def test_editable_install_finds_the_scenarios_in_the_source_folder(tmp_path):
    src = _copy_sources(tmp_path / "src")
    bin_dir = _venv(tmp_path / "venv")
    _pip(bin_dir, "--no-build-isolation", "-e", str(src))
    away = tmp_path / "elsewhere"
    away.mkdir()
    where = subprocess.run([str(bin_dir / "python"), "-c", "import sim; print(sim.__file__)"],
                           cwd=away, capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(src), where
    run = _chokepoint(bin_dir, away, "validate", *sorted(_shipped_names()))
    assert run.returncode == 0, run.stderr
    assert run.stdout.count(": ok — ") == len(_shipped_names())
    listing = _chokepoint(bin_dir, away, "scenarios")
    assert f"files in {src / 'scenarios'}" in listing.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_play_installs_only_what_playing_needs(tmp_path):
    for name in ("Makefile", "pyproject.toml", "setup.py"):
        shutil.copy2(ROOT / name, tmp_path / name)

    def dry_run(*targets: str) -> list[str]:
        # not the outer make's flags (under `make test` a nested make prints its directory)
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL",
                                                               "MFLAGS")}
        proc = subprocess.run(["make", "-n", "--no-print-directory", *targets], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60,
                              env={**env, "PYTHON": sys.executable})
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()

    play = dry_run("play", "PORT=8800", "HOST=0.0.0.0")
    installs = [line for line in play if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [".venv/bin/python -m pip install --quiet -e ."]
    assert play[-1] == ".venv/bin/chokepoint play hikvision_2019 --port 8800 --host 0.0.0.0"
    for target in ("test", "lint"):
        assert ".venv/bin/python -m pip install --quiet -e '.[dev]'" in dry_run(target)
