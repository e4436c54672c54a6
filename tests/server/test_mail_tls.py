"""Outbound SMTP checks the server's certificate (docs/security.md, checklist item 66).

A real aiosmtpd server offers STARTTLS or implicit TLS with a self-signed certificate
made here. Threshold, configured as an operator would (``THRESHOLD_SMTP_TLS``), refuses
to hand it a code: the sign-up still answers, the failure is logged as a certificate
error, and nothing is delivered. With the certificate in the trust store (the
``SSL_CERT_FILE`` that OpenSSL reads), the same server gets the mail.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import ssl
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.browser import FapiBrowser
from tests.support import run_live_server, smtp_server


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "threshold test smtp")])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _failures(caplog: pytest.LogCaptureFixture, count: int) -> list[logging.LogRecord]:
    """Wait for ``count`` logged delivery failures (mail is sent after the response)."""
    deadline = time.monotonic() + 10
    while True:
        found = [r for r in caplog.records if r.name == "threshold.mail" and r.exc_info]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def _cause_chain(error: BaseException | None) -> list[BaseException]:
    chain: list[BaseException] = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain


@pytest.mark.parametrize("mode", ["starttls", "tls"])
def test_smtp_with_an_untrusted_certificate_fails(
    mode: str,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cert_file, key_file = certificate
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert_file, key_file)
    offered = (
        {"ssl_context": server_tls}
        if mode == "tls"
        else {"tls_context": server_tls, "require_starttls": True}
    )
    caplog.set_level(logging.ERROR, logger="threshold.mail")
    with (
        smtp_server(**offered) as box,
        run_live_server(
            tmp_path, smtp_host="127.0.0.1", smtp_port=box.port, smtp_tls=mode
        ) as server,
    ):
        browser = FapiBrowser(server)
        address = f"{mode}@example.com"
        sua = browser.ok("POST", "/v1/client/sign_ups", email_address=address)["response"]["id"]
        prepare = f"/v1/client/sign_ups/{sua}/prepare_verification"
        browser.ok("POST", prepare, strategy="email_code")

        failures = _failures(caplog, 1)
        assert len(failures) == 1, caplog.text
        exc_info = failures[0].exc_info
        assert exc_info is not None
        chain = _cause_chain(exc_info[1])
        assert any(isinstance(e, ssl.SSLCertVerificationError) for e in chain), chain
        assert box.messages == []

        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        browser.ok("POST", prepare, strategy="email_code")
        assert box.wait_for(address)["Subject"]
        assert len(box.messages) == 1
        assert len(_failures(caplog, 1)) == 1
        browser.close()
