"""One behaviour table, run against the FastAPI, Flask and Django examples.

Tokens are real RS256 tokens signed by the fake server's key; the apps verify them with
the PEM (``jwt_key``) and call the fake server for users, handshakes and renewals.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.sdk.drivers import DRIVERS, Driver, Reply, make_driver
from tests.sdk.fake_api import FakeApi
from threshold import FormData, SdkConfig, redirect, server_action

JSON = {"accept": "application/json", "threshold-action": "1"}
PAGE = {"accept": "text/html", "sec-fetch-dest": "document"}


@server_action
def go_to_dashboard(form: FormData) -> object:
    """A test action that redirects."""
    return redirect("/dashboard")


@server_action
def go_far_away(form: FormData) -> object:
    """A test action that tries to send the user to another site."""
    return redirect("https://evil.example/phish")


@server_action(max_body="1KB")
def small(form: FormData) -> str:
    """A test action with a tiny body limit."""
    return "ok"


@server_action
def broken(form: FormData) -> str:
    """A test action that fails unexpectedly."""
    raise RuntimeError("database on fire")


@server_action
def echo(form: FormData, *, item: str = "") -> dict[str, object]:
    """A test action returning data, with a bound argument."""
    upload = form.get("file")
    size = upload.size if upload is not None and not isinstance(upload, str) else None
    return {"name": form.get("name"), "item": item, "file_size": size}


@pytest.fixture(params=sorted(DRIVERS))
def app(request: pytest.FixtureRequest, config: SdkConfig) -> Driver:
    return make_driver(request.param, config)


def url_of(action: object, config: SdkConfig) -> str:
    from threshold.sdk.actions.registry import ServerAction

    assert isinstance(action, ServerAction)
    return "/_threshold/actions/" + action.action_id(config.signing_key("actions"))


def sign_in(api: FakeApi, app: Driver, path: str) -> str:
    """The sign-in URL that brings the user back to ``path``."""
    return f"{api.url}/sign-in?" + urlencode({"redirect_url": app.origin + path})


def signed_in_page(app: Driver, api: FakeApi, path: str = "/cart") -> tuple[Reply, str]:
    token = api.mint()
    return app.request("GET", path, cookies={"__session": token}), token


# -- auth state -------------------------------------------------------------------------


def test_signed_out(app: Driver) -> None:
    reply = app.request("GET", "/api/me")
    assert reply.status == 200
    assert reply.json()["is_authenticated"] is False
    assert reply.json()["user_id"] is None


def test_bearer_and_cookie(app: Driver, fake_api: FakeApi) -> None:
    token = fake_api.mint()
    by_header = app.request("GET", "/api/me", headers={"authorization": f"Bearer {token}"})
    by_cookie = app.request("GET", "/api/me", cookies={"__session": token})
    for reply in (by_header, by_cookie):
        assert reply.json()["user_id"] == "user_1"
        assert reply.json()["session_id"] == "sess_1"
    assert fake_api.calls == []  # verified locally


def test_pages_show_sign_in_link_or_user(app: Driver, fake_api: FakeApi) -> None:
    signed_out = app.request("GET", "/cart", headers=PAGE)
    assert "/sign-in?redirect_url=" in signed_out.text
    assert sign_in(fake_api, app, "/cart") in signed_out.text
    signed_in, _ = signed_in_page(app, fake_api)
    assert 'data-testid="user-id">user_1<' in signed_in.text


def test_home_shows_current_user(app: Driver, fake_api: FakeApi) -> None:
    reply, _ = signed_in_page(app, fake_api, "/")
    assert "Ada Lovelace" in reply.text
    assert "ada@example.com" in reply.text


def test_current_user_is_fetched_once_per_request(app: Driver, fake_api: FakeApi) -> None:
    reply = app.request("GET", "/api/user", cookies={"__session": fake_api.mint()})
    assert reply.json()["user"]["id"] == "user_1"
    assert fake_api.count("GET", "/v1/users/user_1") == 1
    assert app.request("GET", "/api/user").json()["user"] is None


def test_expired_session_on_a_page_handshakes(app: Driver, fake_api: FakeApi) -> None:
    cookies = {"__session": fake_api.mint(age=300), "__client_uat": "1700000000"}
    reply = app.request("GET", "/cart?x=1", headers=PAGE, cookies=cookies)
    assert reply.status == 307
    assert reply.headers["cache-control"] == "no-store"
    location = urlsplit(reply.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{fake_api.url}/v1/client/handshake"
    )
    query = parse_qs(location.query)
    assert query["redirect_url"] == [f"{app.origin}/cart?x=1"]
    assert query["format"] == ["nonce"]
    assert query["__clerk_hs_reason"] == ["session-token-expired-refresh-expired"]


def test_handshake_nonce_sets_cookies(app: Driver, fake_api: FakeApi) -> None:
    fresh = fake_api.mint()
    fake_api.handshakes["n1"] = [
        f"__session={fresh}; Path=/; SameSite=Lax",
        "__client_uat=17; Path=/",
    ]
    reply = app.request("GET", "/cart?__clerk_handshake_nonce=n1&x=1", headers=PAGE)
    assert reply.status == 307
    assert reply.headers["location"] == f"{app.origin}/cart?x=1"
    assert reply.cookie("__session") == fresh
    assert reply.cookie("__client_uat") == "17"


# -- protect ----------------------------------------------------------------------------


def test_protect_page_redirects_to_sign_in(app: Driver, fake_api: FakeApi) -> None:
    reply = app.request("GET", "/dashboard", headers=PAGE)
    assert reply.status == 307
    assert reply.headers["location"] == sign_in(fake_api, app, "/dashboard")
    ok = app.request("GET", "/dashboard", headers=PAGE, cookies={"__session": fake_api.mint()})
    assert ok.status == 200
    assert "sess_1" in ok.text


def test_protect_api_is_401_then_404_for_permissions(app: Driver, fake_api: FakeApi) -> None:
    signed_out = app.request("GET", "/api/admin", headers={"accept": "application/json"})
    assert signed_out.status == 401
    assert signed_out.json()["errors"][0]["code"] == "signed_out"
    token = fake_api.mint()
    refused = app.request("GET", "/api/admin", headers={"authorization": f"Bearer {token}"})
    assert refused.status == 404
    admin = fake_api.mint(
        v=2,
        fea="o:admin",
        o={"id": "org_1", "slg": "acme", "rol": "admin", "per": "manage", "fpm": "1"},
    )
    allowed = app.request("GET", "/api/admin", headers={"authorization": f"Bearer {admin}"})
    assert allowed.status == 200
    assert allowed.json() == {"org_id": "org_1"}


# -- server actions ---------------------------------------------------------------------


def test_action_without_js(
    app: Driver, fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page, token = signed_in_page(app, fake_api)
    action, csrf = page.form()
    reply = app.request(
        "POST",
        action,
        headers={"origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf, "_th_return": "/cart", "name": "test"},
        files={"note": ("n.txt", b"hello")},
    )
    assert reply.status == 303
    assert reply.headers["location"] == "/cart"
    assert reply.headers["cache-control"] == "no-store"
    assert "add item server action {'name': 'test'}" in caplog.text
    flash = reply.cookie("__th_flash")
    assert flash
    again = app.request("GET", "/cart", cookies={"__session": token, "__th_flash": flash})
    assert "Added test to your cart" in again.text
    assert again.cookie("__th_flash") == ""  # shown once


def test_action_with_js(app: Driver, fake_api: FakeApi) -> None:
    page, token = signed_in_page(app, fake_api)
    action, csrf = page.form()
    reply = app.request(
        "POST",
        action,
        headers={**JSON, "origin": app.origin, "threshold-csrf": csrf},
        cookies={"__session": token},
        data={"name": "socks"},
    )
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.json() == {
        "ok": True,
        "data": "Added socks to your cart",
        "error": None,
        "redirect": None,
    }


def test_signed_out_action_shows_the_message(app: Driver) -> None:
    page = app.request("GET", "/cart", headers=PAGE)
    browser = page.cookie("th_csrf")
    assert browser
    action, csrf = page.form()
    post = {"_th_csrf": csrf, "_th_return": "/cart", "name": "test"}
    reply = app.request(
        "POST", action, headers={"origin": app.origin}, cookies={"th_csrf": browser}, data=post
    )
    assert reply.status == 303
    shown = app.request(
        "GET", "/cart", cookies={"th_csrf": browser, "__th_flash": reply.cookie("__th_flash") or ""}
    )
    assert "You must be signed in to add an item to your cart" in shown.text
    assert 'value="test"' in shown.text  # the form keeps what was typed
    scripted = app.request(
        "POST",
        action,
        headers={**JSON, "origin": app.origin},
        cookies={"th_csrf": browser},
        data=post,
    )
    assert scripted.status == 400
    assert scripted.json()["error"]["message"] == (
        "You must be signed in to add an item to your cart"
    )


def test_hobby_action_uses_current_user(
    app: Driver, fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page, token = signed_in_page(app, fake_api, "/hobby")
    action, csrf = page.form()
    reply = app.request(
        "POST",
        action,
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf, "hobby": "soccer"},
    )
    assert reply.json()["data"] == "Saved your hobby: soccer"
    assert (
        'add Hobby completed with user details {"usersHobby": "soccer", "userId": "user_1", '
        '"profileImage": "https://img.example/user_1.png"}'
    ) in caplog.text
    assert fake_api.count("GET", "/v1/users/user_1") == 1


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"sec-fetch-site": "cross-site", "origin": "https://evil.example"}, 403),
        ({"origin": "null"}, 403),
        ({"origin": "https://evil.example"}, 403),
        ({}, 403),
        ({"referer": "https://evil.example/x"}, 403),
        ({"sec-fetch-site": "same-origin"}, 303),
        ({"referer": "ORIGIN/cart"}, 303),
    ],
)
def test_action_origin_checks(
    app: Driver, fake_api: FakeApi, headers: dict[str, str], expected: int
) -> None:
    page, token = signed_in_page(app, fake_api)
    action, csrf = page.form()
    headers = {k: v.replace("ORIGIN", app.origin) for k, v in headers.items()}
    reply = app.request(
        "POST", action, headers=headers, cookies={"__session": token}, data={"_th_csrf": csrf}
    )
    assert reply.status == expected


def test_action_needs_its_token(app: Driver, fake_api: FakeApi) -> None:
    page, token = signed_in_page(app, fake_api)
    action, csrf = page.form()
    for data in ({"name": "x"}, {"_th_csrf": csrf[:-2] + "AA"}, {"_th_csrf": "garbage"}):
        reply = app.request(
            "POST", action, headers={"origin": app.origin}, cookies={"__session": token}, data=data
        )
        assert reply.status == 403
    other_user = fake_api.mint("user_2", "sess_2")
    reply = app.request(
        "POST",
        action,
        headers={"origin": app.origin},
        cookies={"__session": other_user},
        data={"_th_csrf": csrf},
    )
    assert reply.status == 403  # bound to the session it was made for


def test_open_redirects_are_refused(app: Driver, fake_api: FakeApi, config: SdkConfig) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    reply = app.request(
        "POST",
        url_of(go_far_away, config),
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf},
    )
    assert reply.status == 500
    assert reply.json()["redirect"] is None


def test_actions_only_take_posts(app: Driver, config: SdkConfig) -> None:
    assert app.request("GET", url_of(echo, config)).status == 405


def test_unknown_action_and_wrong_method(app: Driver, fake_api: FakeApi) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    reply = app.request(
        "POST",
        "/_threshold/actions/doesnotexist",
        headers={"origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf},
    )
    assert reply.status == 404


def test_body_limit(app: Driver, fake_api: FakeApi, config: SdkConfig) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    reply = app.request(
        "POST",
        url_of(small, config),
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf, "blob": "x" * 5000},
    )
    assert reply.status == 413
    assert reply.json()["error"]["code"] == "too_large"


def test_redirecting_action(app: Driver, fake_api: FakeApi, config: SdkConfig) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    cookies = {"__session": token}
    plain = app.request(
        "POST",
        url_of(go_to_dashboard, config),
        headers={"origin": app.origin},
        cookies=cookies,
        data={"_th_csrf": csrf},
    )
    assert (plain.status, plain.headers["location"]) == (303, "/dashboard")
    scripted = app.request(
        "POST",
        url_of(go_to_dashboard, config),
        headers={**JSON, "origin": app.origin},
        cookies=cookies,
        data={"_th_csrf": csrf},
    )
    assert scripted.json()["redirect"] == "/dashboard"


def test_unexpected_error_is_generic(
    app: Driver, fake_api: FakeApi, config: SdkConfig, caplog: pytest.LogCaptureFixture
) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    reply = app.request(
        "POST",
        url_of(broken, config),
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf},
    )
    assert reply.status == 500
    message = reply.json()["error"]["message"]
    assert message.startswith("Something went wrong (ref ")
    assert "database on fire" not in message
    ref = message.removeprefix("Something went wrong (ref ").rstrip(").")
    assert ref in caplog.text and "database on fire" in caplog.text


def test_data_files_and_bound_values(app: Driver, fake_api: FakeApi, config: SdkConfig) -> None:
    page, token = signed_in_page(app, fake_api)
    _, csrf = page.form()
    from threshold.sdk.actions.security import sign_value

    key = config.signing_key("actions")
    action_id = url_of(echo, config).rsplit("/", 1)[1]
    bound = sign_value(key, {"a": action_id, "v": {"item": "sku-9"}})
    reply = app.request(
        "POST",
        url_of(echo, config),
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf, "_th_bind": bound, "name": "n"},
        files={"file": ("a.bin", b"12345")},
    )
    assert reply.json()["data"] == {"name": "n", "item": "sku-9", "file_size": 5}
    forged = sign_value(key, {"a": "someotheraction", "v": {"item": "free"}})
    refused = app.request(
        "POST",
        url_of(echo, config),
        headers={**JSON, "origin": app.origin},
        cookies={"__session": token},
        data={"_th_csrf": csrf, "_th_bind": forged},
    )
    assert refused.status == 400


def test_expired_token_post_is_renewed_and_runs_as_the_user(
    app: Driver, fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page, _ = signed_in_page(app, fake_api)
    action, csrf = page.form()
    stale = fake_api.mint(age=600)  # the page sat open for ten minutes
    reply = app.request(
        "POST",
        action,
        headers={**JSON, "origin": app.origin},
        cookies={"__session": stale, "__client_uat": "1"},
        data={"_th_csrf": csrf, "name": "late"},
    )
    assert reply.json()["ok"] is True
    assert "add item server action {'name': 'late'}" in caplog.text
    renewed = reply.cookie("__session")
    assert renewed and renewed != stale
    assert fake_api.count("POST", "/v1/sessions/sess_1/tokens") == 1


def test_revoked_session_post_shows_the_message(app: Driver, fake_api: FakeApi) -> None:
    page, _ = signed_in_page(app, fake_api)
    action, csrf = page.form()  # rendered while signed in: bound to sess_1
    fake_api.sessions["sess_1"] = ("user_1", "revoked")
    post = {"_th_csrf": csrf, "name": "kept"}
    cookies = {"__session": fake_api.mint(age=600)}
    scripted = app.request(
        "POST", action, headers={**JSON, "origin": app.origin}, cookies=cookies, data=post
    )
    assert scripted.status == 400
    assert scripted.json()["error"]["message"].startswith("You must be signed in")
    assert scripted.cookie("__session") == ""
    plain = app.request("POST", action, headers={"origin": app.origin}, cookies=cookies, data=post)
    assert plain.status == 303
    shown = app.request("GET", "/cart", cookies={"__th_flash": plain.cookie("__th_flash") or ""})
    assert "You must be signed in to add an item to your cart" in shown.text
    assert 'value="kept"' in shown.text


def test_action_script_is_served(app: Driver) -> None:
    reply = app.request("GET", "/_threshold/actions.js")
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/javascript")
    assert "data-th-action" in reply.text
