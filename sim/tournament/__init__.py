"""Strategy tournaments: every combination of strategies per role, over seeds, on the sweep's
executors; payoffs with intervals, best responses, equilibria, ranks (docs/tournaments.md).

```python
from sim.tournament import make_tournament, run_tournament, write_results
t = make_tournament("scenarios/hikvision_2019.yaml", ["US", "CN"], ["all"], seeds=10)
write_results(run_tournament(t, "tournaments/hik", workers=2))
```
"""

from sim.tournament.plan import TournamentError, make_tournament
from sim.tournament.results import write_results
from sim.tournament.runner import run_tournament

__all__ = ["TournamentError", "make_tournament", "run_tournament", "write_results"]
