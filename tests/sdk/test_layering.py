"""The SDK's layering: it imports only ``threshold.core`` and itself, the adapters import
nothing of the server, and no module imports another that imports it back.

Every import statement counts, wherever it is written: inside functions and under
``if TYPE_CHECKING:`` too, since a circle held together by type-only imports is still
a circle for the reader.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path

import threshold
from tests.support import python_output

SRC = Path(threshold.__file__).parent
ADAPTERS = ("asgi.py", "wsgi.py", "fastapi.py", "flask.py", "django", "__init__.py")
SERVER_SIDE = ("threshold.server", "threshold.services", "threshold.store")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _files() -> dict[str, Path]:
    """Module name → file, for the SDK and the adapters."""
    paths = list((SRC / "sdk").rglob("*.py"))
    for name in ADAPTERS:
        target = SRC / name
        paths += list(target.rglob("*.py")) if target.is_dir() else [target]
    return {_module_name(path): path for path in paths}


FILES = _files()


# Parsed in a fresh interpreter: see tests.support.python_output.
_LIST_IMPORTS = """
import ast, json, sys
found = {}
for path in json.loads(sys.stdin.read()):
    names = found.setdefault(path, [])
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names += [[a.name, ""] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [[node.module, a.name] for a in node.names]
print(json.dumps(found))
"""


@cache
def _graph() -> dict[str, frozenset[str]]:
    """Module → the ``threshold`` modules its import statements name."""
    paths = {str(path): module for module, path in FILES.items()}
    found: dict[str, list[list[str]]] = json.loads(
        python_output(_LIST_IMPORTS, json.dumps(sorted(paths)))
    )
    graph = {}
    for path, imports in found.items():
        names = set()
        for module, name in imports:  # ``from package import module`` names the module
            submodule = f"{module}.{name}"
            names.add(submodule if name and submodule in FILES else module)
        graph[paths[path]] = frozenset(n for n in names if n.startswith("threshold"))
    return graph


def test_the_sdk_imports_only_the_core_and_itself() -> None:
    for module, names in _graph().items():
        if module.startswith("threshold.sdk"):
            strays = {n for n in names if not n.startswith(("threshold.core", "threshold.sdk"))}
            assert not strays, f"{module} imports {sorted(strays)}"


def test_the_adapters_import_nothing_of_the_server() -> None:
    for module, names in _graph().items():
        strays = {n for n in names if n.startswith(SERVER_SIDE)}
        assert not strays, f"{module} imports {sorted(strays)}"


def _find_circle(graph: Mapping[str, Collection[str]]) -> list[str] | None:
    """One import circle among the modules of ``graph``, else None (depth-first search)."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done or module not in graph:
            return None
        for name in sorted(graph[module]):
            circle = visit(name, [*path, module])
            if circle is not None:
                return circle
        done.add(module)
        return None

    for module in sorted(graph):
        circle = visit(module, [])
        if circle is not None:
            return circle
    return None


def test_no_import_circles() -> None:
    circle = _find_circle(_graph())
    assert circle is None, " -> ".join(circle or [])


def test_the_circle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert _find_circle(graph) == ["a", "b", "c", "a"]
    assert _find_circle({"a": {"b"}, "b": {"x"}}) is None
