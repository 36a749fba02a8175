"""Sealed envelopes and pairwise keys: the Python mirror of static/crypto.js.

The server never seals or opens anything: it relays envelopes it cannot read. This module is
for the test vectors in PROTOCOL.md (both sides are tested against them) and for Python clients.
`cryptography` is imported inside the functions, so that importing this costs `serve` nothing.
"""

from __future__ import annotations

import hashlib
import re

from parlour.keys import b64url, unb64url

ROOM_LABEL = "parlour/v2 room"
PAIR_LABEL = "parlour/v2 pair"
IDENTITY_LABEL = "parlour/v2 identity"
PAIR_KEY_INFO = b"parlour/v2 pair key"
SAFETY_LABEL = "parlour/v2 safety code"
DOOR_IKM = b"parlour/v2 front door"
DOOR_INFO = b"parlour/v2 signalling key"
IV_BYTES = 12

_FINGERPRINT = re.compile(r"^a=fingerprint:(\S+) (\S+?)\r?$", re.M | re.I)


def door_key() -> bytes:
    """The key a front-door call seals its introductions with, where a room uses its passphrase's.

    Everyone can compute it, the server included: it authenticates nothing, and the safety code
    is what tells two people that nobody stands between them (PROTOCOL.md "The front door").
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=DOOR_INFO).derive(DOOR_IKM)


def room_aad(sender: str, recipient: str, seq: int) -> bytes:
    """A room envelope opens only between these two peer ids, at this place in the count."""
    return f"{ROOM_LABEL}\n{sender}\n{recipient}\n{seq}".encode()


def pair_aad(sender: str, recipient: str, seq: int) -> bytes:
    """A pair envelope opens only from this session to that one, at this place in the count."""
    return f"{PAIR_LABEL}\n{sender}\n{recipient}\n{seq}".encode()


def seal(key: bytes, aad: bytes, plaintext: bytes, iv: bytes) -> bytes:
    """AES-256-GCM: the ciphertext with its 16-byte tag appended."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).encrypt(iv, plaintext, aad)


def open_sealed(key: bytes, aad: bytes, iv: bytes, ct: bytes) -> bytes:
    """Raises cryptography's InvalidTag when the envelope was forged, altered or redirected."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(key).decrypt(iv, ct, aad)


def identity_text(session: str, key: str, fingerprints: list[str]) -> str:
    """One side of a pair: its session, its public key, its DTLS fingerprints sorted."""
    return "\n".join([IDENTITY_LABEL, session, key, *sorted(fingerprints)])


def commitment(identity: str) -> str:
    return b64url(hashlib.sha256(identity.encode()).digest())


def public_key(private: bytes) -> str:
    """The raw (uncompressed, 65 bytes) P-256 public key of a 32-byte private scalar."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    secret = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    raw = secret.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return b64url(raw)


def pair_key(private: bytes, theirs: str, committer_commit: str, responder_commit: str) -> bytes:
    """ECDH on P-256, then HKDF-SHA-256 salted with the hash of both commitments."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = ec.derive_private_key(int.from_bytes(private, "big"), ec.SECP256R1())
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(theirs))
    shared = secret.exchange(ec.ECDH(), peer)
    transcript = f"{PAIR_LABEL}\n{committer_commit}\n{responder_commit}".encode()
    salt = hashlib.sha256(transcript).digest()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=PAIR_KEY_INFO).derive(shared)


def safety_code(identity_a: str, identity_b: str) -> str:
    """Six digits, "ddd ddd", from both identity texts in sorted order."""
    text = "\n".join([SAFETY_LABEL, *sorted([identity_a, identity_b])])
    number = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") % 1_000_000
    digits = f"{number:06d}"
    return f"{digits[:3]} {digits[3:]}"


def sdp_fingerprints(sdp: str) -> list[str]:
    """Every a=fingerprint of a session description as "hash UPPER:HEX", without repeats."""
    found: dict[str, None] = {}
    for match in _FINGERPRINT.finditer(sdp):
        found[f"{match.group(1).lower()} {match.group(2).upper()}"] = None
    return list(found)
