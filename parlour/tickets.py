"""Lock tickets: what lets a member back into a locked room, and put a lock back after a restart.

Only the server makes tickets, and it can tell one it made long ago from one a client made up
without remembering either: a ticket carries a random nonce, the time it was issued and a MAC
over both and the room, under a key from parlour.toml that outlives the process. The MAC binds
the room's verifier, so one room's ticket means nothing in another; the time orders tickets,
so that the newest one the members bring back wins (see PROTOCOL.md "Locking a room").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Final

from parlour import keys

NONCE_BYTES: Final = 12
TIME_BYTES: Final = 8  # milliseconds since the Unix epoch, big-endian
MAC_BYTES: Final = 16  # HMAC-SHA-256 cut to 128 bits: forging one means guessing those
TICKET_BYTES: Final = NONCE_BYTES + TIME_BYTES + MAC_BYTES
TICKET_CHARS: Final = 48  # TICKET_BYTES in unpadded base64url
KEY_BYTES: Final = 32
LABEL: Final = b"parlour/v1 lock ticket\n"


def generate_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def _mac(key: bytes, room: bytes, body: bytes) -> bytes:
    # Every part has a fixed length, so plain concatenation cannot be read two ways.
    return hmac.new(key, LABEL + room + body, hashlib.sha256).digest()[:MAC_BYTES]


def mint(key: bytes, room: bytes, issued_ms: int) -> str:
    """A new ticket for the room whose verifier is `room`, issued at `issued_ms`."""
    body = secrets.token_bytes(NONCE_BYTES) + issued_ms.to_bytes(TIME_BYTES, "big")
    return keys.b64url(body + _mac(key, room, body))


def issued(key: bytes, room: bytes, ticket: str) -> int | None:
    """When this server issued `ticket` for `room`, in ms; None for anything it did not make.

    A made-up ticket, one for another room, one made under another key, and one that is not
    even base64url all get None, in time that does not depend on how close they came.
    """
    if len(ticket) != TICKET_CHARS:
        return None
    try:
        data = keys.unb64url(ticket)
    except ValueError:
        return None
    body, mac = data[: NONCE_BYTES + TIME_BYTES], data[NONCE_BYTES + TIME_BYTES :]
    if not hmac.compare_digest(mac, _mac(key, room, body)):
        return None
    return int.from_bytes(body[NONCE_BYTES:], "big")
