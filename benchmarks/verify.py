"""Token verification: verify_token against one raw cryptography RS256 verify of a token."""

from __future__ import annotations

import statistics
import time
import warnings
from collections.abc import Callable

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from benchmarks._timing import per_call_us
from threshold.core.jwt import b64url_decode, encode_rs256
from threshold.core.keys import generate_signing_key
from threshold.core.tokens import CAT_SESSION, session_claims
from threshold.sdk.config import SdkConfig
from threshold.sdk.verify import Verifier, verify_token

__all__ = ["run"]


def _tokens(key: object, n: int) -> list[str]:
    now = int(time.time())
    out = []
    for i in range(n):
        claims = session_claims(
            user_id=f"user_{i}",
            session_id=f"sess_{i}",
            issuer="http://127.0.0.1:8787",
            now=now,
            lifetime=600,
            azp="http://localhost:3000",
            first_factor_age_minutes=0,
        )
        out.append(
            encode_rs256(
                claims,
                key.private_key,
                key.kid,  # type: ignore[attr-defined]
                headers={"cat": CAT_SESSION},
            )
        )
    return out


def run() -> dict[str, float]:
    key = generate_signing_key()
    pem = key.public_pem()
    n = 2000
    tokens = _tokens(key, n * 8)
    public = key.public_key
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    parts = [t.rsplit(".", 1) for t in tokens[:n]]
    raws = [(s.encode(), b64url_decode(sig)) for s, sig in parts]

    def raw(i: int) -> None:
        data, sig = raws[i]
        public.verify(sig, data, pkcs1, sha256)

    config = SdkConfig(jwt_key=pem, authorized_parties=("http://localhost:3000",))
    batches = iter(range(0, len(tokens), n))

    def fresh_runner() -> Callable[[int], object]:
        offset = next(batches)
        verifier = Verifier(config)
        return lambda i: verifier.verify_local(tokens[offset + i])

    # Raw and fresh batches take turns, and the ratio is the median of the pairs' ratios:
    # the CPU's speed drifts on these machines, and a pair sees the same speed.
    raws_us, fresh_us, ratios = [], [], []
    for _ in range(7):
        raws_us.append(per_call_us(raw, n, rounds=1))
        fresh_us.append(per_call_us(fresh_runner(), n, rounds=1))
        ratios.append(fresh_us[-1] / raws_us[-1])
    results: dict[str, float] = {
        "raw_rsa_us": statistics.median(raws_us),
        "threshold_fresh_us": statistics.median(fresh_us),
        "fresh_ratio": statistics.median(ratios),
    }

    warm = Verifier(config)
    for t in tokens[:100]:
        warm.verify_local(t)
    results["threshold_repeat_us"] = per_call_us(
        lambda i: warm.verify_local(tokens[i % 100]), 100_000
    )
    verify_token(tokens[0], jwt_key=pem)
    results["verify_token_repeat_us"] = per_call_us(
        lambda i: verify_token(tokens[0], jwt_key=pem), 50_000
    )

    import jwt as pyjwt

    results["pyjwt_us"] = per_call_us(
        lambda i: pyjwt.decode(tokens[i], public, algorithms=["RS256"], leeway=5), n
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import httpx
        from clerk_backend_api.security import AuthenticateRequestOptions, authenticate_request

    options = AuthenticateRequestOptions(jwt_key=pem, authorized_parties=["http://localhost:3000"])
    requests = [
        httpx.Request("GET", "http://app/", headers={"Authorization": f"Bearer {t}"})
        for t in tokens[:n]
    ]

    def clerk(i: int) -> None:
        state = authenticate_request(requests[i], options)
        assert state.is_signed_in

    results["clerk_sdk_us"] = per_call_us(clerk, n, rounds=3)
    return results
