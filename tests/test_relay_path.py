"""The WebSocket's short way (web.Inbox: frames answered as they are read) and its heartbeat."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp._websocket.reader import WebSocketDataQueue
from aiohttp.http import WebSocketReader
from pytest_aiohttp import AiohttpClient

from parlour import web
from parlour.guard import JoinGuard
from tests.helpers import locator, receive
from tests.test_web import CT, IV, LOUNGE, TIMEOUT, World, joined, send, start


@pytest.fixture
async def world(aiohttp_client: AiohttpClient) -> World:
    return await start(aiohttp_client)


async def test_many_frames_in_one_read_are_answered_in_order(world: World) -> None:
    """Past INLINE_PER_READ frames in one read, the rest still comes back, in order."""
    ada, _ = await joined(world, LOUNGE)
    bob, bob_id = await joined(world, LOUNGE)
    await receive(ada)  # peer-joined
    count = 3 * web.INLINE_PER_READ
    frames = [
        json.dumps({"type": "signal", "to": bob_id, "seq": seq, "iv": IV, "ct": CT})
        for seq in range(count)
    ]
    await asyncio.gather(*(ada.send_str(frame) for frame in frames))
    assert [(await receive(bob))["seq"] for _ in range(count)] == list(range(count))
    await send(ada, {"type": "ping", "id": 1})
    assert await receive(ada) == {"type": "pong", "id": 1}
    for ws in (ada, bob):
        await ws.close()


async def test_a_frame_behind_a_held_back_answer_is_answered_after_it(world: World) -> None:
    """A ping sent right behind a wrong passphrase waits for the held-back no-such-room."""
    for _ in range(JoinGuard.SLOW_AFTER):
        world.hub.guard.failed("127.0.0.1", world.clock())
    ws = await world.ws()
    await send(ws, {"type": "join", "room": locator("wrong")})
    await send(ws, {"type": "ping", "id": 7})
    assert (await receive(ws))["code"] == "no-such-room"
    assert await receive(ws) == {"type": "pong", "id": 7}
    await ws.close()


async def test_a_silent_socket_is_pinged_and_one_that_never_answers_is_dropped(
    aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One beat without a frame brings a ping; the next beat without one drops the socket."""
    monkeypatch.setattr(web, "HEARTBEAT_SECONDS", 0.05)
    world = await start(aiohttp_client)
    ws = await world.ws(autoping=False)
    ping = await ws.receive(timeout=TIMEOUT)
    assert ping.type is WSMsgType.PING
    end = await ws.receive(timeout=TIMEOUT)
    assert end.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    for _ in range(100):
        if world.hub.connections == 0:
            break
        await asyncio.sleep(0.01)
    assert world.hub.connections == 0


async def test_a_socket_that_answers_its_pings_stays(
    aiohttp_client: AiohttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that answers pings (as browsers do) is kept across many beats."""
    monkeypatch.setattr(web, "HEARTBEAT_SECONDS", 0.05)
    world = await start(aiohttp_client)
    ws: aiohttp.ClientWebSocketResponse = await world.ws()
    reading = asyncio.create_task(ws.receive(timeout=TIMEOUT))  # answers pings meanwhile
    await asyncio.sleep(0.5)
    assert not reading.done()
    assert world.hub.connections == 1
    await send(ws, {"type": "ping", "id": 2})
    message = await reading
    assert json.loads(message.data) == {"type": "pong", "id": 2}
    await ws.close()


@pytest.mark.parametrize("size", [0, 125, 126, 65_535, 65_536, 70_000])
async def test_text_frames_read_back_whole_at_every_header_size(size: int) -> None:
    """text_frame's three header sizes, as a WebSocket reader (aiohttp's) reads them."""
    queue = WebSocketDataQueue(Paused(), 2**20, loop=asyncio.get_running_loop())
    reader = WebSocketReader(queue, 2**20, compress=False, decode_text=True)
    text = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    assert reader.feed_data(web.text_frame(text)) == (False, b"")
    message = await queue.read()
    assert (message.type, message.data) == (WSMsgType.TEXT, text.decode())


class Paused:
    """What aiohttp's queue asks of the protocol it may pause."""

    _reading_paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True
