"""Every key of parlour.toml, described once: its type, check, default, doc and example.

Adding a key starts here: a KeySpec and its place in KEYS, then a field in settings.Settings,
its line in config._Reader.settings, and a row in docs/configuration.md (a test fails when a
key is missing there). The check, the messages, the commented file that `parlour init`
writes and the suggestions for a misspelt key all follow from the KeySpec.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from parlour import keys, names, tickets
from parlour.settings import (
    DEFAULT_MAX_MEMBERS,
    DEFAULT_TURN_LIFETIME,
    DEFAULT_UPLOAD_KBPS,
    IpNetwork,
    TlsMode,
    unspecified,
)

T = TypeVar("T")

ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
HOST_NAME = ROOM_NAME  # [hosts.NAME] tables are named like rooms
MAX_CONTACTS = 16
MAX_PERMITTED = 500
DEFAULT_AUDIT_FILE = "parlour-audit.sqlite"  # next to the config file, like the TLS files
MIN_MEMBERS = 2
MIN_ADMIN_PATH_CHARS = 22  # 16 random bytes in base64url
DOCS = "docs/configuration.md"


class Invalid(Exception):
    """Raised by a converter; `detail` adds to the key's requirement when it alone is too vague."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class KeySpec(Generic[T]):
    name: str  # dotted; NAME stands for any room's or host's name
    expects: str  # completes "must be ..."
    convert: Callable[[object], T]
    default: T  # for required keys only a placeholder: a missing one stops the load
    doc: str
    example: str | Callable[[], str]  # TOML value text; a callable makes a fresh secret
    required: bool = False
    fix: str = ""  # replaces "leaf = example" where typing a value cannot fix it
    secret: bool = False  # a problem never quotes its value (logs outlive the file's privacy)
    obsolete: bool = False  # still read, so old files load, but never written into a new one

    @property
    def section(self) -> str:
        return self.name.rpartition(".")[0]

    @property
    def leaf(self) -> str:
        return self.name.rpartition(".")[2]

    def example_text(self) -> str:
        return self.example() if callable(self.example) else self.example

    def fix_for(self, key: str, *, missing: bool = False) -> str:
        if self.fix:
            table = key.split(".")[1] if key.startswith(("rooms.", "hosts.")) else ""
            return self.fix.format(room=table, host=table)
        # A fresh secret is never part of the fix itself: the server logs fixes (a refused
        # reload), and a log is no place for one. `parlour check` adds it (Problem.fresh).
        fresh = callable(self.example)
        line = f'{self.leaf} = "…"' if fresh else f"{self.leaf} = {self.example_text()}"
        if missing:
            line = f"add under [{key.rpartition('.')[0]}]: {line}"
        if fresh:
            return (
                f"{line} (a fresh random value; `parlour check` prints one), "
                "or run `parlour init` for a whole new file"
            )
        return line

    def fresh_line(self) -> str:
        return f"{self.leaf} = {self.example_text()}" if callable(self.example) else ""

    def shown(self, value: object) -> str:
        """The value as a problem may quote it: what was written, or for a secret its size."""
        if not self.secret:
            return show(value)
        if isinstance(value, str):
            return f"a text of {len(value)} characters (not shown: it is a secret)"
        return "something other than text (not shown: it is a secret)"


MAX_SHOWN_ENTRIES = 8  # a list of 500 permitted names is not quoted back whole


def _escaped(char: str) -> str:
    # A control or bidi character is shown as the escape that writes it in TOML: printed raw,
    # it would act on the operator's terminal (a bidi override reverses the rest of the line).
    return f"\\u{ord(char):04X}" if names.hidden(char) else char


def show(value: object) -> str:
    """A value as it would look in the file, so a message quotes what the operator wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + "".join(map(_escaped, text)) + '"'
    if isinstance(value, list):
        if len(value) > MAX_SHOWN_ENTRIES:
            return f"a list of {len(value)} entries"
        return "[" + ", ".join(map(show, value)) + "]"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return repr(value)


# Converters: take what tomllib produced, return the typed value or raise Invalid.


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise Invalid()
    return value


def _whole(low: int, high: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        # bool is a subclass of int in Python, but `port = true` is a mistake, not port 1.
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid()
        return value

    return convert


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid()
    return value


_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?")


def _host(value: object) -> str:
    host = _text(value)
    if host.startswith("["):
        raise Invalid("write an IPv6 address without brackets")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOSTNAME.fullmatch(host):
            raise Invalid() from None
    return host


_AUTHORITY = re.compile(r"(?:\[(?P<ipv6>[^\]]*)\]|(?P<host>[^:\[\]]*))(?::(?P<port>[0-9]{1,5}))?")


def _public_url(value: object) -> str:
    # Checked piece by piece, not with urlsplit: that accepts what no browser opens (no host,
    # an IPv6 address without brackets, a space in the host) and drops a bare "?" or "#".
    url = _text(value)
    scheme, colon_slashes, rest = url.partition("://")
    if not colon_slashes or scheme.lower() not in ("http", "https"):
        raise Invalid('it must start with "https://" or "http://"')
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if rest[len(authority) :] not in ("", "/"):
        raise Invalid("leave out everything after the host and port; base_path adds the path")
    if "@" in authority:
        raise Invalid("leave out the user name")
    parts = _AUTHORITY.fullmatch(authority)
    if parts is None:
        raise Invalid("write an IPv6 address in brackets" if authority.count(":") > 1 else "")
    if parts["ipv6"] is not None:
        try:
            host = str(ipaddress.IPv6Address(parts["ipv6"]))
        except ValueError:
            raise Invalid() from None
    else:
        host = _host(parts["host"])
    if unspecified(host):
        raise Invalid(f"nobody can open {host}; give the name or address people reach")
    if parts["port"] is not None and not 1 <= int(parts["port"]) <= 65535:
        raise Invalid("the port must be from 1 to 65535")
    return f"{scheme.lower()}://{authority}"


def _base_path(value: object) -> str:
    path = _text(value)
    if path == "/":
        return path
    if not path.startswith("/"):
        raise Invalid("it must start with /")
    if path.endswith("/"):
        raise Invalid("leave off the trailing /")
    if not re.fullmatch(r"[A-Za-z0-9_/-]+", path):
        raise Invalid("only A-Z a-z 0-9 _ - and / are allowed")
    if "//" in path:
        raise Invalid("it has an empty segment (//)")
    return path


def _proxies(value: object) -> tuple[IpNetwork, ...]:
    if not isinstance(value, list):
        raise Invalid()
    networks = []
    for entry in value:
        try:
            networks.append(ipaddress.ip_network(_text(entry), strict=False))
        except (Invalid, ValueError):
            raise Invalid(f"{show(entry)} is not an IP address or network") from None
    return tuple(networks)


_STUN_URL = re.compile(
    r"stuns?:[A-Za-z0-9.-]+(:[0-9]{1,5})?|stuns?:\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?"
)


def _stun_urls(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid()
    for entry in value:
        if not isinstance(entry, str) or not _STUN_URL.fullmatch(entry):
            raise Invalid(f'{show(entry)} is not a STUN URL like "stun:stun.example.org:3478"')
    return tuple(value)


_TURN_URL = re.compile(
    r"(?:turn:|turns:)(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:\?transport=(udp|tcp))?"
)


def _turn_urls(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise Invalid()
    for entry in value:
        found = _TURN_URL.fullmatch(entry) if isinstance(entry, str) else None
        if found is None:
            raise Invalid(f'{show(entry)} is not a TURN URL like "turn:turn.example.org:3478"')
        if entry.startswith("turns:") and found.group(1) == "udp":
            raise Invalid(f"{show(entry)}: browsers speak turns: over TCP only")
    return tuple(value)


MIN_TURN_SECRET_CHARS = 16


def _turn_secret(value: object) -> str:
    secret = _text(value)
    # It goes into turnserver.conf as static-auth-secret=…, where a space or a quote would be
    # read differently than here.
    if not re.fullmatch(r"[A-Za-z0-9._~+/=-]*", secret):
        raise Invalid("use only letters, digits and - _ . ~ + / =")
    if len(secret) < MIN_TURN_SECRET_CHARS:
        raise Invalid(f"it is only {len(secret)} characters")
    return secret


def _tls_mode(value: object) -> TlsMode:
    try:
        return TlsMode(_text(value))
    except ValueError:
        raise Invalid() from None


def _file(value: object) -> Path | None:
    text = _text(value)
    if not text:
        raise Invalid("it is empty")
    return Path(text).expanduser()


def _random_bytes(size: int) -> Callable[[object], bytes]:
    def convert(value: object) -> bytes:
        try:
            data = keys.unb64url(_text(value))
        except ValueError:
            raise Invalid("it is not unpadded base64url") from None
        if len(data) != size:
            raise Invalid(f"it decodes to {len(data)} bytes")
        return data

    return convert


def _path_secret(value: object) -> str:
    secret = _text(value)
    if not re.fullmatch(r"[A-Za-z0-9_-]*", secret):
        raise Invalid("only A-Z a-z 0-9 _ - are allowed")
    if len(secret) < MIN_ADMIN_PATH_CHARS:
        raise Invalid(f"it is only {len(secret)} characters")
    return secret


def _names(fewest: int, most: int) -> Callable[[object], tuple[str, ...]]:
    """A list of people's names, returned folded (names.fold), as visitors' are compared.

    Refused rather than cleaned: a control character in the file is a mistake to show, not to
    hide, and a name longer than a visitor can type would never match.
    """

    def convert(value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Invalid()
        if not fewest <= len(value) <= most:
            raise Invalid(f"it has {len(value)}")
        folded: list[str] = []
        for entry in value:
            if not isinstance(entry, str):
                raise Invalid(f"{show(entry)} is not text")
            if any(map(names.hidden, entry)):
                raise Invalid(f"{show(entry)} has a control character")
            spaced = " ".join(entry.split())
            if not 1 <= len(spaced) <= names.MAX_CHARS:
                raise Invalid(f"{show(entry)} has {len(spaced)} characters, besides spaces")
            key = names.fold(spaced)
            if not key:
                raise Invalid(f"{show(entry)} is nothing once accents are set aside")
            if key not in folded:  # "Zoë" and "zoe" are one name, kept once
                folded.append(key)
        return tuple(folded)

    return convert


_COUNTRY = re.compile(r"[A-Z]{2}")


def _countries(value: object) -> frozenset[str]:
    if not isinstance(value, list):
        raise Invalid()
    codes = set()
    for entry in value:
        code = entry.upper() if isinstance(entry, str) else None
        if code == "UK":
            raise Invalid('the United Kingdom\'s code is "GB"')
        if code is None or not _COUNTRY.fullmatch(code):
            raise Invalid(f"{show(entry)} is not a two-letter country code")
        codes.add(code)
    return frozenset(codes)


def _fresh_base_path() -> str:
    return show("/" + keys.generate_path_secret())


def _fresh_salt() -> str:
    return show(keys.b64url(keys.generate_salt()))


def _fresh_admin_path() -> str:
    return show(keys.generate_path_secret())


def _fresh_ticket_key() -> str:
    return show(keys.b64url(tickets.generate_key()))


def _fresh_turn_secret() -> str:
    return show(keys.b64url(os.urandom(32)))


_MEMBERS = f"a whole number from {MIN_MEMBERS} to {DEFAULT_MAX_MEMBERS}"
READD = "run `parlour room remove {room}`, then `parlour room add {room}` for a new passphrase"

HOST = KeySpec(
    name="server.host",
    expects="an IP address or host name",
    convert=_host,
    default="127.0.0.1",
    doc="Address to listen on; 0.0.0.0 or :: listens on every interface",
    example='"127.0.0.1"',
)
PORT = KeySpec(
    name="server.port",
    expects="a whole number from 0 to 65535",
    convert=_whole(0, 65535),
    default=8080,
    doc="TCP port to listen on; 0 takes any free port (the server prints which)",
    example="8080",
)
PUBLIC_URL: KeySpec[str | None] = KeySpec(
    name="server.public_url",
    expects='an address like "https://call.example.org" (http or https, a host, maybe a port)',
    convert=_public_url,
    default=None,
    doc="Address people open, e.g. at a proxy; printed links use it instead of host and port",
    example='"https://call.example.org"',
)
BASE_PATH = KeySpec(
    name="server.base_path",
    expects='a URL path like "/Zq3x" (A-Z a-z 0-9 _ - /, no trailing /)',
    convert=_base_path,
    default="/",
    doc='Hidden sub-path every page and the WebSocket live under; "/" hides nothing',
    example=_fresh_base_path,
    required=True,
    secret=True,
)
TRUSTED_PROXIES: KeySpec[tuple[IpNetwork, ...]] = KeySpec(
    name="server.trusted_proxies",
    expects='a list of IP addresses or networks like ["10.0.0.0/8"]',
    convert=_proxies,
    default=(),
    doc="Reverse proxies (IPs or networks) whose X-Forwarded-For header is believed",
    example='["127.0.0.1"]',
)
OPEN_ROOMS = KeySpec(
    name="server.open_rooms",
    expects="true or false",
    convert=_flag,
    default=False,
    doc="May a passphrase not listed under [rooms] open a room of its own?",
    example="false",
)
MAX_MEMBERS = KeySpec(
    name="server.max_members",
    expects=_MEMBERS,
    convert=_whole(MIN_MEMBERS, DEFAULT_MAX_MEMBERS),
    default=DEFAULT_MAX_MEMBERS,
    doc="Default room size; a mesh call is for a handful of people",
    example="8",
)
TLS_MODE = KeySpec(
    name="tls.mode",
    expects='"off", "self-signed" or "files"',
    convert=_tls_mode,
    default=TlsMode.OFF,
    doc='How to serve HTTPS: "off" (plain HTTP, e.g. behind a proxy), "self-signed" or "files"',
    example='"off"',
)
CERTIFICATE = KeySpec(
    name="tls.certificate",
    expects="a file name",
    convert=_file,
    default=None,
    doc='PEM certificate chain; only with mode = "files"; relative to this file\'s folder',
    example='"cert.pem"',
)
KEY = KeySpec(
    name="tls.key",
    expects="a file name",
    convert=_file,
    default=None,
    doc='PEM private key; only with mode = "files"; relative to this file\'s folder',
    example='"key.pem"',
)
SALT = KeySpec(
    name="secrets.salt",
    expects="32 random bytes in unpadded base64url (43 characters)",
    convert=_random_bytes(32),
    default=b"",
    doc="Deployment salt for the passphrase key stretch",
    example=_fresh_salt,
    required=True,
    secret=True,
)
# Files written before the front door have it; host pages (`parlour host add`) replaced the one
# admin page it was for. Still checked when present, as a secret: a log never quotes it.
ADMIN_PATH = KeySpec(
    name="secrets.admin_path",
    expects=f"at least {MIN_ADMIN_PATH_CHARS} characters of base64url",
    convert=_path_secret,
    default="",
    doc="Obsolete and ignored: each host has a page of its own (parlour host add)",
    example=_fresh_admin_path,
    secret=True,
    obsolete=True,
)
TICKET_KEY: KeySpec[bytes | None] = KeySpec(
    name="secrets.ticket_key",
    expects="32 random bytes in unpadded base64url (43 characters)",
    convert=_random_bytes(tickets.KEY_BYTES),
    default=None,
    doc="Key that signs lock tickets, so that a locked room stays locked across a restart",
    example=_fresh_ticket_key,
    secret=True,
)
VERIFIER = KeySpec(
    name="rooms.NAME.verifier",
    expects="a room verifier, 32 bytes in unpadded base64url (43 characters)",
    convert=_random_bytes(32),
    default=b"",
    doc="One-way image of the room's passphrase, written by parlour room add",
    example='"…"',
    required=True,
    fix=READD,
)
ROOM_MAX_MEMBERS = KeySpec(
    name="rooms.NAME.max_members",
    expects=_MEMBERS,
    convert=_whole(MIN_MEMBERS, DEFAULT_MAX_MEMBERS),
    default=DEFAULT_MAX_MEMBERS,
    doc="Size of this room; overrides server.max_members",
    example="4",
)

UPLOAD_KBPS = KeySpec(
    name="call.upload_kbps",
    expects="a whole number from 300 to 100000",
    convert=_whole(300, 100_000),
    default=DEFAULT_UPLOAD_KBPS,
    doc="Upload budget of each person in kbit/s, shared among everyone they send to",
    example="2500",
)
STUN_SERVERS: KeySpec[tuple[str, ...]] = KeySpec(
    name="call.stun_servers",
    expects='a list of STUN URLs like ["stun:stun.example.org:3478"]',
    convert=_stun_urls,
    default=(),
    doc="STUN servers browsers may ask for their public address; none unless listed",
    example="[]",
)
ROOM_RELAY_ONLY = KeySpec(
    name="rooms.NAME.relay_only",
    expects="true or false",
    convert=_flag,
    default=False,
    doc="Privacy mode: calls go only through [turn], so members never learn each other's address",
    example="true",
)
TURN_URLS: KeySpec[tuple[str, ...]] = KeySpec(
    name="turn.urls",
    expects='a list of TURN URLs like ["turn:turn.example.org:3478?transport=udp"]',
    convert=_turn_urls,
    default=(),
    doc="Your coturn's URLs (turn: over UDP and TCP, turns: on 443); none: no relay",
    example='["turn:turn.example.org:3478?transport=udp"]',
)
TURN_SECRET: KeySpec[str | None] = KeySpec(
    name="turn.secret",
    expects=(
        f"at least {MIN_TURN_SECRET_CHARS} characters, the same as coturn's static-auth-secret"
    ),
    convert=_turn_secret,
    default=None,
    doc="coturn's static-auth-secret, from which each page's short-lived credentials are made",
    example=_fresh_turn_secret,
    secret=True,
)
TURN_LIFETIME = KeySpec(
    name="turn.lifetime",
    expects="a whole number of seconds from 60 to 86400",
    convert=_whole(60, 86_400),
    default=DEFAULT_TURN_LIFETIME,
    doc="Seconds a page's TURN credentials last; pages ask for fresh ones before then",
    example="3600",
)
STUN_ENABLED = KeySpec(
    name="stun.enabled",
    expects="true or false",
    convert=_flag,
    default=True,
    doc="Answer STUN Binding requests on UDP, so browsers learn their public address from here",
    example="true",
)
STUN_HOST: KeySpec[str | None] = KeySpec(
    name="stun.host",
    expects="an IP address or host name",
    convert=_host,
    default=None,
    doc="Address the STUN responder listens on; server.host unless set",
    example='"0.0.0.0"',
)
STUN_PORT: KeySpec[int | None] = KeySpec(
    name="stun.port",
    expects="a whole number from 0 to 65535",
    convert=_whole(0, 65535),
    default=None,
    doc="UDP port of the STUN responder; the same number as server.port unless set",
    example="3478",
)

REHOST = "run `parlour host add {host} --replace` for a new host page address"
_NAME_RULE = f"each 1 to {names.MAX_CHARS} characters, without control characters"

HOST_VERIFIER = KeySpec(
    name="hosts.NAME.verifier",
    expects="a host verifier, 32 bytes in unpadded base64url (43 characters)",
    convert=_random_bytes(32),
    default=b"",
    doc="One-way image of the host page's secret address, written by parlour host add",
    example='"…"',
    required=True,
    fix=REHOST,
)
CONTACTS: KeySpec[tuple[str, ...] | None] = KeySpec(
    name="hosts.NAME.contacts",
    expects=f'a list of 1 to {MAX_CONTACTS} names like ["Grandma", "Nana"], {_NAME_RULE}',
    convert=_names(1, MAX_CONTACTS),
    default=None,  # the host's own name
    doc="Names a visitor may type to reach this host; case, accents and spacing do not count",
    example='["Grandma", "Nana"]',
)
PERMITTED: KeySpec[tuple[str, ...]] = KeySpec(
    name="hosts.NAME.permitted",
    expects=f'a list of at most {MAX_PERMITTED} names like ["Ada", "Grace"], {_NAME_RULE}',
    convert=_names(0, MAX_PERMITTED),
    default=(),
    doc="Visitors' names this host expects, and may call; others wait, shown as not expected",
    example='["Ada", "Grace"]',
)
ONLY_PERMITTED = KeySpec(
    name="hosts.NAME.only_permitted",
    expects="true or false",
    convert=_flag,
    default=False,
    doc="Hide visitors whose names are not permitted from this host's page (they still wait)",
    example="true",
)
SUPER = KeySpec(
    name="hosts.NAME.super",
    expects="true or false",
    convert=_flag,
    default=False,
    doc="The super-host, who also sees every attempt that went wrong; one host at most",
    example="true",
)
HOST_RELAY_ONLY = KeySpec(
    name="hosts.NAME.relay_only",
    expects="true or false",
    convert=_flag,
    default=False,
    doc="Privacy mode: this host's calls go only through [turn], hiding addresses",
    example="true",
)
COUNTRIES: KeySpec[frozenset[str]] = KeySpec(
    name="front_door.countries",
    expects='a list of two-letter country codes (ISO 3166-1) like ["DE", "AT"]',
    convert=_countries,
    default=frozenset(),
    doc="Countries visitors may knock from (needs geoip_database); none listed: anywhere",
    example='["DE", "AT"]',
)
GEOIP_DATABASE = KeySpec(
    name="front_door.geoip_database",
    expects="a file name",
    convert=_file,
    default=None,
    doc="Country database in MaxMind DB format (GeoLite2-Country or DB-IP country lite)",
    example='"GeoLite2-Country.mmdb"',
)
AUDIT_DATABASE = KeySpec(
    name="audit.database",
    expects="a file name",
    convert=_file,
    default=None,  # DEFAULT_AUDIT_FILE next to this file
    doc="SQLite file of failed and suspicious attempts, for the super-host; kept across restarts",
    example=f'"{DEFAULT_AUDIT_FILE}"',
)
AUDIT_RETENTION_DAYS = KeySpec(
    name="audit.retention_days",
    expects="a whole number of days from 1 to 3650",
    convert=_whole(1, 3650),
    default=90,
    doc="Days an audit entry is kept",
    example="90",
)
AUDIT_MAX_ROWS = KeySpec(
    name="audit.max_rows",
    expects="a whole number from 1000 to 10000000",
    convert=_whole(1000, 10_000_000),
    default=100_000,
    doc="Most audit entries kept; the oldest go first, so a flood cannot fill the disk",
    example="100000",
)

KEYS: tuple[KeySpec[Any], ...] = (
    HOST,
    PORT,
    PUBLIC_URL,
    BASE_PATH,
    TRUSTED_PROXIES,
    OPEN_ROOMS,
    MAX_MEMBERS,
    TLS_MODE,
    CERTIFICATE,
    KEY,
    SALT,
    ADMIN_PATH,
    TICKET_KEY,
    UPLOAD_KBPS,
    STUN_SERVERS,
    TURN_URLS,
    TURN_SECRET,
    TURN_LIFETIME,
    STUN_ENABLED,
    STUN_HOST,
    STUN_PORT,
    COUNTRIES,
    GEOIP_DATABASE,
    AUDIT_DATABASE,
    AUDIT_RETENTION_DAYS,
    AUDIT_MAX_ROWS,
    VERIFIER,
    ROOM_MAX_MEMBERS,
    ROOM_RELAY_ONLY,
    HOST_VERIFIER,
    CONTACTS,
    PERMITTED,
    ONLY_PERMITTED,
    SUPER,
    HOST_RELAY_ONLY,
)
SECTIONS = (
    "server",
    "tls",
    "secrets",
    "call",
    "turn",
    "stun",
    "front_door",
    "audit",
    "rooms",
    "hosts",
)
