"""A classroom session as a teacher runs it, without a browser, on SQLite and PostgreSQL: the
lobby and Start, timers held across a restart, one server per database (the lease), moves
refused at submit by the rules of the resolution, a turn that does not wait for an empty
team, undo and resubmit after a restart, and the export's seats, log and scores."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from sim.classroom import Classroom, ClassroomError
from sim.classroom.db import open_engine
from sim.classroom.export import moves_rows, refused_seqs
from sim.classroom.lease import Lease, LeaseHeld
from sim.engine.output import csv_bytes
from sim.errors import MoveError

ROOT = Path(__file__).resolve().parents[1]
DENIAL = ROOT / "scenarios" / "classroom" / "denial_order.yaml"


@pytest.fixture
def room(url):
    r = Classroom(url)
    yield r
    r.close()


def test_a_game_waits_in_its_lobby_until_the_teacher_starts_it(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "ZTE"], advance="all",
                            turn_seconds=120, lobby=True)
    view = room.view(game.id)
    assert not view.started and view.deadline is None  # no timer runs in the lobby
    us = room.join(game.code, "US", nickname="ana")
    time.sleep(0.05)
    assert room.view(game.id).seated() == {"US"}
    assert room.view(game.id).seats[0].nickname == "ana"
    with pytest.raises(ClassroomError, match="not started"):
        room.submit(us, "announce", "ZTE")
    with pytest.raises(ClassroomError, match="not started"):
        room.lock(us)
    with pytest.raises(ClassroomError, match="lobby"):
        room.resolve(game.id)
    assert room.tick(now=time.time() + 1000) == []
    before = time.time()
    room.start(game.id)
    view = room.view(game.id)
    assert view.started and view.turn == 1
    assert before + 119 <= view.deadline <= time.time() + 121  # turn 1's timer starts now
    room.submit(us, "announce", "ZTE")
    again = Classroom(room.url)  # the start is in the log: a restart keeps it
    try:
        assert again.view(game.id).started
        assert len(again.view(game.id, "US").pending) == 1
    finally:
        again.close()


def test_restart_holds_timers_with_the_time_they_had_left(room):
    game = room.create_game(DENIAL, seed=2, humans=["US"], advance="timer", turn_seconds=100)
    deadline = room.view(game.id).deadline
    stopped = deadline - 70  # the server stopped with 70 s left
    assert game.id in room.hold_timers(since=stopped)  # (PostgreSQL: other tests' too)
    view = room.view(game.id)
    assert view.deadline is None and view.paused_left == pytest.approx(70)
    assert room.tick(now=deadline + 500) == []  # held: no turn runs out
    room.resume(game.id)
    assert room.view(game.id).deadline == pytest.approx(time.time() + 70, abs=2)


def test_one_server_per_database_and_a_dead_servers_lease_is_taken_over(url):
    engine = open_engine(url)
    first = Lease(engine, heartbeat=0.2, expiry=3)
    assert first.acquire() is None  # a database never served
    second = Lease(engine, heartbeat=0.2, expiry=3)
    with pytest.raises(LeaseHeld, match="another classroom server"):
        second.acquire()
    time.sleep(0.5)
    with pytest.raises(LeaseHeld):  # the heartbeat keeps it held
        second.acquire()
    first.release()
    stopped = second.acquire()  # given back: taken at once; says when the first stopped
    assert stopped is not None and time.time() - 2 < stopped <= time.time()
    second._stop.set()  # a server that stalls (its heartbeat stops) ...
    second._thread.join()
    third = Lease(engine, heartbeat=0.2, expiry=1)
    with pytest.raises(LeaseHeld):
        third.acquire()
    time.sleep(1.2)  # ... loses the lease once it expires
    third.acquire()
    assert not second.renew()
    third.release()
    engine.dispose()


def start_server(url: str, log: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "classroom", "--no-browser",
                             "--port", str(port), "--db", url], cwd=ROOT,
                            stdout=log.open("a"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_second_server_on_the_same_database_refuses_to_start(url, tmp_path):
    """The real command: a second ``chokepoint classroom`` on the database exits 2 with a
    clear message; after the first is killed with SIGKILL, a restart serves again."""
    from tests.browser.conftest import free_port
    from tests.servers import wait_until_serving

    log = tmp_path / "first.log"
    port = free_port()
    first = start_server(url, log, port)
    try:
        wait_until_serving(first, f"http://127.0.0.1:{port}/join", log, seconds=90)
        second = subprocess.run([sys.executable, "-m", "sim", "classroom", "--no-browser",
                                 "--port", str(free_port()), "--db", url], cwd=ROOT,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2, second.stdout + second.stderr
        assert "another classroom server" in second.stderr
        assert "Traceback" not in second.stderr
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        again = start_server(url, log, port)  # its process is gone: taken over at once
        try:
            wait_until_serving(again, f"http://127.0.0.1:{port}/join", log, seconds=90)
        finally:
            again.terminate()
            again.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)


def test_moves_are_checked_at_submit_by_the_rules_of_the_resolution(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "CN", "ZTE"])
    us, cn = room.join(game.code, "US"), room.join(game.code, "CN")
    with pytest.raises(MoveError, match="not listed|is not on"):
        room.submit(us, "delist", "ZTE")  # ZTE is not listed
    with pytest.raises(MoveError, match="not one of CN.s suppliers"):
        room.submit(cn, "subsidize", "Qualcomm")  # a US supplier
    assert not [r for r in room.log_rows(game.id) if r.kind == "move"]  # never recorded
    room.submit(cn, "subsidize", "HiSilicon")
    assert [r.move for r in room.log_rows(game.id) if r.kind == "move"] == ["subsidize"]


def test_a_move_clashing_with_the_teams_pending_moves_is_refused_at_submit(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.submit(zte, "qualify", "HiSilicon", lag=8)
    with pytest.raises(MoveError, match=r"clashes with your pending move this turn "
                       r"\(qualify HiSilicon \{'lag': 8\}\): HiSilicon is already a source "
                       r"of ZTE or being qualified"):
        room.submit(zte, "qualify", "HiSilicon")  # the same supplier twice
    with pytest.raises(MoveError, match="already a source"):
        room.submit(zte, "qualify", "Acacia")  # a clash with the state itself, as before
    room.submit(us, "entity_list", "ZTE")
    room.lock(us)
    room.lock(zte)
    room.submit(us, "delist", "ZTE")
    with pytest.raises(MoveError, match=r"clashes with your pending move this turn "
                       r"\(delist ZTE\): ZTE is not on US's entity list"):
        room.submit(us, "general_license", "ZTE")  # the listing is lifted before it
    room.submit(us, "announce", "ZTE")  # no clash
    room.lock(us)
    room.lock(zte)  # the turns resolved with every move they accepted, and none refused
    rows = room.log_rows(game.id)
    assert [(r.turn, r.role, r.move) for r in rows if r.kind == "move"] == [
        (1, "ZTE", "qualify"), (1, "US", "entity_list"), (2, "US", "delist"),
        (2, "US", "announce")]
    assert refused_seqs(room.live(game.id)) == set()
    assert not [line for _, line in room.live(game.id).model.news if " refused: " in line]


def test_the_moves_per_turn_limit_counts_the_teams_pending_moves_at_submit(room):
    text = DENIAL.read_text().replace("ZTE: {moves: [stockpile, qualify]}",
                                      "ZTE: {moves: [stockpile, qualify], moves_per_turn: 1}")
    game = room.create_game(text, seed=1, humans=["ZTE"], source="limited.yaml")
    zte = room.join(game.code, "ZTE")
    room.submit(zte, "stockpile", None)
    with pytest.raises(MoveError, match="at most 1 move per turn"):
        room.submit(zte, "qualify", "HiSilicon")
    room.lock(zte)  # the turn resolves with its one move
    assert room.view(game.id).turn == 2
    assert [r.move for r in room.log_rows(game.id) if r.kind == "move"] == ["stockpile"]


def test_the_turn_does_not_wait_for_a_team_nobody_sits_in(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "ZTE"])
    us = room.join(game.code, "US")
    room.lock(us)  # ZTE has no student: its bot plays, the turn resolves
    assert room.view(game.id).turn == 2
    zte = room.join(game.code, "ZTE")
    room.lock(us)
    assert room.view(game.id).turn == 2  # now the turn waits for ZTE's student
    room.lock(zte)
    assert room.view(game.id).turn == 3


def bot_turn(room: Classroom, free: bool) -> Classroom:
    """Turn 1 of denial_order with the US listing ZTE: ZTE's student, who made a move without
    locking it in, is freed by the teacher after the US locks in (``free``), or ZTE never had
    a student; the turn resolves at once either way (advance "all", a 10-minute timer)."""
    game = room.create_game(DENIAL, seed=5, humans=["US", "ZTE"], turn_seconds=600)
    us = room.join(game.code, "US")
    if free:
        zte = room.join(game.code, "ZTE")
        room.submit(zte, "stockpile", None, cover=40)
    room.submit(us, "entity_list", "ZTE")
    room.lock(us)
    if free:
        assert room.view(game.id).turn == 1  # waiting for ZTE's student
        room.free_seat(game.id, room.view(game.id).seats[1].id)
    assert room.view(game.id).turn == 2
    return room.live(game.id)


def test_freeing_the_last_thinking_teams_seat_resolves_the_turn_with_its_bot(room):
    freed, empty = bot_turn(room, free=True), bot_turn(room, free=False)
    # exactly as if ZTE had had no student: its bot played it, its unlocked move withdrawn
    assert csv_bytes(freed.model) == csv_bytes(empty.model)
    assert [[(m.role, m.move, m.made_by) for m in t] for t in freed.turns] == \
        [[(m.role, m.move, m.made_by) for m in t] for t in empty.turns]
    gid = room.games()[1].id  # the first game: the freed seat's
    rows = room.log_rows(gid)
    assert [(r.kind, r.role) for r in rows if r.kind in ("withdraw", "resolve")] == [
        ("withdraw", "ZTE"), ("resolve", None)]


def test_freeing_a_seat_waits_while_a_team_still_thinks(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "CN", "ZTE"])
    us = room.join(game.code, "US")
    room.join(game.code, "CN")
    zte = room.join(game.code, "ZTE")
    room.join(game.code, "ZTE")
    room.submit(zte, "stockpile", None)
    room.lock(us)
    room.free_seat(game.id, room.view(game.id).seats[2].id)  # one of ZTE's two students
    assert room.view(game.id).turn == 1 and room.pending(game.id, "ZTE")  # ZTE still thinks
    room.free_seat(game.id, room.view(game.id).seats[3].id)  # its last: CN still thinks
    assert room.view(game.id).turn == 1 and not room.pending(game.id, "ZTE")
    room.reassign_seat(game.id, room.view(game.id).seats[1].id, "US")  # CN's only student
    assert room.view(game.id).turn == 2  # every team left with a student has locked in
    assert room.view(game.id).locked_in == frozenset()
    room.free_seat(game.id, room.view(game.id).seats[0].id)
    room.free_seat(game.id, room.view(game.id).seats[1].id)
    assert room.view(game.id).turn == 2  # nobody left: the turn waits for the teacher


def test_after_a_restart_an_undone_turn_played_again_keeps_its_move(room, url, tmp_path):
    game = room.create_game(DENIAL, seed=3, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.submit(us, "entity_list", "ZTE")
    room.lock(us)
    room.lock(zte)
    restarted = Classroom(url)
    try:
        restarted.undo(game.id)
        restarted.submit(us, "entity_list", "ZTE")
        restarted.lock(us)
        restarted.lock(zte)
        fresh = Classroom(url)
        try:
            for r in (restarted, fresh):
                made = [row[:4] for row in moves_rows(r.live(game.id)) if row[2] == "US"]
                assert made == [(1, 0, "US", "entity_list")]
            assert csv_bytes(restarted.live(game.id).model) == csv_bytes(fresh.live(game.id)
                                                                         .model)
        finally:
            fresh.close()
        path = restarted.export(game.id, tmp_path / "undo-resubmit.zip")
        z = zipfile.ZipFile(path)
        rows = list(csv.DictReader(io.StringIO(z.read("log.csv").decode())))
        us_moves = [(r["turn"], r["status"]) for r in rows
                    if r["kind"] == "move" and r["team"] == "US"]
        assert us_moves == [("1", "undone"), ("1", "made")]
    finally:
        restarted.close()


def test_the_export_has_seats_a_timestamped_log_and_scores(room, tmp_path):
    game = room.create_game(DENIAL, seed=4, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US", nickname="ana"), room.join(game.code, "ZTE")
    room.submit(us, "announce", "ZTE", risk=0.3)
    room.withdraw(us)
    room.submit(us, "entity_list", "ZTE")
    room.submit(zte, "qualify", "HiSilicon")
    # the teacher's move is checked by the rules only (not against the team's pending moves):
    # feasible now, the team's qualify makes it impossible when the turn resolves
    room.inject(game.id, "ZTE", "qualify", "HiSilicon")
    room.lock(us)
    room.lock(zte)
    assert any("qualify refused" in t for _, t in room.live(game.id).model.news)
    z = zipfile.ZipFile(room.export(game.id, tmp_path / "g.zip"))
    log = list(csv.DictReader(io.StringIO(z.read("log.csv").decode())))
    kinds = [(r["kind"], r["team"], r["move"], r["status"]) for r in log]
    assert kinds[:7] == [("move", "US", "announce", "withdrawn"), ("withdraw", "US", "", ""),
                         ("move", "US", "entity_list", "made"),
                         ("move", "ZTE", "qualify", "made"),
                         ("move", "ZTE", "qualify", "refused"), ("lock", "US", "", ""),
                         ("lock", "ZTE", "", "")]
    assert all(r["time_utc"].endswith("+00:00") for r in log)
    assert log[0]["nickname"] == "ana" and log[0]["seat"]
    made = [(m["actor"], m["move"]) for m in csv.DictReader(io.StringIO(
        z.read("moves.csv").decode())) if m["actor"] in ("US", "ZTE")]
    assert made == [("US", "entity_list"), ("ZTE", "qualify")]  # the refused one: never made
    seats = list(csv.DictReader(io.StringIO(z.read("seats.csv").decode())))
    assert [(s["team"], s["nickname"], s["moves"], s["withdrawals"], s["lock_ins"])
            for s in seats] == [("US", "ana", "2", "1", "1"), ("ZTE", "", "1", "0", "1")]
    scores = {r["role"]: r for r in csv.DictReader(io.StringIO(z.read("scores.csv").decode()))}
    assert set(scores) == set(room.live(game.id).scenario.roles)
    assert scores["US"]["unit"] == "points" and scores["CN"]["played_by"] == "bot"
    assert float(scores["US"]["score"]) == pytest.approx(room.view(game.id).scores["US"],
                                                         abs=1e-4)


def test_students_get_an_address_their_phones_can_open():
    from sim.classroom.cli import lan_address, public_url

    assert public_url("127.0.0.1", 8766, None) == "http://127.0.0.1:8766"
    assert public_url("0.0.0.0", 8766, "http://class.school.local:8766/") == \
        "http://class.school.local:8766"
    lan = lan_address()
    assert public_url("0.0.0.0", 8766, None) == f"http://{lan}:8766"
    assert lan != "0.0.0.0" and lan.count(".") == 3
