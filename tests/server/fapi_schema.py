"""An OpenAPI 3.0 description of Threshold's Frontend API, written for fuzzing it.

The server has no OpenAPI document for the Frontend API (clerk-js is its client), so this
one is written by hand from what ``threshold.server.frontend_api`` and the sign-in and
sign-up services read and answer. Bodies are form-urlencoded, as clerk-js sends them;
``POST ?_method=PATCH|PUT|DELETE`` is described where clerk-js uses it.

Answers are described as tightly as the wire allows: every 200 is the
``{response, client}`` envelope (or a bare token, the JWKS, the environment), every
error is Clerk's ``{errors: [...], clerk_trace_id}`` (a 405 too, when ``_method`` names a
method the path lacks), and a session's ``user`` never carries ``private_metadata``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["APP_ORIGIN", "FAPI_DOCUMENT"]

Json = dict[str, Any]

APP_ORIGIN = "http://localhost:3000"
"""An app origin the development server allows (any ``http://localhost`` is)."""


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Json) -> Json:
    """``schema`` or null (OpenAPI 3.0 cannot put ``nullable`` next to a ``$ref``)."""
    return {"anyOf": [schema, {"type": "object", "nullable": True, "enum": [None]}]}


def _enum(*values: str) -> Json:
    return {"type": "string", "enum": list(values)}


def _id(prefix: str) -> Json:
    return {"type": "string", "pattern": f"^{prefix}_[0-9A-Za-z]{{27}}$"}


_STRING: Json = {"type": "string"}
_NULLABLE_STRING: Json = {"type": "string", "nullable": True}
_MS: Json = {"type": "integer", "minimum": 0}
_NULLABLE_MS: Json = {"type": "integer", "minimum": 0, "nullable": True}
_STRINGS: Json = {"type": "array", "items": _STRING}
_OBJECT: Json = {"type": "object"}
_BOOL: Json = {"type": "boolean"}
_JWT: Json = {"type": "string", "pattern": r"^[\w-]+\.[\w-]+\.[\w-]+$"}

# A few values that reach past input validation, offered next to free text.
_EMAILS = ["fuzz+clerk_test@example.com", "nobody@example.com"]
_PASSWORDS = ["correct horse battery staple", "wrong horse battery staple"]
_CODES = ["424242", "000000"]
_REDIRECTS = [APP_ORIGIN + "/after", "http://127.0.0.1:8000/x?y=1", "/here", "https://evil.test/"]


def _either(values: list[str]) -> Json:
    """One of ``values``, or any text."""
    return {"anyOf": [{"type": "string", "enum": values}, _STRING]}


def _object(required: str, **properties: Json) -> Json:
    """An object with ``properties``; the space-separated ``required`` keys must be there."""
    return {"type": "object", "required": required.split(), "properties": properties}


def _user_schemas() -> Json:
    user = _object(
        "id object primary_email_address_id first_name last_name image_url has_image"
        " public_metadata unsafe_metadata email_addresses phone_numbers password_enabled"
        " two_factor_enabled banned locked created_at updated_at",
        id=_id("user"),
        object=_enum("user"),
        primary_email_address_id=_NULLABLE_STRING,
        username=_NULLABLE_STRING,
        first_name=_NULLABLE_STRING,
        last_name=_NULLABLE_STRING,
        image_url=_STRING,
        has_image=_BOOL,
        public_metadata=_OBJECT,
        unsafe_metadata=_OBJECT,
        email_addresses={"type": "array", "items": _ref("EmailAddress")},
        phone_numbers={"type": "array"},
        password_enabled=_BOOL,
        two_factor_enabled=_BOOL,
        banned=_BOOL,
        locked=_BOOL,
        last_sign_in_at=_NULLABLE_MS,
        created_at=_MS,
        updated_at=_MS,
    )
    # The Frontend API never shows an app's private metadata.
    user["not"] = {"required": ["private_metadata"]}
    return {
        "User": user,
        "EmailAddress": _object(
            "id object email_address verification linked_to",
            id=_id("idn"),
            object=_enum("email_address"),
            email_address=_STRING,
            verification=_nullable(_ref("Verification")),
            linked_to={"type": "array"},
            created_at=_MS,
            updated_at=_MS,
        ),
        "PublicUserData": _object(
            "user_id first_name last_name image_url has_image identifier",
            user_id=_id("user"),
            first_name=_NULLABLE_STRING,
            last_name=_NULLABLE_STRING,
            image_url=_STRING,
            has_image=_BOOL,
            identifier=_STRING,
            username=_NULLABLE_STRING,
        ),
        "Session": _object(
            "object id user_id status last_active_at expire_at abandon_at created_at"
            " updated_at last_active_token factor_verification_age",
            object=_enum("session"),
            id=_id("sess"),
            user_id=_id("user"),
            client_id=_id("client"),
            status=_enum("active", "revoked", "ended", "expired", "removed", "abandoned"),
            last_active_at=_MS,
            expire_at=_MS,
            abandon_at=_MS,
            created_at=_MS,
            updated_at=_MS,
            user=_ref("User"),
            public_user_data=_ref("PublicUserData"),
            last_active_token=_nullable(_ref("Token")),
            factor_verification_age={
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        "Token": {
            **_object("object jwt", object=_enum("token"), jwt=_JWT),
            "additionalProperties": False,
        },
    }


def _flow_schemas() -> Json:
    return {
        "Verification": _object(
            "status strategy attempts expire_at",
            object=_STRING,
            status=_enum("unverified", "verified", "failed", "expired"),
            strategy=_STRING,
            attempts={"type": "integer", "nullable": True},
            expire_at=_NULLABLE_MS,
        ),
        "SignInFactor": _object(
            "strategy",
            strategy=_STRING,
            safe_identifier=_NULLABLE_STRING,
            email_address_id=_id("idn"),
            primary=_BOOL,
        ),
        "SignIn": _object(
            "object id status identifier supported_first_factors first_factor_verification"
            " second_factor_verification created_session_id abandon_at",
            object=_enum("sign_in"),
            id=_id("sia"),
            status=_enum(
                "needs_identifier",
                "needs_first_factor",
                "needs_second_factor",
                "needs_new_password",
                "complete",
                "abandoned",
            ),
            identifier=_NULLABLE_STRING,
            supported_identifiers=_STRINGS,
            supported_first_factors={"type": "array", "items": _ref("SignInFactor")},
            first_factor_verification=_nullable(_ref("Verification")),
            second_factor_verification=_nullable(_ref("Verification")),
            created_session_id={**_id("sess"), "nullable": True},
            abandon_at=_MS,
        ),
        "SignUp": _object(
            "object id status required_fields optional_fields missing_fields"
            " unverified_fields verifications email_address first_name last_name"
            " unsafe_metadata created_session_id created_user_id abandon_at",
            object=_enum("sign_up"),
            id=_id("sua"),
            status=_enum("missing_requirements", "complete", "abandoned"),
            required_fields=_STRINGS,
            optional_fields=_STRINGS,
            missing_fields=_STRINGS,
            unverified_fields=_STRINGS,
            verifications=_object("email_address", email_address=_nullable(_ref("Verification"))),
            email_address=_NULLABLE_STRING,
            first_name=_NULLABLE_STRING,
            last_name=_NULLABLE_STRING,
            password_enabled=_BOOL,
            unsafe_metadata=_OBJECT,
            created_session_id={**_id("sess"), "nullable": True},
            created_user_id={**_id("user"), "nullable": True},
            abandon_at=_MS,
        ),
        "Client": _object(
            "object id sessions sign_in sign_up last_active_session_id cookie_expires_at"
            " created_at updated_at",
            object=_enum("client"),
            id=_id("client"),
            sessions={"type": "array", "items": _ref("Session")},
            sign_in=_nullable(_ref("SignIn")),
            sign_up=_nullable(_ref("SignUp")),
            last_active_session_id={**_id("sess"), "nullable": True},
            last_authentication_strategy=_NULLABLE_STRING,
            cookie_expires_at=_MS,
            captcha_bypass=_BOOL,
            created_at=_MS,
            updated_at=_MS,
        ),
        "ClientEnvelope": _envelope(_ref("Client")),
        "SignInEnvelope": _envelope(_ref("SignIn")),
        "SignUpEnvelope": _envelope(_ref("SignUp")),
        "SessionEnvelope": _envelope(_ref("Session")),
    }


def _other_schemas() -> Json:
    jwk = _object(
        "kty kid use alg n e",
        kty=_enum("RSA"),
        kid=_STRING,
        use=_enum("sig"),
        alg=_enum("RS256"),
        n=_STRING,
        e=_STRING,
    )
    return {
        "ClerkError": {
            **_object(
                "message long_message code",
                message={"type": "string", "minLength": 1},
                long_message={"type": "string", "minLength": 1},
                code={"type": "string", "pattern": "^[a-z0-9_]+$"},
                meta=_OBJECT,
            ),
            "additionalProperties": False,
        },
        "ClerkErrors": {
            **_object(
                "errors clerk_trace_id",
                errors={"type": "array", "items": _ref("ClerkError"), "minItems": 1},
                clerk_trace_id=_STRING,
                meta=_OBJECT,
            ),
            "additionalProperties": False,
        },
        "Environment": _object(
            "object auth_config display_config user_settings organization_settings"
            " maintenance_mode",
            object=_enum("environment"),
            auth_config=_object(
                "object id single_session_mode",
                object=_enum("auth_config"),
                id=_STRING,
                single_session_mode=_BOOL,
            ),
            display_config=_object(
                "object id instance_environment_type application_name",
                object=_enum("display_config"),
                instance_environment_type=_enum("development", "production"),
                application_name=_STRING,
                sign_in_url=_STRING,
                sign_up_url=_STRING,
            ),
            user_settings=_object("attributes"),
            organization_settings=_OBJECT,
            maintenance_mode=_BOOL,
        ),
        "Jwks": {
            **_object("keys", keys={"type": "array", "minItems": 1, "items": jwk}),
            "additionalProperties": False,
        },
    }


def _envelope(response: Json) -> Json:
    """``{response, client}``: both keys always present, either may be null."""
    return {
        "type": "object",
        "required": ["response", "client"],
        "additionalProperties": False,
        "properties": {"response": _nullable(response), "client": _nullable(_ref("Client"))},
    }


_ERROR_TEXT = {
    401: "Signed out (no active session on this Client), or a wrong code.",
    403: "A foreign Origin on a state-changing call, or a locked or banned account.",
    404: "No such sign-in, sign-up or session on this Client.",
    413: "The body is too large.",
    422: "A parameter is missing or invalid, or a credential is wrong.",
    429: "Too many attempts.",
}


def _errors(*statuses: int) -> Json:
    return {
        str(status): {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": _ref("ClerkErrors")}},
        }
        for status in statuses
    }


_NOT_ALLOWED: Json = {
    "405": {
        "description": "``_method`` names a method the path does not have.",
        "content": {"application/json": {"schema": _ref("ClerkErrors")}},
    }
}


_BODY = (403, 413, 422, 429)
"""How a call that reads a body and runs a rate-limited flow can fail."""


def _answers(ok: str, description: str, *errors: int, overridable: bool = False) -> Json:
    """200 with the ``ok`` schema, the listed Clerk errors, and 405 behind ``_method``."""
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": _ref(ok)}},
        },
        **_errors(*errors),
        **(_NOT_ALLOWED if overridable else {}),
    }


def _query(name: str, schema: Json, *, required: bool = False) -> Json:
    return {"name": name, "in": "query", "required": required, "schema": schema}


_NATIVE = _query("_is_native", _enum("1", "true", "0"))
"""Native apps send the Client token in ``Authorization`` instead of the cookie."""


def _method(*methods: str, required: bool = False) -> Json:
    """``POST ?_method=``: how clerk-js sends PATCH, PUT and DELETE."""
    return _query("_method", _enum(*methods), required=required)


def _path(name: str, prefix: str) -> Json:
    """A path id: a well-formed one or any text."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"anyOf": [_id(prefix), {"type": "string", "minLength": 1}]},
    }


def _form(properties: dict[str, Json], examples: dict[str, Json] | None = None) -> Json:
    """A form body; ``examples`` are sent as they are, before anything is generated."""
    media: Json = {"schema": {"type": "object", "properties": properties}}
    if examples:
        media["examples"] = {name: {"value": value} for name, value in examples.items()}
    return {"required": False, "content": {"application/x-www-form-urlencoded": media}}


_SIGN_UP_FIELDS: dict[str, Json] = {
    "email_address": _either(_EMAILS),
    "password": _either(_PASSWORDS),
    "first_name": _STRING,
    "last_name": _STRING,
    "unsafe_metadata": _either(['{"plan": "pro"}', "{not json", "[]"]),
    "ticket": _STRING,
}

_GOOD_SIGN_UP = {"email_address": _EMAILS[0], "password": _PASSWORDS[0], "first_name": "Fuzz"}
# Form values that look like JSON objects are decoded as JSON, so their escapes can carry
# what the form decoder refuses in plain values (NUL, lone surrogates), or nest deeply.
_SIGN_UP_EXAMPLES: dict[str, Json] = {
    "metadata": {**_GOOD_SIGN_UP, "unsafe_metadata": '{"plan": "pro"}'},
    "escaped_surrogate": {**_GOOD_SIGN_UP, "unsafe_metadata": '{"note": "\\ud800"}'},
    "escaped_nul": {**_GOOD_SIGN_UP, "unsafe_metadata": '{"\\u0000": "x"}'},
    "deeply_nested": {**_GOOD_SIGN_UP, "unsafe_metadata": '{"a":' * 2000 + "1" + "}" * 2000},
}


def _client_paths() -> Json:
    client = ("ClientEnvelope", "The Client (created when there was none), or null.")
    ended = ("ClientEnvelope", "Every session on the Client ended.")
    return {
        "/v1/client": {
            "parameters": [_NATIVE],
            "get": {"operationId": "getClient", "responses": _answers(*client)},
            "post": {
                "operationId": "createClient",
                "parameters": [_method("PUT", "DELETE")],
                "responses": _answers(*client, 403, overridable=True),
            },
            "put": {"operationId": "putClient", "responses": _answers(*client, 403)},
            "delete": {
                "operationId": "deleteClient",
                "responses": _answers("ClientEnvelope", "The Client is gone: both null.", 403),
            },
        },
        "/v1/client/sessions": {
            "parameters": [_NATIVE],
            "delete": {"operationId": "endAllSessions", "responses": _answers(*ended, 403)},
            "post": {
                "operationId": "endAllSessionsOverPost",
                "parameters": [_method("DELETE", required=True)],
                "responses": _answers(*ended, 403, overridable=True),
            },
        },
        "/v1/client/handshake": {
            "get": {
                "operationId": "handshake",
                "parameters": [
                    _query("redirect_url", _either(_REDIRECTS)),
                    _query("format", _enum("token", "nonce")),
                    _NATIVE,
                ],
                "responses": {
                    "307": {
                        "description": "Back to ``redirect_url`` with the handshake payload.",
                        "headers": {"Location": {"required": True, "schema": _STRING}},
                    },
                    **_errors(422),
                },
            }
        },
    }


def _session_paths() -> Json:
    def action(op_id: str, ok: str, description: str) -> Json:
        return {
            "parameters": [_path("session_id", "sess"), _NATIVE],
            "post": {"operationId": op_id, "responses": _answers(ok, description, 401, 403, 404)},
        }

    session = ("SessionEnvelope", "The session, with the Client.")
    base = "/v1/client/sessions/{session_id}"
    return {
        f"{base}/touch": action("touchSession", *session),
        f"{base}/end": action("endSession", *session),
        f"{base}/remove": action("removeSession", *session),
        f"{base}/tokens": action("createSessionToken", "Token", "A new session token, bare."),
    }


def _sign_in_paths() -> Json:
    sign_in_id = _path("sign_in_id", "sia")

    def step(op_id: str, fields: dict[str, Json]) -> Json:
        return {
            "parameters": [sign_in_id, _NATIVE],
            "post": {
                "operationId": op_id,
                "requestBody": _form(fields),
                "responses": _answers("SignInEnvelope", "The sign-in.", 401, 404, *_BODY),
            },
        }

    base = "/v1/client/sign_ins/{sign_in_id}"
    return {
        "/v1/client/sign_ins": {
            "parameters": [_NATIVE],
            "post": {
                "operationId": "createSignIn",
                "requestBody": _form(
                    {
                        "strategy": _enum("password", "ticket", "email_code"),
                        "identifier": _either(_EMAILS),
                        "password": _either(_PASSWORDS),
                        "ticket": _STRING,
                    }
                ),
                "responses": _answers(
                    "SignInEnvelope", "The new sign-in (complete if a password fit).", *_BODY
                ),
            },
        },
        base: {
            "parameters": [sign_in_id, _NATIVE],
            "get": {
                "operationId": "getSignIn",
                "responses": _answers("SignInEnvelope", "The sign-in.", 404),
            },
        },
        f"{base}/prepare_first_factor": step(
            "prepareSignInFirstFactor",
            {
                "strategy": _enum("email_code", "reset_password_email_code"),
                "email_address_id": _STRING,
            },
        ),
        f"{base}/attempt_first_factor": step(
            "attemptSignInFirstFactor",
            {
                "strategy": _enum("password", "email_code", "reset_password_email_code"),
                "password": _either(_PASSWORDS),
                "code": _either(_CODES),
            },
        ),
        f"{base}/reset_password": step("resetSignInPassword", {"password": _either(_PASSWORDS)}),
    }


def _sign_up_paths() -> Json:
    sign_up_id = _path("sign_up_id", "sua")
    sign_up = ("SignUpEnvelope", "The sign-up.")

    def step(op_id: str, fields: dict[str, Json]) -> Json:
        return {
            "parameters": [sign_up_id, _NATIVE],
            "post": {
                "operationId": op_id,
                "requestBody": _form(fields),
                "responses": _answers(*sign_up, 404, *_BODY),
            },
        }

    base = "/v1/client/sign_ups/{sign_up_id}"
    return {
        "/v1/client/sign_ups": {
            "parameters": [_NATIVE],
            "post": {
                "operationId": "createSignUp",
                "requestBody": _form(_SIGN_UP_FIELDS, _SIGN_UP_EXAMPLES),
                "responses": _answers(
                    "SignUpEnvelope", "The new sign-up (complete once verified).", *_BODY
                ),
            },
        },
        base: {
            "parameters": [sign_up_id, _NATIVE],
            "get": {"operationId": "getSignUp", "responses": _answers(*sign_up, 404)},
            # clerk-js sends the changed fields (the ones create takes; others are
            # ignored); a complete or abandoned sign-up refuses them with 422.
            "patch": {
                "operationId": "updateSignUp",
                "requestBody": _form(_SIGN_UP_FIELDS, _SIGN_UP_EXAMPLES),
                "responses": _answers(*sign_up, 404, *_BODY),
            },
            "post": {
                "operationId": "updateSignUpOverPost",
                "parameters": [_method("PATCH", required=True)],
                "requestBody": _form(_SIGN_UP_FIELDS, _SIGN_UP_EXAMPLES),
                "responses": _answers(*sign_up, 404, *_BODY, overridable=True),
            },
        },
        f"{base}/prepare_verification": step(
            "prepareSignUpVerification", {"strategy": _enum("email_code")}
        ),
        f"{base}/attempt_verification": step(
            "attemptSignUpVerification", {"strategy": _enum("email_code"), "code": _either(_CODES)}
        ),
    }


FAPI_DOCUMENT: Json = {
    "openapi": "3.0.3",
    "info": {
        "title": "Threshold Frontend API (for fuzzing)",
        "version": "1",
        "description": "Written from the server's code; see tests/server/fapi_schema.py.",
    },
    "paths": {
        "/v1/environment": {
            "get": {
                "operationId": "getEnvironment",
                "responses": _answers("Environment", "The instance's settings for clerk-js."),
            }
        },
        **_client_paths(),
        **_sign_in_paths(),
        **_sign_up_paths(),
        **_session_paths(),
        "/.well-known/jwks.json": {
            "get": {
                "operationId": "getJwks",
                "responses": _answers("Jwks", "The instance's public signing keys."),
            }
        },
    },
    "components": {"schemas": {**_user_schemas(), **_flow_schemas(), **_other_schemas()}},
}
