"""What the bench puts on the wire: locators, join frames, and envelopes of a realistic size.

Frames are built as bytes directly: the generator must stay cheap, and the server parses
them with its real decoder either way (a malformed frame would come back as an error).
"""

from __future__ import annotations

import base64
import random
import secrets
from typing import Final

SIGNAL_TAG: Final = b'{"type":"signal"'
ERROR_TAG: Final = b'{"type":"error"'
JOINED_TAG: Final = b'{"type":"joined"'
WELCOME_TAG: Final = b'{"type":"welcome"'
PEER_JOINED_TAG: Final = b'{"type":"peer-joined"'


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_locator() -> str:
    """A room locator as a browser sends it: 32 bytes of PBKDF2/HKDF output, base64url."""
    return b64url(secrets.token_bytes(32))


def join_frame(locator: str) -> bytes:
    return b'{"type":"join","room":"' + locator.encode() + b'"}'


def signal_prefix(to: str) -> bytes:
    """A `signal` up to its seq, which the sender appends, counting up."""
    return b'{"type":"signal","to":"' + to.encode() + b'","seq":'


def envelope_tails(rng: random.Random, count: int) -> list[bytes]:
    """The rest of a `signal` after its seq: an iv and a 200-400 character ct.

    The server never opens an envelope, so random base64url of a real envelope's size costs
    it exactly what a sealed SDP offer or ICE candidate would.
    """
    tails = []
    for _ in range(count):
        iv = b64url(rng.randbytes(12))  # 16 characters
        ct = b64url(rng.randbytes(rng.randint(150, 300)))  # 200 to 400 characters
        tails.append(f',"iv":"{iv}","ct":"{ct}"}}'.encode())
    return tails
