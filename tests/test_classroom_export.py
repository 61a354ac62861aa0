"""A hostile scenario's text in the classroom's exported pages runs nothing (docs/security.md).

The lesson's name, a firm (so a team, the moves, the news and the scores), a country and an
event's target carry the OWASP vectors of tests/test_sanitize.py, and so do the students'
nicknames; a class of two groups plays it and is exported. Every element of ``debrief.html``
(each group's) and of ``compare.html`` is parsed again and checked against the export's own
page structure: only its tags, no ``on…`` attribute, no address but the inlined PNG charts.
The hostile text is still there, as text.
"""

from __future__ import annotations

import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from sim.classroom import Classroom
from tests.test_sanitize import OWASP
from tests.worlds import rename

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
NAME = "Lesson </title><script>alert('name')</script> " + OWASP[2]
FIRM = "ZTE <svg onload=alert('firm')>"
COUNTRY = "CN <a href=\"javascript:alert('country')\">x</a>"
NICKNAME = "<img src=x onerror=alert('nick')>"

# the export's own page: its tags, and per tag the attributes it writes
STRUCTURE = {"html": {"lang"}, "head": set(), "meta": {"charset"}, "title": set(),
             "style": set(), "body": set(), "h1": set(), "h2": set(), "p": set(),
             "table": set(), "tr": set(), "th": set(), "td": set(), "code": set(),
             "figure": set(), "img": {"alt", "src"}, "ul": set(), "li": set(), "small": set(),
             "b": set(), "br": set()}
CHART = "data:image/png;base64,"


class Page(HTMLParser):
    """The elements, the text and the style and script contents of an HTML document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def dangers(document: str) -> tuple[list[str], str]:
    """What in ``document`` is not the export's own structure (empty: nothing can run), and
    the document's text."""
    page = Page()
    page.feed(document)
    page.close()
    found = []
    for tag, attrs in page.elements:
        if tag not in STRUCTURE:
            found.append(f"<{tag}>")
            continue
        for name, value in attrs:
            if name not in STRUCTURE[tag]:
                found.append(f"<{tag} {name}>")
            elif name == "src" and not (value or "").startswith(CHART):
                found.append(f"<{tag} src={value!r}>")
    return found, "".join(page.text)


def hostile_lesson() -> str:
    doc = yaml.safe_load(LESSON.read_text(encoding="utf-8"))
    doc["name"] = NAME
    doc = rename(rename(doc, "ZTE", FIRM), "CN", COUNTRY)
    doc["events"] = [{"id": "evil", "at": 2, "by": "US", "move": "announce", "target": FIRM}]
    return yaml.safe_dump(doc, allow_unicode=True)


def test_the_checker_sees_markup_that_would_run():
    bad, _ = dangers(f"<p>{FIRM}</p><img src=x onerror=alert(1)><a href='javascript:x'>a</a>")
    assert bad == ["<svg>", "<img src='x'>", "<img onerror>", "<a>"]


@pytest.fixture
def room(tmp_path):
    r = Classroom(f"sqlite:///{tmp_path / 'class.db'}")
    yield r
    r.close()


def test_a_hostile_scenarios_export_runs_nothing(room, tmp_path):
    session = room.create_session(hostile_lesson(), groups=2, humans=["US", FIRM],
                                  source="hostile.yaml")
    seats = [room.join_session(session.code, nickname=NICKNAME + str(i)) for i in range(4)]
    for seat in seats:
        game_id, role, _ = room.seat(seat)
        if role == "US" and not room.pending(game_id, "US"):
            room.submit(seat, "entity_list", FIRM)
    for group, _ in room.group_views(session.id):
        while not room.view(group.game_id).finished:
            room.resolve(group.game_id)
    z = zipfile.ZipFile(room.export_session(session.id, tmp_path / "class.zip"))
    pages = [n for n in z.namelist() if n.endswith(".html")]
    assert sorted(p.rsplit("/", 1)[-1] for p in pages) == ["compare.html", "debrief.html",
                                                             "debrief.html"]
    for name in pages:
        bad, text = dangers(z.read(name).decode())
        assert not bad, (name, bad)
        # the hostile names are shown as they were written, as text
        assert NAME in text and FIRM in text, name
    debrief = z.read(next(p for p in pages if p.endswith("debrief.html"))).decode()
    assert "entity_list" in debrief and COUNTRY in dangers(debrief)[1]  # the moves, the news
    assert NICKNAME + "0" in dangers(z.read("compare.html").decode())[1]  # the participants
