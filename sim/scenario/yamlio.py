"""Safe YAML reading that remembers where every key came from.

The only place in Chokepoint that reads YAML. Documents are composed with PyYAML's safe loader
into a node graph and built by hand, so that:

* only the core YAML tags are accepted (no tag can construct a Python object);
* alias expansion is bounded: a "billion laughs" document is refused after a fixed number of
  nodes instead of being expanded;
* every mapping key and sequence item gets its (line, column), 1-based, for error messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64

_CORE_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.nodes = 0
        self.positions: Positions = {}
        self._scalars = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        mark = node.start_mark
        return ScenarioError([Problem(mark.line + 1, mark.column + 1, "", message, self.file)])

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.nodes += 1
        if len(path) > MAX_DEPTH:
            raise self.fail(node, f"document is nested deeper than {MAX_DEPTH} levels")
        if self.nodes > MAX_NODES:
            raise self.fail(
                node, f"document expands to more than {MAX_NODES:,} nodes (alias bomb?)"
            )
        if node.tag not in _CORE_TAGS:
            raise self.fail(node, f"tag {node.tag!r} is not allowed (plain YAML only)")
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, path + ("<key>",))
                if not isinstance(key, str | int | float | bool) and key is not None:
                    raise self.fail(key_node, "mapping keys must be plain scalars")
                key = str(key) if not isinstance(key, str) else key
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r}")
                mark = key_node.start_mark
                self.positions[path + (key,)] = (mark.line + 1, mark.column + 1)
                out[key] = self.build(value_node, path + (key,))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self._scalars.construct_object(node, deep=True)


def load_text(text: str, file: str = "<scenario>") -> tuple[Any, Positions]:
    """Parse one YAML document; return its data and the position of every key path.

    Raises:
        ScenarioError: the text is too large, not valid YAML, uses a non-core tag or an alias
            bomb, or has duplicate keys.
    """
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise ScenarioError([Problem(1, 1, "", f"file is larger than {MAX_BYTES:,} bytes", file)])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        msg = f"invalid YAML: {exc.problem or exc.context}"
        raise ScenarioError([Problem(line, col, "", msg, file)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(1, 1, "", f"invalid YAML: {exc}", file)]) from None
    if node is None:
        return None, {}
    builder = _Builder(file)
    data = builder.build(node, ())
    return data, builder.positions


def load_file(path: str | Path) -> tuple[Any, Positions, str]:
    """Read and parse a YAML file; return (data, positions, text)."""
    p = Path(path)

    def refuse(message: str) -> ScenarioError:
        return ScenarioError([Problem(1, 1, "", message, str(p))])

    try:
        if p.stat().st_size > MAX_BYTES:
            raise refuse(f"file is larger than {MAX_BYTES:,} bytes")
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise refuse(f"cannot read file: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise refuse("file is not UTF-8 text") from None
    data, positions = load_text(text, str(p))
    return data, positions, text
