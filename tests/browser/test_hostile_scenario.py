"""End to end: a hostile scenario's text runs nothing in Chromium (docs/security.md).

Its description carries the OWASP XSS vectors as Markdown and as raw HTML; its name, a firm
(and so a team and the news) and a country carry more. It is pasted on the play page and played
a turn, and it is a classroom lesson whose team page (the brief, the news) and projector are
opened. On every page: no dialog opens, no script error is logged, and the DOM holds no
attribute or link of the scenario's that would run (an ``on…`` handler, a ``javascript:``,
``data:`` or ``vbscript:`` address) and no element it smuggled in (``<script>``,
``<iframe>``, ``<svg>``, ``<img>``). The description's links are clicked too. Screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, free_port, require_chromium
from tests.browser.test_play import choose, play_to_end
from tests.servers import wait_until_serving
from tests.worlds import rename

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
TIMEOUT = 60_000
FIRM = "ZTE <svg onload=alert('firm')>"
COUNTRY = "CN [c](javascript:alert('country'))"
DESCRIPTION = """**A hostile lesson.** Read the brief first.

[Open the briefing](javascript:alert(document.cookie)) ·
[mixed](JaVaScRiPt:alert('mixed')) · [encoded](&#106;avascript:alert('encoded')) ·
[tabbed](java\tscript:alert('tab')) ·
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) ·
[vb](vbscript:msgbox('vb')) · [ref][r] · <javascript:alert('autolink')>

[r]: javascript:alert('reference')

<script>alert('script')</script> <img src=x onerror=alert('img')>
<svg/onload=alert('svg')> <iframe src="javascript:alert('iframe')"></iframe>
<a href="javascript:alert('raw')" onmouseover="alert('hover')">raw link</a>
<div style="background-image: url(javascript:alert('css'))">styled</div>
<details open ontoggle=alert('toggle')>

| team | note |
|---|---|
| [US](javascript:alert('cell')) | <b onmouseover=alert('cell2')>bold</b> |
"""
# the scenario's own attack markers: none may appear in an attribute, a link or a script
MARKER = re.compile(r"alert\(|msgbox\(|javascript:|vbscript:|data:text", re.IGNORECASE)

# what in the DOM would run: an event handler, an address a browser would run (as it parses
# it: javascript:, vbscript:, data:), a style with a script, a script or an element smuggled in
DOM_CHECK = """() => {
  const bad = [];
  const marker = /alert\\(|msgbox\\(/i;
  const urls = ['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'background'];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const shown = `<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`;
      if (a.name.startsWith('on')) bad.push(shown);
      if (a.name === 'style' && /javascript:|expression\\(/i.test(a.value)) bad.push(shown);
      if (urls.includes(a.name)) {
        let scheme = '';
        try { scheme = new URL(a.value, document.baseURI).protocol; } catch (e) {}
        if (['javascript:', 'vbscript:', 'data:'].includes(scheme) && marker.test(atob2(a.value)))
          bad.push(shown);
      }
    }
  }
  for (const s of document.scripts)
    if (marker.test(s.textContent)) bad.push('<script>' + s.textContent.slice(0, 80));
  for (const el of document.querySelectorAll('iframe, object, embed, img[src="x"], svg[onload]'))
    bad.push('<' + el.tagName.toLowerCase() + '>');
  return bad;
  function atob2(v) {  // a data: address's text, decoded when it is base64
    const m = /^\\s*data:[^,]*;base64,(.*)$/i.exec(v);
    try { return m ? atob(m[1]) : v; } catch (e) { return v; }
  }
}"""


# what a reader does: the mouse over every element the scenario's text made, a click on every
# link that does not lead away (one without an address, or a script's)
POKE = """() => {
  for (const el of document.querySelectorAll('.prose *, .classroom-panel *'))
    el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true}));
  for (const a of document.querySelectorAll('.prose a, .classroom-panel a'))
    if (!a.getAttribute('href') || /^\\s*(javascript|vbscript):/i.test(a.getAttribute('href')))
      a.click();
}"""


def hostile_lesson(folder: Path) -> Path:
    """The lesson with the description above, a hostile name, firm (and team) and country, and
    an event at step 2 that lists the hostile firm (so the news names it)."""
    doc = yaml.safe_load(LESSON.read_text(encoding="utf-8"))
    doc["name"] = "Lesson <img src=x onerror=alert('name')> [n](javascript:alert('name2'))"
    doc["description"] = DESCRIPTION
    doc = rename(rename(doc, "ZTE", FIRM), "CN", COUNTRY)
    doc["events"] = [{"id": "evil", "at": 2, "by": "US", "move": "entity_list", "target": FIRM}]
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


# ipywidgets' note when the page touches a widget the server has just closed (a page swapped
# for another: the join form for the team's page); no script of a scenario's says it
WIDGET_SYNC = "Syncing error: no comm channel defined"


class Watch:
    """Dialogs and script errors of a page (a dialog is dismissed and recorded)."""

    def __init__(self, page: Page):
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _console(self, message) -> None:
        if message.type == "error" and message.text != WIDGET_SYNC:
            self.errors.append(message.text)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def assert_nothing_ran(page: Page, watch: Watch, shot: str) -> None:
    """Move the mouse over everything the scenario's text made and click its links that stay
    on the page (handlers and ``javascript:`` links fire then), then check."""
    page.evaluate(POKE)
    page.wait_for_timeout(500)
    page.screenshot(path=ARTIFACTS / shot, full_page=True)
    assert not watch.dialogs, f"a dialog opened: {watch.dialogs}"
    assert not watch.errors, f"script errors: {watch.errors}"
    assert page.evaluate(DOM_CHECK) == []


# -- the play page: a pasted scenario --------------------------------------------------------
def test_a_pasted_hostile_scenario_runs_nothing_on_the_play_page(server, context, tmp_path):
    page = context.new_page()
    watch = Watch(page)
    page.goto(server)
    expect(page.get_by_text("Start the game")).to_be_visible(timeout=TIMEOUT)
    page.get_by_text("or paste a scenario's YAML").click()
    page.get_by_label("Scenario YAML").fill(hostile_lesson(tmp_path).read_text())
    page.get_by_role("button", name="Use the pasted scenario").click()
    expect(page.get_by_text("A hostile lesson.")).to_be_visible(timeout=TIMEOUT)
    # what Markdown is for is kept, and raw HTML shows as the text it is
    expect(page.locator(".prose strong").filter(has_text="A hostile lesson.")).to_be_visible()
    expect(page.locator(".prose a").filter(has_text="Open the briefing")).to_be_visible()
    expect(page.locator(".prose").filter(has_text="<script>alert('script')</script>")
           ).to_be_visible()
    assert_nothing_ran(page, watch, "hostile_1_play_setup.png")
    choose(page, "Your role", "US")
    page.get_by_role("button", name="Start the game").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "0",
                                                                   timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile("^Lesson <img"))).to_be_visible()
    page.get_by_role("button", name="End turn").click()
    expect(page.locator("#chart-market-price")).to_have_attribute("data-step", "4",
                                                                   timeout=TIMEOUT)
    assert_nothing_ran(page, watch, "hostile_2_play_game.png")
    play_to_end(page, 24)  # the score card and the debrief: tables of the hostile names
    assert_nothing_ran(page, watch, "hostile_3_play_end.png")


# -- the classroom: a hostile lesson ---------------------------------------------------------
def serve_hostile(tmp_path_factory, name: str):
    """``chokepoint classroom`` on a database holding one game of the hostile lesson (US the
    one team; the hostile firm played by its bot); yields (base URL, join code)."""
    require_chromium()
    from sim.classroom import Classroom

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp(name)
    db = f"sqlite:///{folder / 'class.db'}"
    room = Classroom(db)
    code = room.create_game(hostile_lesson(folder), seed=1, humans=["US"]).code
    room.close()
    log = ARTIFACTS / f"{name}-server.log"
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "sim", "classroom", "--no-browser",
                             "--port", str(port), "--db", db], cwd=ROOT,
                            stdout=log.open("w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base + "/join", log)
    yield base, code
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    assert "Traceback" not in log.read_text(), log.read_text()


@pytest.fixture(scope="module")
def hostile_classroom(tmp_path_factory):
    yield from serve_hostile(tmp_path_factory, "hostile-classroom")


@pytest.fixture
def guessed_classroom(tmp_path_factory):
    """A server of its own: the guessing test uses its address's attempts up."""
    yield from serve_hostile(tmp_path_factory, "guessed-classroom")


def test_a_hostile_lesson_runs_nothing_in_the_classroom(hostile_classroom, context):
    base, code = hostile_classroom
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{base}/join")
    page.get_by_label("Join code").fill(code)
    page.get_by_label("Nickname (optional, no real names needed)").fill("<b>me</b>")
    choose(page, "Your team", "US")
    page.locator(".join-button").click()
    expect(page.locator(".seat-banner")).to_be_visible(timeout=TIMEOUT)
    brief = page.locator(".brief")
    expect(brief.locator("strong").filter(has_text="A hostile lesson.")).to_be_visible()
    expect(brief.locator("a").filter(has_text="Open the briefing")).to_be_visible()
    assert_nothing_ran(page, watch, "hostile_4_team_brief.png")
    choose(page, "Move", "entity_list")  # the US lists the hostile firm: the news names it
    choose(page, "Target", FIRM)
    page.locator(".move-submit").click()
    expect(page.locator(".move-ok")).to_be_visible(timeout=TIMEOUT)
    page.locator(".lock-button").click()  # the one team locks in: the turn resolves
    expect(page.locator(".news")).to_contain_text(FIRM, timeout=TIMEOUT)
    assert_nothing_ran(page, watch, "hostile_5_team_news.png")
    projector = context.new_page()
    watch = Watch(projector)
    projector.goto(f"{base}/projector?code={code}")
    expect(projector.locator(".news")).to_contain_text(FIRM, timeout=TIMEOUT)
    assert_nothing_ran(projector, watch, "hostile_6_projector.png")
    assert not MARKER.search(projector.url)


def test_the_join_form_shows_teams_only_for_a_found_code_and_limits_guessing(
        hostile_classroom, context):
    """A partial or wrong code shows no team; the right one does; a browser typing codes one
    after another is stopped after ten (docs/security.md)."""
    base, code = hostile_classroom
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{base}/join")
    field = page.get_by_label("Join code")
    field.fill(code[:-1])
    page.wait_for_timeout(1000)
    expect(page.locator(".v-select").filter(has_text="Your team")).to_have_count(0)
    wrong = code[:-1] + next(c for c in "ABCDEFGH" if c != code[-1])
    field.fill(wrong)
    expect(page.locator(".join-error")).to_contain_text("no open game with this code",
                                                        timeout=TIMEOUT)
    expect(page.locator(".v-select").filter(has_text="Your team")).to_have_count(0)
    field.fill(f"{code[:4].lower()}-{code[4:]}")  # as a student might type it
    expect(page.locator(".v-select").filter(has_text="Your team")).to_be_visible(timeout=TIMEOUT)
    page.screenshot(path=ARTIFACTS / "hostile_7_join_found.png", full_page=True)
    for i in range(10):
        field.fill(wrong[:-2] + "23456789"[i % 8] + "ABCDEFGHJK"[i])
        page.wait_for_timeout(200)
    expect(page.locator(".join-error")).to_contain_text("too many attempts", timeout=TIMEOUT)
    field.fill(code)  # the right code, too late: the same refusal, no team shown
    page.get_by_role("button", name="Find the game").click()
    expect(page.locator(".join-error")).to_contain_text("too many attempts", timeout=TIMEOUT)
    expect(page.locator(".v-select").filter(has_text="Your team")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "hostile_8_join_limited.png", full_page=True)
    assert not watch.dialogs and not watch.errors


def test_a_new_session_cookie_does_not_reset_the_address(guessed_classroom, browser):
    """Browsers that are new to the server (a new session cookie each) but share an address:
    each types codes until it is stopped (10 counted); after 12 of them, 120 codes within a
    minute from 127.0.0.1, a thirteenth browser is refused at once, the right code too."""
    from sim.classroom.limits import PER_ADDRESS, PER_BROWSER, WINDOW

    base, code = guessed_classroom
    pages = []
    for _ in range(PER_ADDRESS // PER_BROWSER + 1):  # loaded first: a page load is no attempt
        page = browser.new_context().new_page()
        page.goto(f"{base}/join")
        expect(page.get_by_label("Join code")).to_be_visible(timeout=TIMEOUT)
        pages.append(page)
    start = time.monotonic()
    tried = 0
    for page in pages[:-1]:
        for _ in range(4 * PER_BROWSER):  # a code typed too fast may be overtaken: go on
            tried += 1
            page.get_by_label("Join code").fill(
                f"{tried:08d}".translate(str.maketrans("01", "AB")))
            page.wait_for_timeout(100)
            if "too many" in " ".join(page.locator(".join-error").all_inner_texts()):
                break
        expect(page.locator(".join-error")).to_contain_text("too many attempts")
    last = pages[-1]
    last.get_by_label("Join code").fill(code)
    expect(last.locator(".join-error")).to_contain_text("too many attempts", timeout=TIMEOUT)
    assert time.monotonic() - start < WINDOW, "too slow to test the limit of a minute"
    expect(last.locator(".v-select").filter(has_text="Your team")).to_have_count(0)
    last.screenshot(path=ARTIFACTS / "hostile_9_address_limited.png", full_page=True)
    for page in pages:
        page.context.close()
