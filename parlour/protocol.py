"""Every message on the WebSocket, typed: the one schema module that mirrors PROTOCOL.md.

Messages are JSON objects in text frames, told apart by their "type" field. A test reads
PROTOCOL.md and fails when a message, a field or an error code exists here but not there, or
the other way round, and decodes every example in the document against these types.
"""

from __future__ import annotations

import re
from enum import IntEnum, StrEnum
from typing import Annotated, Final

import msgspec

PROTOCOL_VERSION: Final = 2
MAX_FRAME: Final = 65_536
"""Largest frame, in bytes, a client may send; see PROTOCOL.md "Limits"."""

# msgspec matches with Python's re.search, where "$" also matches before a final newline;
# "\Z" is the true end, so "AAAAAAAA\n" is not a peer id and no newline rides in an envelope.
PEER_ID_PATTERN: Final = r"^[A-Za-z0-9_-]{8}\Z"
B64URL_PATTERN: Final = r"^[A-Za-z0-9_-]*\Z"

PeerId = Annotated[str, msgspec.Meta(pattern=PEER_ID_PATTERN)]
Locator = Annotated[str, msgspec.Meta(min_length=43, max_length=43, pattern=B64URL_PATTERN)]
# An envelope's `to`, `iv` and `ct` are a peer id and base64url as these patterns say, but
# Signal.__post_init__ checks them, all three at once: msgspec would call a regular expression
# for each, and those calls were most of the time decoding an envelope took.
Iv = Annotated[str, msgspec.Meta(min_length=16, max_length=16)]
Ciphertext = Annotated[str, msgspec.Meta(min_length=22, max_length=MAX_FRAME)]
B64URL_BYTES: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
Seq = Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1)]
PingId = Annotated[int, msgspec.Meta(ge=0, le=2**53 - 1)]
# What admits a member back into a room that is locked: 48 characters as the server makes them
# (parlour/tickets.py). Any base64url up to 64 is read, so that a stale or foreign ticket is
# judged as a ticket (room-locked, invalid-ticket), not refused as a malformed message.
Ticket = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=B64URL_PATTERN)]
# What a visitor types. The frame may carry up to MAX_TYPED characters; the server strips control
# characters and keeps at most NAME_LENGTH (parlour/door.py), so a long name is not an error
# that a welcome visitor would never see.
MAX_TYPED: Final = 256
NAME_LENGTH: Final = 64
Typed = Annotated[str, msgspec.Meta(max_length=MAX_TYPED)]
# A host page's secret path segment: 32 random bytes, as `parlour host add` makes them.
HostSecret = Annotated[str, msgspec.Meta(min_length=43, max_length=43, pattern=B64URL_PATTERN)]


class CloseCode(IntEnum):
    """The WebSocket close codes the server sends; see PROTOCOL.md "Close codes"."""

    GOING_AWAY = 1001
    POLICY_VIOLATION = 1008  # it kept sending past the message rate
    MESSAGE_TOO_BIG = 1009
    TRY_AGAIN_LATER = 1013


class ErrorCode(StrEnum):
    """Stable error codes. The human sentence may change; the code never does."""

    NOT_JSON = "not-json"
    UNKNOWN_TYPE = "unknown-type"
    BAD_FIELD = "bad-field"
    TOO_LARGE = "too-large"
    RATE_LIMITED = "rate-limited"
    ALREADY_JOINED = "already-joined"
    NOT_JOINED = "not-joined"
    NO_SUCH_ROOM = "no-such-room"
    ROOM_FULL = "room-full"
    NO_SUCH_PEER = "no-such-peer"
    LOCKED_OUT = "locked-out"
    ROOM_LOCKED = "room-locked"
    INVALID_TICKET = "invalid-ticket"
    TOO_MANY_CONNECTIONS = "too-many-connections"
    ALREADY_WAITING = "already-waiting"
    NOT_A_HOST = "not-a-host"
    NO_SUCH_VISITOR = "no-such-visitor"
    NOT_EXPECTED = "not-expected"


ERROR_TEXT: Final[dict[ErrorCode, str]] = {
    ErrorCode.NOT_JSON: "Each frame must be one JSON object in a text frame.",
    ErrorCode.UNKNOWN_TYPE: "This server does not know that message type.",
    ErrorCode.BAD_FIELD: "A field is missing, unexpected or of the wrong kind.",
    ErrorCode.TOO_LARGE: f"Frames are limited to {MAX_FRAME} bytes; this one was dropped.",
    ErrorCode.RATE_LIMITED: "Too many messages too quickly; some were dropped. Slow down.",
    ErrorCode.ALREADY_JOINED: "This connection is already in a room; leave it first.",
    ErrorCode.NOT_JOINED: "Join a room before sending this.",
    ErrorCode.NO_SUCH_ROOM: "No room opens with that passphrase.",
    ErrorCode.ROOM_FULL: "The room is full.",
    ErrorCode.NO_SUCH_PEER: "Nobody with that id is in your room.",
    ErrorCode.LOCKED_OUT: "Too many wrong passphrases from your address; wait and try again.",
    ErrorCode.ROOM_LOCKED: (
        "The people in this room have locked it to newcomers; ask them to unlock it."
    ),
    ErrorCode.INVALID_TICKET: (
        "That ticket cannot lock this room: it is not one this server made for it, or a later "
        "lock or unlock replaced it."
    ),
    ErrorCode.TOO_MANY_CONNECTIONS: (
        "Too many connections from your network; close some and try again."
    ),
    ErrorCode.ALREADY_WAITING: "You have already asked for a call; wait, or cancel first.",
    ErrorCode.NOT_A_HOST: "This page's address opens no host's page; check it in parlour.toml.",
    ErrorCode.NO_SUCH_VISITOR: "That visitor is no longer waiting for you.",
    ErrorCode.NOT_EXPECTED: "Only a visitor whose name is on your list can be called.",
}


class _Message(msgspec.Struct, tag_field="type", forbid_unknown_fields=True):
    pass


# Client -> server


class Join(_Message, tag="join"):
    room: Locator
    ticket: Ticket | None = None


class Signal(_Message, tag="signal"):
    to: str
    seq: Seq
    iv: Iv
    ct: Ciphertext

    def __post_init__(self) -> None:
        joined = self.to + self.iv + self.ct
        if (
            len(self.to) == 8
            and joined.isascii()
            and not joined.encode("ascii").translate(None, B64URL_BYTES)
        ):
            return
        # What msgspec says when a pattern fails, for the first field that fails its own.
        for name, pattern in (
            ("to", PEER_ID_PATTERN),
            ("iv", B64URL_PATTERN),
            ("ct", B64URL_PATTERN),
        ):
            if re.search(pattern, getattr(self, name)) is None:
                raise ValueError(f"Expected `str` matching regex {pattern!r} - at `$.{name}`")


class Leave(_Message, tag="leave"):
    pass


class Ping(_Message, tag="ping"):
    id: PingId


class Lock(_Message, tag="lock"):
    # Only to put back a lock the server forgot (a restart), so that the members still on
    # their way back get in with the ticket they hold; a fresh lock leaves it out. Only a
    # ticket the server itself made for this room is taken (PROTOCOL.md "Locking a room").
    ticket: Ticket | None = None


class Unlock(_Message, tag="unlock"):
    pass


class Refresh(_Message, tag="refresh"):
    pass


class Knock(_Message, tag="knock"):
    """A visitor at the front door asks for a call."""

    name: Typed
    to: Typed  # the host as the visitor typed them; "" where the page asks no one by name


class Desk(_Message, tag="desk"):
    """A host's page opens its desk: the list of who waits for this host."""

    secret: HostSecret


class Answer(_Message, tag="answer"):
    visitor: PeerId


class Decline(_Message, tag="decline"):
    visitor: PeerId


class Dismiss(_Message, tag="dismiss"):
    visitor: PeerId


ClientMessage = (
    Join
    | Signal
    | Leave
    | Ping
    | Lock
    | Unlock
    | Refresh
    | Knock
    | Desk
    | Answer
    | Decline
    | Dismiss
)


# Server -> client


class Welcome(_Message, tag="welcome"):
    protocol: int
    salt: str
    iterations: int
    max_frame: int


class IceServer(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    urls: list[str]
    # Only on TURN entries: credentials made for this connection, which expire (ice_ttl).
    username: str | None = None
    credential: str | None = None


class Joined(_Message, tag="joined"):
    id: str
    peers: list[str]
    capacity: int
    ice_servers: list[IceServer]
    upload_kbps: int
    locked: bool
    # Seconds the TURN credentials in ice_servers last; null when none are given.
    ice_ttl: int | None
    relay_only: bool


class IceServers(_Message, tag="ice-servers"):
    """The answer to `refresh`: ice_servers with fresh credentials."""

    ice_servers: list[IceServer]
    ice_ttl: int | None


class PeerJoined(_Message, tag="peer-joined"):
    peer: str


class PeerLeft(_Message, tag="peer-left"):
    peer: str


class Relayed(_Message, tag="signal"):
    sender: str = msgspec.field(name="from")
    seq: int
    iv: str
    ct: str


class Left(_Message, tag="left"):
    pass


class Pong(_Message, tag="pong"):
    id: int


class RoomState(_Message, tag="room-state"):
    locked: bool
    by: str | None
    ticket: str | None


class Waiting(_Message, tag="waiting"):
    """The answer to every knock, whoever knocked and for whom: nothing more is said."""


class Declined(_Message, tag="declined"):
    pass


class Visitor(msgspec.Struct, forbid_unknown_fields=True):
    """Someone waiting at the front door, as their host's page shows them."""

    id: str
    name: str
    to: str
    address: str
    country: str | None
    agent: str
    since: int  # Unix milliseconds
    expected: bool


class AuditEntry(msgspec.Struct, forbid_unknown_fields=True):
    at: int  # Unix milliseconds
    event: str
    address: str
    country: str | None
    what: str


class DeskOpened(_Message, tag="desk"):
    host: str
    super: bool
    visitors: list[Visitor]  # newest first
    audit: list[AuditEntry]  # newest first; only a super-host's desk has any


class VisitorArrived(_Message, tag="visitor"):
    visitor: Visitor


class GoneReason(StrEnum):
    CANCELLED = "cancelled"  # the visitor cancelled or closed their page
    ANSWERED = "answered"
    DECLINED = "declined"
    DISMISSED = "dismissed"
    DROPPED = "dropped"  # the list was full and this was the oldest unanswered


class VisitorGone(_Message, tag="visitor-gone"):
    visitor: str
    reason: GoneReason


class Audited(_Message, tag="audit"):
    entry: AuditEntry


# Seconds as a whole number, so that a page need not read a wait out of `message`'s words.
RetryAfter = Annotated[int, msgspec.Meta(ge=1)]


class Error(_Message, tag="error", omit_defaults=True):
    code: ErrorCode
    message: str
    about: str | None  # always sent, null when unknown: no default, so never omitted
    # Only with a code that makes the client wait (locked-out); absent from every other error.
    retry_after: RetryAfter | None = None


ServerMessage = (
    Welcome
    | Joined
    | IceServers
    | PeerJoined
    | PeerLeft
    | Relayed
    | Left
    | Pong
    | RoomState
    | Waiting
    | Declined
    | DeskOpened
    | VisitorArrived
    | VisitorGone
    | Audited
    | Error
)

CLIENT_TYPES: Final = (
    Join,
    Signal,
    Leave,
    Ping,
    Lock,
    Unlock,
    Refresh,
    Knock,
    Desk,
    Answer,
    Decline,
    Dismiss,
)
SERVER_TYPES: Final = (
    Welcome,
    Joined,
    IceServers,
    PeerJoined,
    PeerLeft,
    Relayed,
    Left,
    Pong,
    RoomState,
    Waiting,
    Declined,
    DeskOpened,
    VisitorArrived,
    VisitorGone,
    Audited,
    Error,
)


def error(
    code: ErrorCode,
    about: str | None = None,
    detail: str | None = None,
    *,
    retry_after: int | None = None,
) -> Error:
    text = ERROR_TEXT[code] if detail is None else f"{ERROR_TEXT[code]} {detail}"
    return Error(code=code, message=text, about=about, retry_after=retry_after)


# RFC 8259 section 9 lets a parser limit nesting. Ours stops where Python's recursion limit
# does (several hundred levels); no client message nests at all, so the frame is refused.
TOO_DEEP: Final = "It nests arrays or objects deeper than the server reads."
_decoder: msgspec.json.Decoder[ClientMessage] = msgspec.json.Decoder(ClientMessage)
_probe = msgspec.json.Decoder(dict[str, object])
_encoder = msgspec.json.Encoder()
_client_tags: Final = frozenset(t.__struct_config__.tag for t in CLIENT_TYPES)


def decode_client(frame: bytes | str) -> ClientMessage | Error:
    """A frame from a client, as a typed message or the error that answers it."""
    # The limit is in bytes; a text frame arrives as str, whose len() counts characters, each
    # of which takes at most four bytes: only a long one needs counting.
    size = len(frame)
    if isinstance(frame, str) and 4 * size > MAX_FRAME:
        size = len(frame.encode("utf-8", "surrogatepass"))
    if size > MAX_FRAME:
        return error(ErrorCode.TOO_LARGE)
    try:
        return _decoder.decode(frame)
    except msgspec.ValidationError as exc:
        return _explain(frame, str(exc))
    except msgspec.DecodeError:
        return error(ErrorCode.NOT_JSON)
    except RecursionError:
        # msgspec follows nesting by recursion, even to skip a value while it looks for "type".
        return error(ErrorCode.NOT_JSON, detail=TOO_DEEP)


def _explain(frame: bytes | str, detail: str) -> Error:
    """Why valid JSON was refused. Only on the error path, so a second parse costs nothing."""
    try:
        obj = _probe.decode(frame)
    except msgspec.DecodeError:
        return error(ErrorCode.NOT_JSON, detail="Send one JSON object, not an array or a value.")
    except RecursionError:
        return error(ErrorCode.NOT_JSON, detail=TOO_DEEP)
    kind = obj.get("type")
    if not isinstance(kind, str):
        return error(ErrorCode.BAD_FIELD, detail='Every message needs a string "type".')
    if kind not in _client_tags:
        return error(ErrorCode.UNKNOWN_TYPE, about=kind[:32])
    return error(ErrorCode.BAD_FIELD, about=kind, detail=detail)


def encode(message: ServerMessage) -> bytes:
    return _encoder.encode(message)


def decode_server(frame: bytes | str) -> ServerMessage:
    """For tests and Python clients: a server frame as a typed message."""
    return _server_decoder.decode(frame)


_server_decoder: msgspec.json.Decoder[ServerMessage] = msgspec.json.Decoder(ServerMessage)
