"""How often a client may look a join code up or join: the limit that keeps codes unguessable.

A client is a network address and a browser (its session cookie): every look-up and every join
attempt counts against both, whatever nickname is typed. A browser may make
:data:`PER_BROWSER` attempts a minute, an address :data:`PER_ADDRESS` (a class behind one school
router joins from one address: about two attempts a student, so a class of 40 joins within a
minute). Dropping the cookie gives a new browser, never a new address.

Why that is enough (docs/security.md): a code is :data:`CODE_LENGTH` characters of a
31-letter alphabet, 31^8 ≈ 8.5e11 codes. With N open games, one guess succeeds with chance
N / 31^8; at R guesses a minute the expected time to the first success is 31^8 / (N·R) minutes.
At R = 120 (one address) and N = 1,000 open games on one server, that is 7.1e6 minutes, about
13.5 years; with N = 100, 135 years. A school year is under one. Six-character codes would
give, at N = 100 and the same rate, 31^6 / (100·120) ≈ 74,000 minutes: 51 days.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from sim.classroom.store import RateLimited

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_LENGTH = 8
WINDOW = 60.0  # seconds
PER_BROWSER = 10  # look-ups and join attempts per browser per WINDOW
PER_ADDRESS = 120  # look-ups and join attempts per address per WINDOW
PRUNE_AT = 10_000  # clients remembered before the quiet ones are forgotten


@dataclass(frozen=True)
class Client:
    """Who is asking: the network address and the browser (its session), as the server saw
    them. Never what the visitor typed."""

    address: str = ""
    browser: str = ""


UNKNOWN = Client()  # a caller that does not say (a script, a test): one client for all of them


def normal_code(code: str) -> str:
    """A typed code as stored: upper case, without spaces or dashes."""
    return "".join((code or "").split()).replace("-", "").upper()


def expected_guessing_minutes(open_games: int, per_minute: int = PER_ADDRESS,
                              length: int = CODE_LENGTH) -> float:
    """Expected minutes until one of ``open_games`` is found by guessing at ``per_minute``."""
    return len(CODE_ALPHABET) ** length / (open_games * per_minute)


class JoinLimits:
    """Sliding-window counts of attempts per browser and per address.

    Args:
        clock: seconds, monotonic (tests pass a fake one).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._seen: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._pruned = -WINDOW  # when the quiet clients were last forgotten
        self._lock = threading.Lock()

    def take(self, client: Client) -> None:
        """Count one attempt of ``client``.

        Raises:
            RateLimited: the browser or the address has used up its attempts of the last
                minute (the refused attempt is not counted).
        """
        now = self.clock()
        keys = ((("browser", client.browser), PER_BROWSER),
                (("address", client.address), PER_ADDRESS))
        with self._lock:
            if len(self._seen) > PRUNE_AT and now - self._pruned >= WINDOW:
                # browsers come and go: forget the quiet ones (at most once a minute, so
                # that a stream of new browsers does not make every attempt walk them all)
                self._seen = defaultdict(deque, {k: q for k, q in self._seen.items()
                                                 if q and q[-1] > now - WINDOW})
                self._pruned = now
            for key, limit in keys:
                seen = self._seen[key]
                while seen and seen[0] <= now - WINDOW:
                    seen.popleft()
                if len(seen) >= limit:
                    raise RateLimited("too many attempts from this device: wait a minute")
            for key, _ in keys:
                self._seen[key].append(now)
