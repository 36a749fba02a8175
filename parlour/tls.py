"""HTTPS for `parlour serve`: a self-signed certificate made once, or the operator's own files."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from parlour.configfile import atomic_write
from parlour.settings import Settings, TlsMode

CERT_NAME = "parlour-selfsigned.crt"
KEY_NAME = "parlour-selfsigned.key"
VALIDITY = datetime.timedelta(days=365)
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _general_names(hostnames: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys([*hostnames, *LOOPBACK]):  # ordered, without repeats
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            names.append(x509.DNSName(host.rstrip(".")))
            continue
        # 0.0.0.0 and :: mean "every interface" when listening; no browser connects to them.
        if not address.is_unspecified:
            names.append(x509.IPAddress(address))
    return names


def _subject(names: list[x509.GeneralName]) -> x509.Name:
    """The first name people open, and nothing that says what software runs here."""
    first = names[0].value
    text = first if isinstance(first, str) else str(first)
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _still_good(cert_path: Path, names: list[x509.GeneralName]) -> bool:
    """Reuse a certificate only while it is valid, still covers every name asked for, and has
    the subject this version writes (older ones named Parlour there)."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        covered = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False  # damaged or not ours: make a fresh one
    if cert.not_valid_after_utc <= datetime.datetime.now(datetime.UTC):
        return False
    if cert.subject != _subject(names):
        return False
    return all(name in covered for name in names)


def ensure_self_signed(folder: Path, hostnames: list[str]) -> tuple[Path, Path]:
    """(certificate, key) in `folder`, made on first use and reused afterwards.

    Reuse matters: browsers remember the exception a person granted for this certificate.
    """
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    names = _general_names(hostnames)
    if cert_path.exists() and key_path.exists() and _still_good(cert_path, names):
        return cert_path, key_path
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _subject(names)
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate a slow client clock
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    atomic_write(key_path, key_pem)  # 0600 from its first byte
    atomic_write(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def fingerprint(cert_path: Path) -> str:
    """SHA-256 of the certificate as colon hex, what browsers show for comparison."""
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def certificate_files(settings: Settings) -> tuple[Path, Path] | None:
    """The certificate and key to serve, generated first in self-signed mode; None without TLS."""
    tls = settings.tls
    if tls.mode == TlsMode.OFF:
        return None
    if tls.mode == TlsMode.SELF_SIGNED:
        # The host people open (public_url's, or this machine's name) first: it names the subject.
        return ensure_self_signed(settings.source.parent, [settings.public_host(), settings.host])
    if tls.certificate is None or tls.key is None:
        raise ValueError('tls mode "files" needs both certificate and key')
    return tls.certificate, tls.key


def ssl_context(files: tuple[Path, Path]) -> ssl.SSLContext:
    """A TLS 1.2+ server context for a certificate chain and its key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(*files)
    return context
