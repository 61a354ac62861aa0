"""End to end: a team's move that clashes with its own pending move is refused on its page.

ZTE's student qualifies HiSilicon, then presses the same form again: the second is refused on
the spot, the page says which pending move it clashes with, and the team still has one pending
move. Screenshot: tests/artifacts/classroom-clash.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_classroom_pages import TIMEOUT, create_game, join, new_page, serve_classroom
from tests.browser.test_play import choose

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clash_classroom(tmp_path_factory):
    """A server of its own (its teacher page shows only this test's game)."""
    yield from serve_classroom(tmp_path_factory, "classroom-clash")


def test_a_clashing_move_is_refused_on_the_team_page_naming_the_clash(clash_classroom,
                                                                       browser):
    base, teacher_url = clash_classroom
    guards: list = []
    try:
        teacher = new_page(browser, guards)
        teacher.goto(teacher_url)
        expect(teacher.locator(".create-game")).to_be_visible(timeout=TIMEOUT)
        code = create_game(teacher, 0)
        zte = new_page(browser, guards)
        join(zte, base, code, "ZTE", "zte-a")
        choose(zte, "Move", "qualify")
        # the qualify form drawn (a click while the form is built again is lost)
        expect(zte.get_by_text("Start qualifying a new supplier.")).to_be_visible(
            timeout=TIMEOUT)
        zte.locator(".move-submit").click()
        expect(zte.locator(".move-ok")).to_contain_text("qualify HiSilicon", timeout=TIMEOUT)
        expect(zte.locator(".pending-move")).to_have_count(1, timeout=TIMEOUT)
        zte.locator(".move-submit").click()  # the same supplier again
        error = zte.locator(".move-error")
        expect(error).to_contain_text("Refused: it clashes with your pending move this turn "
                                      "(qualify HiSilicon): HiSilicon is already a source of "
                                      "ZTE or being qualified", timeout=TIMEOUT)
        expect(zte.locator(".pending-move")).to_have_count(1)
        # the first move's "Queued" notice is gone: it would read as this move's
        expect(zte.locator(".move-ok")).to_have_count(0, timeout=TIMEOUT)
        error.scroll_into_view_if_needed()
        zte.screenshot(path=str(ARTIFACTS / "classroom-clash.png"))
    finally:
        for ctx, _ in guards:
            ctx.close()
        for _, guard in guards:
            assert not guard.outbound, guard.outbound
            assert not guard.failed, guard.failed
