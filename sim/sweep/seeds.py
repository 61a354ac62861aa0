"""Run seeds derived from one root seed, keyed by (point, replicate).

``SeedSequence(root, spawn_key=(point, replicate))`` is the child that ``SeedSequence(root)``
would reach by spawning: a run's seed depends only on the root and its own key, so adding design
points or replicates never changes the seed of a run that already exists, and the same run gets
the same seed on every executor and machine.
"""

from __future__ import annotations

import numpy as np


def run_seed(root: int, point: int, replicate: int) -> int:
    """The seed of run (point, replicate) of a sweep with root seed ``root`` (a 63-bit int)."""
    state = np.random.SeedSequence(root, spawn_key=(point, replicate)).generate_state(
        1, np.uint64)
    return int(state[0] >> np.uint64(1))  # non-negative in a signed 64-bit Parquet column
