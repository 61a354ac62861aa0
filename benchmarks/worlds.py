"""Generated worlds: how far the no-policy world drifts, and which invariants break.

Draws ``--worlds`` valid worlds (``tests/generated_worlds.py``: 1–6 regions, day/week/month
steps, two tiers, emerging suppliers, firms sharing components, components short or ample at
step 0, cheap sources oversubscribed), runs each without policy and noise and checks the
properties of ``tests/world_properties.py``: no series moves more than 1% after step 0, units
and money conserved, no NaN or negative quantity, cash or price; and, on every
``--licence-every``-th world, that a bigger licence never costs the listed firm output.

Printed: worlds tried, worst drift (and where), worlds drifting more than 1%, worlds with a
broken invariant (and the invariants), licence pairs that were not monotone.

    .venv/bin/python benchmarks/worlds.py [--worlds 1000] [--seed 0] [--licence-every 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from tests.generated_worlds import RandomDraw, world_document  # noqa: E402
from tests.world_properties import DRIFT, check_world, licence_pair  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0, help="first world's seed")
    ap.add_argument("--licence-every", type=int, default=5,
                    help="check licence monotonicity on every n-th world (0: never)")
    args = ap.parse_args()
    start = time.perf_counter()
    worst, where, drifting, broken = 0.0, "", 0, 0
    kinds: Counter[str] = Counter()
    licence_checked, short_failed, output_fell = 0, [], []
    for seed in range(args.seed, args.seed + args.worlds):
        doc = world_document(RandomDraw(seed))
        found = check_world(doc)
        if found.drift > worst:
            worst, where = found.drift, f"world {seed}: {found.worst}"
        drifting += found.drift > DRIFT
        broken += bool(found.violations)
        kinds.update({v.split(": ", 1)[1] for v in found.violations})
        if args.licence_every and seed % args.licence_every == 0:
            licence_checked += 1
            pair = licence_pair(doc)
            (short_small, short_big), (out_small, out_big) = pair.shortfall, pair.output
            if short_big > short_small * (1 + 1e-6) + 1e-6:
                short_failed.append(f"world {seed}: licence 0.6 leaves {pair.firm} "
                                    f"{short_big:.4g} short, licence 0.2 {short_small:.4g}")
            if pair.output_falls():
                output_fell.append((1 - out_big / out_small, seed))
    print(f"worlds tried: {args.worlds} (seeds {args.seed}–{args.seed + args.worlds - 1}), "
          f"{time.perf_counter() - start:.0f} s")
    print(f"worst drift after step 0: {worst:.3%} ({where or 'none'})")
    print(f"worlds drifting more than {DRIFT:.0%}: {drifting}")
    print(f"worlds with a broken invariant: {broken}")
    for kind, n in kinds.most_common():
        print(f"  {n:5d}  {kind}")
    print(f"licence pairs checked: {licence_checked}; a bigger licence leaves the listed firm "
          f"shorter of components in {len(short_failed)}")
    for line in short_failed[:10]:
        print(f"  {line}")
    small = sum(gap < 1e-3 for gap, _ in output_fell)
    print(f"  and less output as a whole in {len(output_fell)} ({small} by under 0.1%"
          + (f"; largest {max(output_fell)[0]:.1%}, world {max(output_fell)[1]})"
             if output_fell else ")"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
