"""Random cookies and Authorization values never crash either middleware, and both
middlewares reach the same verdict for the same request (hypothesis).

The strategies build header values from literal text and from indexes into a pool of
real tokens (``random_setup``), so genuine, renewable and attack tokens all turn up.
"""

from __future__ import annotations

import pytest
from anyio.from_thread import BlockingPortal
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.sdk.attacks.apps import (
    FETCH,
    FORM,
    PAGE,
    Reply,
    asgi_app,
    call_asgi,
    call_wsgi,
    make_config,
    wsgi_app,
)
from tests.sdk.attacks.tokens import ATTACKS, Forge
from tests.sdk.fake_api import FakeApi
from threshold import Authenticator
from threshold.asgi import AuthMiddleware as AsgiAuth
from threshold.sdk.http import RequestInfo, parse_cookies
from threshold.sdk.outcome import AuthOutcome
from threshold.wsgi import AuthMiddleware as WsgiAuth

LATIN1 = st.characters(max_codepoint=255)
NOISE = st.text(LATIN1, max_size=40)
TOKENISH = st.from_regex(r"[A-Za-z0-9_\-]{0,30}(\.[A-Za-z0-9_\-]{0,30}){0,3}", fullmatch=True)
TOKENISH.validate()
"""Resolved at import, not deep inside the nested strategies below: the first use imports
hypothesis's regex module through pytest's assertion rewriting, whose ``ast.parse`` on
CPython 3.11 fails ("AST constructor recursion depth mismatch") when ~200 frames deep."""
Part = str | int
"""A piece of a header value: literal text, or an index into the pool (``random_setup``)."""
POOL_SIZE = 5 + len(ATTACKS)
SIGNED_IN = (0, 1)
"""Pool indexes of the genuine token and the renewable one (expired two minutes ago)."""
TOKEN_REFS = st.sampled_from(SIGNED_IN) | st.integers(5, POOL_SIZE - 1)
UAT_REFS = st.sampled_from([2, 3, 4])
"""Pool indexes of a ``__client_uat`` before the tokens' ``iat``, one after it, and one
too long for ``int()`` (Python refuses over 4,300 digits)."""
TOKENS: st.SearchStrategy[list[Part]] = st.one_of(
    TOKEN_REFS.map(lambda i: [i]),
    st.tuples(st.sampled_from(['"', " ", "\t", "'"]), TOKEN_REFS).map(lambda q: [q[0], q[1], q[0]]),
    st.tuples(TOKEN_REFS, NOISE).map(list),
    TOKENISH.map(lambda t: [t]),
    NOISE.map(lambda t: [t]),
    NOISE.map(lambda t: ['"', t, '"']),
)
NUMBERS: st.SearchStrategy[list[Part]] = st.one_of(
    UAT_REFS.map(lambda i: [i]),
    st.sampled_from(["0", "1", "-5", " 7 ", "1e3", "0x10", "1_000", "\xb2\xb3"]).map(lambda t: [t]),
    st.integers(-(10**12), 10**12).map(lambda n: [str(n)]),
    NOISE.map(lambda t: [t]),
)
NAMES = st.sampled_from(["__session_abc", "__client", "", " ", "__SESSION"]) | st.text(
    LATIN1, max_size=12
)
EXAMPLES = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
"""Hypothesis settings of both tests here (one pair of middlewares serves many examples)."""
SEPARATORS = st.sampled_from(["; ", ";", ",", " ; ", ";;", "\t;", ", "])


def _pair(name: str, value: list[Part]) -> list[Part]:
    return [name, "=", *value]


def _join(pairs: list[list[Part]], sep: str) -> list[Part]:
    parts: list[Part] = []
    for i, pair in enumerate(pairs):
        parts += [sep, *pair] if i else pair
    return parts


def _often(pair: st.SearchStrategy[list[Part]], most: int) -> st.SearchStrategy[list[list[Part]]]:
    """Zero to ``most`` cookies of one name, present two times in three."""
    present = st.lists(pair, min_size=1, max_size=most)
    return st.one_of(present, present, st.just([]))


COOKIE_PAIRS = st.tuples(
    _often(st.builds(_pair, st.just("__session"), TOKENS), 2),
    _often(st.builds(_pair, st.just("__client_uat"), NUMBERS), 2),
    st.lists(st.builds(_pair, st.just("__clerk_redirect_count"), NUMBERS), max_size=1),
    st.lists(st.builds(_pair, NAMES, TOKENS | NUMBERS), max_size=2),
).map(lambda groups: [pair for group in groups for pair in group])
STRUCTURED_COOKIES = st.tuples(COOKIE_PAIRS.flatmap(st.permutations), SEPARATORS).map(
    lambda t: _join(*t)
)
COOKIES: st.SearchStrategy[list[Part] | None] = st.one_of(
    st.none(),
    st.text(LATIN1, max_size=300).map(lambda s: [s]),
    STRUCTURED_COOKIES,
    STRUCTURED_COOKIES,
)
SCHEMES = st.sampled_from(["Bearer ", "bearer   ", "BEARER\t", "Bearer", "Basic ", "", " "])
AUTHORIZATIONS: st.SearchStrategy[list[Part]] = st.one_of(
    st.text(LATIN1, max_size=300).map(lambda s: [s]),
    st.tuples(SCHEMES | NOISE, TOKENS).map(lambda t: [t[0], *t[1]]),
)
KINDS = st.sampled_from(
    [
        ("GET", PAGE),
        ("GET", FETCH),
        ("POST", FORM),
        ("GET", {"accept": "text/html"}),
        ("GET", {}),
    ]
)


def _render(parts: list[Part] | None, pool: list[str]) -> str | None:
    if parts is None:
        return None
    return "".join(p if isinstance(p, str) else pool[p] for p in parts)


def _headers(
    base: dict[str, str],
    cookie: list[Part] | None,
    authorization: list[Part] | None,
    pool: list[str],
) -> tuple[dict[str, str], str | None, str | None]:
    """``base`` plus the rendered Cookie and Authorization values (also returned)."""
    headers = dict(base)
    cookie_text, auth_text = _render(cookie, pool), _render(authorization, pool)
    if cookie_text is not None:
        headers["cookie"] = cookie_text
    if auth_text is not None:
        headers["authorization"] = auth_text
    return headers, cookie_text, auth_text


def _uses_signed_in_token(parts: list[Part] | None, pool: list[str]) -> bool:
    """True when a genuine (or renewable) token is in the value: signing in is fine then."""
    return parts is not None and any(p in SIGNED_IN for p in parts if isinstance(p, int))


def _check_random_reply(reply: Reply, api: FakeApi, may_sign_in: bool) -> None:
    assert reply.status in (200, 307)
    if reply.status == 307:
        location = reply.headers["location"]
        assert location.startswith(f"{api.url}/v1/client/handshake?")
        assert reply.headers["cache-control"] == "no-store"
        return
    body = reply.json()
    assert body["user_id"] in ((None, "user_1") if may_sign_in else (None,))
    assert body["is_authenticated"] is (body["user_id"] is not None)
    if body["user_id"] is None:
        for line in reply.set_cookies:
            name, _, rest = line.partition("=")
            assert name != "__session" or rest.startswith(";"), line


class RandomSetup:
    """The apps under test and the pool of values the strategies point into.

    Not a dataclass: hypothesis prints a failing example's arguments, and a dataclass
    would be printed field by field (tens of kB of tokens).
    """

    def __init__(
        self, api: FakeApi, pool: list[str], asgi: AsgiAuth, wsgi: WsgiAuth, sdk: Authenticator
    ) -> None:
        self.api = api
        self.pool = pool
        """Genuine and renewable tokens, three ``__client_uat`` values, every attack token."""
        self.asgi = asgi
        self.wsgi = wsgi
        self.sdk = sdk
        """A third SDK with the same configuration, for the shortcut's test."""

    def __repr__(self) -> str:
        return f"<RandomSetup of {len(self.pool)} values>"


@pytest.fixture
def random_setup(forge: Forge, mode: str) -> RandomSetup:
    """One pair of middlewares per test, shared by its examples as in a running app."""
    pool = [forge.valid(), forge.valid(age=120), str(forge.now - 100), str(forge.now + 1000)]
    pool.append("9" * 4400)
    pool += [attack.build(forge) for attack in ATTACKS]
    assert len(pool) == POOL_SIZE
    config = make_config(forge.api, mode)
    return RandomSetup(
        forge.api,
        pool,
        asgi_app(Authenticator(config)),
        wsgi_app(Authenticator(config)),
        Authenticator(config),
    )


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@EXAMPLES
@given(
    kind=KINDS,
    cookie=COOKIES,
    authorization=st.none() | AUTHORIZATIONS,
)
def test_random_cookies_and_authorization_never_crash(
    mode: str,
    random_setup: RandomSetup,
    portal: BlockingPortal,
    kind: tuple[str, dict[str, str]],
    cookie: list[Part] | None,
    authorization: list[Part] | None,
) -> None:
    pool = random_setup.pool
    method, base = kind
    headers, _, _ = _headers(base, cookie, authorization, pool)
    may_sign_in = _uses_signed_in_token(cookie, pool) or _uses_signed_in_token(authorization, pool)
    from_asgi = call_asgi(portal, random_setup.asgi, method, headers)
    from_wsgi = call_wsgi(random_setup.wsgi, method, headers)
    _check_random_reply(from_asgi, random_setup.api, may_sign_in)
    _check_random_reply(from_wsgi, random_setup.api, may_sign_in)
    assert from_asgi.key() == from_wsgi.key(), (method, headers)  # one set of rules behind both
    signed_in = from_asgi.status == 200 and from_asgi.json()["user_id"] is not None
    event(f"{from_asgi.status} {'signed in' if signed_in else 'signed out'}")  # for statistics


QUERIES = st.sampled_from(["", "page=2", "__clerk_handshake_nonce=abc", "__clerk_handshake_nonce="])


@pytest.mark.parametrize("mode", ["pem", "jwks"])
@EXAMPLES
@given(
    kind=KINDS,
    query=QUERIES,
    cookie=COOKIES,
    authorization=st.none() | AUTHORIZATIONS,
    raw=st.booleans(),
)
def test_the_shortcut_agrees_with_the_full_rules(
    mode: str,
    random_setup: RandomSetup,
    kind: tuple[str, dict[str, str]],
    query: str,
    cookie: list[Part] | None,
    authorization: list[Part] | None,
    raw: bool,
) -> None:
    """``authenticate_known`` (the middlewares' shortcut) answers only where the full rules
    would answer the same, before and after they have verified the request's token."""
    sdk = random_setup.sdk
    method, base = kind
    headers, cookie_text, auth_text = _headers(base, cookie, authorization, random_setup.pool)
    request = RequestInfo(
        method, "http", "app.test", "/", query, headers, parse_cookies(cookie_text)
    )

    def shortcut() -> AuthOutcome | None:
        if raw:  # as ASGI servers hand them over
            return sdk.authenticate_known(
                method,
                query.encode(),
                None if auth_text is None else auth_text.encode("latin-1"),
                None if cookie_text is None else cookie_text.encode("latin-1"),
            )
        return sdk.authenticate_known(method, query, auth_text, cookie_text)

    before = shortcut()
    full = sdk.authenticate_sync(request)
    after = shortcut()
    for known in (before, after):
        if known is not None:
            assert known == full, (method, query, headers)
    event("shortcut answered" if after is not None else "full rules needed")
