"""PROTOCOL.md, parlour/protocol.py and the client's schema.js describe one protocol, message by
message."""

from __future__ import annotations

import functools
import json
import re
import subprocess
import typing
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest

from parlour import envelopes, guard, keys, protocol, signaling, web
from tests.helpers import protocol_text

CLIENT_SECTION = "Messages from client to server"
SERVER_SECTION = "Messages from server to client"
DIRECTIONS = {CLIENT_SECTION: "client", SERVER_SECTION: "server"}


@dataclass
class DocMessage:
    type: str
    direction: str
    fields: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def sections(text: str, level: int) -> dict[str, str]:
    """Headings of one level (## or ###) mapped to the text up to the next heading of that level."""
    marker = "#" * level + " "
    parts = re.split(rf"^{marker}(.+)$", text, flags=re.M)
    found: dict[str, str] = {}
    for title, body in zip(parts[1::2], parts[2::2], strict=True):
        assert title not in found, f"PROTOCOL.md has the heading {title!r} twice"
        found[title.strip()] = body
    return found


def table_rows(body: str, header: list[str]) -> list[list[str]]:
    """Rows of the Markdown table in `body` whose header row is `header`, cells stripped."""
    lines = body.splitlines()
    starts = [
        n
        for n, line in enumerate(lines)
        if line.startswith("|")
        and [cell.strip() for cell in line.strip().strip("|").split("|")] == header
    ]
    if not starts:
        return []
    rows = []
    for line in lines[starts[0] + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def code_name(cell: str) -> str:
    match = re.fullmatch(r"`([^`]+)`", cell)
    assert match, f"expected a `code` cell in PROTOCOL.md, found {cell!r}"
    return match.group(1)


def doc_messages() -> list[DocMessage]:
    top = sections(protocol_text(), 2)
    messages = []
    for section, direction in DIRECTIONS.items():
        assert section in top, f"PROTOCOL.md lost its section {section!r}"
        for heading, body in sections(top[section], 3).items():
            message = DocMessage(code_name(heading), direction)
            rows = table_rows(body, ["field", "type", "meaning"])
            message.fields = [code_name(row[0]) for row in rows]
            message.examples = re.findall(r"^```json\n(.*?)^```$", body, re.S | re.M)
            messages.append(message)
    return messages


MESSAGES = doc_messages()


def tag(struct: type[msgspec.Struct]) -> str:
    value = struct.__struct_config__.tag
    assert isinstance(value, str)
    return value


def struct_for(message: DocMessage) -> type[msgspec.Struct]:
    types = protocol.CLIENT_TYPES if message.direction == "client" else protocol.SERVER_TYPES
    matches = [struct for struct in types if tag(struct) == message.type]
    assert len(matches) == 1, f"{message.direction} message {message.type!r} has no one struct"
    return matches[0]


def message_id(message: DocMessage) -> str:
    return f"{message.direction}:{message.type}"


def test_type_tuples_are_the_decoders_unions() -> None:
    """CLIENT_TYPES and SERVER_TYPES are exactly what the decoders accept."""
    assert typing.get_args(protocol.ClientMessage) == protocol.CLIENT_TYPES
    assert typing.get_args(protocol.ServerMessage) == protocol.SERVER_TYPES


def test_documented_messages_are_exactly_the_protocol_types() -> None:
    """Every (type, direction) in PROTOCOL.md is a struct in protocol.py, and vice versa."""
    documented = [(message.type, message.direction) for message in MESSAGES]
    assert len(documented) == len(set(documented)), "a message is documented twice"
    in_code = {(tag(struct), "client") for struct in protocol.CLIENT_TYPES} | {
        (tag(struct), "server") for struct in protocol.SERVER_TYPES
    }
    assert set(documented) == in_code


@pytest.mark.parametrize("message", MESSAGES, ids=message_id)
def test_field_table_lists_exactly_the_wire_fields(message: DocMessage) -> None:
    """A message's field table names the struct's wire fields (`from`, not `sender`), in order."""
    struct = struct_for(message)
    wire = [info.encode_name for info in msgspec.structs.fields(struct)]
    assert message.fields == wire


@pytest.mark.parametrize("message", MESSAGES, ids=message_id)
def test_examples_decode_as_their_heading(message: DocMessage) -> None:
    """Every message has an example, and each example decodes as that message's struct."""
    assert message.examples, f"{message_id(message)} has no ```json example"
    struct = struct_for(message)
    for example in message.examples:
        decoded: object
        if message.direction == "client":
            decoded = protocol.decode_client(example)
            assert not isinstance(decoded, protocol.Error), decoded
        else:
            decoded = protocol.decode_server(example)
            # Re-encoding proves nothing was dropped or renamed on the way.
            assert msgspec.json.decode(protocol.encode(decoded)) == msgspec.json.decode(example)
        assert type(decoded) is struct


def test_error_codes_table_is_exactly_error_code() -> None:
    """The "Error codes" table lists each ErrorCode value once, and nothing else."""
    rows = table_rows(sections(protocol_text(), 2)["Error codes"], ["code", "when"])
    documented = [code_name(row[0]) for row in rows]
    assert len(documented) == len(set(documented))
    assert set(documented) == {code.value for code in protocol.ErrorCode}


def _numbers(text: str) -> list[int]:
    return [int(number.replace(",", "")) for number in re.findall(r"\d[\d,]*\d|\d", text)]


def limits() -> dict[str, list[str]]:
    transport = sections(protocol_text(), 2)["Transport"]
    body = sections(transport, 3)["Limits"]
    rows = table_rows(body, ["limit", "value", "what happens beyond it"])
    return {row[0]: row[1:] for row in rows}


def test_frame_limits_in_the_doc_match_max_frame() -> None:
    """Limits, error and close-code tables state MAX_FRAME, the read limit and the backlog."""
    value, beyond = limits()["frame size"]
    assert _numbers(value) == [protocol.MAX_FRAME]
    assert _numbers(beyond) == [2 * protocol.MAX_FRAME, 1009]
    assert web.READ_LIMIT == 2 * protocol.MAX_FRAME
    top = sections(protocol_text(), 2)
    errors = dict(table_rows(top["Error codes"], ["code", "when"]))
    assert _numbers(errors["`too-large`"]) == [protocol.MAX_FRAME]
    closes = table_rows(
        sections(top["Transport"], 3)["Close codes"], ["code", "meaning", "what a client does"]
    )
    meaning = {row[0]: row[1] for row in closes}
    assert _numbers(meaning["1009"]) == [2 * protocol.MAX_FRAME]
    assert str(web.CLOSE_GOING_AWAY) in meaning
    value, beyond = limits()["messages waiting for a client that does not read"]
    assert _numbers(value) == [web.BACKLOG_LIMIT]
    assert "1006" in meaning
    assert "1006" in beyond


def test_rate_and_guard_limits_in_the_doc_match_the_code() -> None:
    """The message rate, the wrong-passphrase schedule and the ping interval are as documented."""
    table = limits()
    assert _numbers(table["message rate"][0]) == [
        int(signaling.MESSAGE_RATE),
        int(signaling.MESSAGE_BURST),
    ]
    schedule = table["wrong passphrases from one address (IPv6: from one /64)"][0]
    join_guard = guard.JoinGuard
    assert f"after {join_guard.SLOW_AFTER} in {int(join_guard.WINDOW // 60)} minutes" in schedule
    assert f"at most {join_guard.MAX_DELAY:g} s" in schedule
    assert "0.25 s, doubling" in schedule
    assert f"the {join_guard.LOCK_AFTER}th locks" in schedule
    assert f"for {int(join_guard.LOCKOUT // 60)} minutes" in schedule
    assert _numbers(table["idle connection"][0]) == [int(web.HEARTBEAT_SECONDS)]


def test_connection_limit_in_the_doc_matches_the_code() -> None:
    """The connections one address may hold, the /64 it is counted by, and the close code."""
    ((name, (value, beyond)),) = [
        (name, row) for name, row in limits().items() if name.startswith("open connections")
    ]
    assert f"/{guard.IPV6_PREFIX}" in name
    assert _numbers(value) == [signaling.MAX_CONNECTIONS_PER_ADDRESS]
    assert "`too-many-connections`" in beyond
    assert _numbers(beyond) == [web.CLOSE_TRY_AGAIN_LATER]
    top = sections(protocol_text(), 2)
    closes = table_rows(
        sections(top["Transport"], 3)["Close codes"], ["code", "meaning", "what a client does"]
    )
    assert "`too-many-connections`" in {row[0]: row[1] for row in closes}["1013"]
    when = dict(table_rows(top["Error codes"], ["code", "when"]))["`too-many-connections`"]
    assert f"/{guard.IPV6_PREFIX}" in when
    assert str(web.CLOSE_TRY_AGAIN_LATER) in when


def test_documented_key_derivation_constants_match_keys() -> None:
    """The iteration count and every label in "Keys" are the ones keys.py and envelopes.py use."""
    text = sections(protocol_text(), 2)["Keys"]
    assert f"iterations = {keys.KDF_ITERATIONS}" in text
    assert f'info = "{keys.LOCATOR_INFO.decode()}"' in text
    assert f'info = "{keys.SIGNALLING_INFO.decode()}"' in text
    for label in (
        envelopes.ROOM_LABEL,
        envelopes.PAIR_LABEL,
        envelopes.IDENTITY_LABEL,
        envelopes.PAIR_KEY_INFO.decode(),
        envelopes.SAFETY_LABEL,
    ):
        assert f'"{label}' in text, label


def test_welcome_example_states_the_servers_constants() -> None:
    """The welcome example carries this protocol version, iteration count and frame limit."""
    (welcome,) = [m for m in MESSAGES if m.type == "welcome"]
    decoded = protocol.decode_server(welcome.examples[0])
    assert isinstance(decoded, protocol.Welcome)
    assert decoded.protocol == protocol.PROTOCOL_VERSION
    assert decoded.iterations == keys.KDF_ITERATIONS
    assert decoded.max_frame == protocol.MAX_FRAME


SCHEMA_JS = Path(__file__).parents[1] / "parlour" / "static" / "schema.js"


@functools.cache
def client_schema() -> dict[str, dict[str, list[str]]]:
    """The browser client's schema.js, loaded by Node: each kind and the fields it checks."""
    script = f"const m = await import({json.dumps(SCHEMA_JS.as_uri())});"
    script += "console.log(JSON.stringify(m.fieldNames()));"
    run = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    found: dict[str, dict[str, list[str]]] = json.loads(run.stdout)
    return found


def doc_kinds(section: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each kind a `## section` of PROTOCOL.md describes: its field table and its examples."""
    top = sections(protocol_text(), 2)
    kinds = {}
    for heading, body in sections(top[section], 3).items():
        rows = table_rows(body, ["field", "type", "meaning"])
        examples = re.findall(r"^```json\n(.*?)^```$", body, re.S | re.M)
        kinds[code_name(heading)] = ([code_name(row[0]) for row in rows], examples)
    return kinds


SEALED_SECTIONS = {"introductions": "Introductions", "pair": "Sealed messages"}


@pytest.mark.parametrize(("table", "section"), SEALED_SECTIONS.items())
def test_sealed_kinds_match_the_browser_client(table: str, section: str) -> None:
    """Every sealed kind and its fields are the same in PROTOCOL.md and schema.js."""
    documented = {kind: sorted(fields) for kind, (fields, _) in doc_kinds(section).items()}
    in_client = {kind: sorted(fields) for kind, fields in client_schema()[table].items()}
    assert documented == in_client


def test_the_page_checks_exactly_the_documented_server_messages() -> None:
    """schema.js knows every server message with the fields PROTOCOL.md gives it."""
    documented = {m.type: sorted(m.fields) for m in MESSAGES if m.direction == "server"}
    in_client = {kind: sorted(fields) for kind, fields in client_schema()["server"].items()}
    assert in_client == documented


@pytest.mark.parametrize("section", SEALED_SECTIONS.values())
def test_sealed_examples_have_exactly_the_documented_fields(section: str) -> None:
    """Each sealed example is one JSON object of its kind with exactly the table's fields."""
    for kind, (fields, examples) in doc_kinds(section).items():
        assert len(examples) == 1, kind
        example = json.loads(examples[0])
        assert example["kind"] == kind
        assert sorted(example) == sorted(["kind", *fields])
