"""``/jwks``, ``/jwt_templates`` and tokens minted from templates."""

from __future__ import annotations

import httpx
import pytest

from tests.backend_api.conftest import Api, unique_email
from tests.backend_api.test_sessions import APP, decode
from tests.support import LiveServer
from threshold.core.errors import TokenError
from threshold.core.jwt import verify_rs256
from threshold.core.keys import load_public_key_pem
from threshold.core.tokens import check_session_shape


def test_jwks(server: LiveServer, api: Api) -> None:
    jwks = api.ok("GET", "/jwks")
    assert jwks == httpx.get(f"{server.url}/.well-known/jwks.json").json()
    key = jwks["keys"][0]
    assert {key["kty"], key["alg"], key["use"]} == {"RSA", "RS256", "sig"}
    assert key["kid"].startswith("ins_")


def test_template_crud(api: Api) -> None:
    name = "tmpl_" + unique_email()[5:15]
    body = {"name": name, "claims": {"email": "{{user.primary_email_address}}"}}
    created = api.ok("POST", "/jwt_templates", json=body)
    assert created["object"] == "jwt_template" and created["id"].startswith("jtmp_")
    assert created["lifetime"] == 60 and created["allowed_clock_skew"] == 5
    assert created["custom_signing_key"] is False and created["signing_algorithm"] == "RS256"
    assert api.ok("GET", f"/jwt_templates/{created['id']}") == created
    assert created["id"] in [
        t["id"] for t in api.ok("GET", "/jwt_templates", params={"limit": 500})
    ]
    duplicate = api.error("POST", "/jwt_templates", 422, json=body)
    assert duplicate["code"] == "form_identifier_exists"
    assert duplicate["meta"]["param_name"] == "name"
    patch = {"name": name + "_v2", "claims": {"a": 1}, "lifetime": 120, "allowed_clock_skew": 0}
    updated = api.ok("PATCH", f"/jwt_templates/{created['id']}", json=patch)
    assert (updated["name"], updated["lifetime"], updated["claims"]) == (
        name + "_v2",
        120,
        {"a": 1},
    )
    deleted = api.ok("DELETE", f"/jwt_templates/{created['id']}")
    assert deleted == {"object": "jwt_template", "id": created["id"], "deleted": True}
    api.error("GET", f"/jwt_templates/{created['id']}", 404)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"claims": {}}, "name"),
        ({"name": "x"}, "claims"),
        ({"name": "x", "claims": {"sid": "{{user.id}}"}}, "claims"),
        ({"name": "x", "claims": {"exp": 1}}, "claims"),
        ({"name": "x", "claims": {}, "lifetime": 10}, "lifetime"),
        ({"name": "x", "claims": {}, "allowed_clock_skew": 301}, "allowed_clock_skew"),
        ({"name": "x", "claims": {}, "custom_signing_key": True}, "custom_signing_key"),
        ({"name": "x", "claims": {}, "signing_algorithm": "HS256"}, "signing_algorithm"),
        ({"name": "a/b", "claims": {}}, "name"),
    ],
)
def test_bad_templates(api: Api, body: dict[str, object], param: str) -> None:
    assert api.error("POST", "/jwt_templates", 422, json=body)["meta"]["param_name"] == param


def test_token_from_template(server: LiveServer, api: Api) -> None:
    email = unique_email("tpl")
    user = api.user(
        email_address=[email],
        first_name="Tea",
        last_name="Pot",
        public_metadata={"role": "admin", "org": {"tier": 3}},
    )
    name = "hasura_" + user["id"][-6:]
    claims = {
        "email": "{{user.primary_email_address}}",
        "name": "{{user.first_name}} {{user.last_name}}",
        "meta": "{{user.public_metadata}}",
        "role": "{{user.public_metadata.role}}",
        "tier": "{{user.public_metadata.org.tier}}",
        "plan": "{{user.public_metadata.plan || 'free'}}",
        "verified": "{{user.email_verified}}",
        "missing": "{{org.id}}",
        "nested": {"ids": ["{{user.id}}", "static"]},
        "aud": "my-api",
    }
    api.ok("POST", "/jwt_templates", json={"name": name, "claims": claims, "lifetime": 300})
    session = api.ok("POST", "/sessions", json={"user_id": user["id"]})
    token = api.ok("POST", f"/sessions/{session['id']}/tokens/{name}", headers={"Origin": APP})
    header, got = decode(token["jwt"])
    assert header["cat"] == "cl_B7d4PD222AAA"
    assert got["email"] == email and got["name"] == "Tea Pot"
    assert got["meta"] == {"role": "admin", "org": {"tier": 3}}
    assert (got["role"], got["tier"], got["plan"]) == ("admin", 3, "free")
    assert got["verified"] is True and got["missing"] is None
    assert got["nested"] == {"ids": [user["id"], "static"]}
    assert got["sub"] == user["id"] and got["azp"] == APP and got["aud"] == "my-api"
    assert got["exp"] - got["iat"] == 300 and got["iat"] - got["nbf"] == 5
    assert "sid" not in got
    key = load_public_key_pem(server.jwt_public_pem)
    head, verified = verify_rs256(token["jwt"], {header["kid"]: key})
    with pytest.raises(TokenError):
        check_session_shape(head, verified)

    short = api.ok(
        "POST", f"/sessions/{session['id']}/tokens/{name}", json={"expires_in_seconds": 30}
    )
    assert decode(short["jwt"])[1]["exp"] - decode(short["jwt"])[1]["iat"] == 30
    error = api.error("POST", f"/sessions/{session['id']}/tokens/no_such_template", 404)
    assert error["meta"]["param_name"] == "template_name"
    api.ok("POST", f"/sessions/{session['id']}/revoke")
    api.error("POST", f"/sessions/{session['id']}/tokens/{name}", 401)
