"""``@server_action``: register a module-level function as a form target.

An action's public id is ``base32(HMAC-SHA256(key, module + ":" + qualname))[:26]``:
the same in every worker, unguessable without the key, and silent about file paths.
Lookup goes through a dict built from the registry; no attribute or dotted-name lookup
ever happens, so only functions decorated at module level can run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import inspect
import re
import threading
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

from threshold.core.errors import ConfigurationError

__all__ = ["ServerAction", "find_action", "parse_size", "server_action"]

ParamsT = ParamSpec("ParamsT")
ResultT = TypeVar("ResultT")

_REGISTRY: dict[str, ServerAction[Any, Any]] = {}
_BY_KEY: dict[bytes, tuple[int, dict[str, ServerAction[Any, Any]]]] = {}
_LOCK = threading.Lock()
_VERSION = [0]
_SIZE = re.compile(r"\s*(\d+)\s*([kmg]?i?b?)\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3}


def parse_size(value: int | str) -> int:
    """``1048576``, ``"512KB"``, ``"5MB"`` or ``"1MiB"`` → bytes."""
    if isinstance(value, int):
        if value <= 0:
            raise ConfigurationError("max_body must be positive.")
        return value
    match = _SIZE.fullmatch(value)
    if not match:
        raise ConfigurationError(f"Not a size: {value!r} (use e.g. '5MB').")
    unit = match.group(2).lower()
    factor = _UNITS[unit[:1]]
    if "i" in unit:
        factor = {1000: 1024, 1000**2: 1024**2, 1000**3: 1024**3}.get(factor, factor)
    return parse_size(int(match.group(1)) * factor)


class ServerAction(Generic[ParamsT, ResultT]):
    """A registered action; calling it calls the function."""

    do_not_call_in_templates = True
    """Django templates pass the action to tags instead of calling it."""

    def __init__(self, func: Callable[ParamsT, ResultT], max_body: int | None) -> None:
        qualname = func.__qualname__
        if "<locals>" in qualname or "<lambda>" in qualname:
            raise ConfigurationError(f"{qualname}: server actions must be module-level functions.")
        self.func = func
        self.module = func.__module__
        self.qualname = qualname
        self.key = f"{self.module}:{qualname}"
        self.max_body = max_body
        self.is_async = inspect.iscoroutinefunction(func)
        self.takes_form = bool(inspect.signature(func).parameters)
        functools.update_wrapper(self, func)

    def __call__(self, *args: ParamsT.args, **kwargs: ParamsT.kwargs) -> ResultT:
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<server_action {self.key}>"

    def action_id(self, key: bytes) -> str:
        """The public id of this action under ``key``."""
        digest = hmac.new(key, self.key.encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii")[:26].lower()


def _register(action: ServerAction[Any, Any]) -> None:
    with _LOCK:
        existing = _REGISTRY.get(action.key)
        if existing is not None and existing.func is not action.func:
            old = getattr(existing.func, "__code__", None)
            new = getattr(action.func, "__code__", None)
            same_place = (
                old is not None
                and new is not None
                and (
                    old.co_filename == new.co_filename and old.co_firstlineno == new.co_firstlineno
                )
            )
            if not same_place:
                raise ConfigurationError(f"Two server actions are named {action.key}.")
        _REGISTRY[action.key] = action
        _VERSION[0] += 1


@overload
def server_action(func: Callable[ParamsT, ResultT], /) -> ServerAction[ParamsT, ResultT]: ...
@overload
def server_action(
    *, max_body: int | str | None = None
) -> Callable[[Callable[ParamsT, ResultT]], ServerAction[ParamsT, ResultT]]: ...
def server_action(
    func: Callable[ParamsT, ResultT] | None = None, /, *, max_body: int | str | None = None
) -> (
    ServerAction[ParamsT, ResultT]
    | Callable[[Callable[ParamsT, ResultT]], ServerAction[ParamsT, ResultT]]
):
    """Make a module-level function a form target: ``@server_action`` or
    ``@server_action(max_body="5MB")``. It receives the :class:`FormData` (if it takes an
    argument) plus any values bound with ``action_fields(f, bind={...})``.
    """
    limit = parse_size(max_body) if max_body is not None else None

    def wrap(target: Callable[ParamsT, ResultT]) -> ServerAction[ParamsT, ResultT]:
        action = ServerAction(target, limit)
        _register(action)
        return action

    return wrap(func) if func is not None else wrap


def find_action(key: bytes, action_id: str) -> ServerAction[Any, Any] | None:
    """The registered action whose id under ``key`` is ``action_id``."""
    with _LOCK:
        cached = _BY_KEY.get(key)
        if cached is None or cached[0] != _VERSION[0]:
            table = {a.action_id(key): a for a in _REGISTRY.values()}
            cached = (_VERSION[0], table)
            _BY_KEY[key] = cached
    return cached[1].get(action_id)
