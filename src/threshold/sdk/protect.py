"""``@protect``: a view runs only for signed-in callers who pass the given checks.

```python
@app.get("/dashboard")
@protect                              # or @protect(permission="org:invoices:read")
async def dashboard(): ...
```

Signed out, a page redirects to sign-in and comes back; an API call gets 401. Signed in
but refused: 404, as Clerk answers (``unauthorized_url=`` redirects instead). The
checks are ``auth().protect(...)``'s.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar, cast, overload

from threshold.sdk.auth_object import Auth
from threshold.sdk.context import auth

__all__ = ["protect"]

ParamsT = ParamSpec("ParamsT")
ResultT = TypeVar("ResultT")


@overload
def protect(func: Callable[ParamsT, ResultT], /) -> Callable[ParamsT, ResultT]: ...
@overload
def protect(
    *,
    condition: Callable[[Auth], bool] | None = None,
    role: str | None = None,
    permission: str | None = None,
    feature: str | None = None,
    plan: str | None = None,
    reverification: str | Mapping[str, Any] | None = None,
    unauthenticated_url: str | None = None,
    unauthorized_url: str | None = None,
) -> Callable[[Callable[ParamsT, ResultT]], Callable[ParamsT, ResultT]]: ...
def protect(
    func: Callable[ParamsT, ResultT] | None = None, /, **checks: Any
) -> (
    Callable[ParamsT, ResultT] | Callable[[Callable[ParamsT, ResultT]], Callable[ParamsT, ResultT]]
):
    """Guard a view (sync or async) with ``auth().protect(**checks)``."""

    def decorate(view: Callable[ParamsT, ResultT]) -> Callable[ParamsT, ResultT]:
        if inspect.iscoroutinefunction(view):
            async_view = cast("Callable[ParamsT, Awaitable[Any]]", view)

            @functools.wraps(view)
            async def guarded_async(*args: ParamsT.args, **kwargs: ParamsT.kwargs) -> Any:
                auth().protect(**checks)
                return await async_view(*args, **kwargs)

            return cast("Callable[ParamsT, ResultT]", guarded_async)

        @functools.wraps(view)
        def guarded(*args: ParamsT.args, **kwargs: ParamsT.kwargs) -> ResultT:
            auth().protect(**checks)
            return view(*args, **kwargs)

        return guarded

    return decorate(func) if func is not None else decorate
