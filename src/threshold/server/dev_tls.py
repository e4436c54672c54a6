"""HTTPS for ``threshold dev --https``: a local certificate authority and a certificate.

clerk-js, the framework SDKs' script loaders and ``@clerk/backend`` build ``https://`` URLs
from the publishable key, so a development server that browsers and Node both trust saves
a proxy. On first use this module:

1. creates a certificate authority (an ECDSA P-256 key, ten years) whose certificates may
   name only the development hosts (a critical name constraint: should its key leak, it
   cannot vouch for any other site in a client that honours constraints, which browsers,
   OpenSSL and macOS do);
2. issues a server certificate for ``localhost``, ``127.0.0.1`` and ``::1`` from it
   (397 days, the longest every client accepts);
3. writes a bundle of the public roots plus this authority, for Python tools that take
   one file (``SSL_CERT_FILE``, ``REQUESTS_CA_BUNDLE``).

Later runs reuse all of it, and reissue only the server certificate when it nears its end
or does not cover the hosts, so the authority is trusted once. Keys are written mode 0600.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from threshold.core.errors import ConfigurationError

__all__ = ["DEV_HOSTS", "DevCertificate", "ensure_dev_certificate", "trust_instructions"]

DEV_HOSTS = ("localhost", "127.0.0.1", "::1")
"""The names the server certificate covers."""

_CA_DAYS = 3650
_LEAF_DAYS = 397
_RENEW_BEFORE = dt.timedelta(days=30)
_Name = x509.DNSName | x509.IPAddress


@dataclass(frozen=True, slots=True)
class DevCertificate:
    """The files of the development HTTPS set-up, all in one directory."""

    ca_file: Path
    """The authority's certificate: what browsers, Node and Python are told to trust."""
    cert_file: Path
    """The server's certificate (uvicorn's ``ssl_certfile``)."""
    key_file: Path
    """The server's private key (uvicorn's ``ssl_keyfile``)."""
    bundle_file: Path
    """The public roots followed by the authority (``SSL_CERT_FILE``)."""
    created_ca: bool
    """True when this run created the authority (it is not trusted anywhere yet)."""


def ensure_dev_certificate(directory: Path, *, now: dt.datetime | None = None) -> DevCertificate:
    """The authority and server certificate in ``directory``, created or renewed as needed."""
    now = now or dt.datetime.now(dt.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    paths = DevCertificate(
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server-key.pem",
        bundle_file=directory / "ca-bundle.pem",
        created_ca=False,
    )
    ca_key_file = directory / "ca-key.pem"
    ca = _load(paths.ca_file, ca_key_file)
    if ca is None or ca[0].not_valid_after_utc - now < _RENEW_BEFORE:
        ca = _new_authority(now)
        _write(ca_key_file, _key_pem(ca[1]), private=True)
        _write(paths.ca_file, ca[0].public_bytes(serialization.Encoding.PEM))
        paths = dataclasses.replace(paths, created_ca=True)
    ca_cert, ca_key = ca
    leaf = _load(paths.cert_file, paths.key_file)
    if paths.created_ca or leaf is None or not _still_good(leaf[0], ca_cert, now):
        cert, key = _new_server_certificate(ca_cert, ca_key, now)
        _write(paths.key_file, _key_pem(key), private=True)
        _write(paths.cert_file, cert.public_bytes(serialization.Encoding.PEM))
    _write(paths.bundle_file, _public_roots() + paths.ca_file.read_bytes())
    return paths


def trust_instructions(cert: DevCertificate) -> list[str]:
    """How to make each kind of client trust the authority, one command a line."""
    ca, bundle = cert.ca_file, cert.bundle_file
    return [
        f"Chromium, Chrome (Linux, NSS): certutil -d sql:$HOME/.pki/nssdb -A -t C,, "
        f'-n "Threshold development CA" -i {ca}',
        "Firefox: the same certutil command with -d sql:<your Firefox profile directory>",
        f"macOS (Safari, Chrome): sudo security add-trusted-cert -d -r trustRoot "
        f"-k /Library/Keychains/System.keychain {ca}",
        f"Linux system store (Debian, Ubuntu): sudo cp {ca} "
        "/usr/local/share/ca-certificates/threshold-dev-ca.crt && sudo update-ca-certificates",
        f"Linux system store (Fedora, RHEL): sudo cp {ca} /etc/pki/ca-trust/source/anchors/ "
        "&& sudo update-ca-trust",
        f"Node (@clerk/backend, Next.js, ...): NODE_EXTRA_CA_CERTS={ca}",
        f"Python (httpx, ssl): SSL_CERT_FILE={bundle}; requests: REQUESTS_CA_BUNDLE={bundle}",
    ]


def _load(
    cert_file: Path, key_file: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """A certificate and its key, or None when either is missing or they do not match."""
    if not cert_file.exists() or not key_file.exists():
        return None
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except ValueError as exc:
        raise ConfigurationError(
            f"{cert_file} or {key_file} is not a PEM certificate and key: delete both to "
            "have them created again."
        ) from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.public_key() != key.public_key():
        return None
    return cert, key


def _still_good(leaf: x509.Certificate, ca: x509.Certificate, now: dt.datetime) -> bool:
    """Issued by this authority, far from its end, and naming every development host."""
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    if leaf.not_valid_after_utc - now < _RENEW_BEFORE:
        return False
    names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return set(_names()) <= set(names)


def _names() -> list[_Name]:
    return [
        x509.IPAddress(ipaddress.ip_address(host))
        if host[0].isdigit() or ":" in host
        else x509.DNSName(host)
        for host in DEV_HOSTS
    ]


def _new_authority(now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    owner = f"{getpass.getuser()}@{socket.gethostname()}"
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Threshold development CA"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"Threshold development CA {owner}"[:64]),
        ]
    )
    permitted: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.NameConstraints(permitted, None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, hashes.SHA256()), key


def _new_server_certificate(
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_names()), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
    )
    return builder.sign(ca_key, hashes.SHA256()), key


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_roots() -> bytes:
    """The public roots httpx trusts by default, so the bundle adds to them."""
    import certifi

    return Path(certifi.where()).read_bytes().rstrip(b"\n") + b"\n"


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write through a temporary file and rename, so a reader never sees half a file;
    private files are created 0600, never readable by others even for an instant."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    tmp.replace(path)
