"""Save a game in the middle and load it again later: one small YAML file, replayed exactly.

A saved game holds what decides the game and nothing else: the scenario's own text (comments
and all) with the slider values the player chose, the role, the seed, the step reached and
every move the player queued, with the step it was queued at. Loading replays them through
the same :meth:`Game.submit` the move forms use, so a saved game comes back exactly as it was
(the engine is deterministic for a seed) and a file edited by hand is checked move by move
like a form. The format::

    chokepoint_game: 1
    role: US
    seed: 7
    step: 12
    overrides: {events.ban.at: 4}
    moves:
    - {at: 3, move: entity_list, target: Hikvision, params: {fdpr: true}}
    scenario: |
      name: ...

Nothing here imports Solara; the play page offers the download and the upload.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim import ScenarioError, load_scenario
from sim.errors import MoveError, Problem
from sim.play.session import OBSERVE, Game, scenario_document
from sim.play.setup import MAX_SEED
from sim.scenario import yamlio
from sim.scenario.load import pydantic_problems
from sim.scenario.overrides import position

FORMAT = 1
SUFFIX = ".game.yaml"


class SavedMove(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    at: int = Field(ge=0)
    move: str
    target: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class SavedGame(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    chokepoint_game: int
    role: str
    seed: int = Field(ge=0, le=MAX_SEED)
    step: int = Field(ge=0)
    overrides: dict[str, Any] = Field(default_factory=dict)
    moves: list[SavedMove] = Field(default_factory=list)
    scenario: str


class _Dumper(yaml.SafeDumper):
    """Multi-line text (the scenario) as a literal block, so the saved file reads like the
    scenario itself."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def save_game(game: Game) -> bytes:
    """The game as a saved-game file (UTF-8 YAML) that :func:`load_game` restores."""
    with game.lock:
        text = game.scenario.text or yaml.safe_dump(scenario_document(game.scenario),
                                                    sort_keys=False, allow_unicode=True)
        doc = {
            "chokepoint_game": FORMAT,
            "role": game.role,
            "seed": game.seed,
            "step": game.step_index,
            "overrides": dict(game.overrides),
            "moves": [{"at": at, "move": c.move,
                       **({"target": c.target} if c.target else {}),
                       **({"params": dict(c.params)} if c.params else {})}
                      for at, c in game.submitted],
            "scenario": text,
        }
    header = (f"# A Chokepoint game: {game.scenario.name}, played as {game.role}, seed "
              f"{game.seed}, saved at {game.label(game.step_index)}.\n"
              "# To go on playing, choose this file as the YAML file on the play page's first "
              "screen.\n")
    return (header + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                               width=100)).encode("utf-8")


def load_game(text: str, file: str = "saved game") -> Game:
    """The game a saved-game file describes, replayed to the step it was saved at.

    Raises:
        ScenarioError: every problem, located in the file (``FILE:LINE:COL: path: message``);
            a problem of the embedded scenario is located as ``FILE (scenario):LINE:COL``
            counting from the scenario's first line.
    """
    doc, positions = yamlio.load_text(text, file)

    def problem(loc: tuple[Any, ...], message: str) -> ScenarioError:
        line, col = position(positions, loc)
        path = ".".join(str(p) for p in loc)
        return ScenarioError([Problem(line, col, path, message, file)])

    if not isinstance(doc, dict) or "chokepoint_game" not in doc:
        raise problem((), "not a saved Chokepoint game (no chokepoint_game: key); a scenario "
                      "is chosen above instead")
    try:
        saved = SavedGame.model_validate(doc)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, doc, positions, file)) from None
    if saved.chokepoint_game != FORMAT:
        raise problem(("chokepoint_game",), f"format {saved.chokepoint_game} is not known to "
                      f"this version (it reads format {FORMAT})")
    scenario = load_scenario(f"{file} (scenario)", saved.overrides or None,
                             text=saved.scenario)
    if saved.role != OBSERVE and saved.role not in scenario.roles:
        raise problem(("role",), f"{saved.role!r} is not a role of {scenario.name} "
                      f"(roles: {', '.join([*scenario.roles, OBSERVE])})")
    if saved.step > scenario.steps:
        raise problem(("step",), f"{saved.step} is past the scenario's {scenario.steps} steps")
    game = Game(scenario, saved.role, saved.seed, overrides=saved.overrides)
    for k, move in enumerate(saved.moves):
        previous = saved.moves[k - 1].at if k else 0
        if not previous <= move.at <= saved.step:
            raise problem(("moves", k, "at"), f"step {move.at} is not between the previous "
                          f"move's step ({previous}) and the saved step ({saved.step})")
        game.step(move.at - game.step_index)
        try:
            game.submit(move.move, move.target, move.params)
        except MoveError as exc:
            raise problem(("moves", k), f"refused: {exc}") from None
    game.step(saved.step - game.step_index)
    return game


def saved_name(game: Game) -> str:
    """The download's file name: ``hikvision_2019_US_week12.game.yaml``."""
    name = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in game.scenario.name)
    return f"{name}_{game.role}_{game.scenario.calendar.step}{game.step_index}{SUFFIX}"


def looks_saved(text: str) -> bool:
    """Whether an uploaded text is a saved game rather than a scenario."""
    return any(line.startswith("chokepoint_game:") for line in text.splitlines()[:40])

