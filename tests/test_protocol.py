"""parlour.protocol: every malformed frame gets its stable code; valid ones decode to their type."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from parlour import protocol
from parlour.protocol import ErrorCode

LOCATOR = "r3hxFM3oFkt-fr58do6GqM-8lJtuMvHfvin89LxMAPU"
IV = "ZGVmZ2hpamtsbW5v"
CT = "m5eIpdXa4gnJy-ubyPmNYxN6mez-PSqIqLWlM7DjYPeo2MyhfMSRkI4XEkbkNJk_0cnCM5YX7iFa"
TICKET = "q8LxT3m0c9zH1vN5Yk2aBw"
SIGNAL: dict[str, Any] = {"type": "signal", "to": "BBBBBBBB", "seq": 1, "iv": IV, "ct": CT}


def frame(**fields: Any) -> str:
    return json.dumps(fields)


def code_of(data: bytes | str) -> ErrorCode:
    result = protocol.decode_client(data)
    assert isinstance(result, protocol.Error), f"expected an error, got {result!r}"
    return result.code


# --- not-json -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        '{"type": "ping", "id": 1',
        "",
        b"\xff\xfe{}",
        "[1, 2]",
        '[{"type": "ping", "id": 1}]',
        "42",
        '"join"',
        "null",
        "true",
    ],
    ids=repr,
)
def test_anything_but_one_json_object_is_not_json(data: bytes | str) -> None:
    """Garbage, an array, a bare value: not-json, with no `about`."""
    result = protocol.decode_client(data)
    assert isinstance(result, protocol.Error)
    assert result.code is ErrorCode.NOT_JSON
    assert result.about is None


# --- unknown-type ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["shout", "welcome", "joined", "error", "JOIN", ""])
def test_type_naming_no_client_message_is_unknown_type(kind: str) -> None:
    """A type that is no client message (server types included) is unknown-type, named in about."""
    result = protocol.decode_client(frame(type=kind))
    assert isinstance(result, protocol.Error)
    assert result.code is ErrorCode.UNKNOWN_TYPE
    assert result.about == kind


def test_unknown_type_about_is_bounded() -> None:
    """A huge type name is not echoed back whole."""
    result = protocol.decode_client(frame(type="x" * 5000))
    assert isinstance(result, protocol.Error)
    assert result.code is ErrorCode.UNKNOWN_TYPE
    assert result.about is not None
    assert len(result.about) <= 32


# --- bad-field ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({}, id="no type"),
        pytest.param({"type": 3}, id="type not a string"),
        pytest.param({"type": None, "id": 1}, id="type null"),
    ],
)
def test_missing_or_non_string_type_is_bad_field(data: dict[str, Any]) -> None:
    """Every message needs a string `type`."""
    assert code_of(json.dumps(data)) is ErrorCode.BAD_FIELD


@pytest.mark.parametrize(
    ("data", "about"),
    [
        pytest.param({"type": "ping", "id": "7"}, "ping", id="wrong type: string id"),
        pytest.param({"type": "ping", "id": 1.5}, "ping", id="wrong type: float id"),
        pytest.param({"type": "ping", "id": -1}, "ping", id="ping id below 0"),
        pytest.param({"type": "ping", "id": 2**53}, "ping", id="ping id above 2^53-1"),
        pytest.param({"type": "ping"}, "ping", id="missing id"),
        pytest.param({"type": "join"}, "join", id="missing room"),
        pytest.param({"type": "join", "room": 5}, "join", id="room not a string"),
        pytest.param({"type": "join", "room": LOCATOR[:-1]}, "join", id="locator 42 chars"),
        pytest.param({"type": "join", "room": LOCATOR + "A"}, "join", id="locator 44 chars"),
        pytest.param({"type": "join", "room": LOCATOR[:-1] + "="}, "join", id="locator padded"),
        pytest.param({"type": "join", "room": LOCATOR[:-1] + "\n"}, "join", id="locator newline"),
        pytest.param({"type": "join", "room": LOCATOR, "name": "Ada"}, "join", id="extra field"),
        pytest.param({"type": "leave", "now": True}, "leave", id="extra field on leave"),
        pytest.param({"type": "join", "room": LOCATOR, "ticket": "A" * 65}, "join", id="ticket"),
        pytest.param({"type": "join", "room": LOCATOR, "ticket": ""}, "join", id="ticket empty"),
        pytest.param({"type": "join", "room": LOCATOR, "ticket": 5}, "join", id="ticket a number"),
        pytest.param({"type": "lock", "ticket": TICKET + "="}, "lock", id="lock ticket padded"),
        pytest.param({"type": "lock", "locked": True}, "lock", id="extra field on lock"),
        pytest.param({"type": "unlock", "ticket": TICKET}, "unlock", id="unlock takes no ticket"),
        pytest.param({**SIGNAL, "to": "BBBBBBB"}, "signal", id="peer id 7 chars"),
        pytest.param({**SIGNAL, "to": "BBBBBBBBB"}, "signal", id="peer id 9 chars"),
        pytest.param({**SIGNAL, "to": "BBBB+BBB"}, "signal", id="peer id bad char"),
        pytest.param({**SIGNAL, "to": "BBBBBBBB\n"}, "signal", id="peer id newline"),
        pytest.param({**SIGNAL, "to": 12345678}, "signal", id="peer id a number"),
        pytest.param({**SIGNAL, "seq": -1}, "signal", id="seq negative"),
        pytest.param({**SIGNAL, "seq": 2**53}, "signal", id="seq too big"),
        pytest.param({**SIGNAL, "seq": "1"}, "signal", id="seq a string"),
        pytest.param({**SIGNAL, "iv": IV[:-1]}, "signal", id="iv 15 chars"),
        pytest.param({**SIGNAL, "iv": IV[:-1] + "\n"}, "signal", id="iv newline"),
        pytest.param({**SIGNAL, "ct": CT[:21]}, "signal", id="ct too short"),
        pytest.param({**SIGNAL, "ct": CT + "="}, "signal", id="ct padded"),
        pytest.param({**SIGNAL, "ct": CT + "\n"}, "signal", id="ct newline"),
        pytest.param({**SIGNAL, "from": "AAAAAAAA"}, "signal", id="client may not stamp from"),
        pytest.param({k: v for k, v in SIGNAL.items() if k != "ct"}, "signal", id="missing ct"),
    ],
)
def test_malformed_field_is_bad_field_about_its_type(data: dict[str, Any], about: str) -> None:
    """Wrong type, missing, extra or ill-formed fields: bad-field, about the message type."""
    result = protocol.decode_client(json.dumps(data))
    assert isinstance(result, protocol.Error)
    assert result.code is ErrorCode.BAD_FIELD
    assert result.about == about


def test_bad_field_message_names_the_field() -> None:
    """The human text says which field was refused."""
    result = protocol.decode_client(frame(type="ping", id=1, colour="red"))
    assert isinstance(result, protocol.Error)
    assert "colour" in result.message
    result = protocol.decode_client(json.dumps({**SIGNAL, "seq": "x"}))
    assert isinstance(result, protocol.Error)
    assert "seq" in result.message


# --- too-large ------------------------------------------------------------------------------


def _padded_ping(size: int, filler: str = " ") -> str:
    """A valid ping padded with white space (or other text in a string) to `size` bytes."""
    head = '{"type": "ping", "id": 1}'
    return head + filler * (size - len(head.encode()))


def test_frame_of_exactly_max_frame_bytes_is_read() -> None:
    """MAX_FRAME bytes is still within the limit."""
    data = _padded_ping(protocol.MAX_FRAME)
    assert len(data.encode()) == protocol.MAX_FRAME
    assert protocol.decode_client(data) == protocol.Ping(id=1)
    assert protocol.decode_client(data.encode()) == protocol.Ping(id=1)


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_frame_over_max_frame_is_too_large(as_bytes: bool) -> None:
    """One byte over MAX_FRAME is too-large, whatever the frame holds."""
    data = _padded_ping(protocol.MAX_FRAME + 1)
    assert code_of(data.encode() if as_bytes else data) is ErrorCode.TOO_LARGE


def test_too_large_counts_bytes_not_characters() -> None:
    """A text frame of few characters but more than MAX_FRAME UTF-8 bytes is too-large."""
    data = '{"type": "ping", "id": 1, "pad": "' + "é" * (protocol.MAX_FRAME // 2) + '"}'
    assert len(data) < protocol.MAX_FRAME < len(data.encode())
    assert code_of(data) is ErrorCode.TOO_LARGE


# --- valid messages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (frame(type="join", room=LOCATOR), protocol.Join(room=LOCATOR)),
        (json.dumps(SIGNAL), protocol.Signal(to="BBBBBBBB", seq=1, iv=IV, ct=CT)),
        (frame(type="leave"), protocol.Leave()),
        (frame(type="ping", id=0), protocol.Ping(id=0)),
        (frame(type="ping", id=2**53 - 1), protocol.Ping(id=2**53 - 1)),
        (json.dumps({**SIGNAL, "seq": 0}), protocol.Signal(to="BBBBBBBB", seq=0, iv=IV, ct=CT)),
        (f'{{"room": "{LOCATOR}", "type": "join"}}', protocol.Join(room=LOCATOR)),
        (
            frame(type="join", room=LOCATOR, ticket=TICKET),
            protocol.Join(room=LOCATOR, ticket=TICKET),
        ),
        (frame(type="lock"), protocol.Lock()),
        (frame(type="lock", ticket=TICKET), protocol.Lock(ticket=TICKET)),
        (frame(type="unlock"), protocol.Unlock()),
    ],
    ids=[
        "join",
        "signal",
        "leave",
        "ping 0",
        "ping max",
        "signal seq 0",
        "type last",
        "join with ticket",
        "lock",
        "lock with ticket",
        "unlock",
    ],
)
def test_valid_message_decodes_to_its_struct(data: str, expected: object) -> None:
    """Each client message decodes to its own struct with its values, from str or bytes."""
    assert protocol.decode_client(data) == expected
    assert protocol.decode_client(data.encode()) == expected


# --- encoding -------------------------------------------------------------------------------


def test_relayed_signal_encodes_sender_as_from() -> None:
    """The relayed envelope's sender is the wire field `from`, never `sender`."""
    data = json.loads(protocol.encode(protocol.Relayed(sender="AAAAAAAA", seq=3, iv=IV, ct=CT)))
    assert data == {"type": "signal", "from": "AAAAAAAA", "seq": 3, "iv": IV, "ct": CT}


def test_error_encodes_code_message_and_null_about() -> None:
    """error() fills in the stable text; `about` is null when unknown."""
    data = json.loads(protocol.encode(protocol.error(ErrorCode.ROOM_FULL)))
    assert data == {
        "type": "error",
        "code": "room-full",
        "message": "The room is full.",
        "about": None,
    }
    data = json.loads(protocol.encode(protocol.error(ErrorCode.LOCKED_OUT, "join", "Wait.")))
    assert data["about"] == "join"
    assert data["message"].endswith(" Wait.")


def test_retry_after_travels_as_whole_seconds_and_only_when_given() -> None:
    """An error with a wait carries retry_after in seconds; one without leaves the field out."""
    timed = protocol.error(ErrorCode.LOCKED_OUT, "join", retry_after=900)
    data = json.loads(protocol.encode(timed))
    assert data["retry_after"] == 900
    assert protocol.decode_server(protocol.encode(timed)) == timed
    plain = json.loads(protocol.encode(protocol.error(ErrorCode.NO_SUCH_ROOM, "join")))
    assert "retry_after" not in plain
    assert plain["about"] == "join"


def test_every_error_code_has_human_text() -> None:
    """No code lacks the sentence that goes with it."""
    assert set(protocol.ERROR_TEXT) == set(ErrorCode)
    assert all(text.strip() for text in protocol.ERROR_TEXT.values())


@pytest.mark.parametrize(
    "message",
    [
        protocol.Welcome(protocol=1, salt="AAEC", iterations=600_000, max_frame=65_536),
        protocol.Joined(
            id="AAAAAAAA",
            peers=["BBBBBBBB"],
            capacity=8,
            ice_servers=[protocol.IceServer(urls=["stun:stun.example.org:3478"])],
            upload_kbps=2500,
            locked=True,
            ice_ttl=None,
            relay_only=False,
        ),
        protocol.IceServers(
            ice_servers=[
                protocol.IceServer(
                    urls=["turn:turn.example.org:3478"], username="1:AAAAAAAA", credential="x="
                )
            ],
            ice_ttl=3600,
        ),
        protocol.PeerJoined(peer="AAAAAAAA"),
        protocol.PeerLeft(peer="AAAAAAAA"),
        protocol.Relayed(sender="AAAAAAAA", seq=1, iv=IV, ct=CT),
        protocol.Left(),
        protocol.Pong(id=7),
        protocol.RoomState(locked=True, by="AAAAAAAA", ticket=TICKET),
        protocol.RoomState(locked=False, by=None, ticket=None),
        protocol.error(ErrorCode.NO_SUCH_PEER, "signal"),
    ],
    ids=lambda message: type(message).__name__,
)
def test_server_messages_round_trip(message: protocol.ServerMessage) -> None:
    """What the server encodes, decode_server reads back unchanged."""
    assert protocol.decode_server(protocol.encode(message)) == message


def test_a_stun_entry_carries_no_credential_fields() -> None:
    """username and credential are left out of an ICE server that has none, not sent as null."""
    stun = protocol.IceServer(urls=["stun:stun.example.org:3478"])
    assert protocol.encode(protocol.IceServers(ice_servers=[stun], ice_ttl=None)) == (
        b'{"type":"ice-servers","ice_servers":[{"urls":["stun:stun.example.org:3478"]}],'
        b'"ice_ttl":null}'
    )


def test_decode_server_refuses_unknown_fields() -> None:
    """A Python client notices a server message it does not understand."""
    with pytest.raises(msgspec.ValidationError):
        protocol.decode_server('{"type": "pong", "id": 1, "extra": 2}')
