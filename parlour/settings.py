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


@dataclass(frozen=True, slots=True)
class Host:
    """Someone who receives visitors at the front door, from the secret page only they know.

    Names in `contacts` and `permitted` are kept folded (names.fold: case, accents and spacing
    do not count), as visitors' typed names are compared with them.
    """

    name: str  # the [hosts.NAME] table's name: shown on the host's own page, never to visitors
    verifier: bytes  # SHA-256 of the page's secret path segment; the segment itself is not kept
    contacts: tuple[str, ...]  # what a visitor types in "Who would you like to reach?"
    permitted: tuple[str, ...] = ()  # visitors' names the host expects, and may call
    only_permitted: bool = False  # visitors not on `permitted` are not even shown (still audited)
    super: bool = False  # also sees the audit of attempts that went wrong
    relay_only: bool = False  # calls go only through the TURN relay (privacy mode)


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
    hosts: tuple[Host, ...] = ()
    # ISO 3166-1 alpha-2 codes a visitor's address must be in to reach a host; empty: anywhere.
    countries: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `parlour serve` needs; paths are absolute (resolved against the config file)."""

    source: Path
    salt: bytes
    base_path: str
    admin_path: str = ""  # obsolete (secrets.admin_path): read from old files, used by nothing
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
    stun_host: str | None = None  # None: server.host
    stun_port: int | None = None  # None: the same number as the web port
    hosts: tuple[Host, ...] = ()
    countries: frozenset[str] = frozenset()
    geoip_database: Path | None = None  # a MaxMind DB country database (geo.py)
    # None: the audit is kept in memory only (audit.py); config.py always gives a file, by
    # default parlour-audit.sqlite next to parlour.toml.
    audit_database: Path | None = None
    audit_retention_days: int = 90
    audit_max_rows: int = 100_000

    def policy(self) -> Policy:
        """The part of these settings the signalling core runs on (Hub.apply takes it)."""
        return Policy(
            salt=self.salt,
            rooms=self.rooms,
            open_rooms=self.open_rooms,
            max_members=self.max_members,
            upload_kbps=self.upload_kbps,
            ticket_key=self.ticket_key,
            hosts=self.hosts,
            countries=self.countries,
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
        return self._reached_at(self.host)

    def stun_listens_at(self) -> str:
        """The STUN responder's address: its own, or else the web port's."""
        return self.stun_host if self.stun_host is not None else self.host

    def stun_host_public(self) -> str:
        """The host browsers send STUN requests to, as public_host() for the responder."""
        return self._reached_at(self.stun_listens_at())

    def _reached_at(self, listening: str) -> str:
        if self.public_url is not None:
            return urlsplit(self.public_url).hostname or listening
        return socket.gethostname() if unspecified(listening) else listening

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
