"""``chokepoint classroom``: the classroom server, and the export of a game (registered by
sim.cli).

```
chokepoint classroom [--db URL] [--host H] [--port P] [--no-browser]   # serve; print the
                                                                       # teacher's URL
chokepoint classroom export CODE --out game.zip [--db URL]
```
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.classroom.db import DEFAULT_URL

DB_ENV = "CHOKEPOINT_CLASSROOM_DB"
KERNEL_CULL = "5m"  # a closed tab's kernel is freed after 5 minutes (Solara's default: 24 h)


def add_classroom_parser(sub: Any) -> None:
    """Register ``classroom`` on the ``chokepoint`` command's subparsers."""
    p = sub.add_parser(
        "classroom", help="the classroom server (teams, teacher, projector); export a game",
        description="Serve the classroom (teacher, team, projector and debrief pages), or "
                    "`classroom export CODE --out F.zip` a game's debrief.")
    p.add_argument("action", nargs="?", choices=["export"], help="export a game")
    p.add_argument("code", nargs="?", metavar="CODE", help="export: the game's join code")
    p.add_argument("--db", default=DEFAULT_URL, metavar="URL",
                   help="SQLAlchemy URL (default: chokepoint-classroom.db in this folder; "
                        "e.g. postgresql://user@host/db)")
    p.add_argument("--out", metavar="F.zip", help="export: the ZIP to write")
    p.add_argument("--port", type=int, default=8766, help="TCP port (default: 8766)")
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default: 127.0.0.1; 0.0.0.0 for a class "
                        "network)")
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
            path = room.export(room.game_by_code(args.code).id, Path(args.out))
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
    room = Classroom(args.db)  # refuse a bad URL before the server starts; tables created
    token = room.new_teacher_token()
    room.close()
    import dashboards  # the only path from the CLI to web code
    from dashboards.server import serve

    app = Path(dashboards.__file__).parent / "classroom" / "app.py"
    import os

    env = {DB_ENV: args.db,
           "SOLARA_KERNEL_CULL_TIMEOUT": os.environ.get("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL),
           "SOLARA_SESSION_HTTP_ONLY": "true",
           # reacton's fast renderer (opt-in in reacton 1.11, fuzz-tested there against the
           # default one): a redraw skips the subtrees in which nothing changed instead of
           # walking every widget of the page; after a turn, 40 pages redraw at once
           # (benchmarks/classroom.py: about a third less server CPU)
           "REACTON_FAST": os.environ.get("REACTON_FAST", "1")}
    # seats and the teacher's token live in the pages' sessions: no other site's page may
    # open one (dashboards.server's one Origin check)
    serve(app, host=args.host, port=args.port, open_browser=not args.no_browser, env=env,
          banner="Classroom teacher's page (keep its token secret): {url}\n"
                 f"Students join at http://{args.host}:{args.port}/join",
          path=f"/teacher?token={token}", same_origin=True)
    return 0
