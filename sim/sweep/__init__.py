"""Headless parameter sweeps: designs, seeding, executors (local processes, Dask), storage.

```python
from sim.sweep import run_sweep
out = run_sweep("scenarios/hikvision_2019.yaml",
                {"stockpile_cover": [0, 8, 26], "listing_week": "20:80"},
                design="lhs", samples=32, replicates=10, out="sweeps/stock")
```
See docs/sweeps.md for the output folder and how to read it with pandas or DuckDB.
"""

from sim.sweep.plan import SweepError
from sim.sweep.runner import run_sweep

__all__ = ["SweepError", "run_sweep"]
