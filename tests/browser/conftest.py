"""Fixtures and helpers for end-to-end tests: the real ``chokepoint play`` server, Debian's
Chromium, an offline guard that aborts and records every request leaving 127.0.0.1 (one context,
or a page per person with :func:`new_page` and :func:`close_pages`), stopping a server, picking
in a Vuetify select, and replaying a page's export as a ``chokepoint run``.

Browser tests skip when /usr/bin/chromium is missing, except under CI=true, where they fail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any
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


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate a server started by a test; kill it if it has not stopped within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def chokepoint_run(file: Path, out: Path, *options: str) -> bytes:
    """``chokepoint run FILE OPTIONS --out OUT`` in a subprocess, as a user replays what a page
    exported; returns the file it wrote."""
    subprocess.run([sys.executable, "-m", "sim", "run", str(file), *options, "--out", str(out)],
                   check=True, cwd=ROOT, capture_output=True)
    return out.read_bytes()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label``."""
    page.locator(".v-select").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


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
    stop_server(proc)
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


def guarded_context(browser) -> tuple[Any, Offline]:
    """A browser context whose requests pass through a new :class:`Offline` guard."""
    guard = Offline()
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    ctx.route("**/*", guard.route)
    ctx.on("response", guard.response)
    return ctx, guard


def new_page(browser, guards: list[tuple[Any, Offline]]) -> Any:
    """A page in a guarded context of its own (a teacher, a team, a projector: one person
    each), recorded in ``guards`` for :func:`close_pages`."""
    ctx, guard = guarded_context(browser)
    guards.append((ctx, guard))
    return ctx.new_page()


def close_pages(guards: list[tuple[Any, Offline]], failed_ok: bool = False) -> None:
    """Close the contexts of :func:`new_page` (a test may have closed some), then fail on any
    request that tried to leave the machine and, unless ``failed_ok``, on any response >= 400."""
    for ctx, _ in guards:
        try:
            ctx.close()
        except Exception:  # noqa: BLE001 - closed by the test
            pass
    for _, guard in guards:
        assert not guard.outbound, f"requests left the machine: {guard.outbound}"
        if not failed_ok:
            assert not guard.failed, f"failed responses: {guard.failed}"


@pytest.fixture
def context(browser):
    """A browser context that lets only local requests through; fails the test on any other
    request and on any response >= 400."""
    guards = [guarded_context(browser)]
    yield guards[0][0]
    close_pages(guards)
