"""Join codes cannot be guessed: look-ups and joins limited per client (address and browser,
never the nickname), one answer by one path for a wrong code and a closed game, and codes long
enough that guessing one takes longer than a school year (docs/security.md).

The limits run on a fake clock.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import event

from sim.classroom import Classroom, ClassroomError, Client, RateLimited
from sim.classroom.limits import (
    CODE_ALPHABET,
    CODE_LENGTH,
    PER_ADDRESS,
    PER_BROWSER,
    WINDOW,
    expected_guessing_minutes,
    normal_code,
)
from sim.classroom.tokens import NO_GAME

ROOT = Path(__file__).resolve().parents[1]
DENIAL = ROOT / "scenarios" / "classroom" / "denial_order.yaml"
SCHOOL_YEAR_MINUTES = 365 * 24 * 60  # a calendar year: more than any school year


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def room(tmp_path, clock):
    r = Classroom(f"sqlite:///{tmp_path / 'class.db'}", clock=clock)
    yield r
    r.close()


@pytest.fixture
def game(room):
    return room.create_game(DENIAL, seed=1, humans=["US", "ZTE"])


def wrong_code(code: str) -> str:
    return next(c * CODE_LENGTH for c in CODE_ALPHABET if c * CODE_LENGTH != code)


def test_codes_are_long_and_typed_codes_are_forgiving(room, game):
    assert len(game.code) == CODE_LENGTH == 8 and set(game.code) <= set(CODE_ALPHABET)
    typed = f" {game.code[:4].lower()}-{game.code[4:]} "
    assert normal_code(typed) == game.code
    found = room.find_game(typed, Client("10.0.0.1", "b"))
    assert found.ref == game and found.teams == ("US", "ZTE")


def test_a_browser_is_limited_whatever_nickname_it_types(room, game, clock):
    me = Client("10.0.0.1", "my browser")
    for i in range(PER_BROWSER):
        room.join(game.code, "US", nickname=f"name {i}", client=me)
    with pytest.raises(RateLimited):
        room.join(game.code, "US", nickname="yet another name", client=me)
    with pytest.raises(RateLimited):
        room.find_game(game.code, me)  # look-ups and joins share the limit
    room.find_game(game.code, Client("10.0.0.1", "a classmate's browser"))
    clock.now += WINDOW
    room.join(game.code, "US", nickname="a minute later", client=me)


def test_a_new_browser_id_does_not_reset_the_address(room, game, clock):
    for i in range(PER_ADDRESS):
        with pytest.raises(ClassroomError):
            room.find_game(wrong_code(game.code), Client("10.0.0.66", f"cookie {i}"))
        clock.now += 0.01
    with pytest.raises(RateLimited):
        room.find_game(game.code, Client("10.0.0.66", "a fresh cookie"))
    room.find_game(game.code, Client("10.0.0.67", "a fresh cookie"))  # another address


def test_a_class_behind_one_router_joins_within_a_minute(room, game, clock):
    """40 students on one address: each looks the code up and joins (80 attempts)."""
    for i in range(40):
        student = Client("192.168.1.1", f"student {i}")
        teams = room.find_game(game.code, student).teams
        room.join(game.code, teams[i % 2], nickname=f"s{i}", client=student)
        clock.now += 0.5
    assert len(room.view(game.id).seats) == 40


def test_a_wrong_code_and_a_closed_game_get_one_answer_by_one_path(room, clock):
    ended = room.create_game(DENIAL, seed=1, humans=["US"])
    locked = room.create_game(DENIAL, seed=1, humans=["US"])
    room.create_game(DENIAL, seed=1, humans=["US"])  # an open game, never asked for
    room.set_room(ended.id, ended=True)
    room.set_room(locked.id, locked=True)
    statements: list[tuple[str, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, repr(parameters)))

    event.listen(room.engine, "before_cursor_execute", record)
    answers, paths = [], []
    for code in (wrong_code(ended.code), ended.code, locked.code):
        for call in (lambda c: room.find_game(c, Client("10.0.0.1", "b")),
                     lambda c: room.join(c, "US", client=Client("10.0.0.2", "c"))):
            statements.clear()
            with pytest.raises(ClassroomError) as refused:
                call(code)
            answers.append((type(refused.value), str(refused.value)))
            paths.append(list(statements))
    event.remove(room.engine, "before_cursor_execute", record)
    assert set(answers) == {(ClassroomError, NO_GAME)}
    assert all(p == paths[0] for p in paths)
    queries = [s for s, _ in paths[0] if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1  # every open game, whatever the code
    assert ended.code not in repr(paths[0])  # the code is never sent to the database


def test_a_limited_client_gets_one_answer_for_every_code(room, game):
    me = Client("10.0.0.1", "b")
    for _ in range(PER_BROWSER):
        room.find_game(game.code, me)
    answers = set()
    for code in (game.code, wrong_code(game.code)):
        with pytest.raises(RateLimited) as refused:
            room.find_game(code, me)
        answers.add(str(refused.value))
    assert len(answers) == 1


def test_guessing_from_one_address_for_ten_minutes(room, clock):
    """An attacker changing its browser id at every try, as fast as the server answers:
    what gets through is the address's rate, and none of it finds the one open game."""
    game = room.create_game(DENIAL, seed=1, humans=["US"])
    rng = random.Random(7)
    tried = found = 0
    for i in range(6_000):  # one try every 0.1 s of fake time
        clock.now += 0.1
        code = "".join(rng.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            room.find_game(code, Client("203.0.113.9", f"fresh {i}"))
            found += 1
        except RateLimited:
            continue
        except ClassroomError:
            pass
        tried += 1
    assert tried <= PER_ADDRESS * (600 / WINDOW)
    assert found == 0 and game.code  # (one chance in about 7e8 that a guess lands)


@pytest.mark.parametrize("open_games", [1, 100, 1_000])
def test_guessing_a_code_takes_longer_than_a_school_year(open_games):
    """31^8 codes; at the address limit, the expected time to hit one of the open games."""
    minutes = expected_guessing_minutes(open_games)
    assert minutes == len(CODE_ALPHABET) ** CODE_LENGTH / (open_games * PER_ADDRESS)
    assert minutes > 10 * SCHOOL_YEAR_MINUTES
    # the six-character codes of before, at the same rate: 51 days with 100 open games
    assert expected_guessing_minutes(100, length=6) < SCHOOL_YEAR_MINUTES / 7


def test_the_projector_finds_closed_games_through_the_same_limits(room, game):
    """The projector and the debrief show a locked or ended game too, and count against the
    same limits: the guessing time then counts every game of the database, not only the open
    ones."""
    room.set_room(game.id, locked=True)
    me = Client("10.0.0.1", "projector")
    assert room.find_game(game.code, me, closed=True).ref == game
    with pytest.raises(ClassroomError, match="no open game"):
        room.find_game(game.code, me)
    with pytest.raises(ClassroomError, match="no open game"):
        room.find_game(wrong_code(game.code), me, closed=True)
    for _ in range(PER_BROWSER - 3):
        room.find_game(game.code, me, closed=True)
    with pytest.raises(RateLimited):
        room.find_game(game.code, me, closed=True)


def test_clients_that_went_quiet_are_forgotten(clock):
    """A visitor changing its browser id at every try does not grow the server's memory."""
    from sim.classroom.limits import PRUNE_AT, JoinLimits

    limits = JoinLimits(clock)
    for i in range(PRUNE_AT + 10):
        limits.take(Client(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", f"browser {i}"))
        clock.now += 0.01
    clock.now += WINDOW + 1
    limits.take(Client("10.9.9.9", "a newcomer"))
    assert len(limits._seen) == 2  # the newcomer's browser and address


def test_a_class_code_is_limited_like_a_game_code(room):
    """A class in groups is joined with its session's code: look-ups and joins count too."""
    session = room.create_session(DENIAL, groups=1, humans=["US"])
    assert len(session.code) == CODE_LENGTH
    me = Client("10.0.0.1", "b")
    for _ in range(PER_BROWSER - 2):
        with pytest.raises(ClassroomError, match="no class session"):
            room.find_session(wrong_code(session.code), me)
    room.join_session(session.code, client=me)  # two attempts: the class's, its game's
    with pytest.raises(RateLimited):
        room.find_session(session.code, me)
    with pytest.raises(RateLimited):
        room.join_session(session.code, client=me)
