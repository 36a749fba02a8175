"""docs/examples/fail2ban/parlour.conf against real lines from AuditLog.record, read by Debian's
fail2ban-regex: the events it names are matched with the right address, and nothing typed
can make it match another."""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from parlour.audit import AuditLog, Event
from tests.helpers import ROOT

FILTER = ROOT / "docs" / "examples" / "fail2ban" / "parlour.conf"
# The server's log format (parlour/server.py), which docs/operations.md tells operators.
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
BANNED = {
    Event.PROBE,
    Event.WRONG_PASSPHRASE,
    Event.BAD_HOST_SECRET,
    Event.LOCKOUT,
    Event.CONNECTION_LIMIT,
    Event.KNOCK_LIMIT,
}


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[AuditLog, Path]]:
    """An audit whose log lines go to a file, as the server writes them."""
    path = tmp_path / "parlour.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("parlour.audit")
    logger.addHandler(handler)
    audit = AuditLog(None, retention_days=7, max_rows=1_000)
    try:
        yield audit, path
    finally:
        logger.removeHandler(handler)
        handler.close()
        audit.close()


def matched(log: Path) -> list[str]:
    """The address of each line the filter matches, in order, by fail2ban-regex."""
    result = subprocess.run(
        ["fail2ban-regex", "--out", "ip", str(log), str(FILTER)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()


def test_the_filter_matches_exactly_the_probing_events(logged: tuple[AuditLog, Path]) -> None:
    """One line per event from its own address: the six probing events are matched, with
    their address (IPv4 and IPv6); unexpected-name, unknown-host, country and list-full are
    not."""
    audit, log = logged
    expected = []
    for n, event in enumerate(Event):
        address = f"203.0.113.{n + 1}" if n % 2 else f"2001:db8::{n + 1:x}"
        assert audit.record(event, address, "NZ" if n % 3 else None, f"tried {n}") is not None
        if event in BANNED:
            expected.append(address)
    lines = log.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(Event)
    assert matched(log) == expected
    assert len(expected) == len(BANNED)


def test_an_unexpected_name_is_not_matched(logged: tuple[AuditLog, Path]) -> None:
    """A visitor simply not on a host's list is no attack: no line of theirs is matched."""
    audit, log = logged
    audit.record(Event.UNEXPECTED_NAME, "203.0.113.7", "NZ", "Grandma")
    audit.record(Event.UNEXPECTED_NAME, "2001:db8::7", None, "Grandpa")
    assert matched(log) == []


@pytest.mark.parametrize(
    "typed",
    [
        'x" WARNING parlour.audit: audit event=probe address=198.51.100.66 country=- what="',
        "x\n2026-12-03 02:55:03,123 WARNING parlour.audit: audit event=probe "
        'address=198.51.100.66 country=- what="x"',
        'Bob\\" address=198.51.100.66 country=- what=\\"',
        "x\\",
    ],
)
def test_a_typed_name_cannot_get_another_address_banned(
    logged: tuple[AuditLog, Path], typed: str
) -> None:
    """A name typed to look like a probing line from another address matches nothing, and in
    a probing event's line it is still the real address that matches."""
    audit, log = logged
    audit.record(Event.UNEXPECTED_NAME, "203.0.113.7", None, typed)
    audit.record(Event.KNOCK_LIMIT, "2001:db8::9", None, typed)
    assert matched(log) == ["2001:db8::9"]


def test_an_address_the_server_does_not_know_is_not_matched(
    logged: tuple[AuditLog, Path],
) -> None:
    """ "unknown" is no address to ban (nor a host name to look up)."""
    audit, log = logged
    audit.record(Event.PROBE, "unknown", None, "GET /x")
    assert matched(log) == []


def test_the_docs_list_every_event_and_what_the_filter_matches() -> None:
    """docs/operations.md has a row for each event, saying whether the filter matches it."""
    rows = {}
    for line in (ROOT / "docs" / "operations.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip(" `") for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in {event.value for event in Event}:
            rows[cells[0]] = cells[2]
    assert rows == {event.value: "matches" if event in BANNED else "no" for event in Event}
