"""parlour.web through a real aiohttp server on a real socket: headers, 404s, assets, WebSocket."""

from __future__ import annotations

import asyncio
import base64
import datetime
import gzip
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import WSMsgType
from aiohttp import web as aioweb
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from multidict import CIMultiDict
from pytest_aiohttp import AiohttpClient

from parlour import keys, protocol, web, wording
from parlour.guard import JoinGuard
from parlour.settings import Host, Settings
from parlour.signaling import MAX_CONNECTIONS_PER_ADDRESS, MESSAGE_BURST, MESSAGE_DROPS, Hub
from tests.helpers import FakeClock, locator, receive, room, settings

LOUNGE = "correct horse battery staple"
TINY = "two is company"
BASE = "/s3cretPath"
SECRET = BASE.strip("/")
IV = "ZGVmZ2hpamtsbW5v"
CT = "m5eIpdXa4gnJy-ubyPmNYxN6mez-PSqIqLWlM7DjYPeo2MyhfMSRkI4XEkbkNJk_0cnCM5YX7iFa"
TIMEOUT = 10.0


DESK_SECRET = keys.b64url(bytes(range(32)))
DESK_HOST = Host(
    name="grandma", verifier=keys.verifier(bytes(range(32))), contacts=("grandma",), permitted=()
)


def make_settings(**overrides: Any) -> Settings:
    return settings(room("lounge", LOUNGE), room("tiny", TINY, max_members=2), **overrides)


def static_files() -> dict[str, bytes]:
    folder = resources.files("parlour").joinpath("static")
    return {entry.name: entry.read_bytes() for entry in folder.iterdir() if entry.is_file()}


def an_asset() -> str:
    """Some client file other than the page itself."""
    names = sorted(name for name in static_files() if name != "index.html")
    assert names, "parlour/static holds no assets besides index.html"
    return names[0]


@dataclass
class World:
    client: Any  # aiohttp.test_utils.TestClient
    hub: Hub
    site: web.Site
    clock: FakeClock
    settings: Settings

    @property
    def origin(self) -> str:
        return f"http://{self.client.host}:{self.client.port}"

    async def ws(self, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        """A WebSocket that has read its welcome."""
        ws: aiohttp.ClientWebSocketResponse = await self.client.ws_connect(BASE + "/ws", **kwargs)
        welcome = await receive(ws)
        assert welcome["type"] == "welcome"
        return ws


async def send(ws: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> None:
    await ws.send_str(json.dumps(message))


async def joined(world: World, passphrase: str) -> tuple[aiohttp.ClientWebSocketResponse, str]:
    ws = await world.ws()
    await send(ws, {"type": "join", "room": locator(passphrase)})
    reply = await receive(ws)
    assert reply["type"] == "joined", reply
    return ws, reply["id"]


async def start(aiohttp_client: AiohttpClient, **overrides: Any) -> World:
    current = make_settings(**overrides)
    clock = FakeClock()
    hub = Hub(current.policy(), clock=clock)
    app, site = web.build_app(hub, current)
    client = await aiohttp_client(app, auto_decompress=False)
    return World(client, hub, site, clock, current)


@pytest.fixture
async def world(aiohttp_client: AiohttpClient) -> World:
    return await start(aiohttp_client)


# --- headers --------------------------------------------------------------------------------

CSP_SOURCES = {"'self'", "'none'", "blob:", "data:", "mediastream:"}


def check_security_headers(headers: Any) -> None:
    csp = headers["Content-Security-Policy"]
    assert "unsafe" not in csp
    directives = {}
    for directive in csp.split(";"):
        name, *sources = directive.split()
        directives[name] = sources
        assert set(sources) <= CSP_SOURCES, f"{name} allows {sources}"
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["default-src"] == ["'none'"]
    # The service worker and the manifest come from the page's own origin, nowhere else.
    assert directives["worker-src"] == directives["manifest-src"] == ["'self'"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    permissions = [item.strip() for item in headers["Permissions-Policy"].split(",")]
    for feature in ("camera=(self)", "microphone=(self)", "display-capture=(self)"):
        assert feature in permissions
    assert headers.get("Server", "") == ""
    assert "Strict-Transport-Security" not in headers


async def raw_request(host: str, port: int, request: bytes) -> tuple[str, CIMultiDict[str]]:
    """Send bytes on a fresh TCP connection; return the status line and response headers."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    finally:
        writer.close()
        await writer.wait_closed()
    status, *lines = head.decode("latin-1").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers.add(name.strip(), value.strip())
    return status, headers


def upgrade_request(path: str, host: str, origin: str | None = None) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", BASE + "/", {}),
        ("HEAD", BASE + "/", {}),
        ("GET", BASE, {}),
        ("GET", "/elsewhere", {}),
        ("GET", BASE + "/nope", {}),
        ("POST", BASE + "/", {}),
        ("GET", BASE + "/ws", {}),
        ("GET", "ASSET", {"Accept-Encoding": "gzip"}),
        ("GET", "ASSET", {"If-None-Match": "ETAG"}),
    ],
    ids=["page", "head", "redirect", "outside", "unknown", "post", "ws-no-upgrade", "asset", "304"],
)
async def test_every_response_carries_the_security_headers(
    world: World, method: str, path: str, headers: dict[str, str]
) -> None:
    """CSP (self only, no inline, no framing), no-referrer, nosniff, permissions; no Server."""
    if path == "ASSET":
        path = f"{BASE}/static/{an_asset()}"
        first = await world.client.get(path)
        headers = {k: v.replace("ETAG", first.headers["ETag"]) for k, v in headers.items()}
    response = await world.client.request(method, path, headers=headers, allow_redirects=False)
    check_security_headers(response.headers)


async def test_websocket_handshake_carries_the_security_headers(world: World) -> None:
    """The 101 Switching Protocols answer has the same headers as every other response."""
    host = f"{world.client.host}:{world.client.port}"
    status, headers = await raw_request(
        world.client.host, world.client.port, upgrade_request(BASE + "/ws", host, world.origin)
    )
    assert status.startswith("HTTP/1.1 101")
    check_security_headers(headers)


async def test_no_response_names_the_server_software(world: World) -> None:
    """The Server header is empty: nothing says aiohttp or Python."""
    for path in (BASE + "/", "/nothing"):
        status, headers = await raw_request(
            world.client.host,
            world.client.port,
            f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
        )
        assert status.split()[1] in {"200", "404"}
        assert headers.get("Server", "") == ""
        assert "aiohttp" not in str(headers).lower()
        assert "python" not in str(headers).lower()


# --- one identical 404 ----------------------------------------------------------------------


async def fingerprint(response: aiohttp.ClientResponse) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "date"]
    return response.status, await response.read(), headers


async def test_hidden_and_missing_things_get_one_identical_404(world: World) -> None:
    """Outside the base path, unknown inside it, wrong method, /ws without upgrade, foreign Origin:
    the same status, body and headers, so probing cannot find the door."""
    client = world.client
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }
    probes = [
        ("GET", "/", {}),
        ("GET", "/favicon.ico", {}),
        ("GET", "/s3cretPat/", {}),
        ("GET", "/S3CRETPATH/", {}),
        ("GET", BASE + "x/", {}),
        ("GET", BASE + "/nope", {}),
        ("GET", BASE + "/index.html", {}),
        ("GET", BASE + "/static/", {}),
        ("GET", BASE + "/static/unknown.js", {}),
        ("GET", BASE + "/static/index.html", {}),
        # The manifest and the service worker exist only at the base path, not at the site's
        # root nor among the assets.
        ("GET", "/sw.js", {}),
        ("GET", "/manifest.webmanifest", {}),
        ("GET", BASE + "/static/sw.js", {}),
        ("GET", BASE + "/static/manifest.webmanifest", {}),
        ("POST", BASE + "/", {}),
        ("PUT", BASE + "/static/" + an_asset(), {}),
        ("DELETE", "/elsewhere", {}),
        ("GET", BASE + "/ws", {}),
        ("GET", BASE + "/ws", {**upgrade, "Origin": "https://evil.example"}),
        ("GET", BASE + "/ws", {**upgrade, "Origin": "null"}),
        ("GET", BASE + "/ws", {**upgrade, "Origin": f"http://{client.host}:1"}),
    ]
    seen = set()
    for method, path, headers in probes:
        response = await client.request(method, path, headers=headers, allow_redirects=False)
        status, body, kept = await fingerprint(response)
        assert status == 404, (method, path, status)
        seen.add((status, body, tuple(kept)))
    assert len(seen) == 1, seen


async def test_page_is_served_at_the_base_path(world: World) -> None:
    """base_path + "/" is the page: 200, text/html, the packaged index.html, never cached."""
    response = await world.client.get(BASE + "/", headers={"Accept-Encoding": "identity"})
    assert response.status == 200
    assert response.content_type == "text/html"
    assert response.charset == "utf-8"
    page = static_files()["index.html"]
    # The same page, told that it is the visitor's and that no front door is open.
    assert await response.read() == page.replace(
        b"<body", b'<body data-role="visitor" data-door="off"', 1
    )
    assert response.headers["Cache-Control"] == "no-store"


async def test_a_host_page_is_the_page_at_its_secret_and_every_near_miss_is_the_404(
    aiohttp_client: AiohttpClient,
) -> None:
    world = await start(aiohttp_client, hosts=(DESK_HOST,))
    plain = {"Accept-Encoding": "identity"}
    response = await world.client.get(BASE + "/" + DESK_SECRET, headers=plain)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert b'<body data-role="host" data-door="one"' in await response.read()
    visitor_page = await (await world.client.get(BASE + "/", headers=plain)).read()
    assert b'<body data-role="visitor" data-door="one"' in visitor_page
    near = [
        DESK_SECRET[:-1] + ("A" if DESK_SECRET[-1] != "A" else "B"),
        DESK_SECRET + "/",
        DESK_SECRET[:-1],
        "/" + DESK_SECRET,
    ]
    seen = set()
    for miss in near:
        status, body, headers = await fingerprint(await world.client.get(BASE + "/" + miss))
        seen.add((status, body, tuple(headers)))
    assert len(seen) == 1
    assert next(iter(seen))[0] == 404
    # Each was written down for the super-host, without the base path or the near miss.
    probes = [e for e in world.hub.door.audit.recent() if e.event == "probe"]
    assert len(probes) == len(near)
    for entry in probes:
        assert BASE not in entry.what
        assert DESK_SECRET[:20] not in entry.what


# --- the page in the visitor's language ----------------------------------------------------


def page_in(language: str, attributes: bytes = b'data-role="visitor" data-door="off"') -> bytes:
    """index.html as the server sends it in `language`: said on <html>, its catalogue preloaded
    and its marked words written in (tests/test_wording.py) unless it is English (the page's
    own)."""
    page = static_files()["index.html"]
    if language != "en":
        words = wording.read_catalogue(static_files()[f"i18n-{language}.js"].decode())
        page = wording.render(page.decode(), words).encode()
    page = page.replace(
        b'<html lang="en">', f'<html lang="{language}" data-language="{language}">'.encode(), 1
    )
    if language != "en":
        preload = f'  <link rel="modulepreload" href="static/i18n-{language}.js">\n'.encode()
        page = page.replace(b"</head>", preload + b"</head>", 1)
    return page.replace(b"<body", b"<body " + attributes, 1)


async def page_for(world: World, accept_language: str, path: str = BASE + "/") -> bytes:
    headers = {"Accept-Encoding": "identity", "Accept-Language": accept_language}
    response = await world.client.get(path, headers=headers)
    assert response.status == 200
    assert response.headers["Vary"] == "Accept-Encoding, Accept-Language"
    assert response.headers["Cache-Control"] == "no-store"
    return await response.read()


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de"),
        ("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5", "fr"),
        ("es-419", "es"),
        ("en-US,en;q=0.9", "en"),
        ("en;q=0.5, fr;q=0.8", "fr"),
        ("de;q=0, es;q=0.1", "es"),
        ("it-IT,it;q=0.9,ja;q=0.8", "en"),
        ("", "en"),
    ],
)
async def test_the_page_arrives_in_the_language_accept_language_picks(
    world: World, accept_language: str, language: str
) -> None:
    assert await page_for(world, accept_language) == page_in(language)


async def test_a_page_asked_in_no_language_is_as_written_and_left_to_the_browser(
    world: World,
) -> None:
    """No Accept-Language at all (a proxy that strips it): no choice on <html>, no preload, and
    translate.js picks from navigator.languages; the page still varies on the header."""
    response = await world.client.get(BASE + "/", headers={"Accept-Encoding": "identity"})
    body = await response.read()
    assert b'<html lang="en">' in body
    assert b"data-language" not in body
    assert b"modulepreload" not in body
    assert response.headers["Vary"] == "Accept-Encoding, Accept-Language"


async def test_several_accept_language_lines_are_one_list(world: World) -> None:
    headers = CIMultiDict([("Accept-Encoding", "identity")])
    headers.add("Accept-Language", "it;q=0.9")
    headers.add("Accept-Language", "fr;q=0.95, de;q=0.5")
    response = await world.client.get(BASE + "/", headers=headers)
    assert await response.read() == page_in("fr")


async def test_a_host_page_arrives_in_its_language_too(aiohttp_client: AiohttpClient) -> None:
    world = await start(aiohttp_client, hosts=(DESK_HOST,))
    body = await page_for(world, "es-ES,es;q=0.9", BASE + "/" + DESK_SECRET)
    assert body == page_in("es", b'data-role="host" data-door="one"')
    # The preload is relative like every other reference, so from the host's address as well it
    # names the file i18n.js imports.
    zipped = await world.client.get(BASE + "/" + DESK_SECRET, headers={"Accept-Language": "es"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(await zipped.read()) == body


@pytest.mark.parametrize(
    "accept_language",
    [
        "de," * 2000,  # over the bound, though German comes first
        "x" * 8000,
        ",,,;;;===",
        "de;q=2, fr;q=1.5, es;level=1",
        "<script>alert(1)</script>",
        '"><link rel=modulepreload href=//evil.example/x.js>',
        "../../etc/passwd",
        "de\tfr",
    ],
)
async def test_a_garbage_or_huge_header_is_english_and_no_error(
    world: World, accept_language: str
) -> None:
    assert await page_for(world, accept_language) == page_in("en")


async def test_bytes_that_are_no_text_in_accept_language_are_english(world: World) -> None:
    """Not even UTF-8 (aiohttp lets such bytes through, as latin-1): the page, in English, as for
    any header that names no language."""
    for value in (b"\xff\xfe\x80de", "d\u00e9".encode()):
        request = (
            b"GET " + BASE.encode() + b"/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Accept-Language: " + value + b"\r\n\r\n"
        )
        reader, writer = await asyncio.open_connection(world.client.host, world.client.port)
        writer.write(request)
        answer = await asyncio.wait_for(reader.read(), TIMEOUT)  # to the end: Connection: close
        writer.close()
        await writer.wait_closed()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), (value, head)
        assert b"\r\nVary: Accept-Encoding, Accept-Language\r\n" in head
        assert body == page_in("en")


async def test_the_404_is_the_same_whatever_accept_language_says(world: World) -> None:
    """A stranger learns nothing by asking in another language: not the status, the body nor any
    header (no Vary, no Content-Language) changes."""
    seen = set()
    for path in ("/", BASE + "/nope", BASE + "x/", BASE + "/static/i18n-it.js"):
        for accept_language in (None, "de-DE,de;q=0.9", "fr", "it", "*", "x" * 3000):
            headers = {} if accept_language is None else {"Accept-Language": accept_language}
            response = await world.client.get(path, headers=headers, allow_redirects=False)
            status, body, kept = await fingerprint(response)
            assert status == 404, (path, accept_language)
            seen.add((status, body, tuple(kept)))
    assert len(seen) == 1, seen


async def test_assets_do_not_vary_on_the_language(world: World) -> None:
    path = f"{BASE}/static/i18n-de.js"
    answers = [
        await world.client.get(path, headers={"Accept-Language": value}) for value in ("de", "fr")
    ]
    for response in answers:
        assert response.status == 200
        assert response.headers["Vary"] == "Accept-Encoding"
    assert await answers[0].read() == await answers[1].read()


async def test_the_server_and_the_page_ship_the_same_languages(world: World) -> None:
    """The server's languages come from the catalogues' file names; i18n.js imports each by
    name. If they differed, the server could preload and name a language the page lacks."""
    source = static_files()["i18n.js"].decode()
    table = re.search(r"export const CATALOGUES = \{(.*?)\n\};", source, re.DOTALL)
    assert table is not None
    page = sorted(re.findall(r"^\s*([\w-]+|\"[\w-]+\"):", table.group(1), re.MULTILINE))
    assert sorted(name.strip('"') for name in page) == sorted(world.site.languages)
    assert world.site.languages[0] == "en"
    assert set(world.site.languages) >= {"en", "de", "fr", "es"}


async def test_base_path_without_slash_redirects_permanently(world: World) -> None:
    """base_path without the trailing slash answers 308 to base_path + "/"."""
    response = await world.client.get(BASE, allow_redirects=False)
    assert response.status == 308
    assert response.headers["Location"] == BASE + "/"


async def test_server_at_the_root_serves_page_and_socket(aiohttp_client: AiohttpClient) -> None:
    """With base_path "/", the page is at / and the socket at /ws."""
    world = await start(aiohttp_client, base_path="/")
    response = await world.client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html"
    ws = await world.client.ws_connect("/ws")
    assert (await receive(ws))["type"] == "welcome"
    await ws.close()


# --- assets ---------------------------------------------------------------------------------


async def test_assets_are_gzipped_when_asked(world: World) -> None:
    """Accept-Encoding: gzip gets the file gzipped; identity gets it as is; both vary on it."""
    name = an_asset()
    path = f"{BASE}/static/{name}"
    zipped = await world.client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.status == 200
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(await zipped.read()) == static_files()[name]

    for refusal in ("identity", "gzip;q=0, deflate"):
        plain = await world.client.get(path, headers={"Accept-Encoding": refusal})
        assert "Content-Encoding" not in plain.headers
        assert await plain.read() == static_files()[name]


async def test_assets_have_their_content_types(world: World) -> None:
    """Scripts and styles are served with the types browsers require under nosniff."""
    kinds = {".js": "javascript", ".css": "text/css", ".html": "text/html"}
    for name in static_files():
        if name == "index.html" or name.startswith("."):
            continue
        where = "" if name in web.ROOT_FILES else "/static"
        response = await world.client.get(f"{BASE}{where}/{name}")
        assert response.status == 200, name
        suffix = Path(name).suffix
        if suffix in kinds:
            assert kinds[suffix] in response.content_type, (name, response.content_type)


IDENTITY = {"Accept-Encoding": "identity"}


async def test_the_manifest_is_served_at_the_base_path_and_names_it_as_start_and_scope(
    world: World,
) -> None:
    """The web app manifest: its own type, and start_url and scope relative to where it is."""
    response = await world.client.get(BASE + "/manifest.webmanifest", headers=IDENTITY)
    assert response.status == 200
    assert response.content_type == "application/manifest+json"
    manifest = json.loads(await response.read())
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "./",
        "./",
        "standalone",
    )
    for icon in manifest["icons"]:
        assert (await world.client.get(f"{BASE}/{icon['src']}")).status == 200, icon


def shell_of(worker: bytes) -> dict[str, Any]:
    found = re.search(rb"^const SHELL = (\{.*\});$", worker, re.MULTILINE)
    assert found is not None, "sw.js holds no SHELL line"
    shell: dict[str, Any] = json.loads(found.group(1))
    return shell


async def test_the_service_worker_is_served_with_its_shell_written_in(world: World) -> None:
    """sw.js at the base path (its scope can be no wider than its folder), as a script, with
    the files the page loads, each served, and never the host page nor the worker itself."""
    response = await world.client.get(BASE + "/sw.js", headers=IDENTITY)
    assert response.status == 200
    assert "javascript" in response.content_type
    assert response.headers["Cache-Control"] == "no-cache"
    shell = shell_of(await response.read())
    assert re.fullmatch(r"[0-9a-f]{20}", shell["version"])
    files = shell["files"]
    assert files[:2] == ["./", "manifest.webmanifest"]
    assert {"static/app.js", "static/style.css", "static/vendor/lean-qr/index.mjs"} <= set(files)
    assert not [name for name in files if name.endswith(("sw.js", "index.html", "LICENSE"))]
    for name in files:
        assert (await world.client.get(f"{BASE}/{name}")).status == 200, name


def test_any_change_to_a_served_file_is_a_new_worker_version() -> None:
    """The version hashes every file, so a browser installs the new worker, and its new cache,
    whenever the client changes; the same files give the same version."""
    assets = web.load_assets()
    first = shell_of(web.service_worker(assets).body)["version"]
    assert shell_of(web.service_worker(web.load_assets()).body)["version"] == first
    changed = dict(assets)
    app = assets["app.js"]
    changed["app.js"] = web.Asset(app.body + b"\n", app.gzipped, app.content_type, app.etag)
    assert shell_of(web.service_worker(changed).body)["version"] != first


async def test_assets_answer_304_to_their_etag(world: World) -> None:
    """An asset's ETag in If-None-Match gets 304 with no body; another ETag gets the file."""
    path = f"{BASE}/static/{an_asset()}"
    first = await world.client.get(path)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    again = await world.client.get(path, headers={"If-None-Match": etag})
    assert again.status == 304
    assert await again.read() == b""
    assert again.headers["ETag"] == etag
    other = await world.client.get(path, headers={"If-None-Match": '"stale"'})
    assert other.status == 200


async def test_plain_http_has_no_hsts(world: World) -> None:
    """Strict-Transport-Security is never sent over plain HTTP."""
    response = await world.client.get(BASE + "/")
    assert "Strict-Transport-Security" not in response.headers


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1, made here so the test needs nothing else."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[str]:
    """The app behind a real TLS listener with a self-signed certificate; yields its base URL."""
    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    current = make_settings()
    runner, _site = web.make_runner(Hub(current.policy()), current)
    await runner.setup()
    site = aioweb.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = runner.addresses[0][1]
    yield f"https://127.0.0.1:{port}"
    await runner.cleanup()


async def test_https_responses_carry_hsts(tls_server: str) -> None:
    """Over TLS every response, the 404 too, asks browsers to stay on HTTPS."""
    async with aiohttp.ClientSession() as session:
        for path in (BASE + "/", "/nothing"):
            async with session.get(tls_server + path, ssl=False) as response:
                assert response.headers["Strict-Transport-Security"].startswith("max-age=")


# --- the WebSocket --------------------------------------------------------------------------


async def test_welcome_arrives_first(world: World) -> None:
    """The first frame on a new socket is welcome, with the deployment salt and the frame limit."""
    ws = await world.client.ws_connect(BASE + "/ws", origin=world.origin)
    first = await receive(ws)
    assert first == {
        "type": "welcome",
        "protocol": 2,
        "salt": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
        "iterations": 600_000,
        "max_frame": protocol.MAX_FRAME,
    }
    await ws.close()


async def test_two_clients_relay_an_envelope(world: World) -> None:
    """Two sockets join one room; an envelope from one reaches the other stamped with its sender."""
    ada, ada_id = await joined(world, LOUNGE)
    grace, grace_id = await joined(world, LOUNGE)
    assert await receive(ada) == {"type": "peer-joined", "peer": grace_id}
    await send(grace, {"type": "signal", "to": ada_id, "seq": 1, "iv": IV, "ct": CT})
    assert await receive(ada) == {"type": "signal", "from": grace_id, "seq": 1, "iv": IV, "ct": CT}
    await grace.close()
    assert await receive(ada) == {"type": "peer-left", "peer": grace_id}
    await ada.close()


async def test_a_locked_room_admits_its_ticket_over_real_sockets(world: World) -> None:
    """Lock, room-state to both, a stranger refused, a dropped member back in with the ticket."""
    ada, ada_id = await joined(world, LOUNGE)
    grace, grace_id = await joined(world, LOUNGE)
    assert await receive(ada) == {"type": "peer-joined", "peer": grace_id}
    await send(ada, {"type": "lock"})
    state = await receive(ada)
    assert (state["type"], state["locked"], state["by"]) == ("room-state", True, ada_id)
    assert await receive(grace) == state
    stranger = await world.ws()
    await send(stranger, {"type": "join", "room": locator(LOUNGE)})
    reply = await receive(stranger)
    assert (reply["type"], reply["code"]) == ("error", "room-locked")
    await grace.close()
    assert await receive(ada) == {"type": "peer-left", "peer": grace_id}
    back = await world.ws()
    await send(back, {"type": "join", "room": locator(LOUNGE), "ticket": state["ticket"]})
    reply = await receive(back)
    assert (reply["type"], reply["peers"], reply["locked"]) == ("joined", [ada_id], True)
    for ws in (ada, stranger, back):
        await ws.close()


async def test_every_error_is_answered_and_the_socket_stays_usable(
    aiohttp_client: AiohttpClient,
) -> None:
    """Each error code comes back over a real socket, and a ping right after still gets its pong."""
    world = await start(aiohttp_client, hosts=(DESK_HOST,))
    seen = set()
    # The front door's codes, on sockets of their own: this test counts `ws`'s frames below.
    visitor, desk = await world.ws(), await world.ws()
    door_steps: list[tuple[aiohttp.ClientWebSocketResponse, dict[str, Any], str]] = [
        (desk, {"type": "answer", "visitor": "AAAAAAAA"}, "not-a-host"),
        (desk, {"type": "desk", "secret": DESK_SECRET}, "desk"),
        (desk, {"type": "decline", "visitor": "AAAAAAAA"}, "no-such-visitor"),
        (visitor, {"type": "knock", "name": "Mallory", "to": ""}, "waiting"),
        (visitor, {"type": "knock", "name": "Mallory", "to": ""}, "already-waiting"),
    ]
    for sender, message, expected in door_steps:
        await send(sender, message)
        reply = await receive(sender)
        assert expected in (reply["type"], reply.get("code")), reply
        seen.add(reply.get("code"))
    listed = await receive(desk)
    await send(desk, {"type": "answer", "visitor": listed["visitor"]["id"]})
    assert (await receive(desk))["code"] == "not-expected"
    seen.add("not-expected")
    seen.discard(None)

    ws = await world.ws()
    # Fill the small room so that joining it is refused.
    others = [(await joined(world, TINY))[0] for _ in range(2)]
    wrong = {"type": "join", "room": locator("not the passphrase")}
    steps: list[tuple[str | bytes | dict[str, Any], str | None]] = [
        ("garbage", "not-json"),
        ('[{"type": "ping", "id": 1}]', "not-json"),
        (b'{"type": "ping", "id": 1}', "not-json"),
        ({"type": "shout"}, "unknown-type"),
        ({"type": "ping", "id": "one"}, "bad-field"),
        (
            '{"type": "ping", "id": 1, "pad": "' + "x" * (protocol.MAX_FRAME + 10) + '"}',
            "too-large",
        ),
        ({"type": "signal", "to": "AAAAAAAA", "seq": 1, "iv": IV, "ct": CT}, "not-joined"),
        ({"type": "leave"}, "not-joined"),
        (wrong, "no-such-room"),
        ({"type": "join", "room": locator(TINY)}, "room-full"),
        ({"type": "join", "room": locator(LOUNGE)}, None),
        ({"type": "join", "room": locator(LOUNGE)}, "already-joined"),
        ({"type": "lock", "ticket": "A" * 48}, "invalid-ticket"),
        ({"type": "signal", "to": "ZZZZZZZZ", "seq": 1, "iv": IV, "ct": CT}, "no-such-peer"),
    ]
    for ping_id, (frame, code) in enumerate(steps):
        if isinstance(frame, bytes):
            await ws.send_bytes(frame)
        elif isinstance(frame, str):
            await ws.send_str(frame)
        else:
            await send(ws, frame)
        reply = await receive(ws)
        if code is None:
            assert reply["type"] == "joined"
        else:
            assert (reply["type"], reply["code"]) == ("error", code), reply
            seen.add(code)
        await send(ws, {"type": "ping", "id": ping_id})
        assert await receive(ws) == {"type": "pong", "id": ping_id}

    await send(ws, {"type": "leave"})
    assert await receive(ws) == {"type": "left"}
    # room-locked: the full small room locks, and a lock outranks being full.
    await send(others[0], {"type": "lock"})
    assert (await receive(others[0]))["type"] == "peer-joined"  # the second of the two
    for other in others:
        assert (await receive(other))["type"] == "room-state"
    await send(ws, {"type": "join", "room": locator(TINY)})
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", "room-locked")
    seen.add("room-locked")

    # locked-out: the guard already holds one failure from this test; make it ten.
    for _ in range(JoinGuard.LOCK_AFTER - 1):
        world.hub.guard.failed("127.0.0.1", world.clock())
    await send(ws, {"type": "join", "room": locator(LOUNGE)})
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", "locked-out")
    seen.add("locked-out")
    await send(ws, {"type": "ping", "id": 100})
    assert await receive(ws) == {"type": "pong", "id": 100}

    # rate-limited: the hub's clock is frozen, so the bucket does not refill by itself.
    budget = int(MESSAGE_BURST) - (2 * len(steps) + 4)  # frames sent on this socket so far
    # One frame past the budget: its error shows every frame was read before the clock moves.
    for n in range(budget + 1):
        await send(ws, {"type": "ping", "id": n})
    pongs = [await receive(ws) for _ in range(budget)]
    assert [p["id"] for p in pongs] == list(range(budget))
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", "rate-limited")
    seen.add("rate-limited")
    world.clock.advance(1.0)
    await send(ws, {"type": "ping", "id": 101})
    assert await receive(ws) == {"type": "pong", "id": 101}

    # too-many-connections refuses a connection, not a frame, and closes it: tested on its own.
    refusal = protocol.ErrorCode.TOO_MANY_CONNECTIONS
    assert seen == {code.value for code in protocol.ErrorCode} - {refusal.value}
    assert not ws.closed
    await ws.close()
    for other in others:
        await other.close()


async def test_frame_under_twice_max_frame_is_too_large_and_the_socket_stays(world: World) -> None:
    """A frame between MAX_FRAME and 2 x MAX_FRAME bytes is dropped with too-large, nothing more."""
    ws = await world.ws()
    await ws.send_str("x" * (2 * protocol.MAX_FRAME - 100))
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", "too-large")
    await send(ws, {"type": "ping", "id": 1})
    assert await receive(ws) == {"type": "pong", "id": 1}
    await ws.close()


async def test_multibyte_frame_over_max_frame_bytes_is_too_large(world: World) -> None:
    """The limit counts bytes on the wire, not characters: 40,000 x "é" is too large."""
    ws = await world.ws()
    await ws.send_str('{"type": "ping", "id": 1, "pad": "' + "é" * 40_000 + '"}')
    reply = await receive(ws)
    assert (reply["type"], reply["code"]) == ("error", "too-large")
    await ws.close()


async def test_frame_over_twice_max_frame_closes_with_1009(world: World) -> None:
    """A frame over 2 x MAX_FRAME bytes: the server closes with 1009; the room hears peer-left."""
    ada, _ = await joined(world, LOUNGE)
    grace, grace_id = await joined(world, LOUNGE)
    await receive(ada)  # peer-joined
    await grace.send_str("x" * (2 * protocol.MAX_FRAME + 1))
    closing = await grace.receive(timeout=TIMEOUT)
    assert closing.type is WSMsgType.CLOSE
    assert closing.data == 1009
    assert await receive(ada) == {"type": "peer-left", "peer": grace_id}
    await ada.close()


DEEP_FRAMES = [
    "[" * 2000,
    '{"a": ' * 2000 + "1" + "}" * 2000,
    f'{{"type": "signal", "to": "AAAAAAAA", "seq": 1, "iv": "{IV}", "ct": '
    + "[" * 2000
    + "]" * 2000
    + "}",
    '{"type": "ping", "id": ' + '{"a": ' * 2000 + "1" + "}" * 2001,
]


async def test_deeply_nested_frames_are_not_json_and_the_socket_stays(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """2,000 levels of arrays or objects, alone or in a field: not-json, no error logged."""
    ws = await world.ws()
    with caplog.at_level(logging.ERROR):
        for ping_id, frame in enumerate(DEEP_FRAMES):
            await ws.send_str(frame)
            reply = await receive(ws)
            assert (reply["type"], reply["code"]) == ("error", "not-json"), reply
            await send(ws, {"type": "ping", "id": ping_id})
            assert await receive(ws) == {"type": "pong", "id": ping_id}
    assert caplog.records == []
    await ws.close()


async def closing_code(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, list[Any]]:
    """Read to the close; returns its code and every other message on the way."""
    seen = []
    while (message := await ws.receive(timeout=TIMEOUT)).type is not WSMsgType.CLOSE:
        seen.append(message)
    return message.data, seen


async def test_a_flooding_socket_is_closed_with_1008_while_another_room_relays(
    world: World,
) -> None:
    """A socket sending past its budget gets 1008 and its room peer-left; the lounge relays on."""
    ada, _ = await joined(world, LOUNGE)
    bob, bob_id = await joined(world, LOUNGE)
    await receive(ada)  # peer-joined
    friend, _ = await joined(world, TINY)
    flooder, flooder_id = await joined(world, TINY)
    await receive(friend)  # peer-joined
    # The hub's clock stands still, so nothing is earned back: these frames are sure to close it.
    for seq in range(1, 11):
        for _ in range(int(MESSAGE_BURST + MESSAGE_DROPS) // 10):
            await flooder.send_str("{}")
        await send(ada, {"type": "signal", "to": bob_id, "seq": seq, "iv": IV, "ct": CT})
        assert (await receive(bob))["seq"] == seq
    code, before = await closing_code(flooder)
    assert code == protocol.CloseCode.POLICY_VIOLATION == 1008
    replies = [json.loads(message.data)["code"] for message in before]
    assert replies == ["bad-field"] * (int(MESSAGE_BURST) - 1) + ["rate-limited"]
    assert await receive(friend) == {"type": "peer-left", "peer": flooder_id}
    await send(ada, {"type": "signal", "to": bob_id, "seq": 11, "iv": IV, "ct": CT})
    assert (await receive(bob))["seq"] == 11
    for ws in (ada, bob, friend):
        await ws.close()


async def test_websocket_pings_are_answered_counted_and_a_ping_flood_is_closed(
    world: World,
) -> None:
    """Control pings get their pong within the message budget; a flood of them gets 1008."""
    ws = await world.ws(autoping=False)
    await ws.ping(b"first")
    pong = await ws.receive(timeout=TIMEOUT)
    assert (pong.type, pong.data) == (WSMsgType.PONG, b"first")
    for _ in range(int(MESSAGE_BURST + MESSAGE_DROPS)):
        await ws.ping()
    code, before = await closing_code(ws)
    assert code == 1008
    assert [m.type for m in before] == [WSMsgType.PONG] * (int(MESSAGE_BURST) - 1) + [
        WSMsgType.TEXT
    ]
    assert json.loads(before[-1].data)["code"] == "rate-limited"
    assert world.hub.connections == 0


async def test_same_origin_websocket_is_accepted(world: World) -> None:
    """A browser on the page's own origin may open the socket."""
    ws = await world.ws(origin=world.origin)
    await send(ws, {"type": "ping", "id": 3})
    assert await receive(ws) == {"type": "pong", "id": 3}
    await ws.close()


async def test_wrong_passphrase_answer_is_held_back_after_three_failures(world: World) -> None:
    """The 4th wrong passphrase from an address is answered no sooner than 0.25 s later."""
    for _ in range(JoinGuard.SLOW_AFTER):
        world.hub.guard.failed("127.0.0.1", world.clock())
    ws = await world.ws()
    loop = asyncio.get_running_loop()
    sent = loop.time()
    await send(ws, {"type": "join", "room": locator("wrong")})
    reply = await receive(ws)
    assert reply["code"] == "no-such-room"
    assert loop.time() - sent >= 0.2  # held back 0.25 s; a margin for timer granularity
    await ws.close()


# --- connections per address ---------------------------------------------------------------


async def test_past_the_limit_a_socket_gets_an_error_then_1013_and_a_closed_one_frees_a_slot(
    world: World,
) -> None:
    """From one address, the socket after MAX_CONNECTIONS_PER_ADDRESS is refused and closed."""
    ada, _ = await joined(world, LOUNGE)
    grace, grace_id = await joined(world, LOUNGE)
    await receive(ada)  # peer-joined
    held = [ada, grace] + [await world.ws() for _ in range(MAX_CONNECTIONS_PER_ADDRESS - 2)]
    extra = await world.client.ws_connect(BASE + "/ws")
    reply = await receive(extra)
    assert (reply["type"], reply["code"], reply["about"]) == ("error", "too-many-connections", None)
    closing = await extra.receive(timeout=TIMEOUT)
    assert closing.type is WSMsgType.CLOSE
    assert closing.data == web.CLOSE_TRY_AGAIN_LATER == 1013
    await grace.close()
    # peer-left comes from the hub's disconnect, so Grace's slot is free by now.
    assert await receive(ada) == {"type": "peer-left", "peer": grace_id}
    again = await world.ws()
    for ws in [again, *held]:
        await ws.close()
    assert world.hub.per_address == {}


async def test_a_refused_client_that_never_answers_the_close_is_dropped_soon(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused socket whose client ignores the close frame is cut off, not kept for 10 s."""
    monkeypatch.setattr(web, "REFUSAL_CLOSE_WAIT", 0.05)
    held = [await world.ws() for _ in range(MAX_CONNECTIONS_PER_ADDRESS)]
    host = f"{world.client.host}:{world.client.port}"
    reader, writer = await asyncio.open_connection(world.client.host, world.client.port)
    try:
        writer.write(upgrade_request(BASE + "/ws", host))
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 101")
        # Read to the end without ever sending a close frame back: the end must come soon.
        frames = await asyncio.wait_for(reader.read(), TIMEOUT / 2)
    finally:
        writer.close()
        await writer.wait_closed()
    assert b'"too-many-connections"' in frames
    close = frames.rindex(b"\x88")  # FIN + close opcode; the code follows the length byte
    assert frames[close + 2 : close + 4] == web.CLOSE_TRY_AGAIN_LATER.to_bytes(2, "big")
    for ws in held:
        await ws.close()


# --- client addresses -----------------------------------------------------------------------


async def address_seen(world: World, headers: Any) -> str:
    """Where the hub thinks a socket comes from: the address of the connection it was given."""
    before = set(world.site.sockets)
    ws = await world.ws(headers=headers)
    (conn,) = set(world.site.sockets) - before
    await ws.close()
    return conn.address


async def test_forwarded_for_is_ignored_without_trusted_proxies(world: World) -> None:
    """Without trusted_proxies, X-Forwarded-For cannot make a client look like someone else."""
    assert await address_seen(world, {"X-Forwarded-For": "203.0.113.5"}) == "127.0.0.1"


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    aiohttp_client: AiohttpClient,
) -> None:
    """A proxy list that does not include the connecting address changes nothing."""
    trusted = (ipaddress.ip_network("10.0.0.0/8"),)
    world = await start(aiohttp_client, trusted_proxies=trusted)
    assert await address_seen(world, {"X-Forwarded-For": "203.0.113.5"}) == "127.0.0.1"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        (["203.0.113.5"], "203.0.113.5"),
        (["6.6.6.6, 203.0.113.5"], "203.0.113.5"),
        (["203.0.113.5, 10.1.2.3"], "203.0.113.5"),
        (["6.6.6.6", "203.0.113.5"], "203.0.113.5"),
        (["10.1.2.3, 127.0.0.1"], "127.0.0.1"),
        ([], "127.0.0.1"),
        (["198.51.100.20:40001"], "198.51.100.20"),
        (["[2001:db8::1]:40001"], "2001:db8::1"),
        (["[2001:db8::1]"], "2001:db8::1"),
        (["fe80::1%eth0"], "fe80::1"),
        (["::ffff:203.0.113.5"], "203.0.113.5"),
        (["203.0.113.5, 10.1.2.3:8080"], "203.0.113.5"),
        (["unknown"], "unknown"),
        (["not-an-address-1234"], "unknown"),
    ],
    ids=[
        "one hop",
        "forged hop first",
        "through inner proxy",
        "two header lines",
        "all trusted",
        "none",
        "ipv4 with port",
        "ipv6 in brackets with port",
        "ipv6 in brackets",
        "ipv6 with zone",
        "ipv4-mapped",
        "trusted proxy with port",
        "unknown",
        "not an address",
    ],
)
async def test_forwarded_for_names_the_first_untrusted_hop_behind_trusted_proxies(
    aiohttp_client: AiohttpClient, forwarded: list[str], expected: str
) -> None:
    """Behind trusted proxies the client is the right-most hop that is not one of them."""
    trusted = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))
    world = await start(aiohttp_client, trusted_proxies=trusted)
    headers: CIMultiDict[str] = CIMultiDict(("X-Forwarded-For", value) for value in forwarded)
    assert await address_seen(world, headers) == expected


async def test_forwarded_ports_do_not_make_new_addresses_for_the_connection_limit(
    aiohttp_client: AiohttpClient,
) -> None:
    """Behind a proxy that writes ports, one client's sockets from many ports count together."""
    world = await start(aiohttp_client, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    held = []
    for spellings in (
        [f"198.51.100.20:{40_000 + n}" for n in range(MAX_CONNECTIONS_PER_ADDRESS)]
        + ["198.51.100.20:50000", "::ffff:198.51.100.20"],
        [f"junk-{n}" for n in range(MAX_CONNECTIONS_PER_ADDRESS)] + ["junk-again"],
    ):
        welcomed = spellings[:MAX_CONNECTIONS_PER_ADDRESS]
        held += [await world.ws(headers={"X-Forwarded-For": value}) for value in welcomed]
        for value in spellings[MAX_CONNECTIONS_PER_ADDRESS:]:
            extra = await world.client.ws_connect(BASE + "/ws", headers={"X-Forwarded-For": value})
            reply = await receive(extra)
            assert (reply["type"], reply["code"]) == ("error", "too-many-connections"), value
            await extra.close()
    assert set(world.hub.per_address) == {"198.51.100.20", "unknown"}
    for ws in held:
        await ws.close()


async def test_reloaded_trusted_proxies_apply_to_new_sockets(world: World) -> None:
    """site.apply() with trusted_proxies makes the next socket's X-Forwarded-For count."""
    assert await address_seen(world, {"X-Forwarded-For": "203.0.113.5"}) == "127.0.0.1"
    trusted = (ipaddress.ip_network("127.0.0.0/8"),)
    world.site.apply(trusted)
    assert await address_seen(world, {"X-Forwarded-For": "203.0.113.5"}) == "203.0.113.5"


# --- access log and shutdown ----------------------------------------------------------------


class Collect(logging.Handler):
    """Log lines as they are emitted, with a way to await a number of them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        self.changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(TIMEOUT):
            while len(self.lines) < count:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def logged_server(
    caplog: pytest.LogCaptureFixture,
) -> AsyncIterator[tuple[str, Collect, Collect]]:
    """The app on a real port as the server runs it; yields URL, access log and error log."""
    caplog.set_level(logging.INFO, logger="aiohttp")
    access, errors = Collect(), Collect()
    logging.getLogger("aiohttp.access").addHandler(access)
    logging.getLogger("aiohttp.server").addHandler(errors)
    current = make_settings()
    runner, _site = web.make_runner(Hub(current.policy()), current)
    await runner.setup()
    await aioweb.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", access, errors
    finally:
        await runner.cleanup()
        logging.getLogger("aiohttp.access").removeHandler(access)
        logging.getLogger("aiohttp.server").removeHandler(errors)


async def test_access_log_never_holds_the_base_path(
    logged_server: tuple[str, Collect, Collect],
) -> None:
    """Page, asset, 404, redirect, socket and a malformed request all log without the secret."""
    url, log, errors = logged_server
    secret_referer = {"Referer": f"{url}{BASE}/", "User-Agent": f"agent {SECRET}"}
    async with aiohttp.ClientSession() as session:
        for path in (BASE + "/", f"{BASE}/static/{an_asset()}", BASE + "/nope", BASE, "/other"):
            async with session.get(url + path, headers=secret_referer, allow_redirects=False):
                pass
        async with session.ws_connect(url + BASE + "/ws") as ws:
            await ws.receive(timeout=TIMEOUT)
    host, port = url.removeprefix("http://").split(":")
    status, _ = await raw_request(
        host, int(port), f"GET {BASE}/\x01 HTTP/1.1\r\nHost: x\r\n\r\n".encode("latin-1")
    )
    assert " 400 " in status
    await log.wait_for(7)
    assert len(log.lines) == 7
    for line in log.lines + errors.lines:
        assert SECRET not in line, line
    assert any('"GET /…/" 200' in line for line in log.lines), log.lines
    assert any('"GET /…" 308' in line for line in log.lines), log.lines
    assert sum('"GET -" 404' in line for line in log.lines) == 2, log.lines
    assert any('"- -" 400' in line for line in log.lines), log.lines


def secret_pieces(secret: str, size: int = 5) -> set[str]:
    return {secret[i : i + size] for i in range(len(secret) - size + 1)}


async def test_near_misses_of_secret_paths_leave_no_part_of_them_in_any_log(
    logged_server: tuple[str, Collect, Collect],
) -> None:
    """The base path or the admin path with one character changed: logged as "-", nothing of it."""
    url, log, errors = logged_server
    admin = make_settings().admin_path
    near = [
        "/s3cretPatX/",
        "/s3cretPath_/",
        "/S3cretPath",
        f"{BASE}/{admin[:-1]}X",
        f"/{admin[:-1]}X",
    ]
    async with aiohttp.ClientSession() as session:
        for path in near:
            async with session.get(url + path, allow_redirects=False) as response:
                assert response.status == 404
    host, port = url.removeprefix("http://").split(":")
    for path in near:
        raw = f"GE T {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
        status, _ = await raw_request(host, int(port), raw)
        assert " 400 " in status
    await log.wait_for(2 * len(near))
    pieces = secret_pieces(SECRET) | secret_pieces(admin)
    for line in log.lines + errors.lines:
        assert not [piece for piece in pieces if piece in line], line
    assert sum('"GET -" 404' in line for line in log.lines) == len(near), log.lines


MALFORMED = {
    "bad method": b"GE T /ProbeMarker HTTP/1.1\r\nHost: x\r\n\r\n",
    "bad version": b"GET /ProbeMarker HTTP/9.9\r\nHost: x\r\n\r\n",
    "bad header name": b"GET /ProbeMarker HTTP/1.1\r\nHo st: ProbeMarker\r\n\r\n",
    "header without colon": b"GET /ProbeMarker HTTP/1.1\r\nProbeMarker\r\n\r\n",
    "bad content-length": b"POST /ProbeMarker HTTP/1.1\r\nContent-Length: ProbeMarker\r\n\r\n",
    "control character": b"GET /ProbeMarker\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
    "line too long": b"GET /ProbeMarker" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    "tls to plain http": b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03ProbeMarker\r\n\r\n",
    "not utf-8 header": b"GET /ProbeMarker HTTP/1.1\r\nX-Probe: \xff\xfeProbeMarker\r\n\r\n",
}


@pytest.mark.parametrize("request_bytes", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_request_gets_a_neutral_answer(
    logged_server: tuple[str, Collect, Collect], request_bytes: bytes
) -> None:
    """aiohttp's own 400 is replaced: our headers, empty Server, no software name, no echo."""
    url, _, _ = logged_server
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(request_bytes)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), TIMEOUT)  # the server closes after it
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    assert status.split()[1] == "400", answer
    headers: CIMultiDict[str] = CIMultiDict()
    for line in lines:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    check_security_headers(headers)
    assert body == b"Bad Request.\n"
    lowered = answer.lower()
    for word in (b"aiohttp", b"python", b"probemarker", b"parlour"):
        assert word not in lowered, answer


async def test_shutdown_closes_every_socket_with_1001(aiohttp_client: AiohttpClient) -> None:
    """Stopping the app closes each open socket with 1001 so clients know to reconnect."""
    current = make_settings()
    app, site = web.build_app(Hub(current.policy()), current)
    runner = aioweb.AppRunner(app)
    await runner.setup()
    await aioweb.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}{BASE}/ws"
    async with aiohttp.ClientSession() as session:
        sockets = [await session.ws_connect(url) for _ in range(3)]
        for ws in sockets:
            await ws.receive(timeout=TIMEOUT)
        assert len(site.sockets) == 3
        stopping = asyncio.create_task(runner.cleanup())
        for ws in sockets:
            message = await ws.receive(timeout=TIMEOUT)
            assert message.type is WSMsgType.CLOSE
            assert message.data == web.CLOSE_GOING_AWAY == 1001
        await asyncio.wait_for(stopping, TIMEOUT)
    assert site.sockets == {}


def small_window(addr_info: Any) -> socket.socket:
    """A client socket with a 4 KiB receive buffer, set before connecting so it stays small."""
    family, kind, proto, _, _ = addr_info
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def test_a_member_that_stops_reading_is_dropped_and_holds_nobody_up(world: World) -> None:
    """Past the backlog limit the reader is dropped; its sender's next message is not held up."""
    alice, alice_id = await joined(world, LOUNGE)
    carol, carol_id = await joined(world, LOUNGE)
    assert await receive(alice) == {"type": "peer-joined", "peer": carol_id}
    connector = aiohttp.TCPConnector(socket_factory=small_window)
    async with aiohttp.ClientSession(connector=connector) as session:
        stalled = await session.ws_connect(world.origin + BASE + "/ws")
        await receive(stalled)  # welcome
        await send(stalled, {"type": "join", "room": locator(LOUNGE)})
        stalled_id = (await receive(stalled))["id"]
        for ws in (alice, carol):
            assert await receive(ws) == {"type": "peer-joined", "peer": stalled_id}
        # From here on `stalled` reads nothing: aiohttp stops taking bytes off the socket once
        # 64 KiB wait in its queue, the 4 KiB window fills, then the server's buffer grows.
        big = {"type": "signal", "to": stalled_id, "iv": IV, "ct": "A" * 64_000}
        for seq in range(1, 101):  # 6.4 MB, within the burst allowance
            await send(alice, {**big, "seq": seq})
        await send(alice, {"type": "signal", "to": carol_id, "seq": 101, "iv": IV, "ct": CT})
        got = [await receive(carol), await receive(carol)]
        assert {"type": "peer-left", "peer": stalled_id} in got
        assert {"type": "signal", "from": alice_id, "seq": 101, "iv": IV, "ct": CT} in got
        assert await receive(alice) == {"type": "peer-left", "peer": stalled_id}


async def test_a_connection_that_never_finishes_a_request_is_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Silence, or a request that never ends, holds a socket only until the idle bound."""
    monkeypatch.setattr(web, "HTTP_IDLE_SECONDS", 0.3)  # the same path, sooner
    current = make_settings()
    runner, _site = web.make_runner(Hub(current.policy()), current)
    await runner.setup()
    await aioweb.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        for sent in (b"", b"GET " + BASE.encode() + b"/ HTTP/1.1\r\nHost: x\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(sent)
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b""  # closed, unanswered
            writer.close()
            await writer.wait_closed()
    finally:
        await runner.cleanup()
