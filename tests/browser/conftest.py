"""Fixtures for end-to-end tests: the real ``chokepoint play`` server, Debian's Chromium, and an
offline guard that aborts and records every request leaving 127.0.0.1.

Browser tests skip when /usr/bin/chromium is missing, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.servers import wait_until_serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}

pytestmark = pytest.mark.browser


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing (CI=true: browser tests must run)")
        pytest.skip(f"{CHROMIUM} is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(log: Path, *args: str) -> tuple[subprocess.Popen, str]:
    """``chokepoint play --no-browser --port P`` as a subprocess; returns it and its URL."""
    port = free_port()
    out = log.open("w")
    proc = subprocess.Popen([sys.executable, "-m", "sim", "play", *args, "--no-browser",
                             "--port", str(port)], cwd=ROOT, stdout=out,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(proc, url, log)
    return proc, url


@pytest.fixture(scope="module")
def server():
    """One server per test module; its log is checked for outbound attempts at the end."""
    require_chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "server.log"
    proc, url = start_server(log, "scenarios/hikvision_2019.yaml")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    text = log.read_text()
    # the assets proxy logs every file it had to fetch from the internet
    assert "Could not load URL" not in text, text


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Offline:
    """Records requests that tried to leave the machine, and failed responses."""

    def __init__(self):
        self.outbound: list[str] = []
        self.failed: list[str] = []

    def route(self, route) -> None:
        url = route.request.url
        scheme = urlparse(url).scheme
        if scheme in ("data", "blob") or urlparse(url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outbound.append(url)
            route.abort()

    def response(self, response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


@pytest.fixture
def context(browser):
    """A browser context that lets only local requests through; fails the test on any other
    request and on any response >= 400."""
    guard = Offline()
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    ctx.route("**/*", guard.route)
    ctx.on("response", guard.response)
    ctx.guard = guard
    yield ctx
    ctx.close()
    assert not guard.outbound, f"requests left the machine: {guard.outbound}"
    assert not guard.failed, f"failed responses: {guard.failed}"
