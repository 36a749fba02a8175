"""Parlour behind real nginx and Caddy, as docs/examples ships them: HTTPS in a hidden sub-path
of an existing site, WebSockets through it, the client's real address, the headers, the 404.

Parlour runs in this process (its hub is the witness of which address a socket was counted
under); each proxy is the real program (tests/proxies.py). Clients reach the proxy from other
loopback addresses than the one the proxy reaches Parlour from (127.0.0.1, the trusted
proxy), so the client's address and the proxy's differ as they would on a server.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import WSMsgType
from aiohttp import web as aioweb
from aiohttp.abc import AbstractResolver, ResolveResult

from parlour import keys, web
from parlour.guard import JoinGuard
from parlour.settings import Settings
from parlour.signaling import MAX_CONNECTIONS_PER_ADDRESS, Hub
from tests import proxies
from tests.helpers import FakeClock, locator, receive, room, settings
from tests.support import scaled

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOUNGE = "correct horse battery staple"
BASE_PATH = "/family/" + keys.generate_path_secret()
TRUSTED = ("127.0.0.1",)  # where both proxies connect to Parlour from
TIMEOUT = scaled(10.0)
CLIENTS = {"nginx": ("127.0.0.31", "127.0.0.32"), "caddy": ("127.0.0.33", "127.0.0.34")}


class PinnedResolver(AbstractResolver):
    """call.example.org is 127.0.0.1, as a DNS record would make it for the real site."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        assert host == proxies.SITE_NAME, host
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        pass


@dataclass
class Parlour:
    hub: Hub
    site: web.Site
    clock: Callable[[], float]
    settings: Settings
    port: int


async def start_parlour(
    clock: FakeClock | None = None, **overrides: Any
) -> tuple[Parlour, aioweb.AppRunner]:
    """Parlour on a free port; on `clock` if given (then its message budgets never refill)."""
    current = settings(room("lounge", LOUNGE), base_path=BASE_PATH, **overrides)
    hub = Hub(current.policy(), clock=clock) if clock else Hub(current.policy())
    runner, site = web.make_runner(hub, current)
    await runner.setup()
    tcp = aioweb.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    return Parlour(hub, site, clock or time.monotonic, current, port), runner


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def parlour() -> AsyncIterator[Parlour]:
    trusted = tuple(ipaddress.ip_network(address) for address in TRUSTED)
    running, runner = await start_parlour(FakeClock(), trusted_proxies=trusted)
    yield running
    await runner.cleanup()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> proxies.Certificate:
    return proxies.make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture(scope="module", params=["nginx", "caddy"])
def proxy(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    certificate: proxies.Certificate,
    parlour: Parlour,
) -> Iterator[proxies.Proxy]:
    kind: str = request.param
    folder = tmp_path_factory.mktemp(kind)
    with proxies.PROXIES[kind](folder, certificate, parlour.port, BASE_PATH) as running:
        yield running


def tls_context(certificate: proxies.Certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate.certificate))


def client(certificate: proxies.Certificate, address: str = "127.0.0.1") -> aiohttp.ClientSession:
    """A client on the loopback address `address`, which trusts the test certificate."""
    connector = aiohttp.TCPConnector(
        ssl=tls_context(certificate), resolver=PinnedResolver(), local_addr=(address, 0)
    )
    return aiohttp.ClientSession(
        connector=connector, auto_decompress=False, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
    )


async def socket_from(
    session: aiohttp.ClientSession, proxy: proxies.Proxy, **headers: str
) -> aiohttp.ClientWebSocketResponse:
    """A WebSocket through the proxy, opened as the page opens it, that has read its welcome."""
    ws = await session.ws_connect(
        proxy.url + "ws", headers={"Origin": proxy.origin, **headers}, autoclose=False
    )
    welcome = await receive(ws)
    assert welcome["type"] == "welcome", welcome
    return ws


async def seen_as(
    parlour: Parlour,
    certificate: proxies.Certificate,
    proxy: proxies.Proxy,
    address: str,
    **headers: str,
) -> str:
    """The address Parlour counts a socket from `address` under, through the proxy."""
    async with client(certificate, address) as session:
        before = set(parlour.site.sockets)
        ws = await socket_from(session, proxy, **headers)
        (conn,) = set(parlour.site.sockets) - before
        await ws.close()
        return conn.address


async def join(ws: aiohttp.ClientWebSocketResponse, passphrase: str) -> dict[str, Any]:
    await ws.send_str(json.dumps({"type": "join", "room": locator(passphrase)}))
    return await receive(ws)


# --- HTTPS, headers, the 404 ------------------------------------------------------------------


async def test_the_page_arrives_over_https_with_hsts_and_every_security_header(
    proxy: proxies.Proxy, certificate: proxies.Certificate
) -> None:
    """Parlour's page through the proxy: its own body, its security headers as Parlour sent
    them, and HSTS from the proxy, which is the one speaking HTTPS."""
    plain = {"Accept-Encoding": "identity"}
    async with client(certificate) as session, session.get(proxy.url, headers=plain) as response:
        body = await response.read()
        headers = response.headers
    assert response.status == 200
    assert body == web.load_assets()["index.html"].body.replace(
        b"<body", b'<body data-role="visitor" data-door="off"', 1
    )
    for name, value in web.SECURITY_HEADERS.items():
        if name != "Server":  # the proxy names itself; Parlour's empty one cannot pass through
            assert headers.getall(name) == [value], name
    assert headers.getall("Strict-Transport-Security") == [web.HSTS]


async def test_the_site_itself_is_still_served(
    proxy: proxies.Proxy, certificate: proxies.Certificate
) -> None:
    async with client(certificate) as session, session.get(proxy.origin + "/") as response:
        assert response.status == 200
        assert await response.text() == proxies.SITE_PAGE


def near_misses(base: str) -> list[str]:
    """Paths a prober might try: outside the hidden path, near it, and below it."""
    fake_host_page = keys.b64url(bytes(32))
    return [
        "/nothing-here",
        proxies.SITE_FOLDER + "/",
        proxies.SITE_FOLDER + "/other",
        base[:-1] + "/",
        base + "x/",
        base + "/nope",
        base + "/static/nope.js",
        base + "/" + fake_host_page,  # a host page's length, below the hidden path
        base + "/ws",  # the socket's address, without an upgrade
    ]


async def test_every_path_not_served_gets_the_sites_one_identical_404(
    proxy: proxies.Proxy, certificate: proxies.Certificate, parlour: Parlour
) -> None:
    """Inside the hidden path or outside it, a miss answers byte for byte like the site's own
    missing page: nothing tells a prober where Parlour begins."""
    answers = {}
    async with client(certificate) as session:
        for path in near_misses(BASE_PATH):
            async with session.get(proxy.origin + path, allow_redirects=False) as response:
                headers = sorted(
                    (name, value) for name, value in response.headers.items() if name != "Date"
                )
                answers[path] = (response.status, headers, await response.read())
    reference = answers["/nothing-here"]
    assert reference[0] == 404
    assert web.NOT_FOUND_BODY not in reference[2]
    for path, answer in answers.items():
        assert answer == reference, f"{path} answers unlike a missing page: {answer}"


async def test_the_proxy_keeps_the_hidden_path_out_of_its_access_log(
    proxy: proxies.Proxy, certificate: proxies.Certificate
) -> None:
    """What the site logs never holds the secret: neither Parlour's pages nor the misses below
    the hidden path (Caddy logs no access at all). A near miss outside it is the site's own
    request, logged as the site logs everything (docs/deployment.md says so)."""
    below = [path for path in near_misses(BASE_PATH) if path.startswith(BASE_PATH + "/")]
    logs = [proxy.folder / name for name in ("access.log", "proxy.log")]
    earlier = {path: path.stat().st_size if path.exists() else 0 for path in logs}
    async with client(certificate) as session:
        for path in ["/nothing-here", *below, BASE_PATH + "/"]:
            async with session.get(proxy.origin + path, allow_redirects=False) as response:
                await response.read()
    secret = BASE_PATH.rsplit("/", 1)[1]
    logged = "".join(
        path.read_bytes()[earlier[path] :].decode(errors="replace")
        for path in logs
        if path.exists()
    )
    if proxy.kind == "nginx":
        assert "GET /nothing-here" in logged  # it is the log that is written
    assert secret[:8] not in logged


# --- WebSockets -------------------------------------------------------------------------------


async def test_two_sockets_through_the_proxy_meet_in_a_room(
    proxy: proxies.Proxy, certificate: proxies.Certificate
) -> None:
    """The upgrade passes, with the Host header the Origin check wants, both ways."""
    async with client(certificate, "127.0.0.21") as ada, client(certificate, "127.0.0.22") as bo:
        first = await socket_from(ada, proxy)
        second = await socket_from(bo, proxy)
        assert (await join(first, LOUNGE))["type"] == "joined"
        joined = await join(second, LOUNGE)
        assert joined["type"] == "joined"
        assert await receive(first) == {"type": "peer-joined", "peer": joined["id"]}
        await second.close()
        assert await receive(first) == {"type": "peer-left", "peer": joined["id"]}
        await first.close()


async def test_a_socket_from_another_sites_page_is_refused_through_the_proxy(
    proxy: proxies.Proxy, certificate: proxies.Certificate
) -> None:
    async with client(certificate) as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(proxy.url + "ws", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 404


# --- the client's address ---------------------------------------------------------------------


async def test_parlour_counts_the_client_behind_a_trusted_proxy_and_ignores_its_forgery(
    proxy: proxies.Proxy, certificate: proxies.Certificate, parlour: Parlour
) -> None:
    """The proxy's X-Forwarded-For names the client; what the client wrote there does not."""
    assert await seen_as(parlour, certificate, proxy, "127.0.0.5") == "127.0.0.5"
    forged = {"X-Forwarded-For": "203.0.113.9"}
    assert await seen_as(parlour, certificate, proxy, "127.0.0.5", **forged) == "127.0.0.5"


async def test_wrong_passphrases_through_the_proxy_lock_out_only_their_sender(
    proxy: proxies.Proxy, certificate: proxies.Certificate, parlour: Parlour
) -> None:
    """Real wrong passphrases through the proxy count against the client that sent them: with
    the rest of a lockout's worth added, that client is locked out and another is not."""
    # Each proxy's run has its own pair: a lockout lasts for the module's server.
    guesser, neighbour = CLIENTS[proxy.kind]
    async with client(certificate, guesser) as session:
        ws = await socket_from(session, proxy)
        for _ in range(JoinGuard.SLOW_AFTER):  # the ones answered without delay
            assert (await join(ws, "not the passphrase"))["code"] == "no-such-room"
        for _ in range(JoinGuard.LOCK_AFTER - JoinGuard.SLOW_AFTER):
            parlour.hub.guard.failed(guesser, parlour.clock())
        refused = await join(ws, LOUNGE)
        assert refused["code"] == "locked-out", refused
        await ws.close()
    async with client(certificate, neighbour) as session:
        ws = await socket_from(session, proxy)
        assert (await join(ws, LOUNGE))["type"] == "joined"
        await ws.close()


async def test_the_connection_limit_counts_each_client_behind_the_proxy(
    proxy: proxies.Proxy, certificate: proxies.Certificate, parlour: Parlour
) -> None:
    """One client's sockets past the limit are refused; another client's still get in."""
    crowded, other = ("127.0.0.41", "127.0.0.42")
    async with client(certificate, crowded) as session, client(certificate, other) as second:
        held = [await socket_from(session, proxy) for _ in range(MAX_CONNECTIONS_PER_ADDRESS)]
        extra = await session.ws_connect(proxy.url + "ws", headers={"Origin": proxy.origin})
        reply = await receive(extra)
        assert (reply["type"], reply["code"]) == ("error", "too-many-connections")
        closing = await extra.receive(timeout=TIMEOUT)
        assert closing.type is WSMsgType.CLOSE
        assert closing.data == web.CLOSE_TRY_AGAIN_LATER
        welcomed = await socket_from(second, proxy)
        for ws in [welcomed, *held]:
            await ws.close()


async def test_parlours_access_log_names_the_client_behind_a_trusted_proxy(
    proxy: proxies.Proxy, certificate: proxies.Certificate, caplog: pytest.LogCaptureFixture
) -> None:
    """The access line of a request through the proxy names the client that made it, as the
    limits and the audit do, not the proxy every request comes through."""
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    async with client(certificate, "127.0.0.61") as session, session.get(proxy.url) as response:
        assert response.status == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "aiohttp.access"]
    assert any(line.startswith('127.0.0.61 "GET /…/"') for line in lines), lines


async def test_behind_an_untrusted_proxy_every_client_is_the_proxy(
    proxy: proxies.Proxy, certificate: proxies.Certificate, parlour: Parlour
) -> None:
    """Without the proxy in trusted_proxies (a reload's apply), its X-Forwarded-For counts
    for nothing: every client is the proxy's own address."""
    parlour.site.apply(())
    try:
        assert await seen_as(parlour, certificate, proxy, "127.0.0.5") == "127.0.0.1"
        forged = {"X-Forwarded-For": "127.0.0.6"}
        assert await seen_as(parlour, certificate, proxy, "127.0.0.5", **forged) == "127.0.0.1"
    finally:
        parlour.site.apply(parlour.settings.trusted_proxies)


async def test_a_forged_forwarded_for_from_an_untrusted_peer_counts_nothing(
    parlour: Parlour,
) -> None:
    """Straight to Parlour from an address that is no proxy, the header is ignored: a locked
    out address named in it does not lock the sender out, nor does the sender become it."""
    locked = "203.0.113.9"
    for _ in range(JoinGuard.LOCK_AFTER):
        parlour.hub.guard.failed(locked, parlour.clock())
    url = f"http://127.0.0.1:{parlour.port}{BASE_PATH}/ws"
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.51", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        before = set(parlour.site.sockets)
        ws = await session.ws_connect(url, headers={"X-Forwarded-For": locked})
        assert (await receive(ws))["type"] == "welcome"
        (conn,) = set(parlour.site.sockets) - before
        assert conn.address == "127.0.0.51"
        assert (await join(ws, LOUNGE))["type"] == "joined"
        await ws.close()


# --- a long-lived socket ----------------------------------------------------------------------

# The shipped nginx file's timeout for the socket, and the heartbeat that must beat it.
READ_TIMEOUT = re.compile(r"proxy_read_timeout (\d+)(h|m|s);")
SECONDS = {"h": 3600, "m": 60, "s": 1}


async def test_the_shipped_nginx_timeout_outlasts_parlours_heartbeat() -> None:
    """An idle socket hears from Parlour at least every two heartbeats (a ping, then the
    pong's beat), so nginx's read timeout must be longer, twice over for a busy machine, or
    quiet calls are cut."""
    found = READ_TIMEOUT.search(proxies.NGINX_CONF.read_text())
    assert found is not None, "the nginx example sets no proxy_read_timeout"
    assert int(found[1]) * SECONDS[found[2]] > 2 * web.HEARTBEAT_SECONDS * 2


async def idle_until_closed(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> bool:
    """Read nothing but control frames for `seconds`: False if the socket ended meanwhile."""
    # One deadline for the whole wait: receive(timeout=) starts again after each ping it
    # answers, so with a heartbeat running it would never end.
    try:
        async with asyncio.timeout(seconds):
            message = await ws.receive()
    except TimeoutError:
        return True
    assert message.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING), message
    return False


async def test_heartbeats_keep_an_idle_socket_open_past_nginxs_read_timeout(
    tmp_path: Path, certificate: proxies.Certificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Time scaled down: nginx's read timeout at 3 s, Parlour's heartbeat at 0.4 s (a ping at
    least every 0.8 s). An idle socket outlives two timeouts; with the heartbeat stopped, nginx
    cuts the next one."""
    monkeypatch.setattr(web, "HEARTBEAT_SECONDS", 0.4)
    monkeypatch.setattr(
        proxies, "NGINX_CONF", _with_timeout(proxies.NGINX_CONF.read_text(), tmp_path)
    )
    running, runner = await start_parlour()
    try:
        with proxies.nginx(tmp_path / "nginx", certificate, running.port, BASE_PATH) as proxy:
            async with client(certificate) as session:
                ws = await socket_from(session, proxy)
                assert await idle_until_closed(ws, 7.0), "the idle socket was cut"
                assert (await join(ws, LOUNGE))["type"] == "joined"
                await ws.close()
                await running.site.stop_heartbeat()
                ws = await socket_from(session, proxy)
                assert not await idle_until_closed(ws, scaled(10.0)), "nginx never timed out"
    finally:
        await runner.cleanup()


def _with_timeout(text: str, folder: Path) -> Path:
    path = folder / "parlour-short-timeout.conf"
    path.write_text(READ_TIMEOUT.sub("proxy_read_timeout 3s;", text))
    return path


# --- the documentation ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [proxies.NGINX_CONF, proxies.CADDYFILE], ids=["nginx", "caddy"])
async def test_deployment_md_shows_the_tested_configuration_verbatim(path: Path) -> None:
    """What docs/deployment.md tells an operator to use is exactly the file these tests run."""
    assert proxies.documented(path) == [path.read_text()]


async def test_every_file_deployment_md_shows_is_whole_and_shipped() -> None:
    text = proxies.DEPLOYMENT.read_text()
    blocks = proxies.FILE_BLOCK.findall(text)
    assert len(blocks) == text.count("<!-- file: "), "a file block without its end marker"
    for name, shown in blocks:
        assert (proxies.ROOT / name).read_text() == shown, name
