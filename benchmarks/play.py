"""Browser benchmark of the play page (Playwright + Debian's Chromium, the real server).

Prints, at about 10, 100 and 500 steps of history: the time from pressing Step to every
visible chart showing the new step (median of 5), next to the engine's own step time; and
the steps per second while playing at full speed around 500 steps, with the longest gap
between chart updates (how far the charts can fall behind).

Targets (issue 3): Step-to-charts < 300 ms; playing >= 10 steps/s at 500 steps of history with
the charts never more than 0.5 s behind.

    .venv/bin/python benchmarks/play.py
"""

from __future__ import annotations

import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "hikvision_2019.yaml"
STEPS = 700
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-gpu"]
CHARTS = ".chart"  # the ECharts containers; data-drawn: steps the browser has drawn


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
    proc = subprocess.Popen([sys.executable, "-m", "sim", "play", str(path), "--no-browser",
                             "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(200):
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start")


def chart_steps(page) -> list[int]:
    return page.eval_on_selector_all(CHARTS, "els => els.map(e => +e.dataset.drawn)")


def wait_all(page, n: int) -> None:
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{CHARTS}')].every(e => +e.dataset.drawn === {n})",
        polling="raf", timeout=30_000)


def settle(page) -> int:
    """Wait until the charts stop changing (the play loop has stopped); return their step."""
    before = chart_steps(page)
    while True:
        time.sleep(0.5)
        now = chart_steps(page)
        if now == before and len(set(now)) == 1:
            return now[0]
        before = now


def step_to_charts(page) -> float:
    """Median ms from clicking Step to every visible chart showing the new step."""
    times = []
    step = page.get_by_role("button", name="Step", exact=True)
    for _ in range(5):
        n = settle(page)
        t = time.perf_counter()
        step.click()
        wait_all(page, n + 1)
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.1)
    return statistics.median(times)


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


def new_game(browser, url: str):
    """A new tab with a game started as observer, its charts drawn at step 0."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = long_scenario(Path(tmp))
        engine = engine_step_ms(path)
        proc, url = serve(path)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                            args=CHROMIUM_ARGS)
                page = new_game(browser, url)
                choose(page, "Speed", "50 steps/s")
                rows = []
                for history in (10, 100, 500):
                    if history <= 20:  # playing would overshoot by a redraw or two: step
                        step_until(page, history - 5)
                    else:
                        play_until(page, history - 5)
                    ms = step_to_charts(page)
                    rows.append((settle(page), ms))
                choose(page, "Speed", "as fast as possible")
                rate, gap = play_until(page, 600)
                page.close()
                starts = [first_redraw(browser, url) for _ in range(8)]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    print(f"engine step (mean of 500, in-process): {engine:.2f} ms")
    print(f"{'history':>8} {'Step→charts ms':>15} {'× engine step':>14}")
    for history, ms in rows:
        print(f"{history:>8} {ms:>15.0f} {ms / engine:>14.0f}")
    print(f"playing 500→600 steps: {rate:.1f} steps/s; longest gap between chart updates "
          f"{gap:.2f} s  (targets: >= 10 steps/s, <= 0.5 s; Step→charts < 300 ms)")
    print(f"Play→first redraw in 8 fresh games at 25 steps/s: median "
          f"{statistics.median(starts):.2f} s, longest {max(starts):.2f} s (target <= 0.5 s)")


if __name__ == "__main__":
    main()
