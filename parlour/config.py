"""parlour.toml -> frozen `Settings`, or every problem with the file, each with its fix.

Every key is described once, in `KEYS`; the validation, the error messages, the commented file
that `parlour init` writes and the test that keeps docs/configuration.md complete all read it.
"""

from __future__ import annotations

import datetime
import difflib
import ipaddress
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from parlour import keys, tickets
from parlour.settings import (
    DEFAULT_MAX_MEMBERS,
    DEFAULT_UPLOAD_KBPS,
    IpNetwork,
    Room,
    Settings,
    Tls,
    TlsMode,
    unspecified,
)

T = TypeVar("T")

ROOM_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
MIN_MEMBERS = 2
MIN_ADMIN_PATH_CHARS = 22  # 16 random bytes in base64url
NEW_FILE_FIX = "run `parlour init` (or `parlour serve`, which writes one)"
DOCS = "docs/configuration.md"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the file: where it is, what is wrong, and a line that would fix it."""

    file: Path
    key: str
    line: int | None
    message: str
    fix: str
    # A line with a fresh secret that would fix it: only `parlour check` prints it, never the
    # server's log (see secret_fix).
    fresh: str = ""

    def __str__(self) -> str:
        where = str(self.file) if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.key}:" if self.key else ""
        stop = "" if self.message.endswith(("?", ".")) else "."
        return f"{where}:{key} {self.message}{stop} Fix: {self.fix}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(map(str, problems)))
        self.problems = problems


class ConfigEditError(Exception):
    """An edit of the file (configfile.py) that was refused; the message is for the operator."""


class Invalid(Exception):
    """Raised by a converter; `detail` adds to the key's requirement when it alone is too vague."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True, slots=True)
class KeySpec(Generic[T]):
    name: str  # dotted; NAME stands for any room name
    expects: str  # completes "must be ..."
    convert: Callable[[object], T]
    default: T  # for required keys only a placeholder: a missing one stops the load
    doc: str
    example: str | Callable[[], str]  # TOML value text; a callable makes a fresh secret
    required: bool = False
    fix: str = ""  # replaces "leaf = example" where typing a value cannot fix it
    secret: bool = False  # a problem never quotes its value (logs outlive the file's privacy)

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
            return self.fix.format(room=key.split(".")[1] if key.startswith("rooms.") else "")
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


def show(value: object) -> str:
    """A value as it would look in the file, so a message quotes what the operator wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
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


def _fresh_base_path() -> str:
    return show("/" + keys.generate_path_secret())


def _fresh_salt() -> str:
    return show(keys.b64url(keys.generate_salt()))


def _fresh_admin_path() -> str:
    return show(keys.generate_path_secret())


def _fresh_ticket_key() -> str:
    return show(keys.b64url(tickets.generate_key()))


_MEMBERS = f"a whole number from {MIN_MEMBERS} to {DEFAULT_MAX_MEMBERS}"
_READD = "run `parlour room remove {room}`, then `parlour room add {room}` for a new passphrase"

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
ADMIN_PATH = KeySpec(
    name="secrets.admin_path",
    expects=f"at least {MIN_ADMIN_PATH_CHARS} characters of base64url",
    convert=_path_secret,
    default="",
    doc="Secret path segment of the front door's admin page",
    example=_fresh_admin_path,
    required=True,
    secret=True,
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
    fix=_READD,
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
    VERIFIER,
    ROOM_MAX_MEMBERS,
)
SECTIONS = ("server", "tls", "secrets", "call", "rooms")
_HEADER = re.compile(r"\[\[?\s*([^\]]*?)\s*\]\]?")  # [table] or [[array]]


def _line_of(text: str, key: str) -> int | None:
    """Best-effort line of a dotted key: its `leaf =` line, else its table's header."""
    if not key:
        return None
    parts = tuple(key.split("."))
    table: tuple[str, ...] = ()
    headers: dict[tuple[str, ...], int] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if match := _HEADER.match(line):
            table = tuple(p.strip().strip("\"'") for p in match.group(1).split("."))
            headers.setdefault(table, number)
        elif table == parts[:-1] and re.match(rf"[\"']?{re.escape(parts[-1])}[\"']?\s*=", line):
            return number
    return headers.get(parts) or headers.get(parts[:-1])


def _suggest(key: str, value: object) -> tuple[str, str]:
    """(the " did you mean …?" part, the fix) for an unknown dotted key."""
    known = [spec.name for spec in KEYS]
    if key.startswith("rooms."):
        room = key.split(".")[1]
        known = [name.replace("NAME", room) for name in known]
    leaf = key.rpartition(".")[2]
    same_leaf = [name for name in known if name.rpartition(".")[2] == leaf]
    close = same_leaf or difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if not close:
        section = key.rpartition(".")[0]
        takes = [n.rpartition(".")[2] for n in known if n.rpartition(".")[0] == section]
        if takes:
            return "", f"delete the line; [{section}] takes {', '.join(takes)} (see {DOCS})"
        return "", f"delete the line (see {DOCS} for every key)"
    section, _, name = close[0].rpartition(".")
    secret = any(spec.secret and spec.name == close[0] for spec in KEYS)
    fix = f"rename it to {name}" if secret else f"{name} = {show(value)}"
    if section != key.rpartition(".")[0]:
        fix = f"move it under [{section}] as {fix}"
    return f"; did you mean {close[0]}?", fix


class _Reader:
    """Walks the parsed TOML once, collecting every problem rather than stopping at the first."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.problems: list[Problem] = []

    def problem(self, key: str, message: str, fix: str, fresh: str = "") -> None:
        line = _line_of(self.text, key)
        self.problems.append(Problem(self.path, key, line, message, fix, fresh))

    def table(self, data: Mapping[str, object], name: str) -> Mapping[str, object]:
        value = data.get(name, {})
        if isinstance(value, dict):
            return value
        self.problem(name, f"must be a table [{name}], got {show(value)}", f"write it as [{name}]")
        return {}

    def unknown(self, table: Mapping[str, object], prefix: str, allowed: set[str]) -> None:
        for name, value in table.items():
            if name in allowed:
                continue
            key = f"{prefix}.{name}" if prefix else name
            if isinstance(value, dict) and not prefix:
                close = difflib.get_close_matches(name, SECTIONS, n=1)
                hint = f"; did you mean [{close[0]}]?" if close else ""
                fix = f"rename it to [{close[0]}]" if close else f"delete it (see {DOCS})"
                self.problem(key, f"unknown table [{key}]{hint}", fix)
            else:
                hint, fix = _suggest(key, value)
                self.problem(key, f"unknown key {key}{hint}", fix)

    def value(
        self, table: Mapping[str, object], spec: KeySpec[T], key: str = "", default: T | None = None
    ) -> T:
        key = key or spec.name
        fallback = spec.default if default is None else default
        if spec.leaf not in table:
            if spec.required:
                fix = spec.fix_for(key, missing=True)
                self.problem(key, "is missing", fix, spec.fresh_line())
            return fallback
        value = table[spec.leaf]
        try:
            return spec.convert(value)
        except Invalid as error:
            detail = f" ({error.detail})" if error.detail else ""
            message = f"must be {spec.expects}, got {spec.shown(value)}{detail}"
            self.problem(key, message, spec.fix_for(key), spec.fresh_line())
            return fallback

    def settings(self, data: Mapping[str, object]) -> Settings:
        self.unknown(data, "", set(SECTIONS))
        tables = {name: self.table(data, name) for name in ("server", "tls", "secrets", "call")}
        for name, table in tables.items():
            self.unknown(table, name, {s.leaf for s in KEYS if s.section == name})
        server, tls, secrets, call = tables.values()
        max_members = self.value(server, MAX_MEMBERS)
        return Settings(
            source=self.path.resolve(),
            salt=self.value(secrets, SALT),
            base_path=self.value(server, BASE_PATH),
            admin_path=self.value(secrets, ADMIN_PATH),
            host=self.value(server, HOST),
            port=self.value(server, PORT),
            public_url=self.value(server, PUBLIC_URL),
            trusted_proxies=self.value(server, TRUSTED_PROXIES),
            tls=self.tls(tls),
            open_rooms=self.value(server, OPEN_ROOMS),
            max_members=max_members,
            rooms=self.rooms(self.table(data, "rooms"), max_members),
            upload_kbps=self.value(call, UPLOAD_KBPS),
            stun_servers=self.value(call, STUN_SERVERS),
            ticket_key=self.value(secrets, TICKET_KEY),
        )

    def tls(self, table: Mapping[str, object]) -> Tls:
        reported = len(self.problems)
        mode = self.value(table, TLS_MODE)
        if len(self.problems) > reported:
            return Tls()  # with no valid mode, whether the files belong is unknowable
        files = {spec: self.value(table, spec) for spec in (CERTIFICATE, KEY)}
        folder = self.path.resolve().parent
        for spec, file in files.items():
            present = spec.leaf in table
            if mode is not TlsMode.FILES and present:
                self.problem(
                    spec.name,
                    f'is only used with mode = "files", and mode is "{mode}"',
                    'delete the line, or set mode = "files"',
                )
            elif mode is TlsMode.FILES and not present:
                self.problem(
                    spec.name,
                    'is required with mode = "files"',
                    f"{spec.leaf} = {spec.example_text()} (relative to {folder})",
                )
            elif file is not None:  # present with mode = "files", and not already refused
                files[spec] = self.readable(spec, folder / file)
        return Tls(mode, files[CERTIFICATE], files[KEY])

    def readable(self, spec: KeySpec[Path | None], path: Path) -> Path | None:
        try:
            path.open("rb").close()
        except OSError as error:
            self.problem(
                spec.name,
                f"names {path}, which cannot be read ({error.strerror})",
                "put a PEM file there that the user running parlour can read, "
                f"or set {spec.leaf} to where yours is",
            )
            return None
        return path

    def rooms(self, rooms: Mapping[str, object], max_members: int) -> tuple[Room, ...]:
        allowed = {s.leaf for s in KEYS if s.section == "rooms.NAME"}
        result = []
        seen: dict[bytes, str] = {}
        for name, room in rooms.items():
            key = f"rooms.{name}"
            if not ROOM_NAME.fullmatch(name):
                self.problem(
                    key,
                    f"room name {show(name)} must be 1-64 characters of A-Z a-z 0-9 _ -",
                    "rename the table, e.g. [rooms.lounge]",
                )
            if not isinstance(room, dict):
                self.problem(
                    key,
                    f"must be a table [{key}] with a verifier, got {show(room)}",
                    f"add rooms with `parlour room add {name}`",
                )
                continue
            self.unknown(room, key, allowed)
            verifier = self.value(room, VERIFIER, f"{key}.verifier")
            size = self.value(room, ROOM_MAX_MEMBERS, f"{key}.max_members", max_members)
            if verifier and verifier in seen:
                self.problem(
                    f"{key}.verifier",
                    f"is the same as rooms.{seen[verifier]}.verifier: "
                    "both rooms open with the same passphrase",
                    _READD.format(room=name),
                )
            seen.setdefault(verifier, name)
            result.append(Room(name, verifier, size))
        return tuple(result)


def _read(path: Path) -> tuple[Settings | None, list[Problem]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [Problem(path, "", None, "the file does not exist", NEW_FILE_FIX)]
    except OSError as error:
        fix = f"make it readable by the user that runs parlour, e.g. chmod 600 {path}"
        return None, [Problem(path, "", None, f"cannot read it ({error.strerror})", fix)]
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as error:
        where = raw[: error.start].count(b"\n") + 1
        fix = "save the file as UTF-8"
        return None, [Problem(path, "", where, "the file is not UTF-8 text", fix)]
    except tomllib.TOMLDecodeError as error:
        return None, [_syntax_problem(path, text, str(error))]
    reader = _Reader(path, text)
    settings = reader.settings(data)
    problems = sorted(reader.problems, key=lambda p: (p.line is None, p.line or 0))
    return (None if problems else settings), problems


def _syntax_problem(path: Path, text: str, error: str) -> Problem:
    """tomllib only says where, in its message: "Invalid value (at line 3, column 8)"."""
    found = re.search(r"\(at line (\d+), column \d+\)|\(at end of document\)", error)
    line: int | None = None
    reason = error
    if found:
        line = int(found.group(1)) if found.group(1) else max(1, len(text.splitlines()))
        reason = error[: found.start()].strip()
    message = f"this is not valid TOML: {reason}"
    fix = 'write each setting as key = value, text in double quotes, e.g. host = "127.0.0.1"'
    return Problem(path, "", line, message, fix)


def ticket_key_missing(settings: Settings) -> str:
    """What to tell the operator of a file from before secrets.ticket_key; "" when it has one.

    It names no value: the server log is no place for a fresh secret (`parlour check` adds one).
    """
    if settings.ticket_key is not None:
        return ""
    return (
        f"{settings.source}: {TICKET_KEY.name} is missing, so a restart unlocks every locked "
        "room (members lock it again by hand). Fix: add under [secrets] the line that "
        "`parlour check` prints"
    )


def check(path: Path) -> list[Problem]:
    """Every problem with the file, in file order where possible; empty when it loads."""
    return _read(path)[1]


def load(path: Path) -> Settings:
    """The validated settings; raises ConfigError carrying every problem at once."""
    settings, problems = _read(path)
    if settings is None:
        raise ConfigError(problems)
    return settings
