"""The validated, frozen settings the server runs on. config.py builds them from parlour.toml."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from parlour.keys import normalize_passphrase

DEFAULT_MAX_MEMBERS = 8
DEFAULT_UPLOAD_KBPS = 2500

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything `parlour serve` needs; paths are absolute (resolved against the config file)."""

    source: Path
    salt: bytes
    base_path: str
    admin_path: str
    host: str = "127.0.0.1"
    port: int = 8080
    trusted_proxies: tuple[IpNetwork, ...] = ()
    tls: Tls = field(default_factory=Tls)
    open_rooms: bool = False
    max_members: int = DEFAULT_MAX_MEMBERS
    rooms: tuple[Room, ...] = ()
    upload_kbps: int = DEFAULT_UPLOAD_KBPS
    stun_servers: tuple[str, ...] = ()

    def prefix(self) -> str:
        """base_path with no trailing slash ("" when the server lives at the root)."""
        return self.base_path.rstrip("/")

    def page_url(self, port: int | None = None) -> str:
        """The room page's address as configured (`port` overrides, once a free one is bound)."""
        scheme = "http" if self.tls.mode is TlsMode.OFF else "https"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{port or self.port}{self.prefix()}/"

    def join_link(self, passphrase: str, port: int | None = None) -> str:
        """The page's address with the passphrase after "#", which browsers never send."""
        return self.page_url(port) + "#" + quote(normalize_passphrase(passphrase), safe="")
