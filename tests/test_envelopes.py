"""parlour.envelopes against PROTOCOL.md's vectors: room envelopes, pairwise keys, safety code."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag

from parlour import envelopes, keys
from tests.helpers import protocol_text, vectors

VECTORS = vectors()
ROOM = VECTORS["room_envelope"]
PAIR = VECTORS["pair"]
COMMITTER = PAIR["committer"]
RESPONDER = PAIR["responder"]


def _open_room(envelope: dict[str, Any]) -> bytes:
    return envelopes.open_sealed(
        keys.unb64url(envelope["signalling_key"]),
        envelopes.room_aad(envelope["from"], envelope["to"], envelope["seq"]),
        keys.unb64url(envelope["iv"]),
        keys.unb64url(envelope["ct"]),
    )


def _open_pair(envelope: dict[str, Any], key: str) -> bytes:
    return envelopes.open_sealed(
        keys.unb64url(key),
        envelopes.pair_aad(envelope["from"], envelope["to"], envelope["seq"]),
        keys.unb64url(envelope["iv"]),
        keys.unb64url(envelope["ct"]),
    )


def _flip_last_char(text: str) -> str:
    data = bytearray(keys.unb64url(text))
    data[-1] ^= 1
    return keys.b64url(bytes(data))


def test_room_envelope_reproduces_the_vector() -> None:
    """The room key, iv and associated data give the vector's ciphertext, which opens again."""
    ct = envelopes.seal(
        keys.unb64url(ROOM["signalling_key"]),
        envelopes.room_aad(ROOM["from"], ROOM["to"], ROOM["seq"]),
        ROOM["plaintext"].encode(),
        keys.unb64url(ROOM["iv"]),
    )
    assert keys.b64url(ct) == ROOM["ct"]
    assert _open_room(ROOM) == ROOM["plaintext"].encode()


def test_the_room_vector_carries_an_introduction_and_nothing_more() -> None:
    """Under the room key travels only the committer's session and commitment."""
    intro = json.loads(ROOM["plaintext"])
    assert intro == {
        "kind": "intro",
        "session": COMMITTER["session"],
        "commit": COMMITTER["commit"],
        "resume": [],
    }


Change = Callable[[Any], Any]
ALTERATIONS: list[tuple[str, Change]] = [
    ("from", lambda value: "CCCCCCCC"),
    ("to", lambda value: "CCCCCCCC"),
    ("seq", lambda value: value + 1),
    ("ct", _flip_last_char),
    ("iv", _flip_last_char),
]


@pytest.mark.parametrize(("field", "change"), ALTERATIONS)
def test_an_altered_room_envelope_does_not_open(field: str, change: Change) -> None:
    """A re-stamped sender, a redirect, another count or a flipped bit: InvalidTag."""
    with pytest.raises(InvalidTag):
        _open_room({**ROOM, field: change(ROOM[field])})


def test_room_envelope_does_not_open_under_another_key() -> None:
    """Only the room's signalling key opens a room envelope."""
    with pytest.raises(InvalidTag):
        _open_room({**ROOM, "signalling_key": keys.b64url(os.urandom(32))})


@pytest.mark.parametrize("side", [COMMITTER, RESPONDER], ids=["committer", "responder"])
def test_each_sides_public_key_identity_and_commitment_follow_from_its_private_key(
    side: dict[str, Any],
) -> None:
    """Public key from the scalar; identity text from session, key and sorted fingerprints."""
    assert envelopes.public_key(keys.unb64url(side["private"])) == side["key"]
    identity = envelopes.identity_text(side["session"], side["key"], side["fingerprints"])
    assert identity == side["identity"]
    assert identity.splitlines()[3:] == sorted(side["fingerprints"])
    assert envelopes.commitment(identity) == side["commit"]


def test_both_sides_derive_the_vectors_pair_key() -> None:
    """ECDH from either end, salted with both commitments, gives one pair key."""
    commits = (COMMITTER["commit"], RESPONDER["commit"])
    at_committer = envelopes.pair_key(
        keys.unb64url(COMMITTER["private"]), RESPONDER["key"], *commits
    )
    at_responder = envelopes.pair_key(
        keys.unb64url(RESPONDER["private"]), COMMITTER["key"], *commits
    )
    assert keys.b64url(at_committer) == keys.b64url(at_responder) == PAIR["pair_key"]


def test_the_pair_key_depends_on_the_order_of_the_commitments() -> None:
    """Swapping who committed gives another key: both ends must agree on the roles."""
    swapped = envelopes.pair_key(
        keys.unb64url(COMMITTER["private"]),
        RESPONDER["key"],
        RESPONDER["commit"],
        COMMITTER["commit"],
    )
    assert keys.b64url(swapped) != PAIR["pair_key"]


def test_pair_envelope_reproduces_the_vector() -> None:
    """Sealed from session to session at seq 4 under the pair key: the vector's ciphertext."""
    envelope = PAIR["envelope"]
    ct = envelopes.seal(
        keys.unb64url(PAIR["pair_key"]),
        envelopes.pair_aad(envelope["from"], envelope["to"], envelope["seq"]),
        envelope["plaintext"].encode(),
        keys.unb64url(envelope["iv"]),
    )
    assert keys.b64url(ct) == envelope["ct"]
    assert _open_pair(envelope, PAIR["pair_key"]) == envelope["plaintext"].encode()


@pytest.mark.parametrize(("field", "change"), ALTERATIONS)
def test_an_altered_pair_envelope_does_not_open(field: str, change: Change) -> None:
    """Sessions, count, ciphertext and iv are all bound: any change fails to open."""
    envelope = PAIR["envelope"]
    altered = {**envelope, field: change(envelope[field])}
    if field in ("from", "to"):
        altered[field] = keys.b64url(os.urandom(16))
    with pytest.raises(InvalidTag):
        _open_pair(altered, PAIR["pair_key"])


def test_the_room_key_does_not_open_a_pair_envelope() -> None:
    """What two people say under their own key is closed to everyone else with the passphrase."""
    with pytest.raises(InvalidTag):
        _open_pair(PAIR["envelope"], ROOM["signalling_key"])


def test_safety_code_is_the_vectors_whichever_side_computes_it() -> None:
    """Both identity texts, sorted: the same six digits at both ends."""
    code = envelopes.safety_code(COMMITTER["identity"], RESPONDER["identity"])
    assert code == envelopes.safety_code(RESPONDER["identity"], COMMITTER["identity"])
    assert code == PAIR["safety_code"]


def test_safety_code_changes_with_any_fingerprint() -> None:
    """Another certificate on either side gives another code."""
    other = envelopes.identity_text(
        RESPONDER["session"], RESPONDER["key"], [*RESPONDER["fingerprints"][:1]]
    )
    assert envelopes.safety_code(COMMITTER["identity"], other) != PAIR["safety_code"]


def test_sdp_fingerprints_reads_every_line_once() -> None:
    """Session- and media-level a=fingerprint lines, case folded as the identity writes them."""
    sdp = (
        "v=0\r\na=fingerprint:SHA-256 ab:cd\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        "a=fingerprint:sha-256 AB:CD\r\na=fingerprint:sha-1 01:02\r\n"
    )
    assert envelopes.sdp_fingerprints(sdp) == ["sha-256 AB:CD", "sha-1 01:02"]


# The door key as OpenSSL computes it, independently of both clients: `openssl kdf -keylen 32
# -kdfopt digest:SHA256 -kdfopt key:"parlour/v2 front door" -kdfopt info:"parlour/v2 signalling
# key" HKDF`. tests/js/crypto.test.js holds the browser to the same value.
DOOR_KEY = "rNARs7Y2DdNnkdrC_84ENHgkxolE-_Jn9EJrKrxt_Go"


def test_the_door_key_is_hkdf_of_the_documented_labels() -> None:
    """The front door's key follows from PROTOCOL.md's two labels alone, with an empty salt."""
    assert keys.b64url(envelopes.door_key()) == DOOR_KEY
    door = protocol_text().split("## The front door", 1)[1]
    assert f'ikm = UTF-8("{envelopes.DOOR_IKM.decode()}")' in door
    assert f'info = "{envelopes.DOOR_INFO.decode()}"' in " ".join(door.split())
