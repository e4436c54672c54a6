"""The Backend API client: :class:`AsyncClient` (primary) and :class:`Client` (sync twin).

```python
async with AsyncClient() as clerk:          # THRESHOLD_SECRET_KEY, THRESHOLD_API_URL
    user = await clerk.users.get("user_...")
```
"""

from threshold.sdk.client._async import AsyncClient
from threshold.sdk.client._sync import Client
from threshold.sdk.client.models import (
    BrowserClient,
    DeletedObject,
    EmailAddress,
    Invitation,
    Jwk,
    Jwks,
    PhoneNumber,
    Session,
    Token,
    User,
)

__all__ = [
    "AsyncClient",
    "BrowserClient",
    "Client",
    "DeletedObject",
    "EmailAddress",
    "Invitation",
    "Jwk",
    "Jwks",
    "PhoneNumber",
    "Session",
    "Token",
    "User",
]
