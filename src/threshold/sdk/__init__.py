"""The framework-free SDK core: verification, request state, actions and the API client.

Adapters (``threshold.asgi``, ``threshold.wsgi``, ``threshold.fastapi``,
``threshold.flask``, ``threshold.django``) stay thin on top of it. The public names are
re-exported by the ``threshold`` package.
"""

__all__: list[str] = []
