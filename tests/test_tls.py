"""tls.py: the self-signed certificate is made once and reused, and contexts really serve TLS."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
import stat
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from parlour import tls
from parlour.settings import Settings, Tls, TlsMode


def settings(
    folder: Path, mode: TlsMode, cert: Path | None = None, key: Path | None = None
) -> Settings:
    return Settings(
        source=folder / "parlour.toml",
        salt=bytes(32),
        base_path="/",
        admin_path="A" * 22,
        tls=Tls(mode, cert, key),
    )


def alt_names(cert_path: Path) -> list[object]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [*san.get_values_for_type(x509.DNSName), *san.get_values_for_type(x509.IPAddress)]


def test_self_signed_is_made_once_then_reused(tmp_path: Path) -> None:
    cert, key = tls.ensure_self_signed(tmp_path, ["call.example.org"])
    assert (cert.name, key.name) == ("parlour-selfsigned.crt", "parlour-selfsigned.key")
    first = tls.fingerprint(cert)
    assert tls.ensure_self_signed(tmp_path, ["call.example.org"]) == (cert, key)
    assert tls.fingerprint(cert) == first


def test_self_signed_key_is_private(tmp_path: Path) -> None:
    _, key = tls.ensure_self_signed(tmp_path, ["localhost"])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_self_signed_names_the_hosts_and_loopback(tmp_path: Path) -> None:
    cert, _ = tls.ensure_self_signed(tmp_path, ["call.example.org", "192.0.2.7", "0.0.0.0"])
    assert alt_names(cert) == [
        "call.example.org",
        "localhost",
        ipaddress.ip_address("192.0.2.7"),
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    ]  # 0.0.0.0 means "every interface" and names no address a browser could use


def test_self_signed_is_remade_for_a_new_host(tmp_path: Path) -> None:
    cert, _ = tls.ensure_self_signed(tmp_path, ["old.example.org"])
    first = tls.fingerprint(cert)
    tls.ensure_self_signed(tmp_path, ["new.example.org"])
    assert tls.fingerprint(cert) != first
    assert "new.example.org" in alt_names(cert)


def test_self_signed_is_valid_for_about_a_year(tmp_path: Path) -> None:
    cert_path, _ = tls.ensure_self_signed(tmp_path, [])
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 360 <= lifetime.days <= 370


def test_fingerprint_is_sha256_colon_hex(tmp_path: Path) -> None:
    cert_path, _ = tls.ensure_self_signed(tmp_path, [])
    printed = tls.fingerprint(cert_path)
    assert re.fullmatch(r"[0-9A-F]{2}(:[0-9A-F]{2}){31}", printed)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    assert printed.replace(":", "").lower() == cert.fingerprint(hashes.SHA256()).hex()


def test_self_signed_names_the_public_host_people_open(tmp_path: Path) -> None:
    """A browser checks the name it was given: public_url's host, or this machine's name."""
    behind = settings(tmp_path, TlsMode.SELF_SIGNED)
    files = tls.certificate_files(replace(behind, public_url="https://call.example.org:8443"))
    assert files is not None
    assert "call.example.org" in alt_names(files[0])
    files = tls.certificate_files(replace(behind, host="0.0.0.0"))
    assert files is not None
    assert socket.gethostname() in alt_names(files[0])


def test_self_signed_subject_is_the_host_and_names_no_software(tmp_path: Path) -> None:
    """Subject and issuer are the host people open; nothing says Parlour runs here."""
    behind = settings(tmp_path, TlsMode.SELF_SIGNED)
    files = tls.certificate_files(replace(behind, public_url="https://call.example.org"))
    assert files is not None
    cert = x509.load_pem_x509_certificate(files[0].read_bytes())
    assert cert.subject.rfc4514_string() == "CN=call.example.org"
    assert cert.issuer == cert.subject
    assert "parlour" not in cert.public_bytes(serialization.Encoding.DER).decode("latin-1").lower()


def test_a_certificate_with_an_old_subject_is_remade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A certificate from before (CN=Parlour (self-signed)) is replaced, not reused."""
    old = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parlour (self-signed)")])
    with monkeypatch.context() as patch:
        patch.setattr(tls, "_subject", lambda names: old)
        cert, _ = tls.ensure_self_signed(tmp_path, ["call.example.org"])
    first = tls.fingerprint(cert)
    tls.ensure_self_signed(tmp_path, ["call.example.org"])
    assert tls.fingerprint(cert) != first
    subject = x509.load_pem_x509_certificate(cert.read_bytes()).subject
    assert subject.rfc4514_string() == "CN=call.example.org"


def test_no_certificate_without_tls(tmp_path: Path) -> None:
    assert tls.certificate_files(settings(tmp_path, TlsMode.OFF)) is None
    assert list(tmp_path.iterdir()) == []


def test_files_mode_needs_both_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="needs both certificate and key"):
        tls.certificate_files(settings(tmp_path, TlsMode.FILES, cert=tmp_path / "c.pem"))


async def handshake(context: ssl.SSLContext, trusted: Path) -> str | None:
    """Serve one TLS connection on loopback; return the version the client negotiated."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    client = ssl.create_default_context(cafile=trusted)
    async with server:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=client, server_hostname="localhost"
        )
        version: str | None = writer.get_extra_info("ssl_object").version()
        writer.close()
        await writer.wait_closed()
    return version


async def test_self_signed_context_serves_tls_for_localhost(tmp_path: Path) -> None:
    files = tls.certificate_files(settings(tmp_path, TlsMode.SELF_SIGNED))
    assert files is not None
    context = tls.ssl_context(files)
    assert context.minimum_version is ssl.TLSVersion.TLSv1_2
    assert await handshake(context, tmp_path / "parlour-selfsigned.crt") in {"TLSv1.2", "TLSv1.3"}


async def test_files_context_serves_the_given_certificate(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    cert, key = tls.ensure_self_signed(tmp_path / "certs", ["localhost"])
    files = tls.certificate_files(settings(tmp_path, TlsMode.FILES, cert=cert, key=key))
    assert files == (cert, key)
    context = tls.ssl_context(files)
    assert await handshake(context, cert) is not None
