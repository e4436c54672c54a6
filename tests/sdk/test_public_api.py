"""The public surface: exported names, light imports, missing extras, configuration."""

from __future__ import annotations

import base64
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import threshold
from threshold import SdkConfig
from threshold.core.errors import ConfigurationError
from threshold.sdk.config import api_url_from_publishable_key

EXPECTED = {
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
}
SRC = Path(threshold.__file__).parent


def test_public_names_are_pinned() -> None:
    assert set(threshold.__all__) == EXPECTED
    for name in threshold.__all__:
        assert getattr(threshold, name) is not None


def _sdk_modules() -> list[str]:
    names = [
        "threshold",
        "threshold.asgi",
        "threshold.wsgi",
        "threshold.fastapi",
        "threshold.flask",
    ]
    for info in pkgutil.walk_packages([str(SRC / "sdk")], "threshold.sdk."):
        names.append(info.name)
    for info in pkgutil.walk_packages([str(SRC / "django")], "threshold.django."):
        names.append(info.name)
    return names


@pytest.mark.parametrize("module", _sdk_modules())
def test_every_module_has_all_and_docstrings(module: str) -> None:
    if module.startswith("threshold.django"):
        from examples.django_app.app import configure

        configure()
    loaded = importlib.import_module(module)
    assert isinstance(loaded.__all__, list | tuple), module
    assert loaded.__doc__, module
    for name in loaded.__all__:
        obj = getattr(loaded, name)
        if callable(obj) and getattr(obj, "__module__", "") == module:
            assert obj.__doc__, f"{module}.{name} has no docstring"


def test_importing_threshold_stays_light() -> None:
    code = (
        "import sys, threshold, threshold.asgi, threshold.wsgi;"
        "heavy = {'sqlalchemy', 'fastapi', 'starlette', 'flask', 'django', 'jinja2', "
        "'pydantic', 'werkzeug', 'alembic', 'uvicorn'};"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("module", "blocked", "extra"),
    [
        ("threshold.flask", "flask", "flask"),
        ("threshold.fastapi", "fastapi", "fastapi"),
        ("threshold.django.middleware", "django", "django"),
    ],
)
def test_missing_extra_names_it(module: str, blocked: str, extra: str) -> None:
    code = (
        f"import sys; sys.modules[{blocked!r}] = None\n"
        "from threshold import MissingDependencyError\n"
        f"try:\n    import {module}\n"
        "except MissingDependencyError as exc:\n"
        "    print(isinstance(exc, ImportError), exc.extra, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith(f"True {extra} ")
    assert f"pip install 'threshold[{extra}]'" in out.stdout


def test_py_typed_is_shipped() -> None:
    assert (SRC / "py.typed").exists()


# -- configuration ----------------------------------------------------------------------


def test_env_names_and_clerk_fallbacks() -> None:
    env = {
        "THRESHOLD_SECRET_KEY": "sk_test_a",
        "CLERK_SECRET_KEY": "sk_test_ignored",
        "CLERK_API_URL": "https://auth.example/v1/",
        "THRESHOLD_AUTHORIZED_PARTIES": " https://a.example/ ,https://b.example,, ",
        "CLERK_SIGN_IN_URL": "https://auth.example/login",
    }
    config = SdkConfig.from_env(env)
    assert config.secret_key == "sk_test_a"
    assert config.api_url == "https://auth.example"
    assert config.authorized_parties == ("https://a.example", "https://b.example")
    assert config.resolved_sign_in_url == "https://auth.example/login"
    assert SdkConfig(api_url="http://x.test").resolved_sign_in_url == "http://x.test/sign-in"
    assert SdkConfig().resolved_sign_in_url is None


def test_arguments_win_and_unknown_names_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THRESHOLD_API_URL", "https://env.example")
    assert SdkConfig.resolve(api_url="https://arg.example").api_url == "https://arg.example"
    assert SdkConfig.resolve().api_url == "https://env.example"
    given = SdkConfig(api_url="https://given.example")
    assert SdkConfig.resolve(given) is given
    with pytest.raises(ConfigurationError):
        SdkConfig.resolve(given, secret_key="x")
    with pytest.raises(ConfigurationError, match="nonsense"):
        SdkConfig.resolve(nonsense=1)


def test_publishable_key_names_the_server() -> None:
    def pk(host: str, kind: str = "live") -> str:
        return f"pk_{kind}_" + base64.b64encode(f"{host}$".encode()).decode().rstrip("=")

    assert api_url_from_publishable_key(pk("clerk.example.com")) == "https://clerk.example.com"
    assert api_url_from_publishable_key(pk("localhost.test:8787", "test")).startswith("http://")
    assert SdkConfig(publishable_key=pk("auth.example.com")).api_url == "https://auth.example.com"
    for bad in ("sk_test_x", "pk_test_!!!", pk("nodot"), "pk_prod_abc"):
        with pytest.raises(ConfigurationError):
            api_url_from_publishable_key(bad)


def test_signing_key_needs_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="THRESHOLD_ACTION_SECRET"):
        SdkConfig().signing_key("actions")
    one = SdkConfig(secret_key="sk_a").signing_key("actions")
    assert one != SdkConfig(secret_key="sk_a").signing_key("other")
    assert one != SdkConfig(secret_key="sk_a", action_secret="s").signing_key("actions")
