"""Classroom benchmark: many real browser sessions on one ``chokepoint classroom`` server.

Each student is a Chromium page on 127.0.0.1 (its own Solara websocket and kernel); pages are
spread over a few browser contexts. Prints:
- one game with N students (default 40): the time from the last team locking in to every
  page showing the resolved turn;
- 4 games at once (N/4 students each): the same, all games resolving together;
- the server's resident memory: at start, with N sessions open (per session), and after all
  have closed (kernels culled after 5 s here).

Targets (issue 10): under 1 s to all 40; a class of 40 in under 1 GB; memory returns after the
sessions close. Bounded: at most N pages open at once, every wait has a timeout.

    .venv/bin/python benchmarks/classroom.py [--students 40]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--no-first-run", "--disable-renderer-backgrounding",
                 "--disable-background-timer-throttling"]
TIMEOUT = 120_000


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def start(db: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": "5s", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim", "classroom", "--no-browser", "--port",
                             str(port), "--db", db], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/join", timeout=2).close()
            return proc, base
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("server did not start")


def open_seats(browser, base: str, seats: list[str], contexts: int = 4) -> list:
    ctxs = [browser.new_context(viewport={"width": 1000, "height": 800})
            for _ in range(contexts)]
    pages = []
    for i, seat in enumerate(seats):
        page = ctxs[i % contexts].new_page()
        page.goto(f"{base}/join?seat={seat}")
        pages.append(page)
    for page in pages:
        page.locator(".lock-button").wait_for(timeout=TIMEOUT)
    return ctxs, pages


def resolve_and_wait(first: list, last: list, pages: list, step: int) -> float:
    """Lock the ``first`` teams in, then the ``last`` ones (the clock starts at the first of
    these clicks); seconds until every page shows ``step`` in its chart."""
    for page in first:
        page.locator(".lock-button").click()
    time.sleep(1.0)
    t0 = time.perf_counter()
    for page in last:
        page.locator(".lock-button").click()
    for page in pages:
        page.wait_for_function(
            f"document.querySelector('#chart-market-share')?.dataset.step === '{step}'",
            timeout=TIMEOUT, polling=20)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=40)
    n = ap.parse_args().students
    sys.path.insert(0, str(ROOT))
    from sim.classroom import Classroom

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        room = Classroom(db)

        def game(students: int) -> list[str]:
            g = room.create_game(SCENARIO, seed=1, humans=["US", "ZTE"])
            return [room.join(g.code, "US" if i % 2 == 0 else "ZTE", client=str(i))
                    for i in range(students)]

        one = game(n)
        four = [game(n // 4) for _ in range(4)]
        room.close()
        proc, base = start(db)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS)
                time.sleep(1)
                idle = rss_mb(proc.pid)
                ctxs, pages = open_seats(browser, base, one)
                full = rss_mb(proc.pid)
                secs = resolve_and_wait([pages[0]], [pages[1]], pages, 4)
                print(f"one game, {n} students: last lock-in → all {n} pages updated in "
                      f"{secs:.2f} s (target < 1 s)")
                print(f"server memory: {idle:.0f} MB idle, {full:.0f} MB with {n} sessions "
                      f"({(full - idle) / n:.1f} MB per session; target: a class of 40 "
                      f"< 1 GB)")
                for c in ctxs:
                    c.close()
                ctxs, pages = open_seats(browser, base, [s for g in four for s in g])
                size = n // 4
                secs = resolve_and_wait([pages[i * size] for i in range(4)],
                                        [pages[i * size + 1] for i in range(4)], pages, 4)
                print(f"4 games at once, {size} students each: last lock-in → all pages "
                      f"updated in {secs:.2f} s")
                for c in ctxs:
                    c.close()
                browser.close()
            time.sleep(12)  # kernels culled after 5 s without a connection
            after = rss_mb(proc.pid)
            print(f"after every session closed: {after:.0f} MB "
                  f"({after - idle:+.0f} MB against idle, {after / full:.2f}× the peak)")
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
