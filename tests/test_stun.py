"""Parlour's STUN responder: real UDP sockets on 127.0.0.1, requests built with aioice."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import struct
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from aioice import stun as wire

from parlour import config, stun
from parlour.settings import Settings
from tests.helpers import FakeClock
from tests.support import scaled

TIMEOUT = scaled(10.0)
# Generous limits where a test is about the format, not the rate bound.
UNLIMITED = stun.Limits(rate=1e9, burst=1e9)


def binding(*, fingerprint: bool = False, software: str = "") -> wire.Message:
    request = wire.Message(wire.Method.BINDING, wire.Class.REQUEST)
    if software:
        request.attributes["SOFTWARE"] = software
    if fingerprint:
        request.add_fingerprint()
    return request


@pytest.fixture
async def responder() -> AsyncIterator[stun.UdpListener]:
    listener = stun.UdpListener("127.0.0.1", lambda: 0, UNLIMITED)
    await listener.start()
    try:
        yield listener
    finally:
        await listener.stop()


@pytest.fixture
def client() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        yield sock


async def ask(sock: socket.socket, port: int, data: bytes) -> bytes:
    """Send `data` to the responder and return the next datagram that comes back."""
    loop = asyncio.get_running_loop()
    await loop.sock_sendto(sock, data, ("127.0.0.1", port))
    return await asyncio.wait_for(loop.sock_recv(sock, 2048), TIMEOUT)


async def test_a_binding_request_gets_the_senders_address_and_its_transaction_id(
    responder: stun.UdpListener, client: socket.socket
) -> None:
    """A bare Binding request gets a success response naming the sender's address and port."""
    request = binding()
    data = bytes(request)
    reply = await ask(client, responder.bound_port(), data)
    response = wire.parse_message(reply)
    assert response.message_method == wire.Method.BINDING
    assert response.message_class == wire.Class.RESPONSE
    assert response.transaction_id == request.transaction_id
    assert response.attributes == {"XOR-MAPPED-ADDRESS": client.getsockname()}
    assert len(reply) <= len(data) + stun.RESPONSE_GROWTH


async def test_a_request_with_fingerprint_gets_one_back(
    responder: stun.UdpListener, client: socket.socket
) -> None:
    """FINGERPRINT in the request: the response carries a valid one (aioice checks it)."""
    request = binding(fingerprint=True)
    response = wire.parse_message(await ask(client, responder.bound_port(), bytes(request)))
    assert set(response.attributes) == {"XOR-MAPPED-ADDRESS", "FINGERPRINT"}
    assert response.transaction_id == request.transaction_id


def malformed(rng: random.Random) -> Callable[[], bytes]:
    """One maker of each kind of datagram the responder must drop, taken in turn."""
    good = bytes(binding(software="x" * 8))

    def wrong_cookie() -> bytes:
        cookie = stun.MAGIC_COOKIE ^ rng.randrange(1, 1 << 32)  # never the right one
        return good[:4] + struct.pack("!I", cookie) + good[8:]

    def oversized_attribute() -> bytes:
        # SOFTWARE claims 200 bytes; 8 are there.
        return good[:20] + struct.pack("!HH", 0x8022, 200) + good[24:]

    def bad_fingerprint() -> bytes:
        data = bytes(binding(fingerprint=True))
        return data[:-1] + bytes([data[-1] ^ 0xFF])

    makers = [
        lambda: rng.randbytes(rng.randrange(0, 600)),
        lambda: good[: rng.randrange(0, 20)],
        lambda: good[: rng.randrange(21, len(good))],
        wrong_cookie,
        lambda: bytes(
            wire.Message(
                wire.Method.BINDING,
                wire.Class.RESPONSE,
                attributes={"XOR-MAPPED-ADDRESS": ("192.0.2.1", 4000)},
            )
        ),
        lambda: bytes(wire.Message(wire.Method.BINDING, wire.Class.INDICATION)),
        lambda: bytes(wire.Message(wire.Method.ALLOCATE, wire.Class.REQUEST)),
        oversized_attribute,
        bad_fingerprint,
        lambda: bytes([0xC0]) + good[1:],
    ]
    turn = iter(range(1 << 30))
    return lambda: makers[next(turn) % len(makers)]()


async def test_ten_thousand_malformed_datagrams_get_no_reply_and_are_counted(
    responder: stun.UdpListener, client: socket.socket, caplog: pytest.LogCaptureFixture
) -> None:
    """10,000 bad datagrams: none answered, all counted and logged; good requests still work."""
    caplog.set_level(logging.WARNING, logger="parlour.stun")
    make = malformed(random.Random(10))
    loop = asyncio.get_running_loop()
    port = responder.bound_port()
    for _ in range(100):
        for _ in range(100):
            await loop.sock_sendto(client, make(), ("127.0.0.1", port))
        # One socket pair keeps its order: a reply to any bad datagram would come first.
        request = binding()
        reply = wire.parse_message(await ask(client, port, bytes(request)))
        assert reply.transaction_id == request.transaction_id
    assert (responder.responder.dropped, responder.responder.answered) == (10_000, 100)
    await responder.stop()
    logged = [
        int(found.group(1))
        for record in caplog.records
        if (found := re.search(r"dropped (\d+) datagrams", record.getMessage()))
    ]
    assert sum(logged) == 10_000
    assert len(logged) <= 2  # at once, then at most once a minute (and at the stop)


async def test_a_request_whose_response_would_grow_too_much_is_not_answered(
    monkeypatch: pytest.MonkeyPatch, responder: stun.UdpListener, client: socket.socket
) -> None:
    """With no growth allowed, a bare request is dropped; one that carries enough is answered."""
    monkeypatch.setattr(stun, "RESPONSE_GROWTH", 0)
    port = responder.bound_port()
    await asyncio.get_running_loop().sock_sendto(client, bytes(binding()), ("127.0.0.1", port))
    padded = binding(software="x" * 12)  # 36 bytes: the 32-byte answer fits
    reply = wire.parse_message(await ask(client, port, bytes(padded)))
    assert reply.transaction_id == padded.transaction_id
    assert (responder.responder.dropped, responder.responder.answered) == (1, 1)


async def test_each_address_gets_a_burst_then_the_rate() -> None:
    """An address gets BURST answers at once, then RATE a second; another address is apart."""
    clock = FakeClock()
    responder = stun.Responder(clock=clock)
    here, there = ("192.0.2.1", 5000), ("192.0.2.2", 5000)
    answered = [responder.answer(bytes(binding()), here) for _ in range(int(stun.BURST) + 5)]
    assert sum(reply is not None for reply in answered) == stun.BURST
    assert responder.answer(bytes(binding()), there) is not None
    clock.advance(1.0)
    answered = [responder.answer(bytes(binding()), here) for _ in range(int(stun.RATE) + 5)]
    assert sum(reply is not None for reply in answered) == stun.RATE
    assert (responder.limited, responder.dropped) == (10, 0)
    responder.report()


async def test_one_ipv6_network_shares_one_bound() -> None:
    """Addresses in one IPv6 /64 count together: a sender cannot rotate through its /64."""
    responder = stun.Responder(clock=FakeClock())
    replies = [
        responder.answer(bytes(binding()), (f"2001:db8::{n:x}", 5000, 0, 0))
        for n in range(int(stun.BURST) + 1)
    ]
    assert replies[-1] is None
    assert sum(reply is not None for reply in replies) == stun.BURST
    responder.report()


async def test_an_ipv4_sender_on_a_dual_stack_socket_hears_its_ipv4_address() -> None:
    """::ffff:192.0.2.7 is told 192.0.2.7, which is what its browser can use."""
    responder = stun.Responder()
    request = binding()
    reply = responder.answer(bytes(request), ("::ffff:192.0.2.7", 5000, 0, 0))
    assert reply is not None
    assert wire.parse_message(reply).attributes["XOR-MAPPED-ADDRESS"] == ("192.0.2.7", 5000)


def settings(**overrides: object) -> Settings:
    base: dict[str, object] = {
        "source": Path("/srv/parlour.toml"),
        "salt": b"s" * 32,
        "base_path": "/",
        "admin_path": "A" * 22,
    }
    return Settings(**(base | overrides))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "url"),
    [
        ({"host": "0.0.0.0", "public_url": "https://call.example.org"}, "stun:call.example.org:9"),
        ({"host": "192.0.2.4"}, "stun:192.0.2.4:9"),
        ({"host": "::", "public_url": "https://[2001:db8::1]:8443"}, "stun:[2001:db8::1]:9"),
        ({"host": "127.0.0.1", "public_url": "https://call.example.org"}, None),
        ({"host": "::1"}, None),
        ({"host": "localhost"}, None),
        ({"host": "0.0.0.0", "public_url": "https://x.org", "stun_enabled": False}, None),
        (
            {"host": "127.0.0.1", "stun_host": "0.0.0.0", "public_url": "https://x.org"},
            "stun:x.org:9",
        ),
        ({"host": "127.0.0.1", "stun_host": "192.0.2.5"}, "stun:192.0.2.5:9"),
        ({"host": "0.0.0.0", "stun_host": "127.0.0.1", "public_url": "https://x.org"}, None),
    ],
)
def test_the_page_is_given_the_own_stun_url_only_where_it_can_reach_it(
    overrides: dict[str, object], url: str | None
) -> None:
    """Own URL: the public host and the STUN port; none on loopback or with the responder off."""
    assert stun.own_url(settings(**overrides), 9) == url


CONFIG = """\
[server]
port = 8443
base_path = "/"

[secrets]
salt = "aAORQNygQHfmv1NM4HVvRtHf7c758zjEakeKtpy9NHw"
admin_path = "RrWRQotp6T5ELwWpItk5xw"
"""


def test_by_default_stun_is_on_at_the_web_port(tmp_path: Path) -> None:
    """No [stun] table: the responder is on, with no port of its own (the web port's number)."""
    path = tmp_path / "parlour.toml"
    path.write_text(CONFIG)
    loaded = config.load(path)
    assert (loaded.stun_enabled, loaded.stun_port) == (True, None)


def test_stun_can_be_turned_off_or_moved(tmp_path: Path) -> None:
    """[stun] enabled = false turns it off; host and port move it."""
    path = tmp_path / "parlour.toml"
    path.write_text(CONFIG + '\n[stun]\nenabled = false\nhost = "::"\nport = 3478\n')
    loaded = config.load(path)
    assert (loaded.stun_enabled, loaded.stun_host, loaded.stun_port) == (False, "::", 3478)


@pytest.mark.parametrize(
    ("line", "message", "fix"),
    [
        ('port = "3478"', 'must be a whole number from 0 to 65535, got "3478"', "port = 3478"),
        ("port = 70000", "must be a whole number from 0 to 65535, got 70000", "port = 3478"),
        ('enabled = "no"', 'must be true or false, got "no"', "enabled = true"),
        (
            'host = "[::]"',
            'must be an IP address or host name, got "[::]" (write an IPv6 address without '
            "brackets)",
            'host = "0.0.0.0"',
        ),
    ],
)
def test_a_bad_stun_value_names_file_key_and_fix(
    tmp_path: Path, line: str, message: str, fix: str
) -> None:
    """A wrong [stun] value is reported with the file, its line, the key and a fix."""
    path = tmp_path / "parlour.toml"
    path.write_text(CONFIG + f"\n[stun]\n{line}\n")
    [problem] = config.check(path)
    key = "stun." + line.split(" ")[0]
    assert str(problem) == f"{path}:10: {key}: {message}. Fix: {fix}"
