"""Shared test helpers: settings with real room keys, PROTOCOL.md parsing, a clock tests drive,
reading the server's next message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp

from parlour import keys
from parlour.settings import Room, Settings
from tests.support import scaled

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL_MD = ROOT / "PROTOCOL.md"

SALT = bytes(range(32))
# The hub only ever sees locators, so tests may stretch cheaply; the vectors use the real count.
CHEAP_ITERATIONS = 1_000
RECEIVE_TIMEOUT = scaled(20.0)


class FakeClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def locator(passphrase: str, salt: bytes = SALT, iterations: int = CHEAP_ITERATIONS) -> str:
    """The base64url locator a browser would send in `join` for this passphrase."""
    return keys.b64url(keys.room_keys(passphrase, salt, iterations).locator)


def room(
    name: str,
    passphrase: str,
    max_members: int = 8,
    salt: bytes = SALT,
    iterations: int = CHEAP_ITERATIONS,
) -> Room:
    """A configured room, stored the way the CLI stores it: only the locator's verifier."""
    found = keys.room_keys(passphrase, salt, iterations).locator
    return Room(name=name, verifier=keys.verifier(found), max_members=max_members)


def settings(*rooms: Room, **overrides: Any) -> Settings:
    """Settings as config.load would build them, without a file."""
    values: dict[str, Any] = {
        "source": Path("parlour.toml"),
        "salt": SALT,
        "base_path": "/s3cretPath",
        "admin_path": "adminSecretPath0123456",
        "rooms": rooms,
    }
    values.update(overrides)
    return Settings(**values)


def protocol_text() -> str:
    return PROTOCOL_MD.read_text(encoding="utf-8")


def vectors() -> dict[str, Any]:
    """The one fenced block in PROTOCOL.md whose info string is `json vectors`."""
    blocks = re.findall(r"^```json vectors\n(.*?)^```$", protocol_text(), re.S | re.M)
    assert len(blocks) == 1, "PROTOCOL.md must hold exactly one ```json vectors block"
    data: dict[str, Any] = json.loads(blocks[0])
    return data


async def receive(
    ws: aiohttp.ClientWebSocketResponse, timeout: float = RECEIVE_TIMEOUT
) -> dict[str, Any]:
    """The next message on `ws`, which must be a text frame holding JSON."""
    message = await ws.receive(timeout=timeout)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    data: dict[str, Any] = json.loads(message.data)
    return data
