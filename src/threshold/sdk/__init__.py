"""The framework-free SDK core: verification, request state, actions and the API client.

Adapters (``threshold.asgi``, ``threshold.wsgi``, ``threshold.fastapi``,
``threshold.flask``, ``threshold.django``) stay thin on top of it. The public names are
re-exported by the ``threshold`` package. The SDK imports only ``threshold.core``.

From the bottom up (a module imports only those above it in this list):

- ``config``, ``errors``, ``http`` (the request view), ``claims``, ``client/`` (the
  Backend API client), ``jwks`` and ``verify`` (session tokens);
- ``outcome``: what the request rules return, and the calls they ask for;
- ``_credentials``: what a request's credentials say, before anything is verified;
- ``_handshake`` and ``_rules``: the request rules, written once;
- ``_shortcut``: those rules on the credential headers alone, and their answers kept;
- ``_http_clients`` and ``_runner``: the HTTP clients, and the runner that makes the
  rules' calls with them;
- ``authenticate``: ``Authenticator``, which puts the above together per configuration;
- ``auth_object`` (``Auth``), ``_auth_snapshot``, ``_user_loader``,
  ``_response_cookies`` and ``actions/`` (server actions, but for their templates): the
  parts of a request's state;
- ``context``: that state in a contextvar (``auth()``, ``current_user()``), ``protect``,
  ``interrupts``, ``actions/templating`` and ``_asgi_actions`` for the adapters.
"""

__all__: list[str] = []
