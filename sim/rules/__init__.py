"""The rules of the game: one registry of policy moves and one of strategies (AI behaviours).

* :mod:`~sim.rules.params` — typed, documented parameters and the one ``register()`` both
  registries use;
* :mod:`~sim.rules.moves` — the registry of moves (checked, then applied through one code
  path), declared in :mod:`~sim.rules.listing_moves`, :mod:`~sim.rules.trade_moves` and
  :mod:`~sim.rules.firm_moves` on the base class of :mod:`~sim.rules.move_base`;
* :mod:`~sim.rules.strategies` — the strategies that choose moves for bots and scripted actors.
"""
