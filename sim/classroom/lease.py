"""One server per database: the lease a running classroom server holds on its database.

Two servers on one database would each keep their own copy of a game in memory and resolve
its turns twice. So ``chokepoint classroom`` takes the database's lease (one row of the
``leases`` table) before it serves, renews it with a heartbeat, and gives it back when it
stops. Another server refuses to start while the lease is held (:class:`LeaseHeld`, exit 2).
A crashed holder's lease is taken over when its heartbeat is older than :data:`EXPIRY`
seconds, or at once when it was held by a process of this machine that no longer exists (a
restart after ``kill -9``). A row and a heartbeat rather than an advisory lock: the same code
serves SQLite and PostgreSQL, and the last heartbeat tells a restarted server when its
predecessor stopped (:meth:`Lease.acquire` returns it; the timers are held from then,
docs/classroom/README.md, "Restarting the server").
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from sim.classroom import db
from sim.classroom.store import ClassroomError

log = logging.getLogger(__name__)

HEARTBEAT = 2.0   # seconds between renewals
EXPIRY = 15.0     # seconds without a heartbeat after which a lease is taken over


class LeaseHeld(ClassroomError):
    """Another running server holds the database's lease."""


def _alive_here(host: str, pid: int) -> bool:
    """Whether ``pid`` on ``host`` may still run (False only when it is ours and gone)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


class Lease:
    """The lease of one database, held by this process while it serves.

    Args:
        engine: the database's engine.
        on_lost: called (from the heartbeat thread) when another server took the lease
            over, e.g. after this process stalled longer than :data:`EXPIRY`.
    """

    def __init__(self, engine: Engine, on_lost: Callable[[], None] | None = None,
                 heartbeat: float = HEARTBEAT, expiry: float = EXPIRY):
        self.engine, self.on_lost = engine, on_lost
        self.heartbeat, self.expiry = heartbeat, expiry
        self.holder = secrets.token_hex(16)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def acquire(self, now: float | None = None) -> float | None:
        """Take the lease and start renewing it.

        Returns:
            When the previous holder was last alive (its last heartbeat, or the moment it
            stopped), or None for a database never served.

        Raises:
            LeaseHeld: another server holds it; the message says which and since when.
        """
        now = time.time() if now is None else now
        host, pid = socket.gethostname(), os.getpid()
        mine = dict(holder=self.holder, host=host, pid=pid, since=now, heartbeat=now)
        try:
            with self.engine.begin() as conn:
                row = conn.execute(select(db.leases).where(db.leases.c.id == 1)
                                   .with_for_update()).first()
                if row is None:
                    conn.execute(insert(db.leases).values(id=1, **mine))
                    last = None
                else:
                    if row.holder and now - row.heartbeat < self.expiry and \
                            _alive_here(row.host, row.pid):
                        raise LeaseHeld(
                            f"another classroom server (process {row.pid} on {row.host}) "
                            f"is running on this database, alive {now - row.heartbeat:.0f} s "
                            "ago: stop it first, or use another --db (a crashed server's "
                            f"lease expires {self.expiry:.0f} s after its last heartbeat)")
                    conn.execute(update(db.leases).where(db.leases.c.id == 1).values(**mine))
                    last = float(row.heartbeat)
        except IntegrityError:  # two servers inserted the first row at once: the other won
            raise LeaseHeld("another classroom server took this database's lease just now") \
                from None
        self._thread = threading.Thread(target=self._beat, name="classroom-lease", daemon=True)
        self._thread.start()
        return last

    def renew(self, now: float | None = None) -> bool:
        """Renew the lease; False when another server holds it now."""
        with self.engine.begin() as conn:
            done = conn.execute(update(db.leases).where(
                db.leases.c.id == 1, db.leases.c.holder == self.holder).values(
                heartbeat=time.time() if now is None else now)).rowcount
        return bool(done)

    def release(self) -> None:
        """Stop renewing and give the lease back (its heartbeat says when this server
        stopped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.engine.begin() as conn:
            conn.execute(update(db.leases).where(
                db.leases.c.id == 1, db.leases.c.holder == self.holder).values(
                holder="", heartbeat=time.time()))

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                kept = self.renew()
            except Exception:  # noqa: BLE001 - a database hiccup: try again next beat
                log.exception("classroom lease: could not renew")
                continue
            if not kept:
                log.error("classroom lease: another server took this database over")
                if self.on_lost is not None:
                    self.on_lost()
                return
