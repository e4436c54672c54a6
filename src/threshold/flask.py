"""Flask: ``Threshold(app)`` or ``threshold = Threshold(); threshold.init_app(app)``.

It wraps ``app.wsgi_app`` in :class:`threshold.wsgi.AuthMiddleware`, routes server
actions (``POST /_threshold/actions/<id>``), adds the template helpers to Jinja
(``action_attrs``, ``action_fields``, ``action_state``, ``threshold_script``, ``auth``)
and turns ``protect()``'s signals into responses. Configuration: arguments, else
``THRESHOLD_*`` keys of ``app.config`` over the environment.
"""

from __future__ import annotations

import os
from typing import Any

from threshold.sdk.errors import MissingDependencyError

try:
    from flask import Blueprint, Flask, Response, current_app, request
    from werkzeug.exceptions import RequestEntityTooLarge
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("flask", "flask") from exc

from threshold.sdk.actions.formdata import FieldValue, FormData, UploadedFile
from threshold.sdk.actions.templating import jinja_globals
from threshold.sdk.authenticate import Authenticator
from threshold.sdk.config import SdkConfig
from threshold.sdk.context import current_state
from threshold.sdk.errors import ActionError, Redirect
from threshold.sdk.http import EarlyResponse
from threshold.sdk.interrupts import interrupt_response
from threshold.wsgi import AuthMiddleware

__all__ = ["Threshold", "to_response"]


def to_response(reply: EarlyResponse) -> Response:
    """An :class:`EarlyResponse` as a Flask response."""
    return Response(reply.body, status=reply.status, headers=reply.headers)


def _interrupt(error: Exception) -> Response:
    reply = interrupt_response(error, current_state().request)
    assert reply is not None
    return to_response(reply)


def _read_form() -> FormData:
    items: list[tuple[str, FieldValue]] = list(request.form.items(multi=True))
    for name, upload in request.files.items(multi=True):
        upload.stream.seek(0, os.SEEK_END)
        size = upload.stream.tell()
        upload.stream.seek(0)
        items.append(
            (
                name,
                UploadedFile(
                    upload.filename or "",
                    upload.mimetype or "application/octet-stream",
                    size,
                    upload.stream,
                ),
            )
        )
    return FormData(items)


def _action_view(action_id: str) -> Response:
    state = current_state()
    dispatcher = state.services.actions
    prepared = dispatcher.prepare(state, action_id)
    if isinstance(prepared, EarlyResponse):
        return to_response(prepared)
    request.max_content_length = dispatcher.limit(prepared)
    try:
        form = _read_form()
    except RequestEntityTooLarge:
        return to_response(dispatcher.too_large(state))
    invocation = dispatcher.bind(state, prepared, action_id, form)
    if isinstance(invocation, EarlyResponse):
        return to_response(invocation)
    value, error = dispatcher.call_sync(state, invocation, current_app.ensure_sync)
    if error is None and isinstance(value, Response):
        return value
    return to_response(dispatcher.finish(state, invocation, (value, error)))


class Threshold:
    """The Flask extension. ``sdk`` is the :class:`Authenticator` in use."""

    def __init__(
        self, app: Flask | None = None, config: SdkConfig | None = None, **settings: Any
    ) -> None:
        self._config = config
        self._settings = settings
        self.sdk: Authenticator | None = None
        if app is not None:
            self.init_app(app)

    def _resolve(self, app: Flask) -> SdkConfig:
        if self._config is not None or self._settings:
            return SdkConfig.resolve(self._config, **self._settings)
        from_app = {k: str(v) for k, v in app.config.items() if k.startswith("THRESHOLD_") and v}
        return SdkConfig.from_env({**os.environ, **from_app})

    def init_app(self, app: Flask) -> None:
        """Install the middleware, the action route, template helpers and error handlers."""
        self.sdk = Authenticator(self._resolve(app))
        app.wsgi_app = AuthMiddleware(app.wsgi_app, sdk=self.sdk)  # type: ignore[method-assign]
        blueprint = Blueprint("threshold", __name__)
        blueprint.add_url_rule(
            "/_threshold/actions/<action_id>", view_func=_action_view, methods=["POST"]
        )
        app.register_blueprint(blueprint)
        app.jinja_env.globals.update(jinja_globals())
        app.register_error_handler(Redirect, _interrupt)
        app.register_error_handler(ActionError, _interrupt)
        app.extensions["threshold"] = self
