"""YAML for ``site.yaml``: PyYAML's safe loader with bounds and located refusals.

PyYAML's safe loader lets a second key of a mapping silently win, raises ``ValueError`` for
an impossible date (``2025-02-29``), ``RecursionError`` for deep nesting and ``ValueError``
for an integer of more than 4,300 digits, and expands aliases without limit. Here each of
these is a :class:`~thermaudit.errors.Problem` naming the line and the YAML path:

- a key that a mapping already has (a merge key ``<<`` may still be overridden);
- a timestamp or date that does not exist on the calendar;
- an integer of more than :data:`MAX_INT_DIGITS` digits;
- nesting deeper than :data:`MAX_DEPTH`, more than :data:`MAX_NODES` values once aliases
  are expanded, an alias that contains itself.
"""

from __future__ import annotations

from typing import Any

import yaml

from thermaudit.errors import InvalidDataset, Problem, shorten

#: deepest nesting of mappings and lists (a site.yaml needs 4)
MAX_DEPTH = 64
#: most values of the document with aliases expanded (a large plant's site.yaml has ~10,000)
MAX_NODES = 200_000
#: most digits of an integer (the largest quantity of a site.yaml has ~12)
MAX_INT_DIGITS = 40

Path_ = tuple[Any, ...]


class _Stop(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def path_text(loc: Path_) -> str:
    """``meters[3].unit`` of ``("meters", 3, "unit")``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(document)"


class _Loader(yaml.SafeLoader):
    def __init__(self, text: str, label: str) -> None:
        super().__init__(text)
        self.label = label
        self.problems: list[Problem] = []
        self.paths: dict[int, Path_] = {}  # id(node) -> YAML path
        self._depth = 0

    def _problem(self, node: yaml.Node, expected: str, found: str) -> None:
        loc = self.paths.get(id(node))
        self.problems.append(
            Problem(
                self.label,
                node.start_mark.line + 1,
                None if loc is None else path_text(loc),
                expected,
                found,
            )
        )

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Stop(
                    Problem(
                        self.label,
                        mark.line + 1,
                        None,
                        f"at most {MAX_DEPTH} levels of nested mappings and lists",
                        "deeper nesting",
                    )
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                    key_node, yaml.ScalarNode
                ):
                    continue
                key = self.construct_object(key_node)
                try:
                    hash(key)
                except TypeError:
                    continue  # reported by the constructor below
                line = key_node.start_mark.line + 1
                if key in first:
                    self._problem(
                        key_node,
                        f"each key once in a mapping ({shorten(key)} is already on line "
                        f"{first[key]})",
                        f"{shorten(key)} a second time",
                    )
                else:
                    first[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            self._problem(
                node,
                "a date that exists on the calendar, YYYY-MM-DD (or a date-time)",
                f"{shorten(node.value)} ({exc})",
            )
            return None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        digits = str(node.value).replace("_", "").lstrip("+-")
        if len(digits) > MAX_INT_DIGITS:
            self._problem(
                node,
                f"an integer of at most {MAX_INT_DIGITS} digits",
                f"{len(digits)} digits: {shorten(node.value, 24)}",
            )
            return None
        try:
            return super().construct_yaml_int(node)
        except ValueError as exc:
            self._problem(node, "an integer", f"{shorten(node.value)} ({exc})")
            return None


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)  # type: ignore[type-var]
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def _walk(loader: _Loader, root: yaml.Node, lines: dict[Path_, int]) -> None:
    """Record the line and path of every node; bound the expanded size, refuse cycles."""
    size: dict[int, int] = {}
    open_: set[int] = set()
    total = 0

    def visit(node: yaml.Node, path: Path_) -> int:
        nonlocal total
        nid = id(node)
        loader.paths.setdefault(nid, path)
        lines.setdefault(path, node.start_mark.line + 1)
        if nid in open_:
            raise _Stop(
                Problem(
                    loader.label,
                    node.start_mark.line + 1,
                    path_text(path),
                    "an alias to a finished value (an anchor's value cannot contain itself)",
                    f"a cycle through &{getattr(node, 'anchor', '') or 'anchor'}",
                )
            )
        if nid in size:  # an alias: counted again, its nodes not walked again
            total += size[nid]
            if total > MAX_NODES:
                raise _Stop(_too_large(loader.label, node))
            return size[nid]
        open_.add(nid)
        n = 1
        total += 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                loader.paths.setdefault(id(k), (*path, key))
                lines.setdefault((*path, key), k.start_mark.line + 1)
                n += 1 + visit(v, (*path, key))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                n += visit(v, (*path, i))
        if total > MAX_NODES:
            raise _Stop(_too_large(loader.label, node))
        open_.discard(nid)
        size[nid] = n
        return n

    visit(root, ())


def _too_large(label: str, node: yaml.Node) -> Problem:
    return Problem(
        label,
        node.start_mark.line + 1,
        None,
        f"at most {MAX_NODES:,} values with aliases expanded",
        "more (aliases that repeat large values)",
    )


def _yaml_error(exc: yaml.YAMLError, label: str, text: str) -> InvalidDataset:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    if isinstance(exc, yaml.reader.ReaderError):  # an unprintable character
        line = text.count("\n", 0, exc.position) + 1
        found = f"unacceptable character #x{exc.character:04x} (a control character)"
    else:
        found = str(getattr(exc, "problem", None) or exc).split("\n")[0]
    return InvalidDataset([Problem(label, line, None, "valid YAML", found)])


def load(text: str, label: str) -> tuple[Any, dict[Path_, int]]:
    """The document of ``text`` and the line of every YAML path in it.

    Raises
    ------
    InvalidDataset
        For invalid YAML, with every problem of the kinds listed in the module docstring.
    """
    lines: dict[Path_, int] = {}
    try:
        loader = _Loader(text, label)  # the reader refuses control characters here
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label, text) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, lines
        _walk(loader, node, lines)
        data = loader.construct_document(node)
    except _Stop as stop:
        raise InvalidDataset([stop.problem]) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label, text) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise InvalidDataset(sorted(loader.problems, key=lambda p: p.row or 0))
    return data, lines
