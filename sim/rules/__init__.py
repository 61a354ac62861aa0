"""The rules of the game: one registry of policy moves and one of strategies (AI behaviours).

* :mod:`~sim.rules.params` — typed, documented parameters and the one ``register()`` both
  registries use;
* :mod:`~sim.rules.moves` — the moves (checked, then applied through one code path);
* :mod:`~sim.rules.strategies` — the strategies that choose moves for bots and scripted actors.
"""
