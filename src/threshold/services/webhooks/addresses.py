"""Where webhooks may go: endpoint URLs and the addresses they resolve to (SSRF rules).

1. The URL is absolute ``http`` or ``https`` (``https`` only on a production instance),
   with a host and no user name or password in it.
2. The host is resolved once per attempt. Every address it resolves to is checked, and
   the request connects to the first one, sending the original ``Host`` header and TLS
   server name: a name that resolves elsewhere a moment later changes nothing.
3. Refused: cloud metadata addresses, always; unspecified, link-local, multicast,
   private (RFC 1918 and carrier-grade NAT), unique-local and reserved addresses, and
   loopback on a production instance (a development instance may use loopback).
   ``THRESHOLD_WEBHOOK_ALLOWED_NETWORKS`` lets chosen networks through (metadata aside).
4. Redirects are never followed (``sender``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from threshold.core.errors import ValidationError

__all__ = [
    "METADATA_ADDRESSES",
    "AddressPolicy",
    "AddressRefusedError",
    "PinnedUrl",
    "Resolver",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves a host name and port to the addresses to try (text form)."""

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle ...
        "169.254.170.2",  # AWS ECS task metadata
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure platform (WireServer)
        "fd00:ec2::254",  # AWS over IPv6
    )
)
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
"""RFC 1918, and the carrier-grade NAT range (RFC 6598)."""
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_URL_MAX = 2048


class AddressRefusedError(ValidationError):
    """An endpoint URL, or an address its host resolves to, is not allowed."""

    code = "form_param_value_invalid"
    default_message = "This URL cannot receive webhooks."


@dataclass(frozen=True, slots=True)
class PinnedUrl:
    """A URL resolved and checked: connect to ``address``, say ``host_header``."""

    url: str
    """The URL with the checked address in place of the host name."""
    host_header: str
    server_name: str
    """The TLS server name (SNI and certificate check): the original host name."""
    address: str


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class AddressPolicy:
    """The SSRF rules of one instance (see the module docstring)."""

    def __init__(
        self,
        *,
        production: bool,
        allowed_networks: Sequence[str] = (),
        resolver: Resolver = system_resolver,
    ) -> None:
        self.production = production
        self.allowed = tuple(ipaddress.ip_network(n, strict=False) for n in allowed_networks)
        self.resolver = resolver

    def check_url(self, url: str) -> SplitResult:
        """The URL's parts, or :class:`AddressRefusedError` (rule 1, and rule 3 for a
        literal address)."""
        if not isinstance(url, str) or len(url) > _URL_MAX or any(c in url for c in " \r\n\t"):
            raise AddressRefusedError("url must be an absolute URL.", param="url")
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as exc:
            raise AddressRefusedError("url is not a valid URL.", param="url") from exc
        schemes = ("https",) if self.production else ("http", "https")
        if parts.scheme not in schemes or not parts.hostname:
            need = "https" if self.production else "http or https"
            raise AddressRefusedError(f"url must be an absolute {need} URL.", param="url")
        if parts.username is not None or parts.password is not None:
            raise AddressRefusedError("url must not hold a user name or password.", param="url")
        literal = _literal(parts.hostname)
        if literal is not None and (reason := self.refusal(literal)):
            raise AddressRefusedError(f"url points at a {reason} address.", param="url")
        if parts.hostname.lower() == "localhost" and self.refusal(ipaddress.ip_address("::1")):
            raise AddressRefusedError("url points at a loopback address.", param="url")
        return parts

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not receive webhooks (its class), or None."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address in METADATA_ADDRESSES:
            return "cloud metadata"
        if any(address in network for network in self.allowed):
            return None
        if address.is_unspecified:
            return "unspecified"
        if address.is_loopback:
            return "loopback" if self.production else None
        if address.is_link_local:
            return "link-local"
        if address.is_multicast:
            return "multicast"
        if address in _UNIQUE_LOCAL:
            return "unique-local"
        if any(address in network for network in _PRIVATE):
            return "private"
        if address.is_private or not address.is_global:
            return "reserved"
        return None

    async def pin(self, url: str) -> PinnedUrl:
        """Resolve the URL's host once and check every address (rules 2 and 3)."""
        parts = self.check_url(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = _literal(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            try:
                found = await self.resolver(host, port)
            except OSError as exc:
                raise AddressRefusedError(f"{host[:100]} does not resolve.") from exc
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
        if not addresses:
            raise AddressRefusedError(f"{host[:100]} does not resolve.")
        for address in addresses:
            if reason := self.refusal(address):
                raise AddressRefusedError(f"{host[:100]} resolves to a {reason} address.")
        chosen = addresses[0]
        netloc = f"[{chosen}]" if chosen.version == 6 else str(chosen)
        pinned = parts._replace(netloc=f"{netloc}:{port}")
        return PinnedUrl(pinned.geturl(), parts.netloc, host, str(chosen))


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
