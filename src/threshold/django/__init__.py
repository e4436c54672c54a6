"""Django integration.

```python
INSTALLED_APPS = [..., "threshold.django"]              # for {% load threshold %}
MIDDLEWARE = [..., "threshold.django.middleware.AuthMiddleware"]
urlpatterns = [..., path("", include("threshold.django.urls"))]   # server actions
THRESHOLD = {"jwt_key": ..., "secret_key": ...}          # optional; else THRESHOLD_* env
```

``request.auth`` is the :class:`threshold.Auth` of the request; ``auth()``,
``current_user()`` and ``protect`` work in views and actions. Django's own CSRF
middleware stays in charge of its token; action forms carry both.
"""

__all__: list[str] = []
