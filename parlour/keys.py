"""Room keys: passphrase stretching, the locator the server sees, and its stored verifier.

The same derivation runs in the browser (static/crypto.js, WebCrypto); PROTOCOL.md fixes it with
test vectors that both sides are tested against. The server itself only ever calls `verifier()`
on a locator a client sent; everything else here is for the CLI and for tests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import cache

# `cryptography` is imported inside the functions that use it: the server never calls them,
# and importing it costs `parlour serve` 6 MiB of resident memory (docs/performance.md).

KDF_ITERATIONS = 600_000
SALT_BYTES = 32
LOCATOR_BYTES = 32
KEY_BYTES = 32
PASSPHRASE_WORDS = 6

LOCATOR_INFO = b"parlour/v1 room locator"
SIGNALLING_INFO = b"parlour/v1 signalling key"


def b64url(data: bytes) -> str:
    """Unpadded base64url, the only binary encoding used on the wire and in the config."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    """Inverse of `b64url`; raises ValueError on anything that is not canonical base64url."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not unpadded base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


# Unicode White_Space, spelled out so that Python and JavaScript split on the very same set.
_WHITE_SPACE = re.compile("[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")


def normalize_passphrase(passphrase: str) -> str:
    """NFKC, trimmed, inner white space folded to one space: what people mean is what counts.

    Case is kept: folding it would cost a chosen passphrase entropy it may need.
    """
    parts = _WHITE_SPACE.split(unicodedata.normalize("NFKC", passphrase))
    return " ".join(part for part in parts if part)


@dataclass(frozen=True, slots=True)
class RoomKeys:
    locator: bytes
    signalling_key: bytes

    @property
    def verifier(self) -> bytes:
        return verifier(self.locator)


def stretch(passphrase: str, salt: bytes, iterations: int = KDF_ITERATIONS) -> bytes:
    """The slow step: PBKDF2-HMAC-SHA-256 over the normalized passphrase."""
    data = normalize_passphrase(passphrase).encode("utf-8")
    return hashlib.pbkdf2_hmac("sha256", data, salt, iterations, dklen=32)


def _expand(master: bytes, info: bytes, length: int) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(master)


def room_keys(passphrase: str, salt: bytes, iterations: int = KDF_ITERATIONS) -> RoomKeys:
    """Passphrase -> (locator for the server, signalling key that stays with the members)."""
    master = stretch(passphrase, salt, iterations)
    return RoomKeys(
        locator=_expand(master, LOCATOR_INFO, LOCATOR_BYTES),
        signalling_key=_expand(master, SIGNALLING_INFO, KEY_BYTES),
    )


def verifier(locator: bytes) -> bytes:
    """What the config stores: a one-way image of the locator, so a stolen file admits nobody."""
    return hashlib.sha256(locator).digest()


@cache
def _words() -> tuple[str, ...]:
    from xkcdpass import xkcd_password

    words = xkcd_password.generate_wordlist(
        wordfile=xkcd_password.locate_wordfile("eff-long"), min_length=3, max_length=9
    )
    return tuple(sorted({w for w in words if w.isascii() and w.isalpha()}))


def generate_passphrase(words: int = PASSPHRASE_WORDS) -> str:
    """Words from the EFF long list: about 12.9 bits each, easy to read out over the phone."""
    pool = _words()
    return " ".join(secrets.choice(pool) for _ in range(words))


def passphrase_bits(words: int = PASSPHRASE_WORDS) -> float:
    import math

    return words * math.log2(len(_words()))


def generate_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


def generate_path_secret() -> str:
    """A path segment nobody guesses: 128 random bits, base64url."""
    return secrets.token_urlsafe(16)
