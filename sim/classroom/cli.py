"""``chokepoint classroom``: the classroom server, and the export of a game (registered by
sim.cli).

```
chokepoint classroom [--db URL] [--host H] [--port P] [--public-url URL] [--no-browser]
                                          # serve; print the teacher's and the students' URLs
chokepoint classroom export CODE --out game.zip [--db URL]   # a game's, or a class's
```
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from sim.classroom.db import DEFAULT_URL

DB_ENV = "CHOKEPOINT_CLASSROOM_DB"
PUBLIC_ENV = "CHOKEPOINT_CLASSROOM_URL"  # the address students open (QR code, join line)
KERNEL_CULL = "5m"  # a closed tab's kernel is freed after 5 minutes (Solara's default: 24 h)


def add_classroom_parser(sub: Any) -> None:
    """Register ``classroom`` on the ``chokepoint`` command's subparsers."""
    p = sub.add_parser(
        "classroom", help="the classroom server (teams, teacher, projector); export a game",
        description="Serve the classroom (teacher, team, projector and debrief pages), or "
                    "`classroom export CODE --out F.zip` a game's debrief.")
    p.add_argument("action", nargs="?", choices=["export"], help="export a game")
    p.add_argument("code", nargs="?", metavar="CODE",
                   help="export: the join code of a game, or of a class in groups")
    p.add_argument("--db", default=DEFAULT_URL, metavar="URL",
                   help="SQLAlchemy URL (default: chokepoint-classroom.db in this folder; "
                        "e.g. postgresql://user@host/db)")
    p.add_argument("--out", metavar="F.zip", help="export: the ZIP to write")
    p.add_argument("--port", type=int, default=8766, help="TCP port (default: 8766)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default: 127.0.0.1; 0.0.0.0 for a class "
                        "network)")
    p.add_argument("--public-url", metavar="URL",
                   help="the address students' phones open (e.g. http://192.168.1.20:8766), put "
                        "in the QR code and the projector's join line (default: with --host "
                        "0.0.0.0, this machine's address on its network)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(func=cmd_classroom)


def cmd_classroom(args: argparse.Namespace) -> int:
    from sim.classroom import Classroom, ClassroomError
    from sim.errors import UsageError

    if args.action == "export":
        if not args.code or not args.out:
            raise UsageError("export needs CODE and --out F.zip")
        room = Classroom(args.db)
        try:
            try:
                session = room.session_by_code(args.code)
            except ClassroomError:  # not a class: a game
                path = room.export(room.game_by_code(args.code).id, Path(args.out))
            else:
                path = room.export_session(session.id, Path(args.out))
        except ClassroomError as exc:
            raise UsageError(str(exc)) from None
        finally:
            room.close()
        print(f"wrote {path}")
        return 0
    from dashboards.server import restart_for_memory  # (imports no web code)

    restart_for_memory()  # before the teacher's token is made
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port}: must be between 1 and 65535")
    from sim.classroom.db import open_engine
    from sim.classroom.lease import Lease, LeaseHeld

    public = public_url(args.host, args.port, args.public_url)
    room = Classroom(args.db)  # refuse a bad URL before the server starts; tables created
    lease = Lease(open_engine(args.db), on_lost=_lost)
    try:
        last = lease.acquire()
    except LeaseHeld as exc:
        room.close()
        raise UsageError(f"--db {args.db}: {exc}") from None
    held = room.hold_timers(since=time.time() if last is None else last)
    token = room.new_teacher_token()
    room.close()
    import dashboards  # the only path from the CLI to web code
    from dashboards.classroom.hub import hub
    from dashboards.server import serve

    os.environ[DB_ENV] = args.db
    hub().warm()  # the running games replayed before any page asks (imports no Solara)

    app = Path(dashboards.__file__).parent / "classroom" / "app.py"
    env = {DB_ENV: args.db, PUBLIC_ENV: public,
           # a page whose server restarted reloads itself (its address keeps its seat)
           "SOLARA_THEME_FORCE_REFRESH": "true",
           "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL),
           "SOLARA_SESSION_HTTP_ONLY": "true",
           # reacton's fast renderer (opt-in in reacton 1.11, fuzz-tested there against the
           # default one): a redraw skips the subtrees in which nothing changed instead of
           # walking every widget of the page; after a turn, 40 pages redraw at once
           # (benchmarks/classroom.py: about a third less server CPU)
           "REACTON_FAST": os.environ.get("REACTON_FAST", "1")}
    # seats and the teacher's token live in the pages' sessions: no other site's page may
    # open one (dashboards.server's one Origin check)
    if held:
        print(f"{len(held)} game(s) had a turn timer running: it is paused with the time it "
              "had left; resume it from the teacher's page once the class is back", flush=True)
    try:
        serve(app, host=args.host, port=args.port, open_browser=not args.no_browser, env=env,
              banner="Classroom teacher's page (keep its token secret): {url}\n"
                     f"Students join at {public}/join",
              path=f"/teacher?token={token}", same_origin=True)
    finally:
        lease.release()
    return 0


def public_url(host: str, port: int, given: str | None) -> str:
    """The address students open: ``given``, else this machine's address on its network when
    the server listens on every interface (``0.0.0.0``), else ``host`` itself."""
    if given:
        return given.rstrip("/")
    if host in ("0.0.0.0", "::", ""):
        host = lan_address()
    return f"http://{host}:{port}"


def lan_address() -> str:
    """This machine's address on its local network: the one its route to the outside
    leaves from (a UDP socket's connect sends nothing), 127.0.0.1 without a network."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.254.254.254", 1))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def _lost() -> None:
    """Another server took the database over (this one stalled past the lease's expiry): stop
    at once rather than resolve turns twice."""
    import sys

    print("error: another classroom server took this database over; stopping",
          file=sys.stderr, flush=True)
    os._exit(3)
