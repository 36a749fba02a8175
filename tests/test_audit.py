"""parlour.audit: entries that survive restarts, the bounds on rows, age and floods, and a log
line nothing typed can forge."""

from __future__ import annotations

import itertools
import logging
import re
import sqlite3
from pathlib import Path

import pytest

from parlour.audit import (
    SUMMARY,
    WHAT_MAX,
    AuditError,
    AuditLog,
    Entry,
    Event,
    clean_what,
    log_line,
)
from tests.helpers import FakeClock

T0 = 1_800_000_000.0
DAY = 86_400.0
# How a reader (a test here, fail2ban in docs/examples/fail2ban/) takes a line apart.
LINE = re.compile(
    r"audit event=(?P<event>\S+) address=(?P<address>\S+) country=(?P<country>\S+) "
    r'what="(?P<what>(?:[^"\\]|\\.)*)"'
)


def open_log(path: Path | None = None, clock: FakeClock | None = None, **kw: int) -> AuditLog:
    kw.setdefault("retention_days", 7)
    kw.setdefault("max_rows", 1_000)
    return AuditLog(path, clock=clock or FakeClock(T0), **kw)


def count_rows(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


def test_entries_survive_a_restart(tmp_path: Path) -> None:
    """What was recorded is there again, unchanged, after closing and reopening the file."""
    path = tmp_path / "audit.sqlite3"
    clock = FakeClock(T0)
    audit = open_log(path, clock)
    first = audit.record(Event.PROBE, "203.0.113.7", None, "GET /x")
    clock.advance(1.5)
    second = audit.record(Event.UNEXPECTED_NAME, "2001:db8::1", "FR", "Mallory")
    audit.close()

    audit = open_log(path, clock)
    assert audit.recent() == [second, first]
    assert second == Entry(T0 + 1.5, Event.UNEXPECTED_NAME, "2001:db8::1", "FR", "Mallory")
    assert audit.rows == 2
    audit.close()


def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    """The file is in WAL mode, so a commit does not wait for the disk."""
    path = tmp_path / "audit.sqlite3"
    audit = open_log(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    audit.close()


def test_no_path_keeps_the_audit_in_memory() -> None:
    """path None: a working audit that nothing on disk holds."""
    audit = open_log(None)
    audit.record(Event.PROBE, "203.0.113.7", None, "GET /x")
    assert [e.what for e in audit.recent()] == ["GET /x"]
    audit.close()


def test_recent_is_newest_first_and_limited() -> None:
    """recent(limit) gives the last `limit` entries, the newest first."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock)
    for n in range(30):
        audit.record(Event.PROBE, f"198.51.100.{n}", None, f"GET /{n}")
        clock.advance(1)
    assert [e.what for e in audit.recent(3)] == ["GET /29", "GET /28", "GET /27"]
    assert len(audit.recent()) == 30


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    """A file that is not SQLite: AuditError naming the file, not a traceback from sqlite3."""
    path = tmp_path / "audit.sqlite3"
    path.write_bytes(b"not a database, " * 100)
    with pytest.raises(AuditError, match=re.escape(str(path))):
        open_log(path)


def test_old_entries_are_gone_after_a_restart(tmp_path: Path) -> None:
    """Entries older than retention_days are deleted on opening."""
    path = tmp_path / "audit.sqlite3"
    clock = FakeClock(T0)
    audit = open_log(path, clock, retention_days=7)
    audit.record(Event.PROBE, "203.0.113.7", None, "old")
    clock.advance(6 * DAY)
    audit.record(Event.PROBE, "203.0.113.7", None, "recent")
    audit.close()

    clock.advance(1 * DAY + 1)
    audit = open_log(path, clock, retention_days=7)
    assert [e.what for e in audit.recent()] == ["recent"]
    assert count_rows(path) == 1
    audit.close()


def test_old_entries_are_deleted_while_running() -> None:
    """A server that runs for weeks keeps no entry beyond retention_days (pruned hourly)."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock, retention_days=1)
    audit.record(Event.PROBE, "203.0.113.7", None, "old")
    clock.advance(DAY + AuditLog.PRUNE_EVERY)
    assert audit.recent() == []
    assert audit.rows == 0
    audit.record(Event.PROBE, "203.0.113.7", None, "new")
    assert [e.what for e in audit.recent()] == ["new"]


def test_rows_stay_within_max_rows_under_5000_records(tmp_path: Path) -> None:
    """max_rows holds at every insert; the oldest go, in batches of a tenth of it."""
    path = tmp_path / "audit.sqlite3"
    clock = FakeClock(T0)
    audit = open_log(path, clock, max_rows=100)
    sizes = []
    for n in range(5_000):
        clock.advance(1)  # within the flood bounds: every one is recorded
        assert audit.record(Event.PROBE, f"10.0.{n // 256}.{n % 256}", None, f"{n}") is not None
        sizes.append(audit.rows)
    assert max(sizes) == 100
    assert min(sizes[100:]) >= 90  # deleted in batches, not emptied
    assert sum(b < a for a, b in itertools.pairwise(sizes)) <= 5_000 // 10 + 1
    assert count_rows(path) == audit.rows
    assert [e.what for e in audit.recent(2)] == ["4999", "4998"]
    audit.close()


def test_a_flood_from_one_address_keeps_its_burst() -> None:
    """5,000 entries at once from one address: ADDRESS_BURST rows, the rest counted."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock)
    kept = [audit.record(Event.PROBE, "203.0.113.7", None, "GET /x") for _ in range(5_000)]
    assert sum(entry is not None for entry in kept) == AuditLog.ADDRESS_BURST == audit.rows
    assert audit.unrecorded == 5_000 - AuditLog.ADDRESS_BURST


def test_the_next_allowed_entry_follows_a_summary() -> None:
    """After a flood, the address's next entry comes after one '… and N more' entry."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock)
    for _ in range(50):
        audit.record(Event.PROBE, "203.0.113.7", None, "GET /x")
    clock.advance(1 / AuditLog.ADDRESS_RATE)
    entry = audit.record(Event.KNOCK_LIMIT, "203.0.113.7", "NZ", "Bob")
    assert entry is not None
    newest, summary = audit.recent(2)
    assert newest == entry
    assert summary.event is Event.PROBE
    assert (
        summary.what == SUMMARY.format(count=40) == "… and 40 more from this address not recorded"
    )
    assert summary.address == "203.0.113.7"
    assert audit.record(Event.PROBE, "203.0.113.7", None, "GET /x") is None


def test_an_ipv6_64_is_one_address_for_the_flood_bounds() -> None:
    """Moving around one /64 does not earn a fresh burst."""
    audit = open_log()
    for n in range(1, 1_001):
        audit.record(Event.PROBE, f"2001:db8:0:1::{n:x}", None, "GET /x")
    assert audit.rows == AuditLog.ADDRESS_BURST


def test_a_flood_from_1000_addresses_is_held_by_the_global_bound() -> None:
    """10 entries from each of 1,000 addresses at once: GLOBAL_BURST rows; then, flooded for
    ten seconds more, no more than twice the global rate (entries and their summaries)."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock, max_rows=100_000)

    def flood(times: int) -> None:
        for n in range(1_000):
            for _ in range(times):
                audit.record(Event.PROBE, f"198.18.{n // 256}.{n % 256}", None, "GET /x")

    flood(10)
    assert audit.rows == AuditLog.GLOBAL_BURST
    for _ in range(10):
        clock.advance(1)
        flood(1)
    assert audit.rows <= AuditLog.GLOBAL_BURST + 2 * 10 * AuditLog.GLOBAL_RATE
    assert audit.rows - summaries(audit) + audit.unrecorded == 20_000  # each kept or counted
    assert audit.addresses <= 1_000


def summaries(audit: AuditLog) -> int:
    return sum(e.what.endswith("not recorded") for e in audit.recent(100_000))


class SmallAudit(AuditLog):
    MAX_ADDRESSES = 64


def test_the_bucket_table_is_bounded() -> None:
    """Ten thousand addresses never hold more than MAX_ADDRESSES buckets."""
    clock = FakeClock(T0)
    audit = SmallAudit(None, retention_days=7, max_rows=1_000, clock=clock)
    for n in range(10_000):
        audit.record(Event.PROBE, f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", None, "x")
        assert audit.addresses <= SmallAudit.MAX_ADDRESSES
        if n % 100 == 0:
            clock.advance(1)


def test_idle_buckets_are_dropped_at_the_hourly_prune() -> None:
    """A bucket that is full again and owes no summary is forgotten."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock)
    for n in range(100):
        audit.record(Event.PROBE, f"198.51.100.{n}", None, "x")
    assert audit.addresses == 100
    clock.advance(AuditLog.PRUNE_EVERY)
    audit.record(Event.PROBE, "203.0.113.7", None, "x")
    assert audit.addresses == 1


def test_a_clock_set_back_does_not_silence_the_audit() -> None:
    """The buckets count only the clock's steps forward."""
    clock = FakeClock(T0)
    audit = open_log(clock=clock)
    for _ in range(AuditLog.ADDRESS_BURST):
        audit.record(Event.PROBE, "203.0.113.7", None, "x")
    clock.advance(-3_600)
    assert audit.record(Event.PROBE, "203.0.113.7", None, "x") is None
    clock.advance(1 / AuditLog.ADDRESS_RATE)
    assert audit.record(Event.PROBE, "203.0.113.7", None, "x") is not None


def test_the_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """One WARNING line on parlour.audit per entry, in the documented format."""
    caplog.set_level(logging.WARNING, logger="parlour.audit")
    audit = open_log()
    audit.record(Event.PROBE, "203.0.113.7", None, "GET /x")
    audit.record(Event.COUNTRY, "[2001:db8::1]:443", "nz", "Bob")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (
            "parlour.audit",
            logging.WARNING,
            'audit event=probe address=203.0.113.7 country=- what="GET /x"',
        ),
        (
            "parlour.audit",
            logging.WARNING,
            'audit event=country address=2001:db8::1 country=NZ what="Bob"',
        ),
    ]


def test_a_suppressed_entry_writes_no_log_line(caplog: pytest.LogCaptureFixture) -> None:
    """The flood bounds hold for the log too: a flood does not fill the disk through it."""
    caplog.set_level(logging.WARNING, logger="parlour.audit")
    audit = open_log()
    for _ in range(1_000):
        audit.record(Event.PROBE, "203.0.113.7", None, "x")
    assert len(caplog.records) == AuditLog.ADDRESS_BURST


@pytest.mark.parametrize(
    "typed",
    [
        'Bob" address=198.51.100.66 country=DE what="x',
        'Bob\naudit event=probe address=198.51.100.66 country=- what="x"',
        'Bob\\" address=198.51.100.66 what=\\"',
        "Bob\r\u2028\u0085address=198.51.100.66",
        'x" WARNING parlour.audit: audit event=probe address=198.51.100.66 country=- what="',
        "\\",
    ],
)
def test_a_typed_name_cannot_forge_a_field(caplog: pytest.LogCaptureFixture, typed: str) -> None:
    """Whatever a visitor types, the line has one line, the real address, and `what` reads
    back as exactly what was stored."""
    caplog.set_level(logging.WARNING, logger="parlour.audit")
    audit = open_log()
    entry = audit.record(Event.UNEXPECTED_NAME, "203.0.113.7", None, typed)
    assert entry is not None
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.splitlines() == [message]
    fields = LINE.fullmatch(message)
    assert fields is not None
    assert fields["address"] == "203.0.113.7"
    assert re.sub(r"\\(.)", r"\1", fields["what"]) == entry.what
    assert message.count(' what="') == 1


def test_control_characters_are_replaced() -> None:
    """Controls, line separators and bidi overrides become U+FFFD; the rest stays."""
    typed = "A\x00B\x1b[31mC\u202eD\u2028E\r\nF\tG\ud800 Zoë 😀"
    assert clean_what(typed) == "A\ufffdB\ufffd[31mC\ufffdD\ufffdE\ufffd\ufffdF\ufffdG\ufffd Zoë 😀"
    audit = open_log()
    entry = audit.record(Event.UNEXPECTED_NAME, "203.0.113.7", None, typed)
    assert entry is not None
    assert audit.recent() == [entry]
    assert entry.what == clean_what(typed)


def test_what_is_bounded() -> None:
    """A 100 KB `what` is kept as its first WHAT_MAX characters, the last one "…"."""
    what = clean_what("x" * 100_000)
    assert len(what) == WHAT_MAX
    assert what.endswith("x…")
    assert clean_what("y" * WHAT_MAX) == "y" * WHAT_MAX


def test_addresses_and_countries_are_cleaned() -> None:
    """An address is kept in its plain form and a country only as two letters."""
    audit = open_log()
    entries = [
        audit.record(Event.PROBE, "[2001:db8::1]:443", "fr", "x"),
        audit.record(Event.PROBE, "::ffff:198.51.100.1", "D1", "x"),
        audit.record(Event.PROBE, "not an address", "DEU", "x"),
    ]
    assert [(e.address, e.country) for e in entries if e] == [
        ("2001:db8::1", "FR"),
        ("198.51.100.1", None),
        ("unknown", None),
    ]
    assert log_line(audit.recent(1)[0]).startswith("audit event=probe address=unknown country=-")


def test_bad_limits_are_refused() -> None:
    """retention_days and max_rows below 1 are programming errors."""
    with pytest.raises(ValueError, match="retention_days"):
        open_log(retention_days=0)
    with pytest.raises(ValueError, match="max_rows"):
        open_log(max_rows=0)
