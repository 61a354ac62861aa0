"""Safe YAML reading that remembers where every key came from.

The only place in Chokepoint that reads YAML. Documents are composed with PyYAML's safe loader
into a node graph and built by hand, so that:

* only the core YAML tags are accepted (no tag can construct a Python object);
* nesting is bounded before the (recursive) composer runs, and alias expansion is bounded: a
  "billion laughs" document is refused after a fixed number of nodes instead of being expanded;
* every scalar is checked as it is read: numbers finite and within ±:data:`MAX_MAGNITUDE`,
  dates real calendar dates (a date and time is refused), so nothing later meets NaN, inf, an
  integer too large for a float or an impossible timestamp;
* files are read through a capped read of a regular file only (never FIFOs, devices or
  folders, whatever ``st_size`` says);
* every mapping key and sequence item gets its (line, column), 1-based, for error messages,
  and the reader's own errors are placed where they occur.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
MAX_NODES = 200_000
MAX_DEPTH = 64
MAX_MAGNITUDE = 1e15

_CORE_TAGS = {
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}

Path_ = tuple[str | int, ...]
Positions = dict[Path_, tuple[int, int]]


def _refuse(file: str, message: str, line: int = 1, col: int = 1) -> ScenarioError:
    return ScenarioError([Problem(line, col, "", message, file)])


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.nodes = 0
        self.positions: Positions = {}
        self._scalars = yaml.SafeLoader("")

    def fail(self, node: yaml.Node, message: str) -> ScenarioError:
        mark = node.start_mark
        return _refuse(self.file, message, mark.line + 1, mark.column + 1)

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
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        try:
            value = self._scalars.construct_object(node, deep=True)
        except (ValueError, OverflowError, TypeError, yaml.YAMLError):
            if node.tag.endswith(":timestamp"):
                raise self.fail(node, f"{node.value!r} is not a real date") from None
            raise self.fail(node, f"cannot read {node.value!r}") from None
        if isinstance(value, dt.datetime):
            raise self.fail(node, f"{node.value!r}: a date (YYYY-MM-DD) is expected, "
                                  "not a date and time")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(node, f"{node.value!r} is not a finite number")
        if isinstance(value, int | float) and not isinstance(value, bool) \
                and abs(value) > MAX_MAGNITUDE:
            raise self.fail(node, f"{node.value[:40]!r} is too large (numbers are limited to "
                                  f"±{MAX_MAGNITUDE:.0e})")
        return value


def _line_col(text: str, index: int) -> tuple[int, int]:
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _check_nesting(text: str, file: str) -> None:
    """Refuse documents nested deeper than MAX_DEPTH before the recursive composer sees them."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise _refuse(file, f"document is nested deeper than {MAX_DEPTH} levels",
                              mark.line + 1, mark.column + 1)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_text(text: str, file: str = "<scenario>") -> tuple[Any, Positions]:
    """Parse one YAML document; return its data and the position of every key path.

    Raises:
        ScenarioError: the text is too large, not valid YAML, too deeply nested, uses a
            non-core tag or an alias bomb, has duplicate keys, or a value that is not finite,
            too large or not a real date.
    """
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise _refuse(file, f"file is larger than {MAX_BYTES:,} bytes")
    try:
        _check_nesting(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _refuse(file, f"invalid YAML: {exc.problem or exc.context}", line, col) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _refuse(file, f"invalid YAML: {exc.reason} U+{char:04X}", line, col) from None
    except yaml.YAMLError as exc:
        raise _refuse(file, f"invalid YAML: {type(exc).__name__}") from None
    except RecursionError:  # a safety net: _check_nesting bounds what the composer sees
        raise _refuse(file, f"document is nested deeper than {MAX_DEPTH} levels") from None
    if node is None:
        return None, {}
    builder = _Builder(file)
    data = builder.build(node, ())
    return data, builder.positions


def read_text(path: str | Path) -> str:
    """The UTF-8 text of a regular file of at most MAX_BYTES bytes, read without trusting
    ``st_size`` and without blocking on FIFOs.

    Raises:
        ScenarioError: the file cannot be read, is not a regular file, is too large or is not
            UTF-8.
    """
    file = str(path)
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _refuse(file, f"cannot read file: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _refuse(file, "not a regular file (a folder, pipe or device)")
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _refuse(file, f"cannot read file: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_BYTES:
        raise _refuse(file, f"file is larger than {MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _refuse(file, "file is not UTF-8 text", line, col) from None


def load_file(path: str | Path) -> tuple[Any, Positions, str]:
    """Read and parse a YAML file; return (data, positions, text)."""
    text = read_text(path)
    data, positions = load_text(text, str(path))
    return data, positions, text
