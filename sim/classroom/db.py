"""The classroom's database: tables and the engine (SQLAlchemy 2 Core).

The database is the truth: a game's scenario text and hash, seed and settings, its seats, and
an append-only log of everything that changes a game (moves, resolutions, undos). SQLite (the
default) runs in WAL mode and starts every transaction with ``BEGIN IMMEDIATE``: pysqlite delays
``BEGIN``, and a read that later writes can then fail with "database is locked" whatever the busy
timeout says (docs/architecture.md, "Web pages"). PostgreSQL (or any SQLAlchemy URL) is used
as is.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

DEFAULT_URL = "sqlite:///chokepoint-classroom.db"

metadata = MetaData()

games = Table(
    "games", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("scenario_text", Text, nullable=False),
    Column("scenario_hash", String(64), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("settings", Text, nullable=False),        # JSON: humans, advance, turn_seconds ...
    Column("created_at", Float, nullable=False),
    # the timer and the room: mutable state of the game's running, not of its history
    Column("deadline", Float, nullable=True),        # absolute time (epoch seconds) or NULL
    Column("paused_left", Float, nullable=True),     # seconds left while the timer is paused
    Column("locked", Boolean, nullable=False, default=False),
    Column("ended", Boolean, nullable=False, default=False),
    Column("message", Text, nullable=False, default=""),
)

seats = Table(
    "seats", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("game_id", Integer, ForeignKey("games.id"), nullable=False, index=True),
    Column("role", String(100), nullable=False),
    Column("nickname", String(40), nullable=False, default=""),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    Column("freed", Boolean, nullable=False, default=False),
)

# kind: "move" (role, move, target, params, by), "lock" (a team locks its turn in),
# "resolve" (the turn ends: the engine steps), "undo" (the last resolved turn is withdrawn)
log = Table(
    "log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("game_id", Integer, ForeignKey("games.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("turn", Integer, nullable=False),
    Column("role", String(100), nullable=True),
    Column("move", String(64), nullable=True),
    Column("target", String(100), nullable=True),
    Column("params", Text, nullable=False, default="{}"),
    Column("made_by", String(16), nullable=False, default="human"),  # human, bot, teacher
    Column("seat_id", Integer, nullable=True),
    Column("at", Float, nullable=False),
)

teachers = Table(
    "teachers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
)


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``chokepoint-classroom.db`` in the working folder), with
    the tables created if missing."""
    url = url or DEFAULT_URL
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_immediate(engine)
    else:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        engine = create_engine(url, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine


def _sqlite_immediate(engine: Engine) -> None:
    """WAL, full sync, and ``BEGIN IMMEDIATE`` for every transaction (SQLAlchemy's pysqlite
    recipe: the driver's own transaction handling is switched off)."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):  # noqa: ANN001 - DBAPI objects
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # NORMAL may lose the last commits on power loss
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # noqa: ANN001
        conn.exec_driver_sql("BEGIN IMMEDIATE")

