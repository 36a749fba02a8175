"""parlour.keys against the test vectors in PROTOCOL.md, which the browser client shares."""

from __future__ import annotations

import functools
import os
from typing import Any

import pytest

from parlour import keys
from tests.helpers import vectors

VECTORS = vectors()
ROOMS = VECTORS["rooms"]


@functools.cache
def derived(passphrase: str) -> keys.RoomKeys:
    """The slow stretch, once per passphrase for the whole module."""
    return keys.room_keys(passphrase, keys.unb64url(VECTORS["salt"]), VECTORS["iterations"])


def room_id(room: dict[str, Any]) -> str:
    return str(room["normalized"])


def test_vectors_use_the_servers_iteration_count_and_salt_size() -> None:
    """The vectors describe the real derivation: 600000 iterations, a 32-byte salt."""
    assert VECTORS["iterations"] == keys.KDF_ITERATIONS
    assert len(keys.unb64url(VECTORS["salt"])) == keys.SALT_BYTES


@pytest.mark.parametrize("room", ROOMS, ids=room_id)
def test_normalize_passphrase_matches_vector(room: dict[str, Any]) -> None:
    """NFKC, white space folded and trimmed, case kept — as the vectors say."""
    assert keys.normalize_passphrase(room["passphrase"]) == room["normalized"]


@pytest.mark.parametrize("room", ROOMS, ids=room_id)
def test_room_keys_reproduce_vector_locator_and_signalling_key(room: dict[str, Any]) -> None:
    """PBKDF2 then HKDF give the vectors' locator and signalling key."""
    found = derived(room["passphrase"])
    assert keys.b64url(found.locator) == room["locator"]
    assert keys.b64url(found.signalling_key) == room["signalling_key"]


@pytest.mark.parametrize("room", ROOMS, ids=room_id)
def test_verifier_matches_vector(room: dict[str, Any]) -> None:
    """The stored verifier is SHA-256 of the locator, as in the vectors."""
    locator = keys.unb64url(room["locator"])
    assert keys.b64url(keys.verifier(locator)) == room["verifier"]
    assert keys.b64url(derived(room["passphrase"]).verifier) == room["verifier"]


def test_normalized_and_raw_passphrase_open_the_same_room() -> None:
    """Stretching normalizes first: the raw and the normalized form give one locator."""
    room = ROOMS[1]
    assert room["passphrase"] != room["normalized"]
    assert derived(room["passphrase"]) == derived(room["normalized"])


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 12, 31, 32, 33])
def test_b64url_round_trips_without_padding(size: int) -> None:
    """b64url writes no '=' and no '+' or '/', and unb64url reads it back."""
    data = os.urandom(size)
    text = keys.b64url(data)
    assert "=" not in text
    assert "+" not in text
    assert "/" not in text
    assert keys.unb64url(text) == data


def test_b64url_uses_the_url_safe_alphabet() -> None:
    """Bytes that standard base64 writes as '+' and '/' come out as '-' and '_'."""
    assert keys.b64url(b"\xfb\xff") == "-_8"
    assert keys.unb64url("-_8") == b"\xfb\xff"


@pytest.mark.parametrize(
    "text",
    [
        "AA==",  # padding
        "AAA=",  # padding
        "AB",  # non-canonical: trailing bits set
        "AAB",  # non-canonical
        "AAAAA",  # a length no encoding produces
        "+/8",  # standard alphabet, not url-safe
        "AA A",  # white space
        "AA\n",  # trailing newline
        "AÄ",  # not ASCII
        "AAAA.",  # punctuation
    ],
)
def test_unb64url_refuses_non_canonical_text(text: str) -> None:
    """Only canonical, unpadded base64url decodes; anything else is a ValueError."""
    with pytest.raises(ValueError, match="base64url"):
        keys.unb64url(text)


def test_generate_passphrase_gives_six_words_from_the_list() -> None:
    """A fresh passphrase is six list words, already in normal form."""
    words = set(keys._words())
    phrase = keys.generate_passphrase()
    parts = phrase.split(" ")
    assert len(parts) == keys.PASSPHRASE_WORDS == 6
    assert all(part in words for part in parts)
    assert keys.normalize_passphrase(phrase) == phrase
    assert keys.generate_passphrase() != phrase


def test_passphrase_bits_exceed_seventy() -> None:
    """Six words of the list are worth more than 70 bits."""
    assert keys.passphrase_bits() > 70
    assert len(keys._words()) > 2**11


def test_generated_secrets_have_their_sizes() -> None:
    """Salts are 32 random bytes; path secrets are 128 bits of base64url."""
    salt = keys.generate_salt()
    assert len(salt) == 32
    assert salt != keys.generate_salt()
    secret = keys.generate_path_secret()
    assert len(keys.unb64url(secret)) == 16
    assert secret != keys.generate_path_secret()
