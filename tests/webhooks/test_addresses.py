"""Where webhooks may go: each refused address class, DNS answers checked and pinned,
redirects not followed."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from tests.webhooks.receiver import Answer, Receiver
from threshold.services.webhooks.addresses import AddressPolicy, AddressRefusedError
from threshold.services.webhooks.sender import Sender

pytestmark = pytest.mark.anyio

PRODUCTION = AddressPolicy(production=True)
DEVELOPMENT = AddressPolicy(production=False)

REFUSED = {
    "loopback": ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"],
    "link-local": ["169.254.1.1", "fe80::1"],
    "private": ["10.0.0.5", "172.16.0.1", "192.168.1.1", "100.64.0.1"],
    "unique-local": ["fc00::1", "fd12:3456::1"],
    "multicast": ["224.0.0.1", "239.1.2.3", "ff02::1"],
    "cloud metadata": ["169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"],
    "unspecified": ["0.0.0.0", "::"],
    "reserved": ["240.0.0.1", "192.0.2.10"],
}


@pytest.mark.parametrize(
    ("reason", "address"), [(k, a) for k, addresses in REFUSED.items() for a in addresses]
)
def test_each_refused_class_in_production(reason: str, address: str) -> None:
    assert PRODUCTION.refusal(ipaddress.ip_address(address)) == reason
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(AddressRefusedError, match=reason):
        PRODUCTION.check_url(f"https://{host}/hook")


def test_development_allows_loopback_only() -> None:
    assert DEVELOPMENT.refusal(ipaddress.ip_address("127.0.0.1")) is None
    assert DEVELOPMENT.refusal(ipaddress.ip_address("::1")) is None
    for reason in ("private", "link-local", "cloud metadata", "multicast", "unique-local"):
        address = ipaddress.ip_address(REFUSED[reason][0])
        assert DEVELOPMENT.refusal(address) == reason
    DEVELOPMENT.check_url("http://localhost:8000/hook")
    with pytest.raises(AddressRefusedError, match="loopback"):
        PRODUCTION.check_url("https://localhost/hook")


def test_allowed_networks_let_chosen_addresses_through_but_never_metadata() -> None:
    policy = AddressPolicy(production=True, allowed_networks=["10.20.0.0/16", "169.254.0.0/16"])
    assert policy.refusal(ipaddress.ip_address("10.20.3.4")) is None
    assert policy.refusal(ipaddress.ip_address("10.21.3.4")) == "private"
    assert policy.refusal(ipaddress.ip_address("169.254.169.254")) == "cloud metadata"
    assert PRODUCTION.refusal(ipaddress.ip_address("93.184.216.34")) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # production wants https
        "ftp://example.com/",
        "https:///nohost",
        "https://user:pw@example.com/",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://" + "a" * 2100 + ".com/",
    ],
)
def test_malformed_or_plain_http_urls_refused_in_production(url: str) -> None:
    with pytest.raises(AddressRefusedError):
        PRODUCTION.check_url(url)


class Resolver:
    """A DNS stand-in that gives each answer once, in turn (a rebinding attacker)."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls += 1
        return self.answers.pop(0)


async def test_a_name_is_resolved_once_and_the_checked_address_is_used(hook: Receiver) -> None:
    port = hook.url.split(":")[2].split("/")[0]
    resolver = Resolver(["127.0.0.1"], ["10.0.0.5"])
    sender = Sender(AddressPolicy(production=False, resolver=resolver), timeout=2)
    try:
        outcome = await sender.send(f"http://hooks.example.test:{port}/hook", {}, b"{}")
    finally:
        await sender.aclose()
    assert outcome.succeeded and resolver.calls == 1
    (got,) = hook.received()
    assert got.headers["host"] == f"hooks.example.test:{port}"  # the name, sent to the pin


@pytest.mark.parametrize(
    "answer", [["10.0.0.5"], ["127.0.0.1", "169.254.169.254"], ["fd00::1", "127.0.0.1"]]
)
async def test_a_name_resolving_to_a_refused_address_is_not_contacted(
    hook: Receiver, answer: list[str]
) -> None:
    port = hook.url.split(":")[2].split("/")[0]
    sender = Sender(AddressPolicy(production=False, resolver=Resolver(answer)), timeout=2)
    try:
        outcome = await sender.send(f"http://internal.example.test:{port}/hook", {}, b"{}")
    finally:
        await sender.aclose()
    assert not outcome.succeeded and "resolves to a" in (outcome.error or "")
    assert hook.received() == []


async def test_redirects_are_not_followed(hook: Receiver) -> None:
    from tests.webhooks.receiver import receiver

    with receiver() as elsewhere:
        hook.default = Answer(status=302, location=elsewhere.url)
        sender = Sender(DEVELOPMENT, timeout=2)
        try:
            outcome = await sender.send(hook.url, {}, b"{}")
        finally:
            await sender.aclose()
        assert (outcome.succeeded, outcome.status_code) == (False, 302)
        assert outcome.error == "redirect not followed"
        assert len(hook.received()) == 1 and elsewhere.received() == []


async def test_environment_proxies_are_ignored(
    hook: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    sender = Sender(DEVELOPMENT, timeout=2)
    try:
        assert (await sender.send(hook.url, {}, b"{}")).succeeded
    finally:
        await sender.aclose()
