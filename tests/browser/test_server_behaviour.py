"""The hardened server (dashboards/server.py) by what it does, on a page of our own served by
``dashboards.server.serve``: a page component that genuinely raises shows the error card in the
browser, with no traceback text in the page (the traceback goes to the server's log); and the
kernel of a tab whose browser dies (no page-close message: the case culling is for) is culled
after the cull timeout, which ``SOLARA_KERNEL_CULL_TIMEOUT`` sets (shortened here to seconds),
and not before.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, require_chromium
from tests.servers import wait_until_serving

pytestmark = pytest.mark.browser

CULL_SECONDS = 6

APP = textwrap.dedent('''
    """A page that breaks when asked, and a log of each kernel's start and close."""
    import os

    import solara
    import solara.lifecycle
    from solara.server import kernel_context

    LOG = os.environ["TEST_KERNEL_LOG"]


    def _write(line):
        with open(LOG, "a", encoding="utf-8") as fh:
            fh.write(line + "\\n")


    def _on_start():
        context = kernel_context.get_current_context()
        _write(f"start {context.id}")
        return lambda: _write(f"closed {context.id} {context.close_reason}")


    solara.lifecycle.on_kernel_start(_on_start)


    @solara.component
    def Page():
        broken, set_broken = solara.use_state(False)
        if broken:
            raise ValueError("the page broke on purpose \\x1b[2J")
        solara.Button("Break it", on_click=lambda: set_broken(True))
        solara.Text("all is well")
''')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    require_chromium()
    folder = tmp_path_factory.mktemp("behaviour")
    app, kernels, log = folder / "breaking_app.py", folder / "kernels.log", folder / "server.log"
    app.write_text(APP)
    kernels.touch()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TEST_KERNEL_LOG": str(kernels),
           "SOLARA_KERNEL_CULL_TIMEOUT": f"{CULL_SECONDS}s"}
    script = (f"from dashboards.server import serve; serve({str(app)!r}, port={port}, "
              f"open_browser=False)")
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    wait_until_serving(proc, url, log)
    yield url, kernels, log
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_a_crashing_page_shows_the_error_card_and_no_traceback(server) -> None:
    from playwright.sync_api import sync_playwright

    url, _, log = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            page.get_by_text("all is well").wait_for(timeout=30_000)
            page.get_by_role("button", name="Break it").click()
            page.get_by_text("Something went wrong, and this page cannot go on.").wait_for(
                timeout=30_000)
            text = page.inner_text("body")
            html = re.sub(r"<style.*?</style>", "", page.content(), flags=re.S)  # CSS names
        finally:
            browser.close()
    assert "ValueError: the page broke on purpose \\x1b[2J" in text  # escaped, one line
    assert "Reload the page to start again" in text
    for leak in ("Traceback", 'File "', "breaking_app.py", "raise ValueError", "\x1b"):
        assert leak not in text and leak not in html, leak
    server_log = log.read_text()  # the operator still gets the whole story
    assert "Traceback" in server_log and "raise ValueError" in server_log


def _kernel_lines(kernels: Path) -> list[str]:
    return kernels.read_text().splitlines()


def test_a_dead_tabs_kernel_is_culled_after_the_timeout(server, tmp_path: Path) -> None:
    """Chromium killed with SIGKILL sends no page-close: only culling frees its kernel."""
    from playwright.sync_api import sync_playwright

    url, kernels, _ = server
    port = free_port()
    chromium = subprocess.Popen([CHROMIUM, "--headless=new", *CHROMIUM_ARGS,
                                 f"--remote-debugging-port={port}",
                                 f"--user-data-dir={tmp_path / 'profile'}", "about:blank"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        before = set(_kernel_lines(kernels))
        with sync_playwright() as p:
            for _ in range(100):
                try:
                    browser = p.chromium.connect_over_cdp(f"http://127.0.0.1:{port}")
                    break
                except Exception:  # noqa: BLE001 - Chromium still starting
                    time.sleep(0.2)
            page = browser.contexts[0].new_page()
            page.goto(url)
            page.get_by_text("all is well").wait_for(timeout=30_000)
            started = [line for line in _kernel_lines(kernels)
                       if line not in before and line.startswith("start ")]
            assert len(started) == 1, _kernel_lines(kernels)
            kernel = started[0].split()[1]
            os.killpg(chromium.pid, signal.SIGKILL)  # the tab dies without a word
            chromium.wait()
            killed = time.monotonic()
    finally:
        if chromium.poll() is None:
            os.killpg(chromium.pid, signal.SIGKILL)
            chromium.wait()
    closed = re.compile(rf"closed {re.escape(kernel)} (\S+)")
    time.sleep(CULL_SECONDS / 2)
    assert not [m for line in _kernel_lines(kernels) if (m := closed.fullmatch(line))], \
        "culled before the timeout"
    reason = None
    while time.monotonic() - killed < CULL_SECONDS + 30 and reason is None:
        time.sleep(0.5)
        reason = next((m[1] for line in _kernel_lines(kernels)
                       if (m := closed.fullmatch(line))), None)
    assert reason == "cull", _kernel_lines(kernels)
    assert time.monotonic() - killed >= CULL_SECONDS
