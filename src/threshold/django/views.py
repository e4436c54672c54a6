"""The server-action view (``POST /_threshold/actions/<id>``), routed by ``urls.py``."""

from __future__ import annotations

from typing import Any

from threshold.sdk.errors import MissingDependencyError

try:
    from asgiref.sync import async_to_sync
    from django.core.exceptions import (  # type: ignore[import-untyped]
        RequestDataTooBig,
        SuspiciousOperation,
        TooManyFieldsSent,
    )
    from django.http import HttpResponseBase  # type: ignore[import-untyped]
    from django.views.decorators.http import require_POST  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "django") from exc

from threshold.django._bridge import to_django
from threshold.sdk.actions.formdata import FieldValue, FormData, UploadedFile
from threshold.sdk.context import current_state
from threshold.sdk.http import EarlyResponse

__all__ = ["action_view"]


def _form(request: Any) -> FormData:
    items: list[tuple[str, FieldValue]] = [
        (name, value) for name, values in request.POST.lists() for value in values
    ]
    for name, uploads in request.FILES.lists():
        for upload in uploads:
            content_type = upload.content_type or "application/octet-stream"
            items.append((name, UploadedFile(upload.name or "", content_type, upload.size, upload)))
    return FormData(items)


@require_POST  # type: ignore[untyped-decorator]
def action_view(request: Any, action_id: str) -> Any:
    """Run one server action; Django's CSRF middleware has already checked its token."""
    state = current_state()
    dispatcher = state.services.actions
    prepared = dispatcher.prepare(state, action_id)
    if isinstance(prepared, EarlyResponse):
        return to_django(prepared)
    try:
        form = _form(request)
    except (RequestDataTooBig, TooManyFieldsSent):
        return to_django(dispatcher.too_large(state))
    except SuspiciousOperation:
        return to_django(EarlyResponse.text(400, "The form could not be read."))
    invocation = dispatcher.bind(state, prepared, action_id, form)
    if isinstance(invocation, EarlyResponse):
        return to_django(invocation)
    value, error = dispatcher.call_sync(state, invocation, async_to_sync)
    if error is None and isinstance(value, HttpResponseBase):
        return value
    return to_django(dispatcher.finish(state, invocation, (value, error)))
