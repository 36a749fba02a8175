"""Real nginx and Caddy in front of Parlour, run from the configurations docs/examples ships.

Each proxy serves a little "existing site" at / and Parlour in a hidden sub-path of it, over
HTTPS with a certificate made here for the shipped files' own name, call.example.org (clients
map that name to 127.0.0.1). The shipped files are rendered with only their marked
placeholders replaced (ports, paths, the certificate), plus what a test run needs around them:
nginx's main file with its paths in the test's folder, and Caddy's global options (no admin
API, no certificate authority, this run's ports).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import STARTUP_TIMEOUT, scaled

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES: Final = ROOT / "docs" / "examples"
NGINX_CONF: Final = EXAMPLES / "nginx" / "parlour.conf"
CADDYFILE: Final = EXAMPLES / "caddy" / "Caddyfile"
DEPLOYMENT: Final = ROOT / "docs" / "deployment.md"
# How docs/deployment.md holds a shipped file: its path in a marker, then the whole file, verbatim.
FILE_BLOCK: Final = re.compile(
    r"<!-- file: (\S+) -->\n```[\w-]*\n(.*?)```\n<!-- end of file -->\n", re.S
)

# The placeholders the shipped files mark, as they are written there.
SITE_NAME: Final = "call.example.org"
BASE_PATH: Final = "/family/nH1Kvk0seXnL_er-o2rhzg"
UPSTREAM: Final = "127.0.0.1:8080"
SITE_ROOT: Final = "/var/www/html"
LETSENCRYPT: Final = f"/etc/letsencrypt/live/{SITE_NAME}"

# The existing site's one page, and the folder the hidden path sits in.
SITE_PAGE: Final = "<!doctype html><title>The Smiths</title><p>Family pages.</p>\n"
SITE_FOLDER: Final = "/family"


@dataclass(frozen=True)
class Certificate:
    certificate: Path
    key: Path

    @property
    def spki_flag(self) -> str:
        """Chromium's flag that accepts this certificate's key from any server, and nothing else."""
        loaded = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        spki = loaded.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")
        return f"--ignore-certificate-errors-spki-list={digest}"


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for SITE_NAME, valid for a day."""
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SITE_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(SITE_NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    made = Certificate(folder / "site.crt", folder / "site.key")
    made.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    made.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return made


def documented(path: Path) -> list[str]:
    """The texts docs/deployment.md gives as the file at `path`, in the order they appear."""
    name = str(path.relative_to(ROOT))
    return [text for found, text in FILE_BLOCK.findall(DEPLOYMENT.read_text()) if found == name]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(text: str, replacements: Sequence[tuple[str, str]]) -> str:
    """`text` with each placeholder replaced; a placeholder the file no longer has is an error,
    so the tests cannot go on passing against a file that changed under them."""
    for placeholder, value in replacements:
        assert placeholder in text, f"the shipped file no longer has {placeholder!r}"
        text = text.replace(placeholder, value)
    return text


@dataclass(frozen=True)
class Proxy:
    """A running proxy: its HTTPS port, and where Parlour lives behind it."""

    kind: str
    port: int
    base_path: str
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"https://{SITE_NAME}:{self.port}"

    @property
    def url(self) -> str:
        """Parlour's page, as people open it through the proxy."""
        return f"{self.origin}{self.base_path}/"


def existing_site(folder: Path) -> Path:
    """The site the proxy served before Parlour: a page at /, and nothing in SITE_FOLDER."""
    root = folder / "site"
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(SITE_PAGE)
    return root


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    """Neither proxy says when it listens; try the port until it answers, or the proxy exits."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the proxy exited with {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the proxy did not listen on {port}: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def _running(
    command: list[str], folder: Path, port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    log = folder / "proxy.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_listening(process, port, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(scaled(10.0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def nginx_config(
    folder: Path, certificate: Certificate, port: int, parlour_port: int, base_path: str
) -> Path:
    """The shipped server blocks with this run's values, in a main file that keeps nginx's
    pid, logs and temporary files in `folder`."""
    root = existing_site(folder)
    site = render(
        NGINX_CONF.read_text(),
        [
            ("    listen [::]:80;\n", ""),
            ("    listen [::]:443 ssl http2;\n", ""),
            ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;"),
            (f"{LETSENCRYPT}/fullchain.pem", str(certificate.certificate)),
            (f"{LETSENCRYPT}/privkey.pem", str(certificate.key)),
            (BASE_PATH, base_path),
            (UPSTREAM, f"127.0.0.1:{parlour_port}"),
            (SITE_ROOT, str(root)),
        ],
    )
    (folder / "parlour.conf").write_text(site)
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    main = f"""
daemon off;
# pytest's folders are root's alone; workers as nobody could read neither the site nor them.
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {folder}/parlour.conf;
}}
"""
    path = folder / "nginx.conf"
    path.write_text(main)
    return path


def caddy_config(
    folder: Path, certificate: Certificate, port: int, parlour_port: int, base_path: str
) -> Path:
    """The shipped Caddyfile with this run's values, under global options that keep Caddy
    off the internet: no admin API, no certificate authority, the test's certificate."""
    root = existing_site(folder)
    site = render(
        CADDYFILE.read_text(),
        [
            (
                f"{SITE_NAME} {{\n",
                f"{SITE_NAME} {{\n\ttls {certificate.certificate} {certificate.key}\n",
            ),
            (BASE_PATH, base_path),
            (UPSTREAM, f"127.0.0.1:{parlour_port}"),
            (SITE_ROOT, str(root)),
        ],
    )
    options = f"""{{
	admin off
	auto_https disable_redirects
	default_bind 127.0.0.1
	http_port {free_port()}
	https_port {port}
	storage file_system {folder / "data"}
}}

"""
    path = folder / "Caddyfile"
    path.write_text(options + site)
    return path


@contextmanager
def nginx(
    folder: Path, certificate: Certificate, parlour_port: int, base_path: str
) -> Iterator[Proxy]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = nginx_config(folder, certificate, port, parlour_port, base_path)
    command = [
        _program("nginx"),
        "-p",
        str(folder),
        "-c",
        str(config),
        "-e",
        str(folder / "error.log"),
    ]
    with _running(command, folder, port) as process:
        yield Proxy("nginx", port, base_path, folder, process)


@contextmanager
def caddy(
    folder: Path, certificate: Certificate, parlour_port: int, base_path: str
) -> Iterator[Proxy]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = caddy_config(folder, certificate, port, parlour_port, base_path)
    # Caddy keeps state under HOME / XDG folders: the test's, not the machine's.
    env = {
        "PATH": "/usr/sbin:/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
    }
    command = [_program("caddy"), "run", "--config", str(config), "--adapter", "caddyfile"]
    with _running(command, folder, port, env) as process:
        yield Proxy("caddy", port, base_path, folder, process)


def _program(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        raise AssertionError(f"{name} is missing: install Debian's {name} (scripts/test does)")
    return found


PROXIES: Final = {"nginx": nginx, "caddy": caddy}
