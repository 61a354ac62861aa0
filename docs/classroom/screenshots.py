"""Make the classroom guide's screenshots (docs/classroom/*.png) from a real server.

Starts ``chokepoint classroom`` on a fresh SQLite file and a free port (its public address
given as the guide's example, ``http://192.168.1.20:8766``), plays the guide's scenes in
headless Chromium (/usr/bin/chromium) and writes the pictures next to this file:

- a single game of ``lesson: denial_order``: the projector in the lobby
  (``projector-lobby.png``), a team's page on a phone with a move made
  (``team-phone.png``), the teacher's page during the turn (``teacher-game.png``) and the
  projector with a broadcast (``projector-broadcast.png``);
- a class in 3 groups: the create form and a group's game (``groups-create.png``), joining
  the class (``groups-join.png``), the overview in the lobby with *Start every group*
  (``groups-lobby.png``), the overview in turn 4 with group 2's US locked in (group 1's US
  listed ZTE in turn 1, group 2's in turn 2, group 3's never)
  (``groups-overview.png``) and the groups compared (``groups-compare.png``).

Run it from the repository's root: ``.venv/bin/python docs/classroom/screenshots.py``
(a few minutes; it needs Playwright, from the ``dev`` extra).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHROMIUM = "/usr/bin/chromium"
PUBLIC = "http://192.168.1.20:8766"
TIMEOUT = 60_000
DESKTOP = {"width": 1400, "height": 1000}
PROJECTOR = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
NAMES = ["chloe", "farid", "ines", "lea", "maya", "noah", "omar", "pia", "rui", "sara",
         "tom", "uma"]


@contextmanager
def server() -> Iterator[tuple[str, str]]:
    """``chokepoint classroom`` on a fresh database; yields (base URL, teacher's URL)."""
    with tempfile.TemporaryDirectory() as tmp:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        log = Path(tmp) / "server.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "classroom", "--no-browser", "--port", str(port),
             "--db", f"sqlite:///{tmp}/class.db", "--public-url", PUBLIC],
            cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(base + "/join", timeout=2):
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(log.read_text()) from None
                    time.sleep(0.5)
            found = re.search(r"(http://\S+/teacher\?token=\S+)", log.read_text())
            assert found, log.read_text()
            yield base, found.group(1).replace(PUBLIC, base)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def page(browser: Browser, viewport: dict[str, int]) -> Page:
    return browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]


def choose(p: Page, label: str, option: str) -> None:
    """Pick ``option`` in the Vuetify select labelled ``label``."""
    p.locator(".v-select").filter(has_text=label).first.click()
    p.get_by_role("option", name=option, exact=True).click()


def fill(p: Page, label: str, value: str) -> None:
    field = p.get_by_label(label)
    field.fill(value)
    field.press("Enter")


def settle(p: Page) -> None:
    """Let the page finish drawing (charts, fonts) before the picture."""
    p.wait_for_timeout(1500)


def join_game(browser: Browser, base: str, code: str, team: str, nickname: str) -> Page:
    student = page(browser, PHONE)
    student.goto(f"{base}/join?code={code}")
    student.get_by_label("Nickname (optional, no real names needed)").fill(nickname)
    choose(student, "Your team", team)
    student.locator(".join-button").click()
    expect(student.locator(".seat-banner")).to_be_visible(timeout=TIMEOUT)
    return student


def make_move(student: Page, move: str) -> None:
    choose(student, "Move", move)
    expect(student.locator(".move-submit")).to_be_enabled(timeout=TIMEOUT)
    student.wait_for_timeout(500)  # the form drawn: a click while it is built is lost
    student.locator(".move-submit").click()
    expect(student.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)


def single_game(browser: Browser, base: str, teacher_url: str) -> None:
    teacher = page(browser, DESKTOP)
    teacher.goto(teacher_url)
    expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
    choose(teacher, "Scenario", "lesson: denial_order")
    fill(teacher, "Turn length (seconds; 0: no timer)", "0")
    teacher.locator(".create-game").click()
    code = teacher.locator(".join-code")
    expect(code).to_have_text(re.compile(r"^[A-Z2-9]{8}$"), timeout=TIMEOUT)
    game = code.inner_text()

    projector = page(browser, PROJECTOR)
    projector.goto(f"{base}/projector?code={game}")
    ana = join_game(browser, base, game, "US", "ana")
    expect(projector.locator(".lobby")).to_contain_text("ana", timeout=TIMEOUT)
    settle(projector)
    projector.screenshot(path=str(HERE / "projector-lobby.png"))

    join_game(browser, base, game, "ZTE", "ben")
    teacher.locator(".start-button").click()
    expect(teacher.locator(".start-button")).to_have_count(0, timeout=TIMEOUT)
    expect(ana.locator(".move-submit")).to_be_visible(timeout=TIMEOUT)
    make_move(ana, "entity_list")
    ana.locator(".lock-button").scroll_into_view_if_needed()
    ana.mouse.wheel(0, 200)
    settle(ana)
    ana.screenshot(path=str(HERE / "team-phone.png"))

    fill(teacher, "Message to every page", "Two minutes left, team!")
    teacher.locator(".broadcast-button").click()
    expect(projector.get_by_text("Two minutes left, team!")).to_be_visible(timeout=TIMEOUT)
    settle(teacher)
    teacher.screenshot(path=str(HERE / "teacher-game.png"), full_page=True)
    settle(projector)
    projector.screenshot(path=str(HERE / "projector-broadcast.png"))
    for p in (teacher, projector, ana):
        p.context.close()


def groups(browser: Browser, base: str, teacher_url: str) -> None:
    teacher = page(browser, {"width": 1100, "height": 900})
    teacher.goto(teacher_url)
    expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
    choose(teacher, "Scenario", "lesson: denial_order")
    teacher.locator(".v-select").filter(has_text="Teams played by students").first.click()
    teacher.get_by_role("option", name="CN", exact=True).click()
    teacher.keyboard.press("Escape")
    choose(teacher, "Groups (several worlds in one room)", "a number of groups")
    fill(teacher, "How many groups", "3")
    fill(teacher, "Turn length (seconds; 0: no timer)", "240")
    teacher.locator(".create-game").click()
    link = teacher.locator(".class-link")
    expect(link).to_contain_text("3 groups", timeout=TIMEOUT)
    settle(teacher)
    teacher.screenshot(path=str(HERE / "groups-create.png"))

    overview = page(browser, {"width": 1000, "height": 800})
    overview.goto(base + (link.get_attribute("href") or ""))
    expect(overview.locator(".group-card")).to_have_count(3, timeout=TIMEOUT)
    code = overview.locator(".class-code").inner_text()

    kept: dict[tuple[str, str], Page] = {}  # (game, team) -> the first student's page
    for i, name in enumerate(NAMES):
        student = page(browser, {"width": 520, "height": 400})
        student.goto(f"{base}/join?code={code}")
        student.get_by_label("Nickname (optional, no real names needed)").fill(name)
        if i == len(NAMES) - 1:
            card = student.locator(".v-card").filter(has_text="Join the class")
            settle(student)
            card.screenshot(path=str(HERE / "groups-join.png"))
        student.locator(".class-join-button").click()
        banner = student.locator(".seat-banner")
        expect(banner).to_be_visible(timeout=TIMEOUT)
        seat = re.search(r"You are team (\S+) in game (\S+)\.", banner.inner_text())
        assert seat, banner.inner_text()
        if (seat.group(2), seat.group(1)) not in kept:
            kept[(seat.group(2), seat.group(1))] = student
        else:
            student.context.close()
    start = overview.locator(".start-all")
    expect(start).to_contain_text("3 in the lobby", timeout=TIMEOUT)
    for n in (1, 2, 3):
        expect(overview.locator(f".group-{n} [data-role=ZTE]")).to_contain_text(
            "2 students", timeout=TIMEOUT)
    settle(overview)
    overview.screenshot(path=str(HERE / "groups-lobby.png"), full_page=True)
    start.click()
    expect(start).to_have_count(0, timeout=TIMEOUT)

    games = [re.search(r"game (\S+)", overview.locator(f".group-{n}").inner_text())
             for n in (1, 2, 3)]
    g1, g2 = (m.group(1) for m in games[:2] if m)
    us1, us2 = kept[(g1, "US")], kept[(g2, "US")]
    for turn in (2, 3, 4):
        if turn < 4:  # group 1's US lists ZTE in turn 1, group 2's in turn 2; group 3's never
            make_move(us1 if turn == 2 else us2, "entity_list")
        overview.locator(".resolve-all").click()
        for n in (1, 2, 3):
            expect(overview.locator(f".group-{n} .group-state")).to_have_attribute(
                "data-turn", str(turn), timeout=TIMEOUT)
    us2.locator(".lock-button").click()
    expect(overview.locator(".group-2 [data-role=US] .lock-state")).to_have_text(
        "✔ locked in", timeout=TIMEOUT)
    settle(overview)
    overview.screenshot(path=str(HERE / "groups-overview.png"), full_page=True)

    compare = page(browser, {"width": 1000, "height": 800})
    compare.goto(base + (overview.locator(".compare-link").get_attribute("href") or ""))
    expect(compare.locator(".compare-chart")).to_have_count(6, timeout=TIMEOUT)
    settle(compare)
    compare.screenshot(path=str(HERE / "groups-compare.png"), full_page=True)


def main() -> None:
    with server() as (base, teacher_url), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        try:
            single_game(browser, base, teacher_url)
            groups(browser, base, teacher_url)
        finally:
            browser.close()
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.png"))))


if __name__ == "__main__":
    main()
