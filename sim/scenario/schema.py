"""The scenario format as JSON Schema, for editors' YAML completion (``chokepoint schema``).

Generated from the pydantic models; the names of moves and strategies come from their
registries, so the schema cannot drift from what the validator accepts.
"""

from __future__ import annotations

from typing import Any

from sim.rules.moves import MOVES
from sim.rules.strategies import STRATEGIES
from sim.scenario.models import SCHEMA_ID, Scenario


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of scenario format v1."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    schema["title"] = "Chokepoint scenario (format v1)"
    defs = schema.get("$defs", {})
    if "Event" in defs:
        defs["Event"]["properties"]["move"]["enum"] = sorted(MOVES)
    if "StrategySpec" in defs:
        defs["StrategySpec"]["properties"]["name"]["enum"] = sorted(STRATEGIES)
    if "Role" in defs:
        defs["Role"]["properties"]["moves"]["items"]["enum"] = sorted(MOVES)
    return schema
