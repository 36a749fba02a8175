"""parlour.tickets: tickets the server can check later without remembering them."""

from __future__ import annotations

import re

import pytest

from parlour import keys, tickets

KEY = bytes(range(32))
ROOM = keys.verifier(b"l" * 32)
OTHER_ROOM = keys.verifier(b"s" * 32)
ISSUED = 1_764_000_000_123


def test_a_minted_ticket_is_48_characters_of_base64url_and_tells_its_time() -> None:
    """mint() gives TICKET_CHARS of base64url; issued() reads back the time it was made."""
    ticket = tickets.mint(KEY, ROOM, ISSUED)
    assert re.fullmatch(r"[A-Za-z0-9_-]{48}", ticket)
    assert len(keys.unb64url(ticket)) == tickets.TICKET_BYTES
    assert tickets.issued(KEY, ROOM, ticket) == ISSUED


def test_two_tickets_made_at_once_differ() -> None:
    """The random nonce tells apart two tickets of one room made in the same millisecond."""
    assert tickets.mint(KEY, ROOM, ISSUED) != tickets.mint(KEY, ROOM, ISSUED)


def test_a_ticket_is_only_good_for_its_room_and_key() -> None:
    """Another room's verifier or another server key makes a genuine ticket worthless."""
    ticket = tickets.mint(KEY, ROOM, ISSUED)
    assert tickets.issued(KEY, OTHER_ROOM, ticket) is None
    assert tickets.issued(bytes(32), ROOM, ticket) is None


@pytest.mark.parametrize("at", [0, 5, 12, 19, 20, 35])
def test_changing_any_byte_voids_the_ticket(at: int) -> None:
    """Nonce, time and MAC are all bound: a client cannot move a ticket's time forward."""
    data = bytearray(keys.unb64url(tickets.mint(KEY, ROOM, ISSUED)))
    data[at] ^= 0x01
    assert tickets.issued(KEY, ROOM, keys.b64url(bytes(data))) is None


@pytest.mark.parametrize(
    "ticket",
    ["", "Hq0xS2ZtN4k7uP1wB9vYcA", "A" * 48, "A" * 47 + "!", "A" * 64],
    ids=["empty", "old-format", "zeros", "not-base64url", "too-long"],
)
def test_anything_the_server_did_not_make_is_no_ticket(ticket: str) -> None:
    """Made-up values of any length or alphabet get None, never an exception."""
    assert tickets.issued(KEY, ROOM, ticket) is None
