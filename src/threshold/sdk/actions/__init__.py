"""Server actions: a decorated function is a form target, with or without JavaScript.

See docs/server-actions.md. The pieces: ``registry`` (``@server_action``, ids),
``security`` (origin check, CSRF tokens, signing), ``formdata``, ``dispatch`` (one
POST, framework-free), ``results`` (replies), ``flash`` (no-JS results) and
``templating`` (``action_attrs``/``action_fields``/``action_state``).
"""

__all__: list[str] = []
