"""Server-action building blocks, framework-free: ids, CSRF, flash, results, templates."""

from __future__ import annotations

import io
import time
from typing import Any

import jinja2
import pytest

from threshold import (
    AccessDeniedError,
    ActionError,
    AuthContextMissingError,
    Authenticator,
    FormData,
    NotSignedInError,
    SdkConfig,
    UploadedFile,
    action_attrs,
    action_state,
    jinja_globals,
    server_action,
)
from threshold.core import errors as core_errors
from threshold.core.errors import ConfigurationError
from threshold.sdk.actions.flash import ActionState, flash_cookie, kept_values, read_flash
from threshold.sdk.actions.registry import ServerAction, find_action, parse_size
from threshold.sdk.actions.results import describe_error, safe_local_path, safe_redirect
from threshold.sdk.actions.security import (
    check_csrf_token,
    check_origin,
    make_csrf_token,
    sign_value,
    unsign_value,
)
from threshold.sdk.actions.templating import csrf_token
from threshold.sdk.context import RequestServices, RequestState, bind_state, reset_state
from threshold.sdk.http import RequestInfo
from threshold.sdk.outcome import AuthOutcome

KEY = b"k" * 32


@server_action
def sample(form: FormData) -> str:
    """A module-level action for these tests."""
    return "ok"


@server_action(max_body=2048)
async def sample_async() -> None:
    """An async action without parameters."""


def request(**headers: str) -> RequestInfo:
    return RequestInfo("POST", "https", "app.example", "/x", "", headers, {})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10, 10),
        ("512", 512),
        ("5MB", 5_000_000),
        ("1MiB", 1 << 20),
        ("2 kb", 2000),
        ("1GiB", 1 << 30),
    ],
)
def test_parse_size(value: int | str, expected: int) -> None:
    assert parse_size(value) == expected


@pytest.mark.parametrize("value", [0, -1, "lots", "5XB"])
def test_parse_size_rejects(value: int | str) -> None:
    with pytest.raises(ConfigurationError):
        parse_size(value)


def test_action_ids_are_stable_and_keyed() -> None:
    first = sample.action_id(KEY)
    assert first == sample.action_id(KEY)
    assert len(first) == 26 and first.isalnum() and first.islower()
    assert first != sample.action_id(b"other")
    assert find_action(KEY, first) is sample
    assert find_action(KEY, "nope") is None
    assert sample(FormData()) == "ok"  # still a plain function
    assert sample_async.max_body == 2048 and sample_async.is_async and not sample_async.takes_form
    assert "tests.sdk.test_actions_core:sample" in repr(sample)


def test_only_module_level_functions() -> None:
    def local(form: FormData) -> None:
        """Defined in a function."""

    with pytest.raises(ConfigurationError, match="module-level"):
        server_action(local)
    with pytest.raises(ConfigurationError, match="module-level"):
        server_action(lambda form: None)


def test_duplicate_names_are_refused() -> None:
    def impostor(form: FormData) -> str:
        """Pretends to be ``sample``."""
        return "evil"

    impostor.__qualname__ = "sample"
    impostor.__module__ = __name__
    with pytest.raises(ConfigurationError, match="Two server actions"):
        server_action(impostor)


def test_form_data() -> None:
    upload = UploadedFile("a.txt", "text/plain", 3, io.BytesIO(b"abc"))
    form = FormData(
        [("a", "1"), ("a", "2"), ("f", upload), ("_th_csrf", "t"), ("csrfmiddlewaretoken", "d")]
    )
    assert form["a"] == "1" and form.getlist("a") == ["1", "2"]
    assert form.get("missing") is None and len(form) == 4
    clean = form.without_internal()
    assert set(clean) == {"a", "f"}
    assert clean.to_dict() == {"a": "1"}
    assert upload.read() == b"abc"
    assert "<file a.txt>" in repr(form)
    assert FormData.from_mapping({"x": "y"}).multi_items() == [("x", "y")]


def test_kept_values_drop_secrets() -> None:
    form = FormData([("name", "x" * 900), ("password", "p"), ("api_token", "t"), ("card_no", "4")])
    assert kept_values(form) == {"name": "x" * 500}


def test_flash_round_trip_tamper_and_expiry() -> None:
    now = time.time()
    state = ActionState(
        ok=False, message="Nope", errors={"name": "Too short"}, values={"name": "a"}
    )
    cookie = flash_cookie(KEY, "id1", state, now, secure=True)
    assert "HttpOnly" in cookie and "Secure" in cookie and "Max-Age=60" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    found = read_flash(KEY, value, now + 1)
    assert found == ("id1", state)
    assert found[1].failed and found[1].value("name") == "a" and found[1].value("x", "d") == "d"
    assert read_flash(KEY, value, now + 61) is None
    assert read_flash(b"other", value, now) is None
    assert read_flash(KEY, value[:-3] + "AAA", now) is None
    assert read_flash(KEY, None, now) is None
    assert not ActionState()


def test_flash_stays_small() -> None:
    state = ActionState(ok=False, message="m", values={f"f{i}": "v" * 400 for i in range(30)})
    cookie = flash_cookie(KEY, "id", state, time.time(), secure=False)
    assert len(cookie) < 4000


def test_signed_values() -> None:
    signed = sign_value(KEY, {"a": 1})
    assert unsign_value(KEY, signed) == {"a": 1}
    assert unsign_value(KEY, signed.replace(".", "x.", 1)) is None
    assert unsign_value(KEY, "nodot") is None


@pytest.mark.parametrize(
    ("headers", "ok"),
    [
        ({"sec-fetch-site": "same-origin"}, True),
        ({"sec-fetch-site": "none"}, True),
        ({"sec-fetch-site": "same-site", "origin": "https://sub.app.example"}, False),
        ({"sec-fetch-site": "cross-site", "origin": "https://partner.example"}, True),
        ({"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, False),
        ({"sec-fetch-site": "same-origin", "origin": "null"}, False),
        ({"origin": "https://app.example"}, True),
        ({"origin": "http://app.example"}, False),
        ({"referer": "https://app.example/form"}, True),
        ({"referer": "not a url"}, False),
        ({}, False),
    ],
)
def test_check_origin(headers: dict[str, str], ok: bool) -> None:
    assert (check_origin(request(**headers), ["https://partner.example"]) is None) is ok


def test_csrf_tokens() -> None:
    token = make_csrf_token(KEY, "s:sess_1")
    assert token != make_csrf_token(KEY, "s:sess_1")  # fresh nonce each time
    assert check_csrf_token(KEY, token, ["p:browser", "s:sess_1"])
    assert not check_csrf_token(KEY, token, ["s:sess_2"])
    assert not check_csrf_token(b"x" * 32, token, ["s:sess_1"])
    assert not check_csrf_token(KEY, None, ["s:sess_1"])
    assert not check_csrf_token(KEY, "short", ["s:sess_1"])
    assert not check_csrf_token(KEY, "!" * 64, ["s:sess_1"])
    assert not check_csrf_token(KEY, "A" * 500, ["s:sess_1"])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/cart?x=1", "/cart?x=1"),
        ("//evil.example", None),
        ("/\\evil.example", None),
        ("https://evil.example", None),
        ("/ok\r\nSet-Cookie: a=b", None),
        (None, None),
    ],
)
def test_safe_local_path(value: object, expected: str | None) -> None:
    assert safe_local_path(value) == expected


def test_safe_redirect() -> None:
    req = request()
    assert safe_redirect("/next", req, ()) == "/next"
    assert safe_redirect("https://app.example/x", req, ()) == "https://app.example/x"
    assert safe_redirect("https://partner.example/", req, ("https://partner.example",))
    for bad in ("https://evil.example/", "javascript:alert(1)", "//evil.example"):
        with pytest.raises(ValueError, match="untrusted"):
            safe_redirect(bad, req, ())


@pytest.mark.parametrize(
    ("error", "status", "message"),
    [
        (ActionError("Shown as is", fields={"a": "bad"}), 400, "Shown as is"),
        (ActionError("Teapot", status=418), 418, "Teapot"),
        (NotSignedInError(), 401, "You must be signed in to do that."),
        (AccessDeniedError(), 403, "You are not allowed to do that."),
        (core_errors.PermissionDeniedError(), 403, "You are not allowed to do that."),
        (core_errors.ValidationError("is invalid", param="email"), 400, "is invalid"),
        (core_errors.RateLimitedError(), 429, "Too many requests. Please try again in a bit."),
        (core_errors.ThresholdError("Odd"), 400, "Odd"),
    ],
)
def test_describe_error(error: Exception, status: int, message: str) -> None:
    got = describe_error(error, "m:f")
    assert (got[0], got[2]) == (status, message)


def test_unexpected_errors_are_hidden(caplog: pytest.LogCaptureFixture) -> None:
    status, code, message, _ = describe_error(KeyError("secret detail"), "m:f")
    assert (status, code) == (500, "internal_error")
    assert "secret detail" not in message
    assert "secret detail" in caplog.text


def test_helpers_need_a_request() -> None:
    with pytest.raises(AuthContextMissingError):
        action_attrs(sample)


def test_jinja_rendering_is_not_double_escaped() -> None:
    sdk = Authenticator(SdkConfig(secret_key="sk_test_x"))
    info = RequestInfo("GET", "http", "app.test", "/p", 'q="1"', {}, {})
    services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)
    state = RequestState(services, info, AuthOutcome(None, None, "session-token-missing"))
    env = jinja2.Environment(autoescape=True)
    env.globals.update(jinja_globals())
    template = env.from_string(
        "<form {{ action_attrs(f) }}>{{ action_fields(f, bind={'k': 'v'}) }}</form>"
        "{{ threshold_script() }}{{ action_url(f) }}"
    )
    token = bind_state(state)
    try:
        html = template.render(f=sample)
        with pytest.raises(TypeError, match="not a @server_action"):
            env.from_string("{{ action_attrs(f) }}").render(f=print)
    finally:
        reset_state(token)
    action_id = sample.action_id(services.actions.key)
    assert f'action="/_threshold/actions/{action_id}"' in html
    assert 'name="_th_return" value="/p?q=&quot;1&quot;"' in html
    assert 'name="_th_bind"' in html
    assert '<script src="/_threshold/actions.js" defer></script>' in html
    assert state.cookies and state.cookies[0].startswith("th_csrf=")


def test_helpers_queue_each_cookie_once() -> None:
    """Signed out, every CSRF token of a page binds to one new browser cookie; a flash
    shown twice is cleared once."""
    sdk = Authenticator(SdkConfig(secret_key="sk_test_x"))
    services = RequestServices.for_app(sdk.config, sdk.clients, sdk.verifier.now)
    action_id = sample.action_id(services.actions.key)
    flash = (
        flash_cookie(
            services.actions.key,
            action_id,
            ActionState(ok=True, message="Saved"),
            time.time(),
            secure=False,
        )
        .split(";")[0]
        .split("=", 1)[1]
    )
    info = RequestInfo("GET", "http", "app.test", "/p", "", {}, {"__th_flash": flash})
    state = RequestState(services, info, AuthOutcome(None, None, "session-token-missing"))
    token = bind_state(state)
    try:
        tokens = [csrf_token(), csrf_token()]
        shown = [action_state(sample), action_state(sample)]
    finally:
        reset_state(token)
    browser_cookies = [c for c in state.cookies if c.startswith("th_csrf=")]
    assert len(browser_cookies) == 1
    browser = state.cookies.value("th_csrf")
    assert browser and browser_cookies[0].startswith(f"th_csrf={browser};")
    for made in tokens:
        assert check_csrf_token(services.actions.key, made, ["p:" + browser])
    assert [s.message for s in shown] == ["Saved", "Saved"]
    assert [c for c in state.cookies if c.startswith("__th_flash=")] == [
        "__th_flash=; Path=/; Max-Age=0; SameSite=Lax"
    ]
    assert state.cookies.value("__th_flash") == ""
    assert state.cookies.value("other") is None


def test_server_action_type() -> None:
    action: Any = sample
    assert isinstance(action, ServerAction)
    assert action.do_not_call_in_templates is True
