"""The import graph of ``src/threshold``, read with :mod:`ast` (nothing is imported).

Every import counts, wherever it stands: at the top, inside a function, or under
``if TYPE_CHECKING:``. An import of a name from a package counts as an import of the
submodule of that name when there is one (``from threshold.services.auth import sign_in``
imports ``threshold.services.auth.sign_in``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

__all__ = ["SRC", "Import", "Module", "modules"]

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class Import:
    """One imported module, with the line that imports it."""

    target: str
    line: int
    names: tuple[str, ...]
    """The names taken from ``target`` (``from target import a, b``); empty for ``import``."""


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    lines: int
    imports: tuple[Import, ...]

    @property
    def package(self) -> str:
        return self.name if self.path.name == "__init__.py" else self.name.rpartition(".")[0]


def _name_of(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, level: int, package: str) -> str:
    if level == 0:
        return module
    base = package.split(".")
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _read(path: Path, known: set[str]) -> Module:
    name = _name_of(path)
    text = path.read_text()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module or "", node.level, package)
            plain = []
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                if submodule in known:
                    found.append(Import(submodule, node.lineno, ()))
                else:
                    plain.append(alias.name)
            if plain or not node.names:
                found.append(Import(target, node.lineno, tuple(plain)))
    return Module(name, path, len(text.splitlines()), tuple(found))


@cache
def modules() -> dict[str, Module]:
    """Every module of ``src/threshold`` by its dotted name."""
    paths = sorted((SRC / "threshold").rglob("*.py"))
    known = {_name_of(p) for p in paths}
    return {m.name: m for m in (_read(p, known) for p in paths)}
