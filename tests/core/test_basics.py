"""core ids, codes, keys, tokens; and the layering rule that core imports no sibling."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.support import python_output
from threshold.core.clock import FrozenClock, to_ms
from threshold.core.codes import code_digest, codes_equal, new_code, token_digest
from threshold.core.errors import RateLimitedError, TokenError, ValidationError
from threshold.core.ids import BASE62, is_id, new_id
from threshold.core.keys import generate_signing_key, jwk_to_public_key, public_jwk
from threshold.core.tokens import CAT_TEMPLATE, check_session_shape, session_claims

CORE = Path(__file__).parents[2] / "src" / "threshold" / "core"


def test_ids_shape_and_uniqueness() -> None:
    ids = {new_id("user") for _ in range(2000)}
    assert len(ids) == 2000
    sample = next(iter(ids))
    assert is_id(sample, "user") and not is_id(sample, "sess") and not is_id("user_x", "user")
    assert len(sample) == len("user_") + 27 and all(c in BASE62 for c in sample[5:])


def test_codes_are_uniform_six_digits() -> None:
    codes = [new_code() for _ in range(20000)]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    first_digits = Counter(c[0] for c in codes)
    expected = len(codes) / 10
    chi2 = sum((n - expected) ** 2 / expected for n in first_digits.values())
    assert chi2 < 27.9  # 9 degrees of freedom, p = 0.001


def test_code_digest_is_bound_to_purpose_and_subject() -> None:
    secret = b"k" * 32
    a = code_digest(secret, "sign_up", "sua_1", "123456")
    assert "123456" not in a
    assert codes_equal(a, code_digest(secret, "sign_up", "sua_1", "123456"))
    assert not codes_equal(a, code_digest(secret, "sign_up", "sua_2", "123456"))
    assert not codes_equal(a, code_digest(secret, "sign_in", "sua_1", "123456"))
    assert len(token_digest("x")) == 64


def test_jwk_has_no_private_members_and_round_trips() -> None:
    key = generate_signing_key()
    jwk = public_jwk(key.kid, key.public_key)
    assert set(jwk) == {"use", "kty", "kid", "alg", "n", "e"}
    assert jwk_to_public_key(jwk).public_numbers() == key.public_key.public_numbers()
    with pytest.raises(ValueError):
        jwk_to_public_key({"kty": "EC"})


def test_session_shape() -> None:
    claims = session_claims(
        user_id="user_1",
        session_id="sess_1",
        issuer="https://x",
        now=100,
        lifetime=60,
        azp=None,
        first_factor_age_minutes=0,
    )
    assert "azp" not in claims and "aud" not in claims
    assert claims["exp"] == 160 and claims["nbf"] == 90 and claims["v"] == 2
    check_session_shape({"typ": "JWT"}, claims)
    for header, body in [
        ({"cat": CAT_TEMPLATE}, claims),
        ({"typ": "at+jwt"}, claims),
        ({}, {**claims, "sid": None}),
        ({}, {"sub": "user_1"}),
    ]:
        with pytest.raises(TokenError):
            check_session_shape(header, body)


def test_errors_carry_codes_and_params() -> None:
    err = ValidationError("bad", param="email_address")
    assert err.code == "form_param_format_invalid" and err.param == "email_address"
    assert RateLimitedError(retry_after=0).retry_after == 1
    clock = FrozenClock(10.0)
    clock.advance(1.5)
    assert to_ms(clock.now()) == 11500


def test_core_imports_no_sibling_package() -> None:
    forbidden = (
        "threshold.server",
        "threshold.store",
        "threshold.services",
        "threshold.sdk",
        "sqlalchemy",
        "starlette",
        "fastapi",
        "httpx",
        "flask",
        "django",
    )
    imports: dict[str, list[str]] = json.loads(python_output(_LIST_IMPORTS, str(CORE)))
    assert "jwt.py" in imports and "cryptography.exceptions" in imports["jwt.py"]
    for filename, names in imports.items():
        for name in names:
            assert not name.startswith(forbidden), f"{filename} imports {name}"


# Run in a fresh interpreter: see tests.support.python_output.
_LIST_IMPORTS = """
import ast, json, pathlib, sys
found = {}
for path in pathlib.Path(sys.stdin.read()).glob("*.py"):
    names = found.setdefault(path.name, [])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
print(json.dumps(found))
"""
