"""The validated, frozen settings the server runs on. config.py builds them from parlour.toml."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote, urlsplit

from parlour.keys import normalize_passphrase

DEFAULT_MAX_MEMBERS = 8
DEFAULT_UPLOAD_KBPS = 2500

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def unspecified(host: str) -> bool:
    """0.0.0.0 or :: (in any spelling): every interface, an address nobody can open a page at."""
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False  # a host name


class TlsMode(StrEnum):
    OFF = "off"
    SELF_SIGNED = "self-signed"
    FILES = "files"


@dataclass(frozen=True, slots=True)
class Tls:
    mode: TlsMode = TlsMode.OFF
    certificate: Path | None = None
    key: Path | None = None


@dataclass(frozen=True, slots=True)
class Room:
    name: str
    verifier: bytes
    max_members: int = DEFAULT_MAX_MEMBERS
    relay_only: bool = False  # members reach each other only through TURN, never directly


DEFAULT_TURN_LIFETIME = 3600


@dataclass(frozen=True, slots=True)
class Turn:
    """A coturn server sharing `secret` (its static-auth-secret) with Parlour: see docs/turn.md."""

    urls: tuple[str, ...]
    secret: str = field(repr=False)  # never in a log line, not even by accident
    lifetime: int = DEFAULT_TURN_LIFETIME  # seconds a page's credentials last


@dataclass(frozen=True, slots=True)
class Policy:
    """What the signalling core decides on, and nothing more: where and how the server listens
    (host, port, TLS, paths, proxies) is the web layer's and the server's business, not its.
    """

    salt: bytes
    rooms: tuple[Room, ...] = ()
    open_rooms: bool = False
    max_members: int = DEFAULT_MAX_MEMBERS
    upload_kbps: int = DEFAULT_UPLOAD_KBPS
    ticket_key: bytes | None = None  # None: an old file; locks do not outlive the process


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `parlour serve` needs; paths are absolute (resolved against the config file)."""

    source: Path
    salt: bytes
    base_path: str
    admin_path: str
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None  # an origin with no trailing slash, e.g. "https://x.org:8443"
    trusted_proxies: tuple[IpNetwork, ...] = ()
    tls: Tls = field(default_factory=Tls)
    open_rooms: bool = False
    max_members: int = DEFAULT_MAX_MEMBERS
    rooms: tuple[Room, ...] = ()
    upload_kbps: int = DEFAULT_UPLOAD_KBPS
    stun_servers: tuple[str, ...] = ()
    ticket_key: bytes | None = None  # None: an old file; locks do not outlive the process
    turn: Turn | None = None
    stun_enabled: bool = True  # Parlour's own STUN responder (stun.py)
    stun_port: int | None = None  # None: the same number as the web port

    def policy(self) -> Policy:
        """The part of these settings the signalling core runs on (Hub.apply takes it)."""
        return Policy(
            salt=self.salt,
            rooms=self.rooms,
            open_rooms=self.open_rooms,
            max_members=self.max_members,
            upload_kbps=self.upload_kbps,
            ticket_key=self.ticket_key,
        )

    def prefix(self) -> str:
        """base_path with no trailing slash ("" when the server lives at the root)."""
        return self.base_path.rstrip("/")

    def _url(self, host: str, port: int) -> str:
        scheme = "http" if self.tls.mode is TlsMode.OFF else "https"
        host = f"[{host}]" if ":" in host else host
        return f"{scheme}://{host}:{port}{self.prefix()}/"

    def listen_url(self, port: int | None = None) -> str:
        """The page at the address the server listens on (`port` overrides, once one is bound)."""
        return self._url(self.host, port or self.port)

    def public_host(self) -> str:
        """The host people open the page at: public_url's, or else the one listened on.

        Nobody can open http://0.0.0.0/; for every interface this machine's name is the best
        guess at hand.
        """
        if self.public_url is not None:
            return urlsplit(self.public_url).hostname or self.host
        return socket.gethostname() if unspecified(self.host) else self.host

    def page_url(self, port: int | None = None) -> str:
        """The room page's address as people open it, for printed links.

        Only what is printed depends on this: the page itself uses relative URLs.
        """
        if self.public_url is not None:
            return f"{self.public_url}{self.prefix()}/"
        return self._url(self.public_host(), port or self.port)

    def join_link(self, passphrase: str, port: int | None = None) -> str:
        """The page's address with the passphrase after "#", which browsers never send."""
        return self.page_url(port) + "#" + quote(normalize_passphrase(passphrase), safe="")

    def link_caveat(self) -> str:
        """What to print under a link that names this machine only for want of public_url."""
        if self.public_url is not None or not unspecified(self.host):
            return ""
        return (
            f"{socket.gethostname()} is this machine's name; if people reach it by another "
            f"address, set server.public_url in {self.source}."
        )
