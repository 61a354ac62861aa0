"""The classroom's service layer, without a browser, on SQLite and on PostgreSQL.

Whole games played through ``Classroom`` (oTree-style expectations on the outcome), replay
determinism, undo, refused submissions, timers, the export ZIP against ``chokepoint run``, and a
``kill -9`` of a process in the middle of a turn.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from sim.classroom import Classroom, ClassroomError, Client, NotAllowed, RateLimited
from sim.classroom.export import safe_cell
from sim.engine.metrics import FIRM, SUPPLIER
from sim.engine.output import csv_bytes
from sim.errors import MoveError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DENIAL = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
LESSONS = sorted((ROOT / "scenarios" / "classroom").glob("*.yaml"))


@pytest.fixture
def room(url):
    r = Classroom(url)
    yield r
    r.close()




def log_count(room: Classroom, game_id: int) -> int:
    return len(room.log_rows(game_id))


def play_denial(room: Classroom, gid: int, us: str, zte: str) -> None:
    """Turn 1: the US lists ZTE; ZTE does nothing; then both lock in until the end."""
    room.submit(us, "entity_list", "ZTE")
    room.lock(us)
    room.lock(zte)
    while not room.view(gid).finished:
        room.lock(us)
        room.lock(zte)


def test_every_lesson_is_a_short_bot_game(room):
    for path in LESSONS:
        game = room.create_game(path, seed=7, humans=[])
        view = room.view(game.id)
        assert 4 <= view.turns <= 8, path.name
        while not room.view(game.id).finished:
            room.resolve(game.id)
        view = room.view(game.id)
        assert view.finished and view.turn == view.turns + 1
        assert view.step == load_scenario(path).steps
        assert all(v == 0 for v in view.scores.values())  # nobody played: nobody gained
        with pytest.raises(ClassroomError, match="over"):
            room.resolve(game.id)


def test_a_denial_order_hurts_the_target(room):
    game = room.create_game(DENIAL, seed=3, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US", nickname="A"), room.join(game.code, "ZTE")
    play_denial(room, game.id, us, zte)
    view = room.view(game.id)
    assert view.finished and view.step == 24
    assert view.scores["ZTE"] < -20  # its profit collapses against nobody moving
    model = room.live(game.id).model
    rec = model.recorder
    lost = rec.data["firm"][:, list(FIRM).index("shortfall"), rec.entities["firm"].index("ZTE")]
    assert lost.sum() > 0  # ZTE ran out of parts
    # China's bot answered the listing (tit for tat) with a ban on a US supplier
    assert any(c.call.actor == "CN" and c.call.source == "strategy" for c in model.log)


def test_the_denial_order_guide_says_what_the_lesson_does(room):
    """docs/classroom/denial_order.md, "What the debrief usually shows": China's bot answers
    the listing two weeks later with a procurement ban on half its firms' orders to Qualcomm
    (not on Acacia); Acacia, whose optics ZTE's rivals buy, loses a sixth of its revenue in the
    first month, then sells more than had nobody moved; Qualcomm ends with about 60% of its
    revenue."""
    guide = (ROOT / "docs" / "classroom" / "denial_order.md").read_text()
    assert "ban on Acacia" not in guide and "half their orders to Qualcomm" in guide
    game = room.create_game(DENIAL, seed=3, humans=["US", "ZTE"])
    us = room.join(game.code, "US")
    room.submit(us, "entity_list", "ZTE")
    while not room.view(game.id).finished:
        room.lock(us)  # ZTE has no student: its bot
    live = room.live(game.id)
    answers = [(e.step, e.call.move, e.call.target, e.call.params) for e in live.model.log
               if e.call.actor == "CN"]
    assert answers == [(2, "procurement_ban", "Qualcomm", {"share": 0.5})]

    def revenue(model, supplier):
        rec = model.recorder
        return rec.data["supplier"][:, list(SUPPLIER).index("revenue"),
                                    rec.entities["supplier"].index(supplier)]

    played, idle = (revenue(live.model, "Acacia"), revenue(live.idle, "Acacia"))
    assert 0.78 < played[:4].sum() / idle[:4].sum() < 0.9  # "a sixth ... in the first month"
    assert (played[4:12] > idle[4:12]).all()  # "in the second and third months it sells more"
    assert 0.95 < played.sum() / idle.sum() < 1.1  # "over the whole game about as much"
    played, idle = (revenue(live.model, "Qualcomm"), revenue(live.idle, "Qualcomm"))
    assert 0.5 < played[-1] / idle[-1] < 0.7  # "about 60% of the revenue it would have had"


def test_replay_after_restart_is_identical_byte_for_byte(room, url):
    game = room.create_game(DENIAL, seed=5, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.submit(us, "announce", "ZTE", risk=0.7)
    room.submit(zte, "stockpile", None, cover=10)
    room.lock(us)
    room.lock(zte)
    room.submit(us, "entity_list", "ZTE", license_rate=0.3)
    room.resolve(game.id)  # ZTE did not move: its (passive) strategy plays it
    room.submit(zte, "qualify", "HiSilicon", lag=2)  # pending, never resolved
    live = csv_bytes(room.live(game.id).model)
    again = Classroom(url)
    try:
        assert csv_bytes(again.live(game.id).model) == live
        assert [m.move for m in again.view(game.id, "ZTE").pending] == ["qualify"]
        assert again.view(game.id).scores == room.view(game.id).scores
    finally:
        again.close()


def test_undo_then_the_same_moves_equals_never_undoing(room):
    a = room.create_game(DENIAL, seed=9, humans=["US", "ZTE"])
    b = room.create_game(DENIAL, seed=9, humans=["US", "ZTE"])
    seats = {g.id: (room.join(g.code, "US"), room.join(g.code, "ZTE")) for g in (a, b)}

    def turn(g, risk):
        us, zte = seats[g.id]
        room.submit(us, "announce", "ZTE", risk=risk)
        room.submit(zte, "stockpile", None, cover=8)
        room.lock(us)
        room.lock(zte)

    for g in (a, b):
        turn(g, 0.4)
    turn(a, 0.9)
    before = log_count(room, a.id)
    room.undo(a.id)
    assert log_count(room, a.id) == before + 1  # undo appends, never deletes
    assert room.view(a.id).turn == 2
    turn(a, 0.6)
    turn(b, 0.6)
    assert csv_bytes(room.live(a.id).model) == csv_bytes(room.live(b.id).model)
    with pytest.raises(ClassroomError):
        room.undo(room.create_game(DENIAL, seed=1).id)


def test_forged_and_cross_team_submissions_are_refused_and_not_recorded(room):
    game = room.create_game(DENIAL, seed=1, humans=["US", "ZTE"])
    us = room.join(game.code, "US")
    room.join(game.code, "ZTE")  # a seated team the turn waits for
    n = log_count(room, game.id)
    with pytest.raises(NotAllowed):
        room.submit(us[:-2] + "xx", "entity_list", "ZTE")
    with pytest.raises(NotAllowed):
        room.submit("", "entity_list", "ZTE")
    with pytest.raises(MoveError, match="may not make 'stockpile'"):
        room.submit(us, "stockpile", None)  # ZTE's move, from the US seat
    with pytest.raises(MoveError):
        room.submit(us, "entity_list", "Nowhere")
    with pytest.raises(MoveError):
        room.submit(us, "entity_list", "ZTE", license_rate=7)
    with pytest.raises(ClassroomError, match="not a team"):
        room.join(game.code, "CN")  # a bot's role
    with pytest.raises(ClassroomError, match="no open game"):
        room.join("ZZZZZZZZ", "US")
    assert log_count(room, game.id) == n
    room.lock(us)
    with pytest.raises(ClassroomError, match="locked"):
        room.submit(us, "announce", "ZTE")
    seat_id = room.view(game.id).seats[0].id
    room.free_seat(game.id, seat_id)
    with pytest.raises(NotAllowed):
        room.submit(us, "announce", "ZTE")
    room.set_room(game.id, locked=True)
    with pytest.raises(ClassroomError, match="no open game"):
        room.join(game.code, "US")


def test_teacher_tokens_and_join_rate_limit(room):
    token = room.new_teacher_token()
    assert room.is_teacher(token) and not room.is_teacher(token + "x")
    assert not room.is_teacher("")
    game = room.create_game(DENIAL, seed=1, humans=["US"])
    with pytest.raises(RateLimited):
        for _ in range(50):
            room.join(game.code, "US", client=Client("10.0.0.9", "browser a"))
    room.join(game.code, "US", client=Client("10.0.0.10", "browser b"))  # another client


def test_timer_resolves_with_bots_and_survives_a_restart(room, url):
    game = room.create_game(DENIAL, seed=2, humans=["US", "ZTE"], advance="timer",
                            turn_seconds=30)
    us = room.join(game.code, "US")
    room.submit(us, "announce", "ZTE", risk=0.9)
    assert room.tick() == []  # not yet
    deadline = room.view(game.id).deadline
    assert deadline is not None and deadline > time.time()
    again = Classroom(url)  # a restarted server finds the deadline in the database
    try:
        assert again.tick(now=deadline + 1) == [game.id]
        view = again.view(game.id)
        assert view.turn == 2 and view.deadline > deadline
        rows = again.log_rows(game.id)
        # ZTE timed out: its role's strategy (passive: nothing) played; the US move counted
        assert [(r.role, r.made_by) for r in rows if r.kind == "move"] == [("US", "human")]
        again.pause(game.id)
        assert again.view(game.id).deadline is None
        again.extend(game.id, 10)
        again.resume(game.id)
        assert again.view(game.id).deadline > time.time() + 35
    finally:
        again.close()


def test_timed_out_team_is_played_by_its_strategy(room):
    game = room.create_game(ROOT / "scenarios" / "classroom" / "stockpile_race.yaml", seed=4,
                            humans=["US", "Hikvision"], advance="teacher")
    us = room.join(game.code, "US")
    room.submit(us, "announce", "Hikvision", risk=0.8)
    room.resolve(game.id)
    room.resolve(game.id)  # Hikvision's strategy now sees the risk and stockpiles
    bots = [r for r in room.log_rows(game.id) if r.made_by == "bot"]
    assert [(r.role, r.move) for r in bots] == [("Hikvision", "stockpile")]


def test_export_matches_chokepoint_run_with_the_moves_as_events(room, tmp_path):
    game = room.create_game(DENIAL, seed=11, humans=["US", "ZTE"])
    us, zte = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.submit(us, "announce", "ZTE", risk=0.6)
    room.lock(us)
    room.submit(zte, "stockpile", None, cover=9)
    room.lock(zte)
    room.submit(us, "entity_list", "ZTE", license_rate=0.25)
    room.lock(us)
    room.lock(zte)
    while not room.view(game.id).finished:
        room.resolve(game.id)
    out = room.export(game.id, tmp_path / "game.zip")
    z = zipfile.ZipFile(out)
    names = set(z.namelist())
    assert {"scenario.yaml", "moves.csv", "series.csv", "debrief.html"} <= names
    assert any(n.startswith("charts/") and n.endswith(".png") for n in names)
    assert z.read("scenario.yaml").decode() == DENIAL.read_text()
    every = list(csv.DictReader(io.StringIO(z.read("moves.csv").decode())))
    assert any(m["actor"] == "CN" and m["made_by"] == "bot" for m in every)  # it retaliated
    moves = [m for m in every if m["actor"] in ("US", "ZTE")]  # China's bot plays in both
    assert [(m["turn"], m["step"], m["actor"], m["move"], m["made_by"]) for m in moves] == [
        ("1", "0", "US", "announce", "human"), ("1", "0", "ZTE", "stockpile", "human"),
        ("2", "4", "US", "entity_list", "human")]
    doc = yaml.safe_load(DENIAL.read_text())
    doc["events"] = [{"at": int(m["step"]), "by": m["actor"], "move": m["move"],
                      **({"target": m["target"]} if m["target"] else {}),
                      **yaml.safe_load(m["parameters"])} for m in moves]
    # a human's country has no strategy: in the replay its moves are its whole timeline
    doc["countries"]["US"]["strategy"] = {"name": "scripted"}
    doc["firms"]["ZTE"]["strategy"] = {"name": "scripted"}  # nor has a human's firm
    events_file = tmp_path / "with_events.yaml"
    events_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    run_csv = tmp_path / "run.csv"
    subprocess.run([sys.executable, "-m", "sim", "run", str(events_file), "--seed", "11",
                    "--out", str(run_csv)], check=True, capture_output=True, cwd=ROOT)
    ours = z.read("series.csv").decode().splitlines()
    theirs = run_csv.read_text().splitlines()
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        assert a == b, f"row {i}: {a} != {b}"
    html = z.read("debrief.html").decode()
    assert "<script" not in html and "data:image/png;base64," in html


def test_cells_are_safe_from_formula_injection():
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("+1") == "'+1" and safe_cell("@sum") == "'@sum"
    assert safe_cell("ZTE") == "ZTE" and safe_cell(-1.5) == -1.5


KILL_SCRIPT = """
import sys
from sim.classroom import Classroom
room = Classroom(sys.argv[1])
gid, seat = int(sys.argv[2]), sys.argv[3]
for i in range(10_000):
    seq = room.submit(seat, "announce", "ZTE", risk=round(0.01 * (i % 90), 2))
    print("ack", seq, flush=True)
    if i % 4 == 3:
        room.resolve(gid)
        print("resolved", flush=True)
"""


def test_kill_9_mid_turn_loses_no_acknowledged_move(url, tmp_path):
    room = Classroom(url)
    game = room.create_game(DENIAL, seed=1, humans=["US"], advance="teacher")
    seat = room.join(game.code, "US")
    room.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, url, str(game.id), seat],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    acked: list[int] = []
    for line in proc.stdout:
        if line.startswith("ack"):
            acked.append(int(line.split()[1]))
        if len(acked) >= 14:  # 3 resolved turns and two moves of the fourth
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    again = Classroom(url)
    try:
        rows = again.log_rows(game.id)
        seqs = [r.seq for r in rows if r.kind == "move"]
        assert all(seqs.count(s) == 1 for s in acked)
        resolved = sum(r.kind == "resolve" for r in rows)
        view = again.view(game.id, "US")
        assert view.turn == resolved + 1 and view.step == 4 * resolved
        assert len(view.pending) == len(seqs) - 4 * resolved
        replayed = Classroom(url)
        assert csv_bytes(replayed.live(game.id).model) == csv_bytes(again.live(game.id).model)
        replayed.close()
    finally:
        again.close()


def test_cli_exports_a_game_by_code(tmp_path, capsys):
    from sim.cli import main

    url = f"sqlite:///{tmp_path / 'c.db'}"
    room = Classroom(url)
    game = room.create_game(DENIAL, seed=1, humans=[])
    room.resolve(game.id)
    room.close()
    out = tmp_path / "g.zip"
    assert main(["classroom", "export", game.code, "--out", str(out), "--db", url]) == 0
    assert "series.csv" in zipfile.ZipFile(out).namelist()
    assert main(["classroom", "export", "NOPE99", "--out", str(out), "--db", url]) == 2
    assert "no game with code" in capsys.readouterr().err


def bot_moves(room: Classroom, game_id: int) -> list[tuple]:
    return [(r.turn, r.role, r.move, r.target, r.params) for r in room.log_rows(game_id)
            if r.kind == "move" and r.made_by == "bot"]


def test_a_tit_for_tat_bot_keeps_its_memory_across_turns_and_restarts(room, url):
    """China's team never moves: its tit-for-tat strategy answers the US listing once (not
    again every turn), and a server restarted mid-game rebuilds the same memory from the log."""
    def start():
        g = room.create_game(DENIAL, seed=6, humans=["US", "CN"], advance="teacher")
        us = room.join(g.code, "US")
        room.submit(us, "entity_list", "ZTE")
        room.resolve(g.id)
        return g

    a, b = start(), start()
    while not room.view(a.id).finished:
        room.resolve(a.id)
    answers = bot_moves(room, a.id)
    assert len(answers) == 1 and answers[0][1] == "CN"  # one hostile move, one answer
    assert answers[0][0] >= 2  # after its delay, in a later turn
    room.resolve(b.id)
    again = Classroom(url)  # a restart: the strategy's memory comes back from the log
    try:
        while not again.view(b.id).finished:
            again.resolve(b.id)
        assert bot_moves(again, b.id) == answers
        assert csv_bytes(again.live(b.id).model) == csv_bytes(room.live(a.id).model)
    finally:
        again.close()


def test_an_uploaded_scenario_is_stored_as_text_with_its_hash_and_errors_are_located(room):
    from sim.errors import ScenarioError
    from sim.scenario.load import source_hash

    text = DENIAL.read_text()
    game = room.create_game(text, seed=2, humans=["US"], source="my_lesson.yaml")
    rows = room.engine.connect().execute(
        __import__("sqlalchemy").text("select scenario_text, scenario_hash from games "
                                      "where id = :i"), {"i": game.id}).one()
    assert rows.scenario_text == text and rows.scenario_hash == source_hash(text)
    broken = text.replace("steps: 24", "steps: -3", 1)
    assert broken != text
    with pytest.raises(ScenarioError) as info:
        room.create_game(broken, humans=["US"], source="my_lesson.yaml")
    assert "my_lesson.yaml" in str(info.value) and "steps" in str(info.value)


def test_news_is_escaped_latest_first_and_bounded():
    """The news card is one HTML widget: each item's text is escaped (a scenario's author wrote
    it), latest first, at most ``limit`` items."""
    from dashboards.classroom.widgets import news_html

    text = news_html([(0, "US lists <b>ZTE</b>"), (2, "ZTE stockpiles & waits"),
                      (4, "<script>alert(1)</script>")], limit=2)
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert text.index("Step 4") < text.index("Step 2") and "Step 0" not in text
    assert "stockpiles &amp; waits" in text
    assert news_html([], 5) == "<div>No news yet.</div>"


def test_move_cost_waits_for_the_class_to_redraw(tmp_path):
    """A team's move cost is measured once the pages the hub asked to redraw have redrawn (it
    took CPU from a class's 40 redraws after a turn); a cancel ends the wait; a redraw asked
    for long ago and never run (its page's loop gone) does not hold it forever."""
    import threading

    from dashboards.classroom.hub import REDELIVER_AFTER, ClassroomGame, Hub, _Page

    h = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        game = h.room.create_game(DENIAL, seed=1, humans=["US"])
        page = _Page(lambda: None, None, None, "US")
        h._pages[game.id] = {1: page}
        cg = ClassroomGame(h, game.id, "US")
        page.drawing = True
        done, cancel = threading.Event(), threading.Event()
        waiter = threading.Thread(target=lambda: (cg.wait_quiet(cancel), done.set()))
        waiter.start()
        assert not done.wait(0.3) and h.redrawing() == 1
        page.drawing = False
        assert done.wait(2)
        page.queued_at = time.monotonic()  # asked for, not started
        done.clear()
        waiter = threading.Thread(target=lambda: (cg.wait_quiet(cancel), done.set()))
        waiter.start()
        assert not done.wait(0.3)
        cancel.set()
        assert done.wait(2)
        page.queued_at = time.monotonic() - REDELIVER_AFTER - 1  # stale: asked again later
        assert h.redrawing() == 0
        cg.wait_quiet(threading.Event())  # returns at once
    finally:
        h._pages.clear()
        h.room.close()


def test_hub_pages_are_released_when_their_kernel_closes(tmp_path, monkeypatch):
    """A page subscribes through the hub; a change reaches it (off the resolving thread, in its
    kernel context); closing its kernel removes it from the hub and the room."""
    import threading

    from solara.server import kernel, kernel_context

    from dashboards.classroom.hub import Hub

    h = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        game = h.room.create_game(DENIAL, seed=1, humans=["US"])
        context = kernel_context.VirtualKernelContext(
            id="hub-test", kernel=kernel.Kernel(), session_id="s", control_sockets=[],
            widgets={}, templates={})
        seen: list[tuple[str, object]] = []
        done = threading.Event()

        def on_change():
            seen.append((threading.current_thread().name, kernel_context.get_current_context()))
            done.set()
        with context:
            h.subscribe(game.id, on_change, "US")
        assert h.pages(game.id) == 1 and h.room.listeners(game.id) == 1
        h.room.resolve(game.id)
        assert done.wait(10)
        name, ctx = seen[0]
        assert ctx is context and name != threading.current_thread().name
        text, n = h.chart(game.id, "market-share")
        option = json.loads(text)  # the ECharts option the browser draws, as JSON text
        assert n == 4 and option["steps_shown"] == 4
        assert all(len(s["data"]) == 4 for s in option["series"])  # one point per step so far
        assert any(s["name"].endswith("(no policy)") for s in option["series"])
        assert h.chart(game.id, "market-share")[0] is text  # built once per state, shared
        import ipywidgets

        # this test process has widgets of no kernel, which Solara's close would trip on
        monkeypatch.setattr(ipywidgets.Widget, "close_all", classmethod(lambda cls: None))
        context.close()
        assert h.pages() == 0 and h.room.listeners(game.id) == 0
        assert not [k for k in h._charts if k[0] == game.id]
    finally:
        h.room.close()


class RawPage:
    """A browser page reduced to its websocket: it runs a page of the real server in its own
    kernel (as Solara's front end does), keeps the widgets' states from the server's messages
    and clicks a button by sending its click event (benchmarks/classroom.py has the same)."""

    def __init__(self, base: str, path: str):
        import json
        import threading
        import uuid

        from websockets.sync.client import connect

        self._json, self._uuid = json, uuid
        self.ws = connect(base.replace("http://", "ws://") + f"/jupyter/api/kernels/"
                          f"{uuid.uuid4()}/channels?session_id={uuid.uuid4()}", origin=base,
                          open_timeout=60, max_size=None)
        self.widgets: dict[str, dict] = {}
        control = uuid.uuid4().hex
        self._send("comm_open", {"comm_id": control, "target_name": "solara.control",
                                 "data": {}})
        self._send("comm_msg", {"comm_id": control, "data": {
            "method": "run", "args": {"path": path, "appName": "__default__"}}})
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, kind: str, content: dict) -> None:
        self.ws.send(self._json.dumps({
            "header": {"msg_id": self._uuid.uuid4().hex, "msg_type": kind, "username": "t",
                       "session": "t", "date": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}))

    def _read(self) -> None:
        try:
            for raw in self.ws:
                if isinstance(raw, bytes):
                    continue
                msg = self._json.loads(raw)
                content = msg.get("content") or {}
                if msg["header"]["msg_type"] == "comm_close":
                    self.widgets.pop(content.get("comm_id"), None)
                    continue
                state = (content.get("data") or {}).get("state")
                if state:
                    self.widgets.setdefault(content.get("comm_id"), {}).update(state)
        except Exception:  # noqa: BLE001 - closed
            pass

    def having(self, css_class: str) -> list[dict]:
        return [w for w in list(self.widgets.values()) if css_class in str(w.get("class_", ""))]

    def wait(self, test, timeout: float = 60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = test()
            if value:
                return value
            time.sleep(0.02)
        raise TimeoutError(f"page never showed {test}")

    def click(self, css_class: str) -> None:
        ids = [k for k, w in list(self.widgets.items()) if css_class in str(w.get("class_", ""))
               and not w.get("disabled")]
        assert ids, f"no enabled button {css_class}"
        self._send("comm_msg", {"comm_id": ids[-1], "data": {
            "method": "custom", "content": {"event": "click", "data": {}}}})

    def chart_step(self) -> str | None:
        for w in list(self.widgets.values()):
            attrs = w.get("attributes")
            if isinstance(attrs, dict) and attrs.get("id") == "chart-market-share":
                return attrs.get("data-step")
        return None

    def close(self) -> None:
        self.ws.close()


def serve_classroom(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    """``chokepoint classroom`` on ``url``, as a teacher starts it; (process, base URL)."""
    import socket

    from tests.servers import wait_until_serving

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim", "classroom", "--no-browser", "--port",
                             str(port), "--db", url], cwd=ROOT, stdout=log.open("a"),
                            stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, base + "/join", log, seconds=90)
    return proc, base


def test_kill_9_of_the_solara_server_mid_turn_loses_no_acknowledged_move(url, tmp_path):
    """The real ``chokepoint classroom`` server, played through its pages' websockets, killed
    with SIGKILL between a team's acknowledged moves and the turn's end, then restarted: the
    game is where it was and every move the page acknowledged is in the log exactly once."""
    room = Classroom(url)
    game = room.create_game(DENIAL, seed=1, humans=["US", "ZTE"])
    us_seat, zte_seat = room.join(game.code, "US"), room.join(game.code, "ZTE")
    room.close()
    log = tmp_path / "server.log"
    proc, base = serve_classroom(url, log)
    acked = 0
    try:
        us, zte = RawPage(base, f"/join?seat={us_seat}"), RawPage(base, f"/join?seat={zte_seat}")
        for page in (us, zte):
            page.wait(lambda p=page: p.chart_step() == "0")
        us.click("move-submit")  # turn 1: the US's first move (entity list, default target)
        us.wait(lambda: len(us.having("pending-move")) == 1)
        acked += 1
        us.click("lock-button")
        zte.wait(lambda: zte.having("lock-button"))
        zte.click("lock-button")  # the last lock resolves the turn
        for page in (us, zte):
            page.wait(lambda p=page: p.chart_step() == "4")
        for n in (1, 2):  # turn 2: two acknowledged moves, then the server dies mid-turn
            us.wait(lambda: us.having("move-submit"))
            us.click("move-submit")
            us.wait(lambda n=n: len(us.having("pending-move")) == n)
            acked += 1
        us.click("move-submit")  # in flight when the server is killed: may or may not land
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        us.close()
        zte.close()
        proc, base = serve_classroom(url, log)
        back = RawPage(base, f"/join?seat={us_seat}")
        back.wait(lambda: back.chart_step() == "4")  # still turn 2: nothing resolved
        shown = back.wait(lambda: len(back.having("pending-move")))
        back.close()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    again = Classroom(url)
    try:
        rows = again.log_rows(game.id)
        moves = [r for r in rows if r.kind == "move" and r.role == "US"]
        assert sum(r.kind == "resolve" for r in rows) == 1
        assert [r.turn for r in moves][:acked] == [1, 2, 2]  # every acknowledged move ...
        assert len({r.seq for r in moves}) == len(moves)  # ... once
        assert len(moves) in (acked, acked + 1)  # plus the one in flight, if it landed
        assert shown == len(moves) - 1  # the restarted page shows turn 2's moves
        view = again.view(game.id, "US")
        assert view.turn == 2 and view.step == 4 and len(view.pending) == shown
    finally:
        again.close()
    assert "Traceback" not in log.read_text(), log.read_text()


def test_the_servers_one_origin_check_is_an_option():
    """dashboards.server's guard refuses a websocket from another origin when same_origin is
    on (as the classroom serves), lets it through when it is off; the Host check stays."""
    import asyncio

    from dashboards.server import Guard

    def run(guard: Guard, origin: str, host: str = "127.0.0.1:8766") -> list:
        sent: list = []
        reached: list = []

        async def app(scope, receive, send):
            reached.append(scope["type"])

        async def send(message):
            sent.append(message)
        guard.app = app
        scope = {"type": "websocket", "path": "/jupyter/api/kernels/k/channels",
                 "headers": [(b"host", host.encode()), (b"origin", origin.encode())]}
        asyncio.run(guard(scope, None, send))
        return reached or sent

    hosts = frozenset({"127.0.0.1:8766"})
    on, off = Guard(None, hosts), Guard(None, hosts, same_origin=False)
    assert run(on, "http://evil.example") == [{"type": "websocket.close", "code": 1008}]
    assert run(on, "http://127.0.0.1:8766") == ["websocket"]
    assert run(off, "http://evil.example") == ["websocket"]
    assert run(off, "http://127.0.0.1:8766", host="evil.example:80")[0]["code"] == 1008


def test_a_games_difficulty_is_stored_with_its_settings_and_applied_on_reload(tmp_path):
    """Easy scripts the governments no team plays, kept in the game's stored settings: a
    classroom opened again on the same database plays the same opponents; hard without a
    hard file plays medium and says so; an unknown level is refused."""
    url = f"sqlite:///{tmp_path / 'class.db'}"
    room = Classroom(url)
    easy = room.create_game(DENIAL, seed=3, humans=["US"], difficulty="easy")
    medium = room.create_game(DENIAL, seed=3, humans=["US"])
    hard = room.create_game(DENIAL, seed=3, humans=["US"], difficulty="hard")
    with pytest.raises(ClassroomError, match="difficulty must be one of"):
        room.create_game(DENIAL, humans=["US"], difficulty="brutal")
    room.close()
    again = Classroom(url)
    try:
        spec = again.live(easy.id).scenario
        assert {c: spec.countries[c].strategy.name for c in ("CN", "EU")} == \
            {"CN": "scripted", "EU": "scripted"}
        assert spec.countries["US"].strategy is None  # the students' own
        assert again.live(medium.id).scenario.countries["CN"].strategy.name == "tit_for_tat"
        view = again.view(hard.id)
        assert view.difficulty == "medium" and "has no hard file" in view.difficulty_note
        assert again.view(easy.id).difficulty == "easy"
        # a class in groups: every group's game plays the level
        session = again.create_session(DENIAL, groups=2, humans=["US"], difficulty="easy")
        for group in again.session_info(session.id).groups:
            assert again.live(group.game_id).scenario.countries["CN"].strategy.name == \
                "scripted"
    finally:
        again.close()
