"""The classroom's pages (``chokepoint classroom``): teacher, team, projector, debrief.

- ``/teacher?token=T``: create games, the join code and its QR code, the seat map, the turn's
  controls, any team's view read-only, the export;
- ``/join?code=C`` (then ``&seat=S``, kept across refreshes): a team's brief, moves and charts;
- ``/projector?code=C``: the code large, the turn and timer, who has submitted, charts, news,
  the leaderboard;
- ``/debrief?code=C&token=T`` (the teacher, or anyone once the game is over).

Every page reads the game from the server's hub (:mod:`dashboards.classroom.hub`) and redraws
when the hub says the game changed; actions that may resolve a turn run on the hub's threads.
This module is the app ``chokepoint classroom`` serves (its routes and layout); the pages are
in :mod:`dashboards.classroom.teacher`, :mod:`dashboards.classroom.team` and
:mod:`dashboards.classroom.projector` (projector and debrief), what they share in
:mod:`dashboards.classroom.widgets`.
"""

from __future__ import annotations

import solara

from dashboards.classroom.projector import DebriefPage, ProjectorPage
from dashboards.classroom.teacher import TeacherPage
from dashboards.classroom.team import JoinPage
from dashboards.prose import Prose


# -- home -----------------------------------------------------------------------------------
@solara.component
def Home():
    Prose("# Chokepoint classroom\n\nStudents: open **/join** and type the code on the "
          "projector. Teachers: use the address `chokepoint classroom` printed.")
    solara.Button("Join a game", href="/join", color="primary")


@solara.component
def Layout(children=()):  # noqa: B006 - solara passes the routed page as children
    with solara.Column(style={"padding": "12px"}):
        for child in children:
            solara.display(child)


routes = [
    solara.Route(path="/", component=Home, label="Home", layout=Layout),
    solara.Route(path="join", component=JoinPage, label="Join"),
    solara.Route(path="projector", component=ProjectorPage, label="Projector"),
    solara.Route(path="teacher", component=TeacherPage, label="Teacher"),
    solara.Route(path="debrief", component=DebriefPage, label="Debrief"),
]
