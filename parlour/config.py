"""parlour.toml -> frozen `Settings`, or every problem with the file, each with its fix.

The keys themselves, with their checks, are in config_keys.py; this module reads the file,
walks it once, and reports every problem with where it is and what would fix it.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from parlour import names
from parlour.config_keys import (
    ADMIN_PATH,
    AUDIT_DATABASE,
    AUDIT_MAX_ROWS,
    AUDIT_RETENTION_DAYS,
    BASE_PATH,
    CERTIFICATE,
    CONTACTS,
    COUNTRIES,
    DEFAULT_AUDIT_FILE,
    DOCS,
    GEOIP_DATABASE,
    HOST,
    HOST_NAME,
    HOST_RELAY_ONLY,
    HOST_VERIFIER,
    KEY,
    KEYS,
    MAX_MEMBERS,
    ONLY_PERMITTED,
    OPEN_ROOMS,
    PERMITTED,
    PORT,
    PUBLIC_URL,
    READD,
    REHOST,
    ROOM_MAX_MEMBERS,
    ROOM_NAME,
    ROOM_RELAY_ONLY,
    SALT,
    SECTIONS,
    STUN_ENABLED,
    STUN_HOST,
    STUN_PORT,
    STUN_SERVERS,
    SUPER,
    TICKET_KEY,
    TLS_MODE,
    TRUSTED_PROXIES,
    TURN_LIFETIME,
    TURN_SECRET,
    TURN_URLS,
    UPLOAD_KBPS,
    VERIFIER,
    Invalid,
    KeySpec,
    show,
)
from parlour.settings import Host, Room, Settings, Tls, TlsMode, Turn

T = TypeVar("T")

NEW_FILE_FIX = "run `parlour init` (or `parlour serve`, which writes one)"
NO_TURN = "set up coturn and add it under [turn] (see docs/turn.md), or delete the line"
GEOIP_SOURCES = (
    "GeoLite2-Country from MaxMind (free account, maxmind.com) or DB-IP's free "
    "IP to Country Lite in MMDB format (db-ip.com)"
)


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
    if key.startswith(("rooms.", "hosts.")):
        section, table = key.split(".")[:2]
        known = [name.replace("NAME", table) for name in known if name.startswith(section)]
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
        names = ("server", "tls", "secrets", "call", "turn", "stun", "front_door", "audit")
        tables = {name: self.table(data, name) for name in names}
        for name, table in tables.items():
            self.unknown(table, name, {s.leaf for s in KEYS if s.section == name})
        server, tls, secrets, call, turn_table, stun, front_door, audit = tables.values()
        max_members = self.value(server, MAX_MEMBERS)
        turn = self.turn(turn_table)
        rooms = self.rooms(self.table(data, "rooms"), max_members)
        for room in rooms:
            if room.relay_only and turn is None:
                self.problem(
                    f"rooms.{room.name}.relay_only",
                    "is true, but no TURN server is configured ([turn] urls and secret), so "
                    "nobody in this room could reach anyone",
                    NO_TURN,
                )
        hosts = self.hosts(self.table(data, "hosts"))
        for host in hosts:
            if host.relay_only and turn is None:
                self.problem(
                    f"hosts.{host.name}.relay_only",
                    "is true, but no TURN server is configured ([turn] urls and secret), so "
                    "this host could call nobody",
                    NO_TURN,
                )
        countries, geoip_database = self.front_door(front_door)
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
            rooms=rooms,
            upload_kbps=self.value(call, UPLOAD_KBPS),
            stun_servers=self.value(call, STUN_SERVERS),
            ticket_key=self.value(secrets, TICKET_KEY),
            turn=turn,
            stun_enabled=self.value(stun, STUN_ENABLED),
            stun_host=self.value(stun, STUN_HOST),
            stun_port=self.value(stun, STUN_PORT),
            hosts=hosts,
            countries=countries,
            geoip_database=geoip_database,
            audit_database=self.audit_database(audit),
            audit_retention_days=self.value(audit, AUDIT_RETENTION_DAYS),
            audit_max_rows=self.value(audit, AUDIT_MAX_ROWS),
        )

    def turn(self, table: Mapping[str, object]) -> Turn | None:
        """The coturn server, or None when [turn] lists none; each of urls and secret needs the
        other."""
        reported = len(self.problems)
        urls = self.value(table, TURN_URLS)
        secret = self.value(table, TURN_SECRET)
        lifetime = self.value(table, TURN_LIFETIME)
        if len(self.problems) > reported:
            return None
        if urls and secret is None:
            self.problem(
                TURN_SECRET.name,
                "is missing, and turn.urls lists servers: pages would get no credentials",
                f"add under [turn]: {TURN_SECRET.leaf} = the static-auth-secret of your coturn "
                "(see docs/turn.md)",
                TURN_SECRET.fresh_line(),
            )
        elif secret is not None and not urls:
            self.problem(
                TURN_URLS.name,
                "lists no TURN server, so turn.secret is not used",
                f"{TURN_URLS.leaf} = {TURN_URLS.example_text()} (your coturn's address), "
                "or delete the secret",
            )
        if not urls or secret is None:
            return None
        return Turn(urls, secret, lifetime)

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

    def readable(
        self, spec: KeySpec[Path | None], path: Path, what: str = "a PEM file"
    ) -> Path | None:
        try:
            path.open("rb").close()
        except OSError as error:
            self.problem(
                spec.name,
                f"names {path}, which cannot be read ({error.strerror})",
                f"put {what} there that the user running parlour can read, "
                f"or set {spec.leaf} to where yours is",
            )
            return None
        return path

    def front_door(self, table: Mapping[str, object]) -> tuple[frozenset[str], Path | None]:
        """The allowed countries and the country database, which is only checked to be there:
        the server opens it at start (geo.py)."""
        countries = self.value(table, COUNTRIES)
        database = self.value(table, GEOIP_DATABASE)
        if database is not None:
            what = f"a country database ({GEOIP_SOURCES})"
            database = self.readable(GEOIP_DATABASE, self.path.resolve().parent / database, what)
        elif countries and GEOIP_DATABASE.leaf not in table:
            self.problem(
                COUNTRIES.name,
                "lists countries, but without front_door.geoip_database nothing can tell "
                "which country an address is in",
                f"add under [front_door]: {GEOIP_DATABASE.leaf} = "
                f"{GEOIP_DATABASE.example_text()}, a country database from {GEOIP_SOURCES}; "
                "or delete the countries line to let everyone in",
            )
        return countries, database

    def audit_database(self, table: Mapping[str, object]) -> Path | None:
        """The audit's SQLite file, next to this file unless set; the server creates it."""
        name = self.value(table, AUDIT_DATABASE)
        if AUDIT_DATABASE.leaf in table and name is None:
            return None  # refused above
        path = self.path.resolve().parent / (name or DEFAULT_AUDIT_FILE)
        if not path.parent.is_dir():
            self.problem(
                AUDIT_DATABASE.name,
                f"names {path}, in a folder that does not exist",
                f"create {path.parent}, or set {AUDIT_DATABASE.leaf} to a file in a folder "
                "that exists",
            )
        elif path.is_dir():
            self.problem(
                AUDIT_DATABASE.name,
                f"names {path}, which is a folder",
                f"{AUDIT_DATABASE.leaf} = {show(str(path / DEFAULT_AUDIT_FILE))}",
            )
        return path

    def tables(
        self, tables: Mapping[str, object], kind: str, pattern: re.Pattern[str], example: str
    ) -> Iterator[tuple[str, str, dict[str, object]]]:
        """The [rooms.NAME] or [hosts.NAME] tables that are tables, as (name, key, table); a
        bad name or a key the section does not have is reported on the way."""
        allowed = {s.leaf for s in KEYS if s.section == f"{kind}s.NAME"}
        for name, table in tables.items():
            key = f"{kind}s.{name}"
            if not pattern.fullmatch(name):
                self.problem(
                    key,
                    f"{kind} name {show(name)} must be 1-64 characters of A-Z a-z 0-9 _ -",
                    f"rename the table, e.g. [{kind}s.{example}]",
                )
            if not isinstance(table, dict):
                self.problem(
                    key,
                    f"must be a table [{key}] with a verifier, got {show(table)}",
                    f"add {kind}s with `parlour {kind} add {name}`",
                )
                continue
            self.unknown(table, key, allowed)
            yield name, key, table

    def hosts(self, hosts: Mapping[str, object]) -> tuple[Host, ...]:
        result: list[Host] = []
        contacts_of: dict[str, str] = {}  # a folded contact -> the host it reaches
        verifiers: dict[bytes, str] = {}
        for name, key, host in self.tables(hosts, "host", HOST_NAME, "grandma"):
            verifier = self.value(host, HOST_VERIFIER, f"{key}.verifier")
            contacts = self.value(host, CONTACTS, f"{key}.contacts")
            if contacts is None:
                contacts = (names.fold(name),)
            permitted = self.value(host, PERMITTED, f"{key}.permitted")
            only_permitted = self.value(host, ONLY_PERMITTED, f"{key}.only_permitted")
            is_super = self.value(host, SUPER, f"{key}.super")
            relay_only = self.value(host, HOST_RELAY_ONLY, f"{key}.relay_only")
            if verifier and verifier in verifiers:  # b"": missing, and reported already
                self.problem(
                    f"{key}.verifier",
                    f"is the same as hosts.{verifiers[verifier]}.verifier: both hosts would "
                    "have the same page",
                    REHOST.format(host=name),
                )
            verifiers.setdefault(verifier, name)
            for contact in contacts:
                if contact in contacts_of:
                    other = contacts_of[contact]
                    written = (
                        "contacts" if CONTACTS.leaf in host else "contacts (by default, its name)"
                    )
                    self.problem(
                        f"{key}.contacts",
                        f"{written} has {show(contact)}, and so has hosts.{other}.contacts "
                        "(case, accents and spacing do not count): a visitor who types it "
                        "must reach one host",
                        f"take {show(contact)} out of [hosts.{name}] or [hosts.{other}] "
                        "(contacts = [...], whose default is the host's name)",
                    )
                contacts_of.setdefault(contact, name)
            supers = [h.name for h in result if h.super]
            if is_super and supers:
                self.problem(
                    f"{key}.super",
                    f"is true, and so is hosts.{supers[0]}.super: one host at most may be the "
                    "super-host",
                    f"delete super = true under [hosts.{name}] or [hosts.{supers[0]}]",
                )
            result.append(
                Host(name, verifier, contacts, permitted, only_permitted, is_super, relay_only)
            )
        return tuple(result)

    def rooms(self, rooms: Mapping[str, object], max_members: int) -> tuple[Room, ...]:
        result = []
        seen: dict[bytes, str] = {}
        for name, key, room in self.tables(rooms, "room", ROOM_NAME, "lounge"):
            verifier = self.value(room, VERIFIER, f"{key}.verifier")
            size = self.value(room, ROOM_MAX_MEMBERS, f"{key}.max_members", max_members)
            relay_only = self.value(room, ROOM_RELAY_ONLY, f"{key}.relay_only")
            if verifier and verifier in seen:
                self.problem(
                    f"{key}.verifier",
                    f"is the same as rooms.{seen[verifier]}.verifier: "
                    "both rooms open with the same passphrase",
                    READD.format(room=name),
                )
            seen.setdefault(verifier, name)
            result.append(Room(name, verifier, size, relay_only))
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
    except UnicodeDecodeError as error:
        where = raw[: error.start].count(b"\n") + 1
        fix = "save the file as UTF-8"
        return None, [Problem(path, "", where, "the file is not UTF-8 text", fix)]
    return _read_text(path, text)


def _read_text(path: Path, text: str) -> tuple[Settings | None, list[Problem]]:
    try:
        data = tomllib.loads(text)
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


def check_text(path: Path, text: str) -> list[Problem]:
    """The problems `path` would have if it held `text`: an edit is checked before it is saved."""
    return _read_text(path, text)[1]


def load(path: Path) -> Settings:
    """The validated settings; raises ConfigError carrying every problem at once."""
    settings, problems = _read(path)
    if settings is None:
        raise ConfigError(problems)
    return settings
