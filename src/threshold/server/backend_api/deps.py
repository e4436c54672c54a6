"""What every Backend API route uses: the secret-key check, paging, answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from threshold.core.errors import AuthenticationError
from threshold.core.records.listing import Listed, Page
from threshold.server.errors import JSON
from threshold.server.http import client_ip, origin_of
from threshold.services.infra.audit import audit
from threshold.services.instance.api_keys import secret_key_is_active
from threshold.services.runtime.context import ServerContext

__all__ = [
    "CTX_SCOPE_KEY",
    "ClerkErrorOut",
    "ClerkErrorsOut",
    "Ctx",
    "Listing",
    "answer",
    "authenticate",
    "error_responses",
    "listed",
    "listing",
    "order_by_param",
    "request_origin",
]

CTX_SCOPE_KEY = "threshold.ctx"
"""Where the mount puts the server context in the ASGI scope."""

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="SecretKey",
    description="The instance's secret key: `Authorization: Bearer sk_test_...`.",
)
_FAILED_AUTH_PER_MINUTE = 60
ItemT = TypeVar("ItemT")


async def authenticate(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ServerContext:
    """The server context, once the bearer secret key is one of the instance's keys.

    Only the ``Authorization`` header counts (never the query string); publishable keys
    and revoked keys are refused with Clerk's 401 ``authentication_invalid``.
    """
    ctx: ServerContext = request.scope[CTX_SCOPE_KEY]
    key = credentials.credentials if credentials is not None else ""
    if not await secret_key_is_active(ctx, key):
        ip = client_ip(request, ctx.settings)
        audit(
            "backend_api.auth_failed",
            presented="none" if not key else "unknown key",  # never the key itself
            path=request.url.path,
            ip=ip,
            user_agent=request.headers.get("user-agent"),
        )
        await ctx.limiter.hit(f"bapi:auth:{ip}", _FAILED_AUTH_PER_MINUTE, 60)
        raise AuthenticationError(
            "Invalid authentication.",
            long_message="Send an active secret key as `Authorization: Bearer sk_...`.",
            code="authentication_invalid",
        )
    return ctx


Ctx = Annotated[ServerContext, Depends(authenticate)]


class Listing:
    """``limit`` (1-500, default 10), ``offset`` and ``paginated`` of a list call."""

    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=500, description="At most this many items.")] = 10,
        offset: Annotated[int, Query(ge=0, le=1_000_000_000, description="Skip this many.")] = 0,
        paginated: Annotated[
            bool, Query(description="Answer `{data, total_count}` instead of an array.")
        ] = False,
    ) -> None:
        self.limit, self.offset, self.paginated = limit, offset, paginated

    def page(self, order_by: str = "-created_at") -> Page:
        return Page(limit=self.limit, offset=self.offset, order_by=order_by)


def order_by_param(fields: Sequence[str]) -> Any:
    """A documented ``order_by`` query parameter (checked by the repository)."""
    pattern = f"^[+-]?({'|'.join(fields)})$"
    return Query(
        description="`[+|-]field`, newest first by default.",
        max_length=64,
        json_schema_extra={"pattern": pattern},
    )


def request_origin(request: Request) -> str | None:
    """The caller's ``Origin`` (an app renewing a token), normalized, for ``azp``."""
    origin = request.headers.get("origin")
    return origin_of(origin) if origin and len(origin) <= 512 else None


def answer(body: Any) -> JSON:
    """A 200 with exactly ``application/json``; never cached."""
    response = JSON(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def listing(
    items: Sequence[ItemT], total: int, params: Listing, shape: Callable[[ItemT], Any]
) -> JSON:
    """A bare array, or ``{data, total_count}`` when ``paginated=true``."""
    data = [shape(item) for item in items]
    return answer({"data": data, "total_count": total} if params.paginated else data)


def listed(found: Listed[ItemT], params: Listing, shape: Callable[[ItemT], Any]) -> JSON:
    """:func:`listing` of a page a service listed with its total."""
    return listing(found.items, found.total, params, shape)


class ClerkErrorOut(BaseModel):
    message: str
    long_message: str
    code: str
    meta: dict[str, Any] | None = None


class ClerkErrorsOut(BaseModel):
    """Every error: a list of errors and a trace id."""

    errors: list[ClerkErrorOut]
    clerk_trace_id: str | None = None


def error_responses() -> dict[int | str, dict[str, Any]]:
    """The error answers every route documents (all in Clerk's error shape)."""
    reasons = {
        400: "The request cannot be done in the resource's current state.",
        401: "The secret key is missing or invalid.",
        403: "Not allowed (for example: banned or locked user, production instance).",
        404: "No resource has this id.",
        413: "The request body is too large.",
        422: "A parameter is missing or invalid (`meta.param_name` names it).",
        429: "Too many requests (see `Retry-After`).",
    }
    return {code: {"model": ClerkErrorsOut, "description": text} for code, text in reasons.items()}
