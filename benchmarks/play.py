"""Browser benchmark of the play page (Playwright + Debian's Chromium, the real server).

Prints:
- at about 10, 100 and 500 steps of history: the time from pressing Step to every visible
  chart having drawn the new step (median of 5), next to the engine's own step time, and the
  bytes the server sent the page per Step (websocket frames);
- the steps per second while playing at full speed around 500 steps, with the longest gap
  between chart updates (how far the charts can fall behind);
- the time from Play to the first redraw in fresh games;
- the server's resident memory: warm (one game played and closed), with 10 tabs each playing
  a game (per tab), after they all close (kernels culled after 2 s here), twice, so that
  what is kept and what is reused both show.

Targets (docs/play.md, "Speed and memory"): Step→charts < 200 ms at 500 steps of history;
>= 10 steps/s playing; memory per tab < 20 MB and returned after close.

    .venv/bin/python benchmarks/play.py [--pymalloc]

``--pymalloc`` serves with CPython's own allocator (``CHOKEPOINT_PYMALLOC=1``), as before the
server restarted itself with the C allocator (dashboards/server.py), for comparison.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hikvision_2019.yaml"
STEPS = 700
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]
CHARTS = ".chart"  # the ECharts containers; data-drawn: steps the browser has drawn
CULL = 2.0  # seconds without a connection before the server frees a tab's kernel
TABS = 10  # tabs open at once in the memory measure


def long_scenario(folder: Path) -> Path:
    """hikvision_2019 with 700 steps, so that 500 steps of history fit."""
    path = folder / "hikvision_long.yaml"
    path.write_text(SCENARIO.read_text().replace("steps: 156", f"steps: {STEPS}"))
    return path


def engine_step_ms(path: Path) -> float:
    from sim import TradeModel, load_scenario

    model = TradeModel(scenario=load_scenario(path))
    t = time.perf_counter()
    for _ in range(500):
        model.step()
    return (time.perf_counter() - t) / 500 * 1000


def serve(path: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": f"{CULL:g}s"}
    if "--pymalloc" in sys.argv[1:]:
        env["CHOKEPOINT_PYMALLOC"] = "1"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "play", str(path), "--no-browser",
                             "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", text)
    assert match
    return int(match.group(1)) / 1024


def threads(pid: int) -> int:
    match = re.search(r"Threads:\s+(\d+)", Path(f"/proc/{pid}/status").read_text())
    assert match
    return int(match.group(1))


class Frames:
    """Bytes of the websocket frames a page has received from the server."""

    def __init__(self, page) -> None:
        self.bytes = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.bytes += len(payload)


def chart_steps(page) -> list[int]:
    return page.eval_on_selector_all(CHARTS, "els => els.map(e => +e.dataset.drawn)")


LOST: list[int] = []  # steps at which a Step click reached no chart within 10 s


def wait_all(page, n: int, timeout: int = 30_000) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{CHARTS}')].every(e => +e.dataset.drawn === {n})",
        polling="raf", timeout=timeout)


def settle(page, quiet: float = 1.5) -> int:
    """Wait until the charts stop changing (the play loop has stopped, and the last state it
    made is drawn: on a slow machine that redraw comes a second after Pause, the charts being
    behind the game while it plays); return their step."""
    before, since = chart_steps(page), time.perf_counter()
    while True:
        time.sleep(0.25)
        now = chart_steps(page)
        if now != before or len(set(now)) != 1:
            before, since = now, time.perf_counter()
        elif time.perf_counter() - since >= quiet:
            return now[0]


def step_to_charts(page, frames: Frames) -> tuple[float, float]:
    """Median ms from clicking Step to every visible chart showing the new step, and the
    median bytes the server sent for it."""
    times, sizes = [], []
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(5):
        n = settle(page)
        step.wait_for(state="visible")
        before = frames.bytes
        t = time.perf_counter()
        step.click()
        try:
            wait_all(page, n + 1, timeout=10_000)
        except PlaywrightTimeout:  # the click was lost (counted, and the sample dropped)
            LOST.append(n)
            step.click()
            wait_all(page, n + 1)
            continue
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.3)  # (late frames of the same step: the status line, the news)
        sizes.append(frames.bytes - before)
    return statistics.median(times), statistics.median(sizes)


def choose(page, label: str, option: str) -> None:
    page.locator(".v-select").filter(has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def step_until(page, target: int) -> None:
    """Click Step until the charts show ``target`` steps."""
    step = page.get_by_role("button", name="Step", exact=True)
    while (n := settle(page)) < target:
        step.click()
        wait_all(page, n + 1)


def play_until(page, target: int) -> tuple[float, float]:
    """Play at full speed until the charts reach ``target``; return (steps/s, longest gap in
    seconds between two chart updates), measured from the first update."""
    page.get_by_role("button", name="Play").click()
    seen, last, gap, start = max(chart_steps(page)), None, 0.0, None
    first_step = seen
    while seen < target:
        now_steps = min(chart_steps(page))
        now = time.perf_counter()
        if now_steps > seen:
            if last is not None:
                gap = max(gap, now - last)
            else:
                start, first_step = now, now_steps
            last, seen = now, now_steps
        time.sleep(0.01)
    pause = page.get_by_role("button", name="Pause")
    if pause.count():  # (the loop may have stopped by itself between two polls)
        pause.click(timeout=5_000)
    page.get_by_role("button", name="Play").wait_for(timeout=30_000)
    rate = (seen - first_step) / max(last - start, 1e-9) if start else float("nan")
    return rate, gap


def new_game(browser, url: str, frames: list[Frames] | None = None):
    """A new tab with a game started as observer, its charts drawn at step 0 (its websocket
    bytes counted in ``frames``, when given)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    if frames is not None:
        frames.append(Frames(page))
    page.goto(url)
    choose(page, "Your role", "observe")
    page.get_by_role("button", name="Start the game").click()
    wait_all(page, 0)
    return page


def first_redraw(browser, url: str) -> float:
    """Seconds from pressing Play in a fresh game (25 steps/s) to the charts' first update."""
    page = new_game(browser, url)
    choose(page, "Speed", "25 steps/s")
    page.get_by_role("button", name="Play").click()
    clicked = time.perf_counter()
    page.wait_for_function(f"() => [...document.querySelectorAll('{CHARTS}')]"
                           f".every(e => +e.dataset.step > 0)", polling="raf", timeout=60_000)
    took = time.perf_counter() - clicked
    page.get_by_role("button", name="Pause").click()
    page.close()
    return took


def play_20(page):
    """Step twice, then play at full speed to step 20 and pause (what a tab of the memory
    measure does); returns the page."""
    step_until(page, 2)
    choose(page, "Speed", "as fast as possible")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => [...document.querySelectorAll('{CHARTS}')]"
                           ".every(e => +e.dataset.drawn >= 20)", timeout=120_000)
    pause = page.get_by_role("button", name="Pause")
    if pause.count():
        pause.click()
    return page


def memory(browser, url: str, pid: int) -> list[tuple[float, float, float, tuple[int, ...]]]:
    """(warm, with TABS tabs open, after they closed) server MB and its thread counts then,
    for two rounds of TABS tabs each playing 20 steps."""
    play_20(new_game(browser, url)).close()  # warm: everything a tab uses has been used once
    time.sleep(CULL + 10)
    rounds = []
    for _ in range(2):
        warm, t0 = rss_mb(pid), threads(pid)
        pages = []
        for _ in range(TABS):
            pages.append(play_20(new_game(browser, url)))
        for p in pages:
            play_20(p)
        full, t1 = rss_mb(pid), threads(pid)
        for p in pages:
            p.close()
        time.sleep(CULL + 10)
        rounds.append((warm, full, rss_mb(pid), (t0, t1, threads(pid))))
    return rounds


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = long_scenario(Path(tmp))
        engine = engine_step_ms(path)
        proc, url = serve(path)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS)
                frames: list[Frames] = []
                page = new_game(browser, url, frames)
                choose(page, "Speed", "50 steps/s")
                rows = []
                for history in (10, 100, 500):
                    if history <= 20:  # playing would overshoot by a redraw or two: step
                        step_until(page, history - 5)
                    else:
                        play_until(page, history - 5)
                    ms, size = step_to_charts(page, frames[0])
                    rows.append((settle(page), ms, size))
                choose(page, "Speed", "as fast as possible")
                rate, gap = play_until(page, 600)
                page.close()
                starts = [first_redraw(browser, url) for _ in range(8)]
                rounds = memory(browser, url, proc.pid)
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"engine step (mean of 500, in-process): {engine:.2f} ms")
    print(f"{'history':>8} {'Step→charts ms':>15} {'× engine step':>14} {'kB per Step':>12}")
    for history, ms, size in rows:
        print(f"{history:>8} {ms:>15.0f} {ms / engine:>14.0f} {size / 1000:>12.1f}")
    print("(target: Step→charts < 200 ms at 500 steps of history)"
          + (f"; Step clicks lost and clicked again: {len(LOST)} (at steps {LOST})"
             if LOST else ""))
    print(f"playing 500→600 steps: {rate:.1f} steps/s; longest gap between chart updates "
          f"{gap:.2f} s  (targets: >= 10 steps/s, <= 0.5 s)")
    print(f"Play→first redraw in 8 fresh games at 25 steps/s: median "
          f"{statistics.median(starts):.2f} s, longest {max(starts):.2f} s (target <= 0.5 s)")
    for k, (warm, full, after, counts) in enumerate(rounds, 1):
        per_tab = (full - warm) / TABS
        kept = (after - warm) / max(full - warm, 1e-9)
        print(f"memory, round {k}: warm {warm:.0f} MB, {TABS} tabs {full:.0f} MB "
              f"({per_tab:.1f} MB per tab), after they closed {after:.0f} MB "
              f"({1 - kept:.0%} of the tabs' memory returned); server threads "
              f"{counts[0]} / {counts[1]} / {counts[2]}")
    print("(targets: < 20 MB per tab, returned after close)")


if __name__ == "__main__":
    main()
