"""The trade model: a :class:`mesa.Model` whose ``step()`` is its eight phases.

* :mod:`~sim.engine.world` — a scenario compiled to constant arrays;
* :mod:`~sim.engine.links` — the firm–supplier link table;
* :mod:`~sim.engine.policy` — the restriction state that moves write;
* :mod:`~sim.engine.state` — the changing arrays, one owner each;
* :mod:`~sim.engine.market` — the phases' maths as pure functions;
* :mod:`~sim.engine.phases` — the eight phase functions, in step order;
* :mod:`~sim.engine.model` — :class:`~sim.engine.model.TradeModel`;
* :mod:`~sim.engine.agents`, :mod:`~sim.engine.metrics`, :mod:`~sim.engine.output`.
"""
