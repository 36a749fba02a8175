"""A minimal WebSocket client on a bare asyncio Protocol: lean, so the load generator is cheap.

aiohttp's client would work, but every frame would pass through its reader, a queue and a
task switch; here a frame is a slice and a callback. Only what the bench needs is here: the
opening handshake (checked), text frames both ways, answering pings (the server closes a
connection that does not answer its heartbeat) and the closing handshake.

Frames are masked with the key 0 0 0 0. RFC 6455 wants an unpredictable key to protect
proxies that misread WebSocket traffic; there is no proxy on loopback, and the server unmasks
every frame all the same, so its cost is the real one while the generator skips the XOR.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import time
from collections import deque
from collections.abc import Callable
from typing import Final, cast

GUID: Final = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
ZERO_MASK: Final = b"\x00\x00\x00\x00"
MAX_HEAD: Final = 8192
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def _nothing() -> None:
    pass


class Closed(ConnectionError):
    """The connection ended before the message the caller was waiting for."""


def _header(opcode: int, size: int) -> bytes:
    first = 0x80 | opcode  # FIN: the bench never fragments
    if size < 126:
        return bytes((first, 0x80 | size)) + ZERO_MASK
    if size < 65_536:
        return bytes((first, 0x80 | 126)) + size.to_bytes(2, "big") + ZERO_MASK
    return bytes((first, 0x80 | 127)) + size.to_bytes(8, "big") + ZERO_MASK


class WsClient(asyncio.Protocol):
    """One connection. Text frames go to `on_text`; until it is replaced, `recv()` reads them."""

    def __init__(self, request: bytes, accept: bytes) -> None:
        self._request = request
        self._accept = accept
        self._buffer = b""
        self._upgraded = False
        self._inbox: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_text: Callable[[bytes], None] = self._keep
        # Flow control, for a sender that writes as fast as the socket takes it (the floods).
        self.on_writable: Callable[[], None] = _nothing
        self.writable = True
        self.closed = False
        self.close_code: int | None = None  # from the server's close frame, when it sent one
        self.closed_at: float | None = None  # time.perf_counter() at the close, either side's

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but they behave as one.
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.closed_at = self.closed_at or time.perf_counter()
        self.writable = False
        if not self.opened.done():
            self.opened.set_exception(Closed("closed during the opening handshake"))
        self._wake()

    def data_received(self, data: bytes) -> None:
        buf = self._buffer + data if self._buffer else data
        if not self._upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._buffer = buf
                if len(buf) > MAX_HEAD:
                    self._fail("the handshake answer never ended")
                return
            if not self._handshake(buf[:end]):
                return
            buf = buf[end + 4 :]
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F  # server frames are never masked
            start = pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            end = start + length
            if end > size:
                break
            opcode = buf[pos] & 0x0F
            pos = end
            if opcode == TEXT:
                self.on_text(buf[start:end])
            elif opcode == PING:
                self._send(PONG, buf[start:end])
            elif opcode == CLOSE:
                if length >= 2:
                    self.close_code = int.from_bytes(buf[start : start + 2], "big")
                self._send(CLOSE, buf[start : start + 2])
                self.close()
                return
        self._buffer = buf[pos:] if pos < size else b""

    def pause_writing(self) -> None:
        self.writable = False

    def resume_writing(self) -> None:
        self.writable = True
        self.on_writable()

    # The handshake

    def _handshake(self, head: bytes) -> bool:
        lines = head.split(b"\r\n")
        accepted = any(
            name.strip().lower() == b"sec-websocket-accept" and value.strip() == self._accept
            for name, _, value in (line.partition(b":") for line in lines[1:])
        )
        if not lines[0].startswith(b"HTTP/1.1 101") or not accepted:
            self._fail(f"the upgrade was refused: {lines[0].decode(errors='replace')}")
            return False
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _fail(self, reason: str) -> None:
        if not self.opened.done():
            self.opened.set_exception(Closed(reason))
        self.close()

    # Sending and receiving

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(_header(opcode, len(payload)) + payload)

    def send_text(self, payload: bytes) -> None:
        self._send(TEXT, payload)

    def _keep(self, payload: bytes) -> None:
        self._inbox.append(payload)
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def recv(self) -> bytes:
        """The next text frame (callers bound the wait with asyncio.timeout)."""
        while not self._inbox:
            if self.closed:
                raise Closed("closed while a message was awaited")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._inbox.popleft()

    def close(self) -> None:
        self.closed = True
        self.closed_at = self.closed_at or time.perf_counter()
        if self.transport is not None:
            self.transport.close()


async def connect(host: str, port: int, path: str, source: str | None = None) -> WsClient:
    """Open and upgrade one connection from `source` (a local address; callers bound the wait
    with asyncio.timeout)."""
    key = base64.b64encode(os.urandom(16))
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    request = (
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        ).encode()
        + b"Sec-WebSocket-Key: "
        + key
        + b"\r\n\r\n"
    )
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: WsClient(request, accept),
        host,
        port,
        local_addr=None if source is None else (source, 0),
    )
    await client.opened
    return client
