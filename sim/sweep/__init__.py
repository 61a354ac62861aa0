"""Headless parameter sweeps: designs, seeding, executors (local processes, Dask), storage,
outcomes, sensitivity, robustness, scenario discovery and lever optimisation.

```python
import sim.sweep
out = sim.sweep.run_sweep(sim.sweep.SweepPlan(
    "scenarios/hikvision_2019.yaml", vary={"license_rate": "0:1"},
    levers={"stockpile_cover": [0, 13, 26]}, design="lhs", samples=32, replicates=4,
    outcomes={"loss": {"expr": "output_lost_share(Hikvision)", "threshold": 0.1}},
    out="sweeps/stock"))
sweep = sim.sweep.open(out)          # experiments and outcomes as DataFrames
sweep.robustness("loss").table       # regret and satisficing per lever setting
```
See docs/sweeps.md for the output folder, the outcome language and a notebook walk-through.
"""

from sim.sweep.api import Sweep, open_sweep
from sim.sweep.plan import SweepError
from sim.sweep.runner import run_sweep
from sim.sweep.spec import SweepPlan

open = open_sweep  # noqa: A001 - sim.sweep.open(DIR), as in the docs

__all__ = ["Sweep", "SweepError", "SweepPlan", "open", "open_sweep", "run_sweep"]
