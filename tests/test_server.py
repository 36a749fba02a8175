"""`python -m parlour serve` as a real process: it serves, reloads on SIGHUP, stops on SIGTERM."""

from __future__ import annotations

import json
import logging
import re
import signal
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import WSMsgType
from aioice import stun as stun_wire

from parlour import __version__, keys, protocol
from parlour.config import load as load_config
from parlour.ice import StunServers, TurnServers
from parlour.server import Running, _announce, _reload
from parlour.settings import Settings
from parlour.signaling import Hub
from parlour.web import Site
from tests.helpers import receive
from tests.qrcodes import decode_terminal
from tests.support import ParlourProcess, room_keys, write_config

SALT = keys.generate_salt()
BASE = "/" + keys.generate_path_secret()
LOUNGE = "correct horse battery staple"
STUDY = "purple monkey dishwasher tonight"
TIMEOUT = 20.0
IV = "ZGVmZ2hpamtsbW5v"
CT = "m5eIpdXa4gnJy-ubyPmNYxN6mez-PSqIqLWlM7DjYPeo2MyhfMSRkI4XEkbkNJk_0cnCM5YX7iFa"


def rewrite(server: ParlourProcess, rooms: dict[str, str], base_path: str = BASE) -> None:
    """Write the running server's file anew: same salt, these rooms (8 places each)."""
    sized = {name: (passphrase, 8) for name, passphrase in rooms.items()}
    write_config(server.config.parent, sized, salt=SALT, base_path=base_path)


def join(passphrase: str) -> dict[str, str]:
    return {"type": "join", "room": keys.b64url(room_keys(passphrase, SALT).locator)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ParlourProcess]:
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    with ParlourProcess.start(config) as running:
        yield running


@pytest.fixture
async def session() -> Any:
    async with aiohttp.ClientSession() as client:
        yield client


async def connect(
    session: aiohttp.ClientSession, server: ParlourProcess
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(server.ws_url)
    assert (await receive(ws))["type"] == "welcome"
    return ws


async def member(
    session: aiohttp.ClientSession, server: ParlourProcess, passphrase: str
) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await connect(session, server)
    await ws.send_str(json.dumps(join(passphrase)))
    reply = await receive(ws)
    assert reply["type"] == "joined", reply
    return ws, reply["id"]


async def relays(
    sender: aiohttp.ClientWebSocketResponse,
    sender_id: str,
    recipient: aiohttp.ClientWebSocketResponse,
    recipient_id: str,
) -> bool:
    message = {"type": "signal", "to": recipient_id, "seq": 1, "iv": IV, "ct": CT}
    await sender.send_str(json.dumps(message))
    got = await receive(recipient)
    return got == {"type": "signal", "from": sender_id, "seq": 1, "iv": IV, "ct": CT}


async def test_serving_plain_http_never_imports_cryptography_or_tomlkit(
    tmp_path: Path, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without TLS the server needs neither; loading them would cost 7 MiB of resident memory."""
    monkeypatch.setenv("PYTHONPROFILEIMPORTTIME", "1")  # Python lists every import on stderr
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    with ParlourProcess.start(config) as server:
        async with session.get(server.url) as response:
            assert response.status == 200
        alice, alice_id = await member(session, server, LOUNGE)
        bob, bob_id = await member(session, server, LOUNGE)
        assert await relays(alice, alice_id, bob, bob_id)
        await alice.close()
        await bob.close()
    imported = {line.rsplit("|", 1)[-1].strip() for line in server.stderr.rest()}
    assert {"aiohttp.web", "msgspec", "parlour.signaling"} <= imported
    assert not {name for name in imported if name.split(".")[0] in ("cryptography", "tomlkit")}


async def test_printed_url_serves_the_page(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """The URL on the "is listening on" line is the page: the hidden base path, the real port."""
    port = int(server.url.split(":")[2].split("/")[0])
    assert server.url == f"http://127.0.0.1:{port}{BASE}/"
    async with session.get(server.url) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
    async with session.get(f"http://127.0.0.1:{port}/") as response:
        assert response.status == 404


async def test_sighup_adds_a_room_without_dropping_anyone(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """SIGHUP with a room added: a client joins it, and the connected members keep relaying."""
    ada, ada_id = await member(session, server, LOUNGE)
    grace, grace_id = await member(session, server, LOUNGE)
    await receive(ada)  # peer-joined

    late = await connect(session, server)
    await late.send_str(json.dumps(join(STUDY)))
    assert (await receive(late))["code"] == "no-such-room"

    rewrite(server, {"lounge": LOUNGE, "study": STUDY})
    server.send(signal.SIGHUP)
    server.stderr.expect(r"reloaded .*: 2 rooms")

    await late.send_str(json.dumps(join(STUDY)))
    assert (await receive(late))["type"] == "joined"
    assert not ada.closed
    assert not grace.closed
    assert await relays(grace, grace_id, ada, ada_id)
    assert await relays(ada, ada_id, grace, grace_id)
    for ws in (ada, grace, late):
        await ws.close()


async def test_sighup_with_a_broken_file_keeps_the_running_settings(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """SIGHUP with a broken file is refused on stderr; the old rooms still open and still relay."""
    ada, ada_id = await member(session, server, LOUNGE)
    server.config.write_text("[server\nport = lots\n")
    server.send(signal.SIGHUP)
    server.stderr.expect(r"reload refused")
    assert server.process.poll() is None
    grace, grace_id = await member(session, server, LOUNGE)
    assert await receive(ada) == {"type": "peer-joined", "peer": grace_id}
    assert await relays(ada, ada_id, grace, grace_id)
    async with session.get(server.url) as response:
        assert response.status == 200
    await ada.close()
    await grace.close()


async def test_sighup_keeps_the_base_path_until_restart(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """A new base_path in the file is reported as restart-only; the page stays where it was."""
    port = int(server.url.split(":")[2].split("/")[0])
    moved = "/" + keys.generate_path_secret()
    rewrite(server, {"lounge": LOUNGE, "study": STUDY}, moved)
    server.send(signal.SIGHUP)
    server.stderr.expect(r"base_path change only on restart")
    server.stderr.expect(r"reloaded .*: 2 rooms")
    async with session.get(server.url) as response:
        assert response.status == 200
    async with session.get(f"http://127.0.0.1:{port}{moved}/") as response:
        assert response.status == 404
    await member(session, server, STUDY)


async def test_sigterm_closes_every_socket_with_1001_and_exits_0(
    server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """SIGTERM: every client socket, in a room or not, gets close code 1001; exit status 0."""
    sockets = [(await member(session, server, LOUNGE))[0] for _ in range(2)]
    sockets.append(await connect(session, server))
    await receive(sockets[0])  # peer-joined
    server.send(signal.SIGTERM)
    for ws in sockets:
        message = await ws.receive(timeout=TIMEOUT)
        assert message.type is WSMsgType.CLOSE, message
        assert message.data == 1001
    assert server.process.wait(TIMEOUT) == 0


async def test_first_serve_writes_a_config_and_prints_a_working_join_link(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """`parlour serve` with no file: writes one, listens on 127.0.0.1:8080, prints the way in."""
    config = tmp_path / "parlour.toml"
    with ParlourProcess.start(config) as running:
        assert running.url.startswith("http://127.0.0.1:8080/")
        passphrase = running.stdout.expect(r'Room "lounge" passphrase: (.+)$').group(1)
        link = running.stdout.expect(r"Join link .*: (\S+)$").group(1)
        assert link == running.url + "#" + quote(passphrase, safe="")
        assert config.stat().st_mode & 0o777 == 0o600
        salt = keys.unb64url(tomllib.loads(config.read_text())["secrets"]["salt"])
        locator = keys.b64url(keys.room_keys(passphrase, salt).locator)
        async with session.ws_connect(running.ws_url) as ws:
            await receive(ws)  # welcome
            await ws.send_json({"type": "join", "room": locator})
            assert (await receive(ws))["type"] == "joined"


def stun_answers(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a Binding request to `host`:`port` gets its success response back."""
    request = stun_wire.Message(stun_wire.Method.BINDING, stun_wire.Class.REQUEST)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(TIMEOUT)
        sock.sendto(bytes(request), (host, port))
        response = stun_wire.parse_message(sock.recv(2048))
        return response.transaction_id == request.transaction_id and response.attributes == {
            "XOR-MAPPED-ADDRESS": sock.getsockname()
        }


def port_of(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


async def test_serve_answers_stun_on_its_web_port_and_lets_it_go_on_sigterm(
    server: ParlourProcess,
) -> None:
    """By default STUN is on UDP at the web port's number; after SIGTERM the port is free."""
    port = port_of(server.url)
    assert stun_answers(port)
    assert server.stop() == 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", port))  # fails while anyone still holds it


async def test_joined_names_the_own_stun_server_only_when_people_can_reach_it(
    tmp_path: Path, server: ParlourProcess, session: aiohttp.ClientSession
) -> None:
    """On every interface with public_url: stun:<public host>:<port> in joined; on loopback not."""
    ws = await connect(session, server)
    await ws.send_str(json.dumps(join(LOUNGE)))
    assert (await receive(ws))["ice_servers"] == []
    await ws.close()
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    text = config.read_text().replace('host = "127.0.0.1"', 'host = "0.0.0.0"')
    config.write_text(
        text.replace("[server]\n", '[server]\npublic_url = "https://call.example.org"\n')
    )
    with ParlourProcess.start(config) as public:
        port = port_of(public.url)
        local = public.url.replace("0.0.0.0", "127.0.0.1")
        async with session.ws_connect("ws" + local.removeprefix("http") + "ws") as other:
            assert (await receive(other))["type"] == "welcome"
            await other.send_str(json.dumps(join(LOUNGE)))
            joined = await receive(other)
        assert joined["ice_servers"] == [{"urls": [f"stun:call.example.org:{port}"]}]
        assert stun_answers(port)


async def test_behind_a_proxy_the_web_port_stays_on_loopback_and_stun_listens_everywhere(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """server.host on loopback, stun.host = "0.0.0.0": the page is offered the responder at the
    public host, which answers on another address; the web port is not there."""
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    text = config.read_text() + '\n[stun]\nhost = "0.0.0.0"\n'
    config.write_text(
        text.replace("[server]\n", '[server]\npublic_url = "https://call.example.org"\n')
    )
    with ParlourProcess.start(config) as proxied:
        port = port_of(proxied.url)
        async with session.ws_connect("ws" + proxied.url.removeprefix("http") + "ws") as ws:
            assert (await receive(ws))["type"] == "welcome"
            await ws.send_str(json.dumps(join(LOUNGE)))
            joined = await receive(ws)
        assert joined["ice_servers"] == [{"urls": [f"stun:call.example.org:{port}"]}]
        assert stun_answers(port, "127.0.0.2")
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=TIMEOUT).close()


def announced(capsys: pytest.CaptureFixture[str], host: str, public_url: str | None = None) -> str:
    """What `parlour serve` prints on its first run, once it has bound port 41234."""
    settings = Settings(
        source=Path("/srv/parlour.toml"),
        salt=SALT,
        base_path="/hid",
        admin_path="A" * 22,
        host=host,
        port=0,
        public_url=public_url,
    )
    _announce(settings, 41234, None, ("lounge", "a b"))
    return capsys.readouterr().out


def test_announce_on_loopback_prints_one_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert announced(capsys, "127.0.0.1") == (
        f"Parlour {__version__} is listening on http://127.0.0.1:41234/hid/\n"
        'Room "lounge" passphrase: a b\n'
        "Join link (share it only with the people you call): "
        "http://127.0.0.1:41234/hid/#a%20b\n"
    )


def test_announce_with_public_url_prints_the_real_address_and_the_public_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert announced(capsys, "127.0.0.1", "https://call.example.org") == (
        f"Parlour {__version__} is listening on http://127.0.0.1:41234/hid/\n"
        "People open: https://call.example.org/hid/\n"
        'Room "lounge" passphrase: a b\n'
        "Join link (share it only with the people you call): "
        "https://call.example.org/hid/#a%20b\n"
    )


def test_announce_on_every_interface_names_this_machine_and_public_url(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "parlour-box")
    assert announced(capsys, "0.0.0.0") == (
        f"Parlour {__version__} is listening on http://0.0.0.0:41234/hid/\n"
        "People open: http://parlour-box:41234/hid/\n"
        "parlour-box is this machine's name; if people reach it by another address, "
        "set server.public_url in /srv/parlour.toml.\n"
        'Room "lounge" passphrase: a b\n'
        "Join link (share it only with the people you call): "
        "http://parlour-box:41234/hid/#a%20b\n"
    )


def test_announce_with_qr_draws_the_join_link_as_a_code_below_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`serve --qr` (or a terminal): the first run's join link as a QR code a reader decodes."""
    settings = Settings(
        source=Path("/srv/parlour.toml"), salt=SALT, base_path="/hid", admin_path="A" * 22
    )
    _announce(settings, 41234, None, ("lounge", "a b"), qr=True)
    out = capsys.readouterr().out
    assert out.startswith(announced(capsys, "127.0.0.1").rstrip("\n") + "\n")
    assert decode_terminal(out) == ["http://127.0.0.1:41234/hid/#a%20b"]


async def test_serve_with_public_url_prints_it_and_still_serves_where_it_listens(
    tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """A real server: the "is listening on" URL stays the page; people's address follows it."""
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    public = '[server]\npublic_url = "https://call.example.org/"\n'
    config.write_text(config.read_text().replace("[server]\n", public))
    with ParlourProcess.start(config) as running:
        assert running.url.startswith("http://127.0.0.1:")
        people = running.stdout.expect(r"^People open: (\S+)$").group(1)
        assert people == f"https://call.example.org{BASE}/"
        async with session.get(running.url) as response:
            assert response.status == 200


def layers(settings: Settings) -> Running:
    """What `parlour serve` reloads, built as it builds them, with no socket."""
    ice = StunServers(settings.stun_servers)
    hub = Hub(settings.policy(), ice=ice)
    return Running(settings, hub, ice, Site(hub, settings.prefix(), settings.trusted_proxies))


def test_a_reload_hands_each_layer_its_part_of_the_new_file(tmp_path: Path) -> None:
    """Rooms and budget reach the hub, STUN servers the ICE provider, proxies the web layer."""
    path = write_config(tmp_path, {}, salt=SALT, base_path=BASE)
    running = layers(load_config(path))
    conn, _ = running.hub.connect("192.0.2.1")
    assert running.ice(conn) == []
    assert running.site.trusted_proxies == ()
    assert running.hub.policy.rooms == ()
    stun = {"stun_servers": ["stun:stun.example.org:3478"]}
    write_config(tmp_path, {"lounge": (LOUNGE, 3)}, salt=SALT, base_path=BASE, call=stun)
    text = path.read_text()
    path.write_text(text.replace("[server]\n", '[server]\ntrusted_proxies = ["10.0.0.0/8"]\n'))
    _reload(running)
    assert running.ice(conn) == [protocol.IceServer(urls=["stun:stun.example.org:3478"])]
    assert [str(network) for network in running.site.trusted_proxies] == ["10.0.0.0/8"]
    assert [(room.name, room.max_members) for room in running.hub.policy.rooms] == [("lounge", 3)]
    assert running.settings.source == path.resolve()


TURN_SECRET = "coturn-static-auth-secret-for-the-reload"


def test_a_reload_hands_the_turn_provider_its_new_turn_table(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """[turn] added by a reload reaches the next join; a refused one logs no secret."""
    path = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    settings = load_config(path)
    ice, turn = StunServers(settings.stun_servers), TurnServers(settings.turn)
    hub = Hub(settings.policy(), ice=ice, turn=turn)
    running = Running(settings, hub, ice, Site(hub, settings.prefix(), ()), turn)
    conn, _ = hub.connect("192.0.2.1")
    assert (turn(conn), turn.ttl) == ([], None)
    table = f'\n[turn]\nurls = ["turn:turn.example.org"]\nsecret = "{TURN_SECRET}"\n'
    path.write_text(path.read_text() + table + "lifetime = 900\n")
    _reload(running)
    [server] = turn(conn)
    assert (server.urls, turn.ttl) == (["turn:turn.example.org"], 900)
    path.write_text(path.read_text().replace(TURN_SECRET, "short"))
    caplog.set_level(logging.DEBUG)
    _reload(running)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "reload refused" in logged
    assert "turn.secret" in logged
    assert "short" not in logged.replace(str(path.resolve()), "FILE")
    assert turn.ttl == 900  # the running [turn] stays


def secret_pieces(secret: str, size: int = 8) -> list[str]:
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


@pytest.mark.parametrize(
    "broken",
    ["salt", "base_path", "admin_path", "ticket_key", "salt missing"],
)
def test_a_refused_reload_logs_no_secret_old_or_fresh(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    """A reload refused for a secret key logs the key and the fault, not the value nor a new one."""
    path = write_config(tmp_path, {}, salt=SALT, base_path=BASE)
    running = layers(load_config(path))
    text = path.read_text()
    salt = keys.b64url(SALT)
    admin = tomllib.loads(text)["secrets"]["admin_path"]
    bad = {
        "salt": text.replace(salt, salt[:-1]),
        "base_path": text.replace(BASE, BASE + "//x"),
        "admin_path": text.replace(admin, admin + "!"),
        "ticket_key": re.sub(r'(?m)^ticket_key = "[^"]*"$', f'ticket_key = "{salt[1:]}"', text),
        "salt missing": text.replace(f'salt = "{salt}"\n', ""),
    }[broken]
    path.write_text(bad)
    caplog.set_level(logging.DEBUG)
    _reload(running)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    logged = logged.replace(str(path.resolve()), "FILE")
    assert "reload refused" in logged
    assert ("ticket_key" in logged) == (broken == "ticket_key")
    for secret in (salt, BASE, admin):
        for piece in secret_pieces(secret):
            assert piece not in logged, logged
    assert not re.search(r"[A-Za-z0-9_-]{22,}", logged), logged
    assert running.settings.salt == running.hub.policy.salt == SALT  # and the running ones stay


def test_a_country_database_that_is_not_one_stops_serve_with_the_key_to_fix(
    tmp_path: Path,
) -> None:
    """The file exists (the config check passes) but is no MaxMind DB: serve says so, exit 1."""
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)})
    (tmp_path / "countries.mmdb").write_text("not a database\n")
    with config.open("a") as file:
        file.write('\n[front_door]\ngeoip_database = "countries.mmdb"\n')
    done = subprocess.run(
        [sys.executable, "-m", "parlour", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 1, done
    assert "is not a MaxMind DB file" in done.stderr
    assert "[front_door] geoip_database" in done.stderr
    assert str(config) in done.stderr


async def test_the_audit_outlives_a_restart_and_reaches_the_super_hosts_desk(
    tmp_path: Path,
) -> None:
    """A probe and a wrong passphrase are audited in parlour-audit.sqlite; after a restart the
    super-host's desk opens with both."""
    raw = bytes(range(32))
    config = write_config(tmp_path, {"lounge": (LOUNGE, 8)}, salt=SALT, base_path=BASE)
    with config.open("a") as file:
        verifier = keys.b64url(keys.verifier(raw))
        file.write(f'\n[hosts.grandma]\nverifier = "{verifier}"\nsuper = true\n')
    with ParlourProcess.start(config) as server:
        async with aiohttp.ClientSession() as session:
            async with session.get(server.url + "wp-login.php") as response:
                assert response.status == 404
            async with session.ws_connect(server.ws_url) as ws:
                await receive(ws)  # welcome
                wrong = room_keys("not the passphrase", SALT).locator
                await ws.send_json({"type": "join", "room": keys.b64url(wrong)})
                assert (await receive(ws))["code"] == "no-such-room"
    assert (tmp_path / "parlour-audit.sqlite").exists()
    with ParlourProcess.start(config) as server:
        async with aiohttp.ClientSession() as session, session.ws_connect(server.ws_url) as ws:
            await receive(ws)
            await ws.send_json({"type": "desk", "secret": keys.b64url(raw)})
            desk = await receive(ws)
    assert desk["type"] == "desk"
    events = [entry["event"] for entry in desk["audit"]]
    assert events == ["wrong-passphrase", "probe"]
    probe = desk["audit"][1]
    assert probe["what"] == "GET /…/wp-login.php"
    assert probe["address"] == "127.0.0.1"
