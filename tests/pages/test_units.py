"""The pages' pure helpers: CSRF tokens and origin rules, image sniffing, wording."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

import threshold.server.pages as pages
from tests.pages.helpers import make_png
from threshold.core.records.users import User
from threshold.server.pages.csrf import CsrfError, check_origin, issue_token, token_is_valid
from threshold.server.pages.images import avatar_colour, initials
from threshold.server.pages.profile_view import describe_device, relative_time
from threshold.server.pages.rendering import content_security_policy
from threshold.services.instance.settings import Settings
from threshold.services.users.image_types import image_type

SECRET = b"k" * 32
SETTINGS = Settings(public_url="https://id.example.com", environment="production")


def test_public_names_are_pinned() -> None:
    assert sorted(pages.__all__) == [
        "render_error_page",
        "render_unexpected_page",
        "routes",
        "wants_html",
    ]


def test_tokens_are_bound_signed_and_expire() -> None:
    token = issue_token(SECRET, "cookie-a", 1_000_000)
    assert token_is_valid(SECRET, token, ["cookie-a"], 1_000_000)
    assert token_is_valid(SECRET, token, ["other", "cookie-a"], 1_000_000 + 12 * 3600)
    assert not token_is_valid(SECRET, token, ["cookie-b"], 1_000_000)
    assert not token_is_valid(b"x" * 32, token, ["cookie-a"], 1_000_000)
    assert not token_is_valid(SECRET, token, ["cookie-a"], 1_000_000 + 12 * 3600 + 1)
    assert not token_is_valid(SECRET, token, ["cookie-a"], 1_000_000 - 120)
    stamp, mac = token.split(".")
    assert not token_is_valid(SECRET, f"{int(stamp) + 1}.{mac}", ["cookie-a"], 1_000_000)
    for bad in (None, "", "nodot", ".mac", "x.y", token + "x" * 300):
        assert not token_is_valid(SECRET, bad, ["cookie-a"], 1_000_000)
    assert not token_is_valid(SECRET, token, [], 1_000_000)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"origin": "https://id.example.com"},
        {"origin": "https://ID.example.com/"},
        {"sec-fetch-site": "same-origin"},
        {"origin": "null", "sec-fetch-site": "same-origin"},
        {"referer": "https://id.example.com/sign-in"},
    ],
)
def test_same_origin_requests_pass(headers: dict[str, str]) -> None:
    check_origin(Headers(headers), SETTINGS)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.test"},
        {"origin": "http://id.example.com"},
        {"origin": "https://id.example.com.evil.test"},
        {"origin": "null"},
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"sec-fetch-site": "none"},
        {"origin": "https://id.example.com", "sec-fetch-site": "cross-site"},
        {"referer": "https://evil.test/x"},
    ],
)
def test_other_origins_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(CsrfError):
        check_origin(Headers(headers), SETTINGS)


def test_csp_lists_allowed_redirect_origins() -> None:
    settings = Settings(
        public_url="https://id.example.com",
        environment="production",
        allowed_origins=["https://app.example.com"],
    )
    csp = content_security_policy(settings, "n0nce")
    assert "script-src 'nonce-n0nce'" in csp
    assert "form-action 'self' https://id.example.com https://app.example.com" in csp
    assert "localhost" not in csp


def test_image_types_come_from_magic_bytes() -> None:
    assert image_type(make_png()) == "image/png"
    assert image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_type(b"GIF87a...") == "image/gif"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    for other in (b"", b"<svg/>", b"RIFF\x00\x00\x00\x00WAVE", b"BM\x00\x00", b"%PDF-1.7"):
        assert image_type(other) is None


def test_wording_helpers() -> None:
    assert describe_device("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Chrome/120.1") == (
        "Chrome 120 on macOS",
        False,
    )
    assert describe_device("python-httpx/0.28.1") == ("python-httpx", False)
    assert describe_device(None) == ("Unknown browser", False)
    now = 10_000_000_000
    assert relative_time(now - 5_000, now) == "just now"
    assert relative_time(now - 60_000, now) == "1 minute ago"
    assert relative_time(now - 3 * 3_600_000, now) == "3 hours ago"
    assert relative_time(now - 2 * 86_400_000, now) == "2 days ago"
    assert relative_time(0, now) == "1 Jan 1970"
    ada = User(id="user_1", first_name="ada", last_name="lovelace", created_at=0, updated_at=0)
    assert initials(ada, None) == "AL"
    nameless = User(id="user_2", created_at=0, updated_at=0)
    assert initials(nameless, "zed@example.com") == "Z"
    assert initials(None, None) == "?"
    assert avatar_colour("user_1") == avatar_colour("user_1")
