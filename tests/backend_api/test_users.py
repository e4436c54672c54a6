"""``/users``: create, read, filter, update, delete, and password imports."""

from __future__ import annotations

import argon2
import bcrypt
import pytest

from tests.backend_api.conftest import PASSWORD, Api, unique_email
from tests.browser import FapiBrowser
from tests.support import LiveServer, sql

USER_KEYS = {
    "id", "object", "external_id", "primary_email_address_id", "primary_phone_number_id",
    "primary_web3_wallet_id", "username", "first_name", "last_name", "has_image",
    "public_metadata", "email_addresses", "phone_numbers", "web3_wallets", "passkeys",
    "password_enabled", "two_factor_enabled", "totp_enabled", "backup_code_enabled",
    "mfa_enabled_at", "mfa_disabled_at", "external_accounts", "saml_accounts",
    "enterprise_accounts", "last_sign_in_at", "banned", "locked", "lockout_expires_in_seconds",
    "verification_attempts_remaining", "updated_at", "created_at", "delete_self_enabled",
    "create_organization_enabled", "last_active_at", "legal_accepted_at",
}  # fmt: skip


def test_create_and_get_a_user(api: Api) -> None:
    first, second = unique_email("ann"), unique_email("ann2")
    user = api.user(
        email_address=[first, second],
        first_name="Ann",
        last_name="Lee",
        username="Ann_Lee" + first[4:10],
        external_id="ext-" + first[4:14],
        public_metadata={"role": "admin"},
        private_metadata={"plan": "pro"},
        unsafe_metadata={"theme": "dark"},
    )
    assert set(user) >= USER_KEYS
    assert user["object"] == "user" and user["id"].startswith("user_")
    assert user["username"] == ("ann_lee" + first[4:10]).lower()
    assert [e["email_address"] for e in user["email_addresses"]] == [first, second]
    assert user["primary_email_address_id"] == user["email_addresses"][0]["id"]
    verification = user["email_addresses"][1]["verification"]
    assert verification == {
        "object": "verification_admin",
        "status": "verified",
        "strategy": "admin",
        "attempts": None,
        "expire_at": None,
    }
    assert user["password_enabled"] is True and user["banned"] is False
    assert user["private_metadata"] == {"plan": "pro"}
    assert user["created_at"] > 1_600_000_000_000  # milliseconds
    assert api.ok("GET", f"/users/{user['id']}") == user


def test_duplicates_are_clear_422s_and_nothing_is_half_written(api: Api) -> None:
    taken = api.user()["email_addresses"][0]["email_address"]
    error = api.error("POST", "/users", 422, json={"email_address": [taken], "password": PASSWORD})
    assert error["code"] == "form_identifier_exists"
    assert error["meta"]["param_name"] == "email_address"
    fresh = unique_email("half")
    body = {"email_address": [fresh, taken], "password": PASSWORD}
    assert api.error("POST", "/users", 422, json=body)["code"] == "form_identifier_exists"
    assert api.ok("GET", "/users", params={"email_address": fresh}) == []
    api.user(username="unique_" + fresh[5:12])
    body = {"email_address": [unique_email()], "username": "UNIQUE_" + fresh[5:12]}
    error = api.error("POST", "/users", 422, json=body)
    assert error["code"] == "form_identifier_exists" and error["meta"]["param_name"] == "username"


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"email_address": ["nope"]}, "email_address", "form_param_format_invalid"),
        ({"email_address": []}, "email_address", "form_param_missing"),
        ({"password": "password1234"}, "password", "form_password_pwned"),
        ({"password": "short"}, "password", "form_password_length_too_short"),
        ({"username": "a b"}, "username", "form_username_invalid_character"),
        ({"first_name": "x" * 300}, "first_name", "form_param_format_invalid"),
        ({"public_metadata": {"x": "y" * 9000}}, "public_metadata", None),
        ({"public_metadata": [1]}, "public_metadata", "form_param_format_invalid"),
        ({"password_digest": "$2b$10$abc"}, "password_hasher", "form_param_missing"),
        ({"password_digest": "x", "password_hasher": "md5"}, "password_hasher", None),
        ({"password_digest": "plain", "password_hasher": "bcrypt"}, "password_digest", None),
    ],
)
def test_bad_create_input_names_the_field(
    api: Api, body: dict[str, object], param: str, code: str | None
) -> None:
    body = {"email_address": [unique_email()], **body}
    error = api.error("POST", "/users", 422, json=body)
    assert error["meta"]["param_name"] == param
    if code is not None:
        assert error["code"] == code


def test_skip_password_checks_allows_a_weak_password(api: Api) -> None:
    user = api.user(password="password1234", skip_password_checks=True)
    assert user["password_enabled"] is True


def test_list_filters_order_paging_and_count(api: Api) -> None:
    tag = unique_email("zed")[4:14]
    made = [
        api.user(first_name=f"Zed{tag}", last_name=name, external_id=f"{tag}-{name}")
        for name in ("Alpha", "Bravo", "Charlie")
    ]
    ids = [u["id"] for u in made]
    listed = api.ok("GET", "/users", params={"query": f"zed{tag}"})
    assert [u["id"] for u in listed] == ids[::-1]  # newest first
    by_last = api.ok("GET", "/users", params={"query": f"Zed{tag}", "order_by": "+last_name"})
    assert [u["last_name"] for u in by_last] == ["Alpha", "Bravo", "Charlie"]
    page = api.ok("GET", "/users", params={"query": f"zed{tag}", "limit": 1, "offset": 1})
    assert [u["id"] for u in page] == [ids[1]]
    envelope = api.ok(
        "GET", "/users", params={"query": f"zed{tag}", "paginated": "true", "limit": 2}
    )
    assert envelope["total_count"] == 3 and len(envelope["data"]) == 2
    count = api.ok("GET", "/users/count", params={"query": f"zed{tag}"})
    assert count == {"object": "total_count", "total_count": 3}
    email = made[0]["email_addresses"][0]["email_address"]
    assert [u["id"] for u in api.ok("GET", "/users", params={"email_address": email.upper()})] == [
        ids[0]
    ]
    both = api.ok("GET", "/users", params=[("user_id", ids[0]), ("user_id", ids[2])])
    assert {u["id"] for u in both} == {ids[0], ids[2]}
    by_ext = api.ok("GET", "/users", params={"external_id": f"{tag}-Bravo"})
    assert [u["id"] for u in by_ext] == [ids[1]]
    assert api.ok("GET", "/users", params={"query": "Alpha", "user_id": ids[1]}) == []
    error = api.error("GET", "/users", 422, params={"order_by": "-password_digest"})
    assert error["meta"]["param_name"] == "order_by"


def test_update_user(api: Api) -> None:
    user = api.user(email_address=[unique_email("up"), unique_email("up2")])
    second = user["email_addresses"][1]["id"]
    username = "upd_" + user["id"][-8:].lower()
    body = {
        "first_name": "New",
        "last_name": None,
        "username": username,
        "primary_email_address_id": second,
        "public_metadata": {"replaced": True},
    }
    updated = api.ok("PATCH", f"/users/{user['id']}", json=body)
    assert updated["first_name"] == "New" and updated["last_name"] is None
    assert updated["username"] == username
    assert updated["primary_email_address_id"] == second
    assert updated["public_metadata"] == {"replaced": True}
    assert updated["updated_at"] >= user["updated_at"]
    assert api.ok("GET", "/users", params={"query": username})[0]["id"] == user["id"]
    error = api.error(
        "PATCH", f"/users/{user['id']}", 422, json={"primary_email_address_id": "idn_x"}
    )
    assert error["meta"]["param_name"] == "primary_email_address_id"
    api.error("PATCH", "/users/user_2xxxxxxxxxxxxxxxxxxxxxxxxxx", 404, json={"first_name": "x"})


def test_password_change_and_sign_out_of_other_sessions(server: LiveServer, api: Api) -> None:
    user = api.user()
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    new = "a completely different passphrase"
    body = {"password": new, "sign_out_of_other_sessions": True}
    api.ok("PATCH", f"/users/{user['id']}", json=body)
    assert api.ok("GET", f"/sessions/{session['id']}")["status"] == "revoked"
    verified = api.ok("POST", f"/users/{user['id']}/verify_password", json={"password": new})
    assert verified == {"verified": True}


def test_delete_user(server: LiveServer, api: Api) -> None:
    user = api.user()
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    deleted = api.ok("DELETE", f"/users/{user['id']}")
    assert deleted == {"object": "user", "id": user["id"], "deleted": True}
    assert api.error("GET", f"/users/{user['id']}", 404)["code"] == "resource_not_found"
    api.error("DELETE", f"/users/{user['id']}", 404)
    rows = sql(
        server, "SELECT last_active_session_id FROM clients WHERE id = :c", c=session["client_id"]
    )
    assert rows == [(None,)]
    assert sql(server, "SELECT count(*) FROM email_addresses WHERE user_id = :u", u=user["id"]) == [
        (0,)
    ]


def test_unknown_ids_are_404(api: Api) -> None:
    for path in ("/users/user_nope", "/users/%00", "/users/" + "x" * 300):
        error = api.error("GET", path, 404)
        assert error["code"] == "resource_not_found"
        assert error["meta"]["param_name"] == "user_id"


@pytest.mark.parametrize("hasher", ["bcrypt", "argon2i", "argon2id"])
def test_imported_digest_signs_in_and_is_rehashed(
    server: LiveServer, api: Api, hasher: str
) -> None:
    secret = "imported passphrase 42"
    if hasher == "bcrypt":
        digest = bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds=4)).decode()
    else:
        kind = argon2.Type.I if hasher == "argon2i" else argon2.Type.ID
        digest = argon2.PasswordHasher(
            time_cost=1, memory_cost=8192, parallelism=4, type=kind
        ).hash(secret)
    email = unique_email("imp")
    user = api.user(
        email_address=[email], password=None, password_digest=digest, password_hasher=hasher
    )
    assert user["password_enabled"] is True
    browser = FapiBrowser(server)
    done = browser.ok("POST", "/v1/client/sign_ins", identifier=email, password=secret)
    assert done["response"]["status"] == "complete"
    stored = sql(server, "SELECT password_digest FROM users WHERE id = :u", u=user["id"])[0][0]
    assert stored.startswith("$argon2id$") and stored != digest
    again = FapiBrowser(server).ok("POST", "/v1/client/sign_ins", identifier=email, password=secret)
    assert again["response"]["status"] == "complete"
