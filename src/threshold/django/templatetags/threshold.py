"""``{% load threshold %}``: the action helpers as Django tags.

```django
<form {% action_attrs add_item %}>{% action_fields add_item %} ... </form>
{% action_state add_item as result %}{% if result.failed %}{{ result.message }}{% endif %}
{% threshold_script %}  <a href="{% sign_in_url %}">Sign in</a>
```
"""

from __future__ import annotations

from typing import Any

from threshold.sdk.errors import MissingDependencyError

try:
    from django import template  # type: ignore[import-untyped]
    from django.middleware.csrf import get_token  # type: ignore[import-untyped]
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise MissingDependencyError("django", "django") from exc

from threshold.sdk.actions import templating
from threshold.sdk.actions.flash import ActionState
from threshold.sdk.actions.templating import Html

__all__ = ["register"]

register = template.Library()


@register.simple_tag  # type: ignore[untyped-decorator]
def action_attrs(action: Any) -> Html:
    """``method``/``action``/``enctype`` attributes of an action form."""
    return templating.action_attrs(action)


@register.simple_tag(takes_context=True)  # type: ignore[untyped-decorator]
def action_fields(context: Any, action: Any, **bind: Any) -> Html:
    """Hidden fields: Django's CSRF token, Threshold's, the return path, bound values."""
    fields = templating.action_fields(action, bind or None)
    request = context.get("request")
    if request is None:
        return fields
    django_token = Html(
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'
    )
    return Html(django_token + fields)


@register.simple_tag  # type: ignore[untyped-decorator]
def action_state(action: Any) -> ActionState:
    """The last result of ``action`` (use ``{% action_state f as result %}``)."""
    return templating.action_state(action)


@register.simple_tag  # type: ignore[untyped-decorator]
def threshold_script() -> Html:
    """The ``<script>`` tag of the action script."""
    return templating.threshold_script()


@register.simple_tag  # type: ignore[untyped-decorator]
def sign_in_url(return_back_url: str | None = None) -> str:
    """The sign-in URL with ``redirect_url`` back to this page."""
    return templating.sign_in_url(return_back_url)
