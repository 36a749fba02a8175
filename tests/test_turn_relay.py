"""The credentials a real `parlour serve` hands out in `joined` and `ice-servers` are accepted
by a real coturn sharing its secret, and refused once they expire."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aioice import stun

from parlour import keys, turncheck
from parlour.ice import turn_credentials
from tests.helpers import receive
from tests.support import ParlourProcess, room_keys, scaled, write_config
from tests.turn import Coturn

SECRET = "coturn-and-parlour-share-this"
LOUNGE = "correct horse battery staple"
SALT = bytes(range(32))


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with Coturn.start(tmp_path_factory.mktemp("coturn"), SECRET) as running:
        yield running


@pytest.fixture
def server(tmp_path: Path, coturn: Coturn) -> Iterator[ParlourProcess]:
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT)
    urls = [f"turn:127.0.0.1:{coturn.port}?transport=udp"]
    urls.append(f"turn:127.0.0.1:{coturn.port}?transport=tcp")
    turn = f"\n[turn]\nurls = {json.dumps(urls)}\nsecret = {json.dumps(SECRET)}\nlifetime = 120\n"
    config.write_text(config.read_text() + turn)
    with ParlourProcess.start(config) as running:
        yield running


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def relayed(entry: dict[str, Any]) -> list[str]:
    """Allocate at every URL of one ice_servers entry with its credentials; the relayed
    addresses."""
    return [
        await turncheck.allocate(
            turncheck.Target.parse(url), entry["username"], entry["credential"], scaled(5.0)
        )
        for url in entry["urls"]
    ]


def turn_entry(ice_servers: list[dict[str, Any]]) -> dict[str, Any]:
    [entry] = [server for server in ice_servers if "username" in server]
    return entry


async def test_joined_and_refreshed_credentials_get_a_relay_from_coturn(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """joined's TURN entry allocates over UDP and TCP at coturn; refresh's does too, later."""
    locator = keys.b64url(room_keys(LOUNGE, SALT).locator)
    async with session.ws_connect(server.ws_url) as ws:
        assert (await receive(ws))["type"] == "welcome"
        before = int(time.time())
        await ws.send_json({"type": "join", "room": locator})
        joined = await receive(ws)
        assert (joined["type"], joined["ice_ttl"], joined["relay_only"]) == ("joined", 120, False)
        entry = turn_entry(joined["ice_servers"])
        expiry, label = entry["username"].split(":")
        assert label == joined["id"]
        assert before + 120 <= int(expiry) <= int(time.time()) + 120
        assert len(await relayed(entry)) == 2

        await ws.send_json({"type": "refresh"})
        fresh = await receive(ws)
        assert (fresh["type"], fresh["ice_ttl"]) == ("ice-servers", 120)
        again = turn_entry(fresh["ice_servers"])
        assert int(again["username"].split(":")[0]) >= int(expiry)
        assert len(await relayed(again)) == 2


async def test_coturn_refuses_credentials_that_have_expired(coturn: Coturn) -> None:
    """A username whose expiry has passed gets 401 from coturn, though its HMAC is right."""
    username, credential = turn_credentials(SECRET, "AAAAAAAA", int(time.time()) - 1)
    target = turncheck.Target.parse(f"turn:127.0.0.1:{coturn.port}")
    with pytest.raises(stun.TransactionFailed) as refused:
        await turncheck.allocate(target, username, credential, scaled(5.0))
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401
