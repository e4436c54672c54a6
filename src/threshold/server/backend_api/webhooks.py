"""``/webhook_endpoints`` and ``/webhook_events``: webhooks as a Threshold resource.

Clerk manages webhooks in its dashboard (through Svix), so its Backend API has nothing
to be compatible with here; these paths are Threshold's own and collide with none of
Clerk's. Secrets appear only in the answers that create or rotate them.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.responses import Response

from threshold.server.backend_api.deps import Ctx, Listing, answer, error_responses, listing
from threshold.server.backend_api.schemas import DeletedObjectOut, Paged
from threshold.services.webhooks import endpoints as service
from threshold.wire.deleted import deleted_json
from threshold.wire.webhooks import attempt_json, endpoint_json, event_json

__all__ = ["router"]

router = APIRouter(responses=error_responses())
_TAG: list[str | Enum] = ["Webhooks"]
_EventTypes = Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=100)]


class WebhookEndpointIn(BaseModel):
    url: Annotated[str, Field(max_length=2048, description="Where events are POSTed.")]
    events: _EventTypes | None = Field(None, description="Event types; all when left out.")
    description: Annotated[str, Field(max_length=512)] | None = None


class WebhookEndpointUpdateIn(BaseModel):
    url: Annotated[str, Field(max_length=2048)] | None = None
    events: _EventTypes | None = None
    description: Annotated[str, Field(max_length=512)] | None = None
    disabled: bool | None = Field(None, description="false enables a disabled endpoint.")


class WebhookReplayIn(BaseModel):
    endpoint_id: Annotated[str, Field(max_length=64)] | None = Field(
        None, description="Only to this endpoint; else to every endpoint that wants the type."
    )


class WebhookEndpointOut(BaseModel):
    object: Literal["webhook_endpoint"]
    id: str
    url: str
    description: str
    events: list[str]
    status: Literal["active", "disabled"]
    disabled_reason: str | None
    disabled_at: int | None
    failing_since: int | None
    created_at: int
    updated_at: int


class WebhookEndpointSecretOut(WebhookEndpointOut):
    secret: str = Field(description="`whsec_...`: shown in this answer only.")


class WebhookAttemptOut(BaseModel):
    object: Literal["webhook_attempt"]
    id: str
    delivery_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    status: Literal["succeeded", "failed"]
    status_code: int | None
    response_time_ms: int
    response_body: str
    error: str | None
    attempted_at: int


class WebhookEventOut(BaseModel):
    object: Literal["webhook_event"]
    id: str
    type: str
    timestamp: int
    data: dict[str, Any]
    attempts: list[WebhookAttemptOut]


class WebhookReplayOut(BaseModel):
    object: Literal["webhook_replay"]
    event_id: str
    endpoint_ids: list[str]


@router.get(
    "/webhook_endpoints",
    response_model=list[WebhookEndpointOut] | Paged[WebhookEndpointOut],
    tags=_TAG,
    summary="List webhook endpoints",
)
async def list_endpoints(ctx: Ctx, params: Annotated[Listing, Depends()]) -> Response:
    """Endpoints, oldest first."""
    found, total = await service.list_endpoints(ctx, params.limit, params.offset)
    return listing(found, total, params, endpoint_json)


@router.post(
    "/webhook_endpoints", response_model=WebhookEndpointSecretOut, tags=_TAG, summary="Create"
)
async def create_endpoint(ctx: Ctx, body: WebhookEndpointIn) -> Response:
    """A new endpoint, with its signing secret (shown this once)."""
    endpoint, secret = await service.create_endpoint(
        ctx, body.url, events=body.events, description=body.description or ""
    )
    return answer(endpoint_json(endpoint, secret=secret))


@router.get(
    "/webhook_endpoints/{endpoint_id}", response_model=WebhookEndpointOut, tags=_TAG, summary="Get"
)
async def get_endpoint(ctx: Ctx, endpoint_id: str) -> Response:
    """One endpoint: its status says whether it is disabled, and why."""
    return answer(endpoint_json(await service.get_endpoint(ctx, endpoint_id)))


@router.patch(
    "/webhook_endpoints/{endpoint_id}",
    response_model=WebhookEndpointOut,
    tags=_TAG,
    summary="Update",
)
async def update_endpoint(ctx: Ctx, endpoint_id: str, body: WebhookEndpointUpdateIn) -> Response:
    """Change the URL, event types or description; disable or enable it."""
    changes = service.EndpointChanges(
        url=body.url, events=body.events, description=body.description, disabled=body.disabled
    )
    return answer(endpoint_json(await service.update_endpoint(ctx, endpoint_id, changes)))


@router.delete(
    "/webhook_endpoints/{endpoint_id}", response_model=DeletedObjectOut, tags=_TAG, summary="Delete"
)
async def delete_endpoint(ctx: Ctx, endpoint_id: str) -> Response:
    """Delete an endpoint, its pending deliveries and its delivery log."""
    deleted = await service.delete_endpoint(ctx, endpoint_id)
    return answer(deleted_json("webhook_endpoint", deleted))


@router.post(
    "/webhook_endpoints/{endpoint_id}/rotate_secret",
    response_model=WebhookEndpointSecretOut,
    tags=_TAG,
    summary="Rotate the secret",
)
async def rotate_secret(ctx: Ctx, endpoint_id: str) -> Response:
    """A new secret (shown this once); the old one signs too for 24 hours."""
    endpoint, secret = await service.rotate_secret(ctx, endpoint_id)
    return answer(endpoint_json(endpoint, secret=secret))


@router.get(
    "/webhook_endpoints/{endpoint_id}/attempts",
    response_model=list[WebhookAttemptOut] | Paged[WebhookAttemptOut],
    tags=_TAG,
    summary="Delivery log",
)
async def attempts(ctx: Ctx, endpoint_id: str, params: Annotated[Listing, Depends()]) -> Response:
    """The endpoint's delivery attempts, newest first: status code, response time and
    the first bytes of each response."""
    found, total = await service.delivery_log(ctx, endpoint_id, params.limit, params.offset)
    return listing(found, total, params, attempt_json)


@router.get(
    "/webhook_events/{event_id}", response_model=WebhookEventOut, tags=_TAG, summary="Get event"
)
async def get_event(ctx: Ctx, event_id: str) -> Response:
    """An event of the outbox and every attempt to deliver it."""
    event, tries = await service.event_log(ctx, event_id)
    return answer({**event_json(event), "attempts": [attempt_json(a) for a in tries]})


@router.post(
    "/webhook_events/{event_id}/replay",
    response_model=WebhookReplayOut,
    tags=_TAG,
    summary="Replay",
)
async def replay(ctx: Ctx, event_id: str, body: WebhookReplayIn | None = None) -> Response:
    """Deliver the event again, with the same `svix-id`."""
    target = body.endpoint_id if body is not None else None
    sent_to = await service.replay_event(ctx, event_id, target)
    return answer({"object": "webhook_replay", "event_id": event_id, "endpoint_ids": sent_to})
