"""Classroom benchmark: many sessions on one ``chokepoint classroom`` server.

Two kinds of student (``--clients``):

- ``raw`` (the default): each student is a bare websocket session on 127.0.0.1 that speaks
  Solara's kernel protocol (it starts the page as a browser does, keeps every widget's state
  from the server's messages, and clicks by sending the widget's click event). It costs almost
  nothing, so what is measured is the server: its wall time and CPU seconds, and how many
  update messages it sent;
- ``chromium``: each student is a real Chromium page (spread over a few browser contexts). On a
  small machine the browsers then compete with the server for the same cores.

Prints:
- one game with N students (default 40): the time from the last team locking in to every
  page showing the resolved turn (the server's CPU seconds meanwhile, the load average);
- 4 games at once (N/4 students each): the same, all games resolving together;
- the server's resident memory: cold (no page yet), warm (one page opened and closed: the
  game's models and charts loaded), with N sessions open (per session), after they closed
  (kernels culled after 2 s here; the share of their memory returned), after the 4 games'
  sessions closed (those games stay loaded), and after a second class of N opened and closed.

Targets (docs/classroom/README.md, "How big a class"): under 1 s to all 40; a class of 40 in
under 1 GB; memory returns after the sessions close. Bounded: at most N sessions open at once,
every wait has a timeout.

    .venv/bin/python benchmarks/classroom.py [--students 40] [--clients raw|chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
import warnings
from pathlib import Path

# websockets 14+ prefers ``with connect(...)``; the sessions here outlive any one block
warnings.filterwarnings("ignore", message="connect.. must be used as a context manager")

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
                 "--no-first-run", "--disable-renderer-backgrounding",
                 "--disable-background-timer-throttling"]
TIMEOUT = 120_000  # ms
CULL = 2.0  # seconds without a connection before the server frees a kernel


def returned(before: float, full: float, after: float) -> str:
    """The share of what the sessions took that came back once they closed, e.g. "85%"."""
    grew = full - before
    return f"{max(0.0, full - after) / grew:.0%}" if grew > 0 else "all"


def rss_mb(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", text).group(1)) / 1024


def cpu_s(pid: int) -> float:
    """User + system CPU seconds the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(db: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": f"{CULL:g}s", "PYTHONPATH": str(ROOT)}
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


def _message(kind: str, content: dict) -> str:
    return json.dumps({"header": {"msg_id": uuid.uuid4().hex, "msg_type": kind,
                                  "username": "bench", "session": "bench", "date": "",
                                  "version": "5.3"},
                       "parent_header": {}, "metadata": {}, "content": content,
                       "channel": "shell", "buffers": []})


class RawPage:
    """A student as a bare websocket session: the page at ``path`` runs in its own kernel on
    the server; this client keeps the widgets' states and the chart's step from the server's
    messages, and clicks a button by sending its click event."""

    def __init__(self, base: str, path: str):
        from websockets.sync.client import connect

        url = (base.replace("http://", "ws://") + f"/jupyter/api/kernels/{uuid.uuid4()}"
               f"/channels?session_id={uuid.uuid4()}")
        self.ws = connect(url, origin=base, open_timeout=60, max_size=None)
        self.widgets: dict[str, dict] = {}
        self.steps: dict[str, float] = {}  # chart step shown -> when it arrived
        self.messages = 0
        control = uuid.uuid4().hex
        self.ws.send(_message("comm_open", {"comm_id": control, "target_name": "solara.control",
                                            "data": {}}))
        self.ws.send(_message("comm_msg", {"comm_id": control, "data": {
            "method": "run", "args": {"path": path, "appName": "__default__"}}}))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            for raw in self.ws:
                self.messages += 1
                if isinstance(raw, bytes):
                    continue
                msg = json.loads(raw)
                content = msg.get("content") or {}
                state = (content.get("data") or {}).get("state") or {}
                if not state:
                    continue
                self.widgets.setdefault(content.get("comm_id"), {}).update(state)
                attrs = state.get("attributes")
                if isinstance(attrs, dict) and attrs.get("id") == "chart-market-share":
                    self.steps.setdefault(attrs["data-step"], time.perf_counter())
        except Exception:  # noqa: BLE001 - the connection closed
            pass

    def click(self, css_class: str) -> None:
        ids = [k for k, st in self.widgets.items() if css_class in str(st.get("class_", ""))]
        if not ids:
            raise RuntimeError(f"no widget with class {css_class}")
        self.ws.send(_message("comm_msg", {"comm_id": ids[-1], "data": {
            "method": "custom", "content": {"event": "click", "data": {}}}}))

    def shows(self, step: int) -> bool:
        return str(step) in self.steps

    def close(self) -> None:
        self.ws.close()


def wait(pages: list, step: int, timeout: float = TIMEOUT / 1000) -> None:
    t0 = time.monotonic()
    while not all(p.shows(step) for p in pages):
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{sum(p.shows(step) for p in pages)} of {len(pages)} pages "
                               f"show step {step}")
        time.sleep(0.01)


class Raw:
    """Students as :class:`RawPage` sessions."""

    def __init__(self, base: str):
        self.base = base

    def open(self, seats: list[str]) -> list[RawPage]:
        pages = [RawPage(self.base, f"/join?seat={s}") for s in seats]
        wait(pages, 0)
        time.sleep(0.5)
        return pages

    def lock(self, page: RawPage) -> None:
        page.click("lock-button")

    def resolved(self, pages: list[RawPage], step: int) -> None:
        wait(pages, step)

    def close(self, pages: list[RawPage]) -> None:
        for p in pages:
            p.close()

    def stop(self) -> None:
        pass


class Chromium:
    """Students as Chromium pages, spread over a few browser contexts."""

    def __init__(self, base: str, contexts: int = 4):
        from playwright.sync_api import sync_playwright

        self.base, self.n = base, contexts
        self.pw = sync_playwright().start()
        self.browser = self.pw.chromium.launch(executable_path="/usr/bin/chromium",
                                               args=CHROMIUM_ARGS)
        self.ctxs: list = []

    def open(self, seats: list[str]) -> list:
        self.ctxs = [self.browser.new_context(viewport={"width": 1000, "height": 800})
                     for _ in range(self.n)]
        pages = []
        for i, seat in enumerate(seats):
            page = self.ctxs[i % self.n].new_page()
            page.goto(f"{self.base}/join?seat={seat}")
            pages.append(page)
        for page in pages:
            page.locator(".lock-button").wait_for(timeout=TIMEOUT)
        return pages

    def lock(self, page) -> None:
        page.locator(".lock-button").click()

    def resolved(self, pages: list, step: int) -> None:
        for page in pages:
            page.wait_for_function(
                # drawn by the browser (ECharts), not only received
                f"document.querySelector('#chart-market-share')?.dataset.drawn === '{step}'",
                timeout=TIMEOUT, polling=20)

    def close(self, pages: list) -> None:
        for c in self.ctxs:
            c.close()

    def stop(self) -> None:
        self.browser.close()
        self.pw.stop()


def resolve_and_wait(clients, first: list, last: list, pages: list, step: int,
                     pid: int) -> tuple[float, float, int]:
    """Lock the ``first`` teams in, then the ``last`` ones (the clock starts at the first of
    these clicks); (seconds until every page shows ``step`` in its chart, the server's CPU
    seconds meanwhile, update messages the raw pages received)."""
    for page in first:
        clients.lock(page)
    time.sleep(1.5)
    before = sum(getattr(p, "messages", 0) for p in pages)
    cpu0, t0 = cpu_s(pid), time.perf_counter()
    for page in last:
        clients.lock(page)
    clients.resolved(pages, step)
    secs = time.perf_counter() - t0
    return secs, cpu_s(pid) - cpu0, sum(getattr(p, "messages", 0) for p in pages) - before


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=40)
    ap.add_argument("--clients", choices=["raw", "chromium"], default="raw")
    args = ap.parse_args()
    n = args.students
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
        again = game(n)
        room.close()
        proc, base = start(db)
        clients = Raw(base) if args.clients == "raw" else Chromium(base)
        print(f"{n} students as {args.clients} clients; {os.cpu_count()} cores; {load()}")
        try:
            time.sleep(1)
            cold = rss_mb(proc.pid)
            clients.close(clients.open(one[:1]))
            time.sleep(CULL + 6)
            warm = rss_mb(proc.pid)
            pages = clients.open(one)
            full = rss_mb(proc.pid)
            secs, cpu, msgs = resolve_and_wait(clients, [pages[0]], [pages[1]], pages, 4,
                                               proc.pid)
            print(f"one game, {n} students: last lock-in → all {n} pages updated in "
                  f"{secs:.2f} s (target < 1 s); server CPU {cpu:.2f} s"
                  + (f", {msgs} messages" if msgs else "") + f"; {load()}")
            clients.close(pages)
            time.sleep(CULL + 8)
            closed = rss_mb(proc.pid)  # the same games loaded as with the class: what it kept
            pages = clients.open([s for g in four for s in g])
            size = n // 4
            secs, cpu, msgs = resolve_and_wait(
                clients, [pages[i * size] for i in range(4)],
                [pages[i * size + 1] for i in range(4)], pages, 4, proc.pid)
            print(f"4 games at once, {size} students each: last lock-in → all pages "
                  f"updated in {secs:.2f} s; server CPU {cpu:.2f} s; {load()}")
            clients.close(pages)
            time.sleep(CULL + 8)
            after = rss_mb(proc.pid)
            clients.close(clients.open(again))
            time.sleep(CULL + 8)
            second = rss_mb(proc.pid)
            print(f"server memory: {cold:.0f} MB cold, {warm:.0f} MB warm (one page opened "
                  f"and closed), {full:.0f} MB with {n} sessions "
                  f"({(full - warm) / n:.1f} MB per session; target: a class of 40 < 1 GB), "
                  f"{closed:.0f} MB after they closed ({returned(warm, full, closed)} of it "
                  f"returned; target: memory returns), {after:.0f} MB after the 4 games' "
                  f"sessions closed (their games stay loaded), {second:.0f} MB after a second "
                  f"class of {n} opened and closed")
        finally:
            clients.stop()
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
