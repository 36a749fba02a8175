"""The super-host's audit of attempts that went wrong, kept in SQLite so it survives restarts.

Each entry is also one log line in a fixed format (LINE_FORMAT) that fail2ban matches with the
filter in docs/examples/fail2ban/. Whoever is refused can make entries as fast as they can send,
so everything here is bounded: a token bucket per address and one for the whole server decide
which entries are kept (the others are only counted), the table holds at most `max_rows` rows
and nothing older than `retention_days`, and the bucket table is bounded too.

All calls come from the asyncio thread and the database calls are synchronous. That is
acceptable because each call writes at most two small rows in one transaction (WAL with
synchronous=NORMAL does not wait for the disk on commit), and the buckets let at most a few
dozen such calls a second reach the database, so the event loop is never held for long.
Measured on the development machine: an entry left out costs about 35 µs (mostly reading the
address), less than the request that caused it; a kept one about 100 µs with the file on disk.
"""

from __future__ import annotations

import logging
import sqlite3
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Final

from parlour.guard import TokenBucket, address_key, normalize_address

log = logging.getLogger("parlour.audit")

WHAT_MAX: Final = 200
"""The longest `what` kept, in characters; longer ones end in "…"."""
LINE_FORMAT: Final = "audit event=%s address=%s country=%s what=%s"
"""The log line of an entry: the event's value, the plain address, the country code or "-",
and `what` in double quotes with backslash and double quote escaped by a backslash. `what` is
last and holds no control character and no unescaped quote, so nothing typed can end the line
or add a field that a filter reads."""
SUMMARY: Final = "… and {count} more from this address not recorded"
"""The `what` of the entry that stands for an address's suppressed entries."""

# Characters a visitor may type that could break a line, hide text or reorder what the page
# shows: controls, format characters (bidi overrides, zero-width ones), lone surrogates (which
# SQLite cannot even store) and the Unicode line and paragraph separators.
_UNSAFE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SECONDS_A_DAY: Final = 86_400.0


class AuditError(Exception):
    """The audit database cannot be opened or read; the message names the file."""


class Event(StrEnum):
    """What went wrong. The values are what the wire and the log carry."""

    UNEXPECTED_NAME = "unexpected-name"  # a visitor's name not on the host's list
    UNKNOWN_HOST = "unknown-host"  # a contact name no host has
    COUNTRY = "country"  # refused by the country allow-list
    WRONG_PASSPHRASE = "wrong-passphrase"  # noqa: S105 (a room join with an unknown locator)
    BAD_HOST_SECRET = "bad-host-secret"  # noqa: S105 (a host page secret matching no host)
    PROBE = "probe"  # a path that got the 404
    LOCKOUT = "lockout"  # an address locked out after repeated failures
    CONNECTION_LIMIT = "connection-limit"  # an address over its connection limit
    KNOCK_LIMIT = "knock-limit"  # an address knocking faster than allowed
    LIST_FULL = "list-full"  # a waiting visitor dropped because a host's list was full


@dataclass(frozen=True, slots=True)
class Entry:
    """One attempt that went wrong."""

    at: float  # unix seconds
    event: Event
    address: str  # the plain address (guard.normalize_address), or "unknown"
    country: str | None  # ISO 3166-1 alpha-2, upper case
    what: str  # what was tried, cleaned by clean_what()


def clean_what(text: str) -> str:
    """`text` bounded to WHAT_MAX characters, every unsafe character replaced by U+FFFD."""
    text = text[: WHAT_MAX + 1]  # the rest is cut anyway: never walk a long string
    text = "".join("\ufffd" if unicodedata.category(c) in _UNSAFE else c for c in text)
    if len(text) > WHAT_MAX:
        text = text[: WHAT_MAX - 1] + "…"
    return text


def clean_country(country: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case, or None for anything else."""
    if country is None or len(country) != 2 or not (country.isascii() and country.isalpha()):
        return None
    return country.upper()


def log_line(entry: Entry) -> str:
    """The log line of `entry` (LINE_FORMAT)."""
    quoted = '"' + entry.what.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return LINE_FORMAT % (entry.event.value, entry.address, entry.country or "-", quoted)


class _Bucket:
    """An address's token bucket, and what it had to leave out since its last entry."""

    __slots__ = ("last_event", "suppressed", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.tokens = TokenBucket(rate, burst, now)
        self.suppressed = 0
        self.last_event: Event | None = None

    def idle(self, now: float) -> bool:
        """Full again and owing no summary: the same as a fresh bucket, so it may be dropped."""
        bucket = self.tokens
        full = bucket.tokens + (now - bucket.stamp) * bucket.rate >= bucket.burst
        return full and self.suppressed == 0


_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    event TEXT NOT NULL,
    address TEXT NOT NULL,
    country TEXT,
    what TEXT NOT NULL
)
"""


class AuditLog:
    """The audit: entries in SQLite (in memory when `path` is None) and in the log.

    Flood bounds: an address (counted by guard.address_key, so an IPv6 /64 is one) gets
    ADDRESS_BURST entries at once and ADDRESS_RATE a second after that; the whole server gets
    GLOBAL_BURST and GLOBAL_RATE. An entry either bucket refuses is neither stored nor logged,
    only counted (`unrecorded`, and per address). The next entry an address is allowed comes
    after one summary entry, "… and N more from this address not recorded", with the event of
    the last one left out; so at most twice GLOBAL_RATE rows a second are written. The bucket
    table holds at most MAX_ADDRESSES addresses: idle ones are dropped (at each prune and when
    it is full), then, if still full, the least recently seen, whose counts then stay only in
    `unrecorded`.

    Rows: at most `max_rows`; when an insert would pass it, the oldest rows are deleted down to
    nine tenths of it, so a delete runs once per tenth of `max_rows` inserts, not each time.
    Entries older than `retention_days` are deleted on opening and then at most once every
    PRUNE_EVERY seconds, checked by record() and recent(), so the server need not call prune().
    """

    ADDRESS_BURST: ClassVar[int] = 10
    ADDRESS_RATE: ClassVar[float] = 1.0
    GLOBAL_BURST: ClassVar[int] = 100
    GLOBAL_RATE: ClassVar[float] = 20.0
    MAX_ADDRESSES: ClassVar[int] = 4096
    PRUNE_EVERY: ClassVar[float] = 3600.0

    def __init__(
        self,
        path: Path | None,
        *,
        retention_days: int,
        max_rows: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if retention_days < 1:
            raise ValueError(f"retention_days must be at least 1, not {retention_days}")
        if max_rows < 1:
            raise ValueError(f"max_rows must be at least 1, not {max_rows}")
        self._path = path
        self._retention = retention_days * _SECONDS_A_DAY
        self._max_rows = max_rows
        self._batch = max(1, max_rows // 10)
        self._clock = clock
        self._db = _connect(path)
        now = clock()
        # The buckets run on their own time, which adds up only the clock's steps forward: a
        # wall clock set back would otherwise leave them empty, and the audit silent, until
        # it caught up.
        self._reading = now
        self._elapsed = 0.0
        self._global = TokenBucket(self.GLOBAL_RATE, self.GLOBAL_BURST, 0.0)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.unrecorded = 0
        """Entries left out by the flood bounds since the log was opened."""
        self._next_prune = now
        try:
            self._rows = int(self._db.execute("SELECT count(*) FROM audit").fetchone()[0])
            self.prune()
        except sqlite3.Error as exc:
            self._db.close()
            raise AuditError(f"cannot read the audit database {path}: {exc}") from exc

    def record(self, event: Event, address: str, country: str | None, what: str) -> Entry | None:
        """Store and log an entry; None when the flood bounds leave it out."""
        at = self._clock()
        now = self._tick(at)
        bucket = self._bucket(address_key(address), now)
        # A lockout is what fail2ban most wants to see, and comes at once after the failures
        # that spent the address's budget; it is rare by construction (one per address per
        # JoinGuard.LOCKOUT), so it is never left out.
        exempt = event is Event.LOCKOUT
        if not exempt and not (bucket.tokens.take(now) and self._global.take(now)):
            bucket.suppressed += 1
            bucket.last_event = event
            self.unrecorded += 1
            return None
        address = normalize_address(address)
        country = clean_country(country)
        entry = Entry(at, event, address, country, clean_what(what))
        entries = [entry]
        if bucket.suppressed:
            what = SUMMARY.format(count=bucket.suppressed)
            summary = Entry(at, bucket.last_event or event, address, country, what)
            entries.insert(0, summary)
            bucket.suppressed = 0
        for each in entries:
            log.warning("%s", log_line(each))
        self._maybe_prune(at)
        self._store(entries)
        return entry

    def recent(self, limit: int = 200) -> list[Entry]:
        """Up to `limit` entries, newest first."""
        self._maybe_prune(self._clock())
        rows = self._db.execute(
            "SELECT at, event, address, country, what FROM audit ORDER BY id DESC LIMIT ?",
            (max(0, limit),),
        ).fetchall()
        entries = []
        for at, event, address, country, what in rows:
            try:
                kind = Event(event)
            except ValueError:  # a row from a later version, with an event this one lacks
                continue
            entries.append(Entry(float(at), kind, address, country, what))
        return entries

    def prune(self) -> None:
        """Delete the entries older than the retention, and forget idle buckets."""
        now = self._clock()
        with self._db:
            deleted = self._db.execute(
                "DELETE FROM audit WHERE at < ?", (now - self._retention,)
            ).rowcount
        self._rows -= deleted
        self._next_prune = now + self.PRUNE_EVERY
        elapsed = self._tick(now)
        for key, bucket in list(self._buckets.items()):
            if bucket.idle(elapsed):
                del self._buckets[key]

    def close(self) -> None:
        self._db.close()

    @property
    def rows(self) -> int:
        """How many entries the database holds (never above `max_rows`)."""
        return self._rows

    @property
    def addresses(self) -> int:
        """How many addresses the bucket table holds (never above MAX_ADDRESSES)."""
        return len(self._buckets)

    def _tick(self, reading: float) -> float:
        """The buckets' time at the clock's `reading`."""
        self._elapsed += max(0.0, reading - self._reading)
        self._reading = reading
        return self._elapsed

    def _maybe_prune(self, now: float) -> None:
        if now >= self._next_prune or now < self._next_prune - self.PRUNE_EVERY:
            try:
                self.prune()
            except sqlite3.Error as exc:
                log.error("cannot prune the audit database %s: %s", self._path, exc)

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is not None:
            self._buckets.move_to_end(key)  # least recently seen first, for _make_room
            return bucket
        if len(self._buckets) >= self.MAX_ADDRESSES:
            self._make_room(now)
        bucket = _Bucket(self.ADDRESS_RATE, self.ADDRESS_BURST, now)
        self._buckets[key] = bucket
        return bucket

    def _make_room(self, now: float) -> None:
        """Shrink a full bucket table to three quarters: idle buckets first, then the oldest.

        A pass reads the whole table, but it frees a quarter of it, so it runs at most once
        per MAX_ADDRESSES / 4 new addresses.
        """
        target = self.MAX_ADDRESSES * 3 // 4
        for key, bucket in list(self._buckets.items()):
            if bucket.idle(now):
                del self._buckets[key]
        while len(self._buckets) > target:
            self._buckets.popitem(last=False)

    def _store(self, entries: list[Entry]) -> None:
        entries = entries[-self._max_rows :]
        deleted = 0
        try:
            with self._db:
                if self._rows + len(entries) > self._max_rows:
                    keep = max(0, self._max_rows - self._batch - len(entries))
                    deleted = self._db.execute(
                        "DELETE FROM audit WHERE id <= "
                        "(SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)",
                        (keep,),
                    ).rowcount
                self._db.executemany(
                    "INSERT INTO audit (at, event, address, country, what) VALUES (?, ?, ?, ?, ?)",
                    [(e.at, e.event.value, e.address, e.country, e.what) for e in entries],
                )
        except sqlite3.Error as exc:
            # The log line is out already, so fail2ban still sees it; the page will not.
            log.error("cannot store an audit entry in %s: %s", self._path, exc)
            return
        self._rows += len(entries) - deleted


def _connect(path: Path | None) -> sqlite3.Connection:
    name = ":memory:" if path is None else str(path)
    try:
        db = sqlite3.connect(name)
    except sqlite3.Error as exc:
        raise AuditError(f"cannot open the audit database {path}: {exc}") from exc
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
    except sqlite3.Error as exc:
        db.close()
        raise AuditError(f"{path} is not an audit database Parlour can use: {exc}") from exc
    return db
