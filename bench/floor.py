"""The floor relay: the least a Python process can do to relay the bench's envelopes.

`python -m bench.floor --config FILE` listens where a bench config says, answers the room page
with a 200 (so the bench's start-up poll works), upgrades the WebSocket, says `welcome`,
puts the two connections of a locator in one room, and relays `signal` envelopes as
`signal` with `from`. It is a yardstick, not a server: no rate limit, no schema patterns, no
heartbeat, no errors, nothing kept secret. What it does per envelope is what any relay must:
one read, unmasking (aiohttp's C helper), one msgspec decode, one msgspec encode, one write,
with no task, queue or future per message. On uvloop when it is installed, as `parlour serve`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import itertools
from pathlib import Path
from typing import Final, cast

import msgspec
from aiohttp._websocket.helpers import websocket_mask

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
PAGE: Final = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n"


class Join(msgspec.Struct, tag="join"):
    room: str


class Signal(msgspec.Struct, tag="signal"):
    to: str
    seq: int
    iv: str
    ct: str


class Relayed(msgspec.Struct, tag="signal"):
    sender: str = msgspec.field(name="from")
    seq: int = 0
    iv: str = ""
    ct: str = ""


class Joined(msgspec.Struct, tag="joined"):
    id: str
    peers: list[str]


class PeerJoined(msgspec.Struct, tag="peer-joined"):
    peer: str


_decode = msgspec.json.Decoder(Join | Signal).decode
_encode = msgspec.json.Encoder().encode
WELCOME: Final = b'{"type":"welcome","protocol":2,"salt":"","iterations":1,"max_frame":65536}'


def frame(opcode: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((0x80 | opcode, size)) + payload
    if size < 65_536:
        return bytes((0x80 | opcode, 126)) + size.to_bytes(2, "big") + payload
    return bytes((0x80 | opcode, 127)) + size.to_bytes(8, "big") + payload


class Floor:
    def __init__(self, ws_path: bytes) -> None:
        self.ws_path = ws_path
        self.peers: dict[str, FloorConnection] = {}
        self.rooms: dict[str, list[str]] = {}
        self.ids = (f"{n:08d}" for n in itertools.count())


class FloorConnection(asyncio.Protocol):
    def __init__(self, floor: Floor) -> None:
        self.floor = floor
        self.buffer = b""
        self.upgraded = False
        self.peer = ""
        self.room = ""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer:
            del self.floor.peers[self.peer]
            members = self.floor.rooms.get(self.room, [])
            members.remove(self.peer)
            if not members:
                self.floor.rooms.pop(self.room, None)

    def send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        self.transport.write(frame(opcode, payload))

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buf
                return
            self.handshake(buf[:end])
            buf = buf[end + 4 :]
        pos, size = 0, len(buf)
        while size - pos >= 6:  # client frames are masked: two bytes and a four-byte key at least
            length, start = buf[pos + 1] & 0x7F, pos + 2
            if length == 126:
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            end = start + 4 + length
            if end > size:
                break
            payload = bytearray(buf[start + 4 : end])
            websocket_mask(buf[start : start + 4], payload)
            opcode = buf[pos] & 0x0F
            pos = end
            if opcode == TEXT:
                self.message(bytes(payload))
            elif opcode == PING:
                self.send(PONG, bytes(payload))
            elif opcode == CLOSE:
                self.send(CLOSE, bytes(payload[:2]))
                assert self.transport is not None
                self.transport.close()
                return
        self.buffer = buf[pos:]

    def handshake(self, head: bytes) -> None:
        assert self.transport is not None
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1] if lines[0].count(b" ") >= 2 else b""
        key = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"sec-websocket-key":
                key = value.strip()
        if path != self.floor.ws_path or not key:
            self.transport.write(PAGE)
            self.transport.close()
            return
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        self.upgraded = True
        self.send(TEXT, WELCOME)

    def message(self, payload: bytes) -> None:
        message = _decode(payload)
        if isinstance(message, Signal):
            target = self.floor.peers.get(message.to)
            if target is not None:
                relayed = Relayed(self.peer, message.seq, message.iv, message.ct)
                target.send(TEXT, _encode(relayed))
            return
        floor = self.floor
        self.peer, self.room = next(floor.ids), message.room
        members = floor.rooms.setdefault(message.room, [])
        self.send(TEXT, _encode(Joined(self.peer, list(members))))
        announce = _encode(PeerJoined(self.peer))
        for other in members:
            floor.peers[other].send(TEXT, announce)
        members.append(self.peer)
        floor.peers[self.peer] = self


def _settings(config: Path) -> tuple[str, int, str]:
    values: dict[str, str] = {}
    for line in config.read_text().splitlines():
        name, _, value = line.partition(" = ")
        if name in ("host", "port", "base_path"):
            values[name] = value.strip('"')
    return values["host"], int(values["port"]), values["base_path"]


async def serve(config: Path) -> None:
    host, port, base = _settings(config)
    floor = Floor(f"{base}/ws".encode())
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: FloorConnection(floor), host, port, backlog=4096)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    config = parser.parse_args().config
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(config))
    else:
        uvloop.run(serve(config))


if __name__ == "__main__":
    main()
