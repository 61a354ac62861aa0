"""A class in groups, without a browser, on SQLite and on PostgreSQL: balanced seating, seats
kept across reconnects and restarts, a seed per group, groups as independent games, and the
groups side by side with totals (and in the session's ZIP)."""

from __future__ import annotations

import csv
import io
import statistics
import threading
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from sim.classroom import Classroom, ClassroomError, Client
from sim.classroom.compare import COMPARE_CHARTS, participant_rows, role_rows, shared_limits
from sim.play.charts import CHARTS, values

ROOT = Path(__file__).resolve().parents[1]
DENIAL = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
TEAMS = ["US", "ZTE"]


@pytest.fixture
def room(url):
    r = Classroom(url)
    yield r
    r.close()


def seated(room: Classroom, tokens: list[str]) -> Counter:
    """Students per (group number, team)."""
    out: Counter = Counter()
    for t in tokens:
        game_id, role, _ = room.seat(t)
        sid_number = room.session_of(game_id)
        assert sid_number is not None
        out[(sid_number[1], role)] += 1
    return out


def test_students_are_seated_balanced_over_groups_and_teams(room):
    s = room.create_session(DENIAL, groups=3, humans=TEAMS)
    tokens = [room.join_session(s.code, nickname=f"s{i}", client=Client(f"10.0.0.{i}", str(i)))
              for i in range(10)]
    per = seated(room, tokens)
    groups = Counter()
    for (number, _), n in per.items():
        groups[number] += n
    assert sorted(groups.values()) == [3, 3, 4]
    assert groups[1] == 4  # a tie goes to the lowest number
    for number in (1, 2, 3):
        assert abs(per[(number, "US")] - per[(number, "ZTE")]) <= 1
    # every group is a game of its own, with the session's settings and its students
    info = room.session_info(s.id)
    assert [g.number for g in info.groups] == [1, 2, 3]
    assert len({g.code for g in info.groups} | {s.code}) == 4
    for g, view in room.group_views(s.id):
        assert view.humans == tuple(TEAMS)
        assert len(view.seats) == groups[g.number]
        assert {x.nickname for x in view.seats} <= {f"s{i}" for i in range(10)}


def test_group_size_opens_groups_as_students_arrive(room):
    s = room.create_session(DENIAL, group_size=4, humans=TEAMS)
    assert len(room.session_info(s.id).groups) == 1
    tokens = [room.join_session(s.code, client=Client(f"10.0.0.{i}", str(i))) for i in range(9)]
    info = room.session_info(s.id)
    assert len(info.groups) == 3
    sizes = Counter(room.session_of(room.seat(t)[0])[1] for t in tokens)  # type: ignore[index]
    assert [sizes[n] for n in (1, 2, 3)] == [4, 4, 1]


def test_groups_wait_in_their_lobby_and_a_late_group_starts_with_the_class(room):
    s = room.create_session(DENIAL, group_size=2, humans=TEAMS, lobby=True)
    for i in range(2):
        room.join_session(s.code, client=Client(f"10.0.1.{i}", str(i)))
    first = room.session_info(s.id).groups[0].game_id
    assert not room.view(first).started  # no turn, no timer until the teacher's Start
    room.join_session(s.code, client=Client("10.0.1.2", "2"))  # a second group opens
    second = room.session_info(s.id).groups[1].game_id
    assert not room.view(second).started
    for g in room.session_info(s.id).groups:
        room.start(g.game_id)
    assert room.view(first).started and room.view(second).started
    for i in range(3, 5):  # the class is under way: a third group starts at once
        room.join_session(s.code, client=Client(f"10.0.1.{i}", str(i)))
    groups = room.session_info(s.id).groups
    assert len(groups) == 3 and room.view(groups[2].game_id).started


def test_concurrent_joins_stay_balanced(room):
    s = room.create_session(DENIAL, groups=3, humans=TEAMS)
    tokens: list[str] = []

    def one(i: int) -> None:
        tokens.append(room.join_session(s.code, client=Client(f"10.0.1.{i}", f"c{i}")))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seated(room, tokens).values()) == [2] * 6


def test_a_student_keeps_group_and_seat_across_reconnects_and_restarts(room, url):
    s = room.create_session(DENIAL, groups=2, humans=TEAMS)
    other = room.create_session(DENIAL, groups=1, humans=TEAMS)
    token = room.join_session(s.code, nickname="ana", client=Client("10.0.2.1", "a"))
    where = room.seat(token)
    assert room.join_session(s.code, client=Client("10.0.2.1", "a"), seat=token) == token
    restarted = Classroom(url)
    try:
        assert restarted.join_session(s.code.lower(), client=Client("10.0.2.1", "a"),
                                      seat=token) == token
        assert restarted.seat(token) == where
        # a seat of another session, or a freed one, is not this student's seat here
        elsewhere = restarted.join_session(other.code, client=Client("10.0.2.2", "b"))
        fresh = restarted.join_session(s.code, client=Client("10.0.2.2", "b"), seat=elsewhere)
        assert fresh != elsewhere
        assert restarted.session_of(restarted.seat(fresh)[0])[0] == s.id  # type: ignore[index]
        restarted.free_seat(where[0], where[2])
        again = restarted.join_session(s.code, client=Client("10.0.2.1", "a"), seat=token)
        assert again != token
    finally:
        restarted.close()


def test_seeds_per_group_or_the_same_world(room):
    same = room.session_info(room.create_session(DENIAL, groups=2, humans=TEAMS).id)
    assert [g.seed for g in same.groups] == [2018, 2018]  # the scenario's seed
    chosen = room.session_info(room.create_session(DENIAL, groups=3, humans=TEAMS,
                                                   seeds=[5, 9]).id)
    assert [g.seed for g in chosen.groups] == [5, 9, 5]
    assert [room.view(g.game_id).turn for g in chosen.groups] == [1, 1, 1]


def test_groups_are_independent_games_and_survive_a_restart(room, url):
    s = room.create_session(DENIAL, groups=3, humans=TEAMS, advance="teacher")
    seats = {}
    for i in range(6):
        token = room.join_session(s.code, client=Client(f"10.0.0.{i}", str(i)))
        game_id, role, _ = room.seat(token)
        seats[(game_id, role)] = token
    g1, g2, g3 = room.session_info(s.id).groups
    room.submit(seats[(g1.game_id, "US")], "entity_list", "ZTE")
    room.lock(seats[(g2.game_id, "US")])
    assert room.view(g2.game_id).locked_in == {"US"}
    assert room.view(g1.game_id).locked_in == frozenset()
    for g in (g1, g2, g3):
        room.resolve(g.game_id)
    views = [v for _, v in room.group_views(s.id)]
    assert [v.turn for v in views] == [2, 2, 2]
    # same seed, nobody moved in groups 2 and 3: the same world; group 1 listed ZTE
    assert views[1].scores == views[2].scores
    assert views[0].scores["ZTE"] < views[1].scores["ZTE"]
    restarted = Classroom(url)
    try:
        assert restarted.session_info(s.id) == room.session_info(s.id)
        assert [v.scores for _, v in restarted.group_views(s.id)] == [v.scores for v in views]
    finally:
        restarted.close()


def test_totals_over_the_groups(room):
    s = room.create_session(DENIAL, groups=2, humans=TEAMS, advance="teacher")
    for i in range(3):
        room.join_session(s.code, nickname=f"p{i}", client=Client(f"10.0.0.{i}", str(i)))
    g1, g2 = room.session_info(s.id).groups
    room.inject(g1.game_id, "US", "entity_list", "ZTE")
    room.resolve(g1.game_id)
    room.resolve(g2.game_id)
    views = [v for _, v in room.group_views(s.id)]
    rows = {r.role: r for r in role_rows(views)}
    assert [r.role for r in role_rows(views)][:2] == TEAMS  # the teams first
    assert rows["CN"].played_by == "bot" and rows["US"].played_by == "students"
    for role, r in rows.items():
        assert r.scores == (views[0].scores[role], views[1].scores[role])
        assert r.mean == pytest.approx(statistics.fmean(r.scores))
        assert r.low <= r.mean <= r.high
    assert rows["ZTE"].low < rows["ZTE"].high  # the groups played differently
    people = participant_rows(room.session_info(s.id), views)
    assert sorted(p[3] for p in people) == ["p0", "p1", "p2"]
    for number, _, _, _, team, score in people:
        assert score == pytest.approx(views[number - 1].scores[team], abs=1e-4)


def test_refused_sessions_and_joins(room):
    before = room.sessions()
    with pytest.raises(ClassroomError, match="one of them"):
        room.create_session(DENIAL, groups=2, group_size=5, humans=TEAMS)
    with pytest.raises(ClassroomError, match="one of them"):
        room.create_session(DENIAL, humans=TEAMS)
    with pytest.raises(ClassroomError, match="at least 1"):
        room.create_session(DENIAL, groups=0, humans=TEAMS)
    with pytest.raises(ClassroomError, match="at least one team"):
        room.create_session(DENIAL, groups=2)
    with pytest.raises(ClassroomError, match="not a role"):
        room.create_session(DENIAL, groups=2, humans=["Atlantis"])
    assert room.sessions() == before  # nothing written
    with pytest.raises(ClassroomError, match="no class session"):
        room.join_session("NOPE42")
    s = room.create_session(DENIAL, groups=2, humans=TEAMS)
    g1, g2 = room.session_info(s.id).groups
    room.set_room(g1.game_id, locked=True)
    token = room.join_session(s.code, client=Client("10.0.2.3", "x"))
    assert room.seat(token)[0] == g2.game_id  # a locked group takes nobody
    room.set_room(g2.game_id, ended=True)
    with pytest.raises(ClassroomError, match="locked or over"):
        room.join_session(s.code, client=Client("10.0.2.4", "y"))


def test_the_session_zip_has_the_groups_side_by_side(tmp_path):
    room = Classroom(f"sqlite:///{tmp_path / 'class.db'}")
    try:
        s = room.create_session(DENIAL, groups=2, humans=TEAMS, advance="teacher")
        for i in range(2):
            room.join_session(s.code, nickname=f"=cmd{i}", client=Client(f"10.0.0.{i}", str(i)))
        g1, g2 = room.session_info(s.id).groups
        room.inject(g1.game_id, "US", "entity_list", "ZTE")
        room.resolve(g1.game_id)
        path = room.export_session(s.id, tmp_path / "session.zip")
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            scores = list(csv.DictReader(io.StringIO(z.read("scores.csv").decode())))
            totals = list(csv.DictReader(io.StringIO(z.read("totals.csv").decode())))
            people = list(csv.DictReader(io.StringIO(z.read("participants.csv").decode())))
            page = z.read("compare.html").decode()
        for g in (g1, g2):  # each group's own export, unpacked
            assert {f"group-{g.number}-{g.code}/moves.csv",
                    f"group-{g.number}-{g.code}/series.csv"} <= names
        views = [v for _, v in room.group_views(s.id)]
        assert len(scores) == 2 * len(views[0].roles)
        by = {(int(r["group"]), r["role"]): float(r["score"]) for r in scores}
        for t in totals:
            expected = statistics.fmean([by[(1, t["role"])], by[(2, t["role"])]])
            assert float(t["mean"]) == pytest.approx(expected, abs=1e-3)
        assert sorted(p["nickname"] for p in people) == ["'=cmd0", "'=cmd1"]
        assert page.count('<img alt="group') == 2 * 2  # two charts per group
        assert "group 2" in page and g2.code in page
    finally:
        room.close()


def test_the_groups_charts_share_their_scales(tmp_path):
    room = Classroom(f"sqlite:///{tmp_path / 'class.db'}")
    try:
        s = room.create_session(DENIAL, groups=2, humans=TEAMS, advance="teacher")
        g1, g2 = room.session_info(s.id).groups
        room.inject(g1.game_id, "US", "entity_list", "ZTE")
        room.resolve(g1.game_id)
        room.resolve(g1.game_id)  # group 1 two turns on, group 2 one
        room.resolve(g2.game_id)
        lives = [room.live(g.game_id) for g in (g1, g2)]
        locks = [room.game_lock(g.game_id) for g in (g1, g2)]
        limits = shared_limits(lives, locks, COMPARE_CHARTS)
        assert set(limits) == set(COMPARE_CHARTS)
        for key, (x0, x1, y0, y1) in limits.items():
            assert (x0, x1) == (0.0, lives[0].model.horizon - 1)  # the whole game
            seen = []
            for live in lives:
                series = CHARTS[key].series(live.session())
                for model in (live.model, live.idle, live.session().baseline):
                    seen.append(values(model, series, live.model.recorder.steps))
            low = min(float(v.min()) for v in seen)
            high = max(float(v.max()) for v in seen)
            assert y0 < low and high < y1  # every line of both groups, with a margin
            assert y1 - y0 == pytest.approx((high - low) * 1.1)
    finally:
        room.close()


def test_cli_exports_a_class_by_its_code(tmp_path):
    from sim.cli import main

    url = f"sqlite:///{tmp_path / 'c.db'}"
    room = Classroom(url)
    s = room.create_session(DENIAL, groups=2, humans=TEAMS)
    room.join_session(s.code, nickname="ana")
    room.close()
    out = tmp_path / "class.zip"
    assert main(["classroom", "export", s.code.lower(), "--out", str(out), "--db", url]) == 0
    names = zipfile.ZipFile(out).namelist()
    assert {"scores.csv", "totals.csv", "participants.csv", "compare.html"} <= set(names)
