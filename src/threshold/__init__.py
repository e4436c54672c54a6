"""Threshold: self-hosted authentication for Python web apps, wire-compatible with Clerk.

```python
from threshold import auth, current_user, protect, server_action, ActionError

@server_action
async def add_item(form):
    if not auth().user_id:
        raise ActionError("You must be signed in to add an item to your cart")
```

Importing this package loads only the SDK (``cryptography`` and ``httpx``); framework
adapters live in ``threshold.asgi``, ``threshold.wsgi``, ``threshold.fastapi``,
``threshold.flask`` and ``threshold.django``.
"""

from threshold.sdk.actions.flash import ActionState
from threshold.sdk.actions.formdata import FormData, UploadedFile
from threshold.sdk.actions.registry import ServerAction, server_action
from threshold.sdk.actions.templating import (
    action_attrs,
    action_fields,
    action_state,
    action_url,
    jinja_globals,
    threshold_script,
)
from threshold.sdk.auth_object import Auth
from threshold.sdk.authenticate import Authenticator
from threshold.sdk.client import AsyncClient, Client, User
from threshold.sdk.config import SdkConfig
from threshold.sdk.context import acurrent_user, auth, current_user
from threshold.sdk.errors import (
    AccessDeniedError,
    ActionError,
    ApiError,
    AuthContextMissingError,
    BlockingCallError,
    MissingDependencyError,
    NotSignedInError,
    Redirect,
    SdkError,
    TokenVerificationError,
    TransportError,
    redirect,
)
from threshold.sdk.protect import protect
from threshold.sdk.verify import averify_token, verify_token

__all__ = [
    "AccessDeniedError",
    "ActionError",
    "ActionState",
    "ApiError",
    "AsyncClient",
    "Auth",
    "AuthContextMissingError",
    "Authenticator",
    "BlockingCallError",
    "Client",
    "FormData",
    "MissingDependencyError",
    "NotSignedInError",
    "Redirect",
    "SdkConfig",
    "SdkError",
    "ServerAction",
    "TokenVerificationError",
    "TransportError",
    "UploadedFile",
    "User",
    "action_attrs",
    "action_fields",
    "action_state",
    "action_url",
    "acurrent_user",
    "auth",
    "averify_token",
    "current_user",
    "jinja_globals",
    "protect",
    "redirect",
    "server_action",
    "threshold_script",
    "verify_token",
]
