"""A role's goal as the pages show it: the words of :mod:`sim.rules.goals` and the target to
beat on the game's scale (:mod:`sim.play.scoring`).

History's score takes two whole runs of the scenario (the history and the role doing
nothing), so it is measured once per scenario object, role and seed and kept while the
scenario lives (the pages of a classroom game share its scenario); pages ask for it off their
render path (docs/play.md, "Your goal").
"""

from __future__ import annotations

import threading
import weakref

from sim.play.scoring import SCALE
from sim.rules.goals import Goal, history_score, words
from sim.scenario import Scenario

# id of a living scenario -> {(role, seed): target}; an entry goes with its scenario (a
# scenario model is not hashable, so it cannot key a WeakKeyDictionary)
_targets: dict[int, dict[tuple[str, int], float | None]] = {}
_lock = threading.Lock()  # one measure at a time: the pages of a class wait for the first


def goal_words(scenario: Scenario, role: str) -> Goal:
    """The role's goal and the score's parts, without the target (instant)."""
    text, parts = words(scenario, role)
    return Goal(role, text, parts, None)


def target(scenario: Scenario, role: str, seed: int) -> float | None:
    """History's score for ``role`` (its scripted moves made, against it making none, same
    seed) on the game's scale; None when the role has no history. Measured once."""
    with _lock:
        if id(scenario) not in _targets:
            _targets[id(scenario)] = {}
            weakref.finalize(scenario, _targets.pop, id(scenario), None)
        known = _targets[id(scenario)]
        if (role, seed) not in known:
            raw = history_score(scenario, role, seed)
            known[role, seed] = None if raw is None else SCALE * raw
        return known[role, seed]
