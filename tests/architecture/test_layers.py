"""The layers of ``src/threshold`` and their contract (docs/architecture.md).

    core      imports nothing else of Threshold
    wire      core (Clerk's JSON rendered from records, by pure functions)
    store     core
    services  core, wire, store; no web framework; no SQL (statements are built in the store)
    server    core, wire, services; never the store (it reaches it through services)
    sdk       core (the SDK, its framework adapters and the package's public face)
    cli       anything: it wires the others together

And across all of them: no import circles, not even ones held together by imports
under ``TYPE_CHECKING``, and no module over 500 lines.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator

from tests.architecture.imports import Module, modules

_SDK_FACES = (
    "threshold.asgi",
    "threshold.wsgi",
    "threshold.fastapi",
    "threshold.flask",
    "threshold.webhooks",
)

ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset({"core"}),
    "wire": frozenset({"core", "wire"}),
    "store": frozenset({"core", "store"}),
    "services": frozenset({"core", "wire", "store", "services"}),
    "server": frozenset({"core", "wire", "services", "server"}),
    "sdk": frozenset({"core", "sdk"}),
    "cli": frozenset({"core", "wire", "store", "services", "server", "sdk", "cli"}),
}

WEB_FRAMEWORKS = ("starlette", "fastapi", "flask", "django", "uvicorn", "werkzeug")
FORBIDDEN_PACKAGES: dict[str, tuple[str, ...]] = {
    "core": ("sqlalchemy", "httpx", *WEB_FRAMEWORKS),
    "wire": ("sqlalchemy", "httpx", *WEB_FRAMEWORKS),
    "store": WEB_FRAMEWORKS,
    "services": WEB_FRAMEWORKS,
    "sdk": ("sqlalchemy",),
}

SERVICES_SQLALCHEMY = {"sqlalchemy.ext.asyncio": {"AsyncConnection"}}
"""What of SQLAlchemy a service may name: the open transaction it passes to repositories."""

MAX_LINES = 500

# A ratchet for what the layout still breaks while it moves into place: every entry must
# still be a breach (the test fails on a stale entry), and nothing may be added.
KNOWN_BREACHES: set[tuple[str, str]] = set()
KNOWN_LONG: set[str] = set()


def layer_of(name: str) -> str | None:
    """The layer of a Threshold module, or None for a module of another package."""
    if name == "threshold.cli" or name.startswith("threshold.cli."):
        return "cli"
    for layer in ("core", "wire", "store", "services", "server", "sdk"):
        if name == f"threshold.{layer}" or name.startswith(f"threshold.{layer}."):
            return layer
    if name == "threshold" or name in _SDK_FACES or name.startswith("threshold.django"):
        return "sdk"
    return None


def _breaches(module: Module) -> Iterator[tuple[str, str]]:
    layer = layer_of(module.name)
    assert layer is not None, module.name
    for imp in module.imports:
        target_layer = layer_of(imp.target)
        if target_layer is not None and target_layer not in ALLOWED[layer]:
            yield module.name, imp.target
        top = imp.target.partition(".")[0]
        if top in FORBIDDEN_PACKAGES.get(layer, ()):
            yield module.name, imp.target
        if layer == "services" and top == "sqlalchemy":
            allowed = SERVICES_SQLALCHEMY.get(imp.target, set())
            if not imp.names or not set(imp.names) <= allowed:
                yield module.name, imp.target
        if layer == "services" and imp.target.startswith("threshold.store.tables"):
            yield module.name, imp.target


def test_every_module_has_a_layer() -> None:
    found = modules()
    assert len(found) > 100
    assert all(layer_of(name) is not None for name in found)


def test_layers_import_only_what_their_contract_allows() -> None:
    breaches = {b for m in modules().values() for b in _breaches(m)}
    assert breaches - KNOWN_BREACHES == set(), "new layer breaches"
    assert KNOWN_BREACHES - breaches == set(), "mended breaches still listed: remove them"


def test_the_contract_catches_a_breach() -> None:
    """The rules above are not vacuous: a store module importing the server breaks them."""
    from tests.architecture.imports import Import

    bad = Module("threshold.store.x", modules()["threshold.store.db"].path, 1, ())
    bad = Module(bad.name, bad.path, 1, (Import("threshold.server.app", 1, ("create_app",)),))
    assert list(_breaches(bad)) == [("threshold.store.x", "threshold.server.app")]
    sql = Module("threshold.services.x", bad.path, 1, (Import("sqlalchemy", 1, ()),))
    assert list(_breaches(sql)) == [("threshold.services.x", "sqlalchemy")]


def _circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    found = modules()
    graph = {
        name: sorted({i.target for i in m.imports if i.target in found and i.target != name})
        for name, m in found.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in graph:
        if name not in index:
            visit(name)
    return circles


KNOWN_CIRCLES: list[list[str]] = []


def test_no_import_circles() -> None:
    assert sorted(_circles()) == sorted(KNOWN_CIRCLES)


def test_no_module_over_the_size_limit() -> None:
    long = {name for name, m in modules().items() if m.lines > MAX_LINES}
    assert long - KNOWN_LONG == set(), f"modules over {MAX_LINES} lines"
    assert KNOWN_LONG - long == set(), "shortened modules still listed: remove them"


def test_modules_stay_small() -> None:
    sizes = [m.lines for m in modules().values() if m.path.name != "__init__.py"]
    assert statistics.median(sizes) < 150
