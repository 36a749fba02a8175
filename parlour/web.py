"""The aiohttp layer: pages, assets and the WebSocket under the hidden base path.

It moves bytes between sockets and the signalling core and adds the headers every response
carries. Anything that is not served, inside the base path or outside it, gets one identical
404, so the path cannot be found by probing.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gzip
import hashlib
import hmac
import json
import logging
import mimetypes
import re
import struct
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from typing import Final

from aiohttp import WSMessage, WSMsgType, web
from aiohttp._websocket.models import WSMessageTextBytes
from aiohttp._websocket.reader import WebSocketDataQueue
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http import WebSocketReader, WebSocketWriter

from parlour import languages, protocol, wording
from parlour.audit import Event
from parlour.guard import normalize_address, parse_address
from parlour.settings import IpNetwork, Settings
from parlour.signaling import Hub
from parlour.spaces import Conn, Delivery

log = logging.getLogger("parlour.web")

HEARTBEAT_SECONDS: Final = 25.0
# A ping with no payload (RFC 6455 5.5.2), as Site.heartbeat sends it.
PING_FRAME: Final = b"\x89\x00"
# Frames up to twice the protocol bound are read and answered with "too-large"; beyond that
# aiohttp stops reading and closes with 1009, so no client makes the server buffer more.
READ_LIMIT: Final = 2 * protocol.MAX_FRAME
CLOSE_GOING_AWAY: Final = protocol.CloseCode.GOING_AWAY
# An HTTP connection that has not finished a request this long after it opened or after its
# last response is closed. aiohttp's default is an hour, long enough for a client that sends
# nothing, or a request a byte at a time, to hold a socket for nothing; browsers reconnect.
HTTP_IDLE_SECONDS: Final = 15.0
# "Try again later" (RFC 6455 registry): the close after a refusal such as too-many-connections.
CLOSE_TRY_AGAIN_LATER: Final = protocol.CloseCode.TRY_AGAIN_LATER
# How long a refused client has to answer the close frame before its socket is simply dropped.
# aiohttp would wait 10 s; a client that never answers must not keep refused sockets that long.
REFUSAL_CLOSE_WAIT: Final = 2.0
# What the server keeps for one client that does not read, beyond what the kernel holds: eight
# of the largest frames, several times what a whole room of eight sends a newcomer. A page that
# stalls past it is dropped (its page reconnects), so that nobody who sends to it has to wait.
BACKLOG_LIMIT: Final = 8 * protocol.MAX_FRAME
# Text frames a socket may have handled at once, as they are read, from one read of its
# socket; the rest of that read waits its turn behind every other socket (Site.socket), one
# frame a loop turn, which costs more a frame. At 16, a server saturated by 2,000 busy sockets
# fell behind by more than 16 frames a socket and then to a quarter of its rate (the queued
# way could never catch up); at 64, a socket must be over three seconds behind at its 20 a
# second for that. A flooder is closed by its budget within a few reads either way.
INLINE_PER_READ: Final = 64
# What aiohttp's reader may hold for the handler before it stops reading the socket.
READER_QUEUE: Final = 2**16

CSP: Final = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob: mediastream:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        # The service worker (sw.js), from the base path only.
        "worker-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS: Final = (
    "camera=(self), microphone=(self), display-capture=(self), "
    "fullscreen=(self), autoplay=(self), geolocation=(), payment=(), usb=(), serial=(), "
    "midi=()"
)
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": PERMISSIONS,
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # aiohttp fills in "Server: Python/... aiohttp/..." unless one is set; say nothing instead.
    "Server": "",
}
HSTS: Final = "max-age=63072000; includeSubDomains"
NOT_FOUND_BODY: Final = b"Not found.\n"
KNOWN_METHODS: Final = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE")
)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def load_assets() -> dict[str, Asset]:
    """Read the client once at start: a few small files, served from memory, gzip made once."""
    assets: dict[str, Asset] = {}
    static = resources.files("parlour").joinpath("static")
    # vendor/ holds libraries copied whole with their licences, loaded only when needed.
    folders = [
        ("", static),
        *((f"vendor/{e.name}/", e) for e in static.joinpath("vendor").iterdir() if e.is_dir()),
    ]
    for prefix, folder in folders:
        for entry in folder.iterdir():
            if not entry.is_file() or entry.name.startswith("."):
                continue
            body = entry.read_bytes()
            kind = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind == "application/javascript":
                kind += "; charset=utf-8"
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            assets[prefix + entry.name] = Asset(body, gzip.compress(body, 9, mtime=0), kind, etag)
    return assets


# Files served at the base path itself rather than under static/: the manifest, whose relative
# start_url and scope are then the base path, and the service worker, whose scope can be no
# wider than its own folder. Like everything else they exist only under the base path.
ROOT_FILES: Final = ("manifest.webmanifest", "sw.js")
# The line of sw.js the server fills in with the shell's files and their version.
SHELL_MARKER: Final = b'{ version: "unversioned", files: [] }'
# The files the service worker keeps for the page to open offline: what the page loads.
SHELL_KINDS: Final = (".js", ".mjs", ".css", ".svg", ".png")


def service_worker(assets: dict[str, Asset]) -> Asset:
    """sw.js with its SHELL written in: the shell's files, relative to the base path, and a
    hash of every file served, so that any change to the client is a new worker and cache."""
    template = assets["sw.js"]
    if template.body.count(SHELL_MARKER) != 1:
        raise RuntimeError("parlour/static/sw.js must hold the SHELL line the server fills in")
    digest = hashlib.sha256()
    for name in sorted(assets):
        body = assets[name].body
        digest.update(b"%d %s %d\n" % (len(name), name.encode(), len(body)) + body)
    files = ["./", "manifest.webmanifest"] + [
        f"static/{name}"
        for name in sorted(assets)
        if name.endswith(SHELL_KINDS) and name not in ROOT_FILES
    ]
    shell = json.dumps({"version": digest.hexdigest()[:20], "files": files})
    body = template.body.replace(SHELL_MARKER, shell.encode())
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, gzip.compress(body, 9, mtime=0), template.content_type, etag)


# The page's own <html> tag, which says English; and where a catalogue's preload goes.
HTML_TAG: Final = b'<html lang="en">'
HEAD_END: Final = b"</head>"


def _variant(
    asset: Asset, attributes: str, language: str | None = None, words: dict[str, str] | None = None
) -> Asset:
    """The page with `attributes` on its <body>: what kind of page it is, and whether the front
    door is open, without a request of its own to ask.

    With a `language` (the server's choice from Accept-Language), <html> says it, as lang for
    the browser and as data-language for translate.js, which follows it; and the catalogue of a
    language other than English is preloaded, fetched beside the page's first module rather than
    after the whole module graph has loaded; and the words of that catalogue, `words`, are
    written into the elements index.html marks (wording.py), so that the page paints in its
    language rather than in English until translate.js has run. Without a language, the page
    is as written, and translate.js picks from navigator.languages alone.
    """
    body = asset.body
    if language is not None:
        for marker in (HTML_TAG, HEAD_END):
            if body.count(marker) != 1:
                raise RuntimeError(f"parlour/static/index.html must hold {marker.decode()} once")
        tag = f'<html lang="{language}" data-language="{language}">'
        body = body.replace(HTML_TAG, tag.encode(), 1)
        if language != languages.ENGLISH:
            preload = f'  <link rel="modulepreload" href="static/i18n-{language}.js">\n'
            body = body.replace(HEAD_END, preload.encode() + HEAD_END, 1)
        if words:
            body = wording.render(body.decode(), words).encode()
    body = body.replace(b"<body", b"<body " + attributes.encode(), 1)
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, gzip.compress(body, 9, mtime=0), asset.content_type, etag)


def door_mode(hosts: int) -> str:
    """What the visitor's page asks: no front door, or whom to reach among several hosts."""
    return "off" if hosts == 0 else "one" if hosts == 1 else "several"


# A host page's secret segment, as `parlour host add` makes it (protocol.HostSecret).
HOST_PAGE = re.compile(r"/([A-Za-z0-9_-]{43})")
MAX_AGENT: Final = 512  # characters of a User-Agent header kept for the host to read
MAX_PROBE: Final = 120  # characters of a probed path kept in the audit


def probed(method: str, path: str, prefix: str) -> str:
    """What the audit shows of a request that got the 404.

    The base path is a secret: under it, a request shows as "/…" and the rest, and outside it,
    a path that begins like it is not shown at all. A segment as long as a host page's secret
    shows only its length, so that a near miss of one is not written down either.
    """
    method = method if method in KNOWN_METHODS else "-"
    if prefix and _same(path[: len(prefix)], prefix):
        path = "/…" + path[len(prefix) :]
    elif prefix and len(path) >= 8 and prefix.startswith(path[:8]):
        return f"{method} (a path that begins like the base path)"
    shown = "/".join(
        f"[{len(part)} characters]" if len(part) >= 40 else part for part in path.split("/")
    )
    return f"{method} {shown[:MAX_PROBE]}"


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding value admits gzip ("gzip;q=0" says it does not)."""
    for item in header.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() == "gzip":
            q = params.strip().lower().removeprefix("q=")
            return not q or q.strip("0.") != ""
    return False


def not_found() -> web.Response:
    return web.Response(status=404, body=NOT_FOUND_BODY, content_type="text/plain", charset="utf-8")


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of a secret path with what a request asked for."""
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8"))


def client_address(request: web.BaseRequest, trusted: tuple[IpNetwork, ...]) -> str:
    """The peer's address, or the first untrusted hop of X-Forwarded-For behind our proxies.

    Always a plain address (guard.normalize_address: no port, brackets or zone), or "unknown"
    for a hop that is not an address at all, so that no way of writing one makes a fresh key.
    """
    remote = normalize_address(request.remote or "")

    def is_trusted(text: str) -> bool:
        address = parse_address(text)
        return address is not None and any(address in network for network in trusted)

    if not trusted or not is_trusted(remote):
        return remote
    # Several X-Forwarded-For lines are one list in order (RFC 9110 5.3); reading only the
    # first would trust a value the client wrote when a proxy adds its own line after it.
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", ()))
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed(hops):
        if hop and not is_trusted(hop):
            return normalize_address(hop)
    return remote


def redact(text: str, prefix: str) -> str:
    """`text` with the secret base path shown as "/…"."""
    return text.replace(prefix, "/…") if prefix else text


UNSERVED_PATH: Final = "-"
"""What the access log shows for the path of a request that was not served (404, 400, ...)."""


def logged_path(path: str, status: int, prefix: str) -> str:
    """A request's path as the access log may show it.

    Only what was served, under the base path and below 400, is shown, with the base path as
    "/…". Anything else could be a near miss of a secret path (one character off the base path,
    or of a host page below it): it shows as UNSERVED_PATH, so a log holds no part of one.
    """
    if status >= 400 or not _same(path[: len(prefix)], prefix):
        return UNSERVED_PATH
    return ("/…" if prefix else "") + path[len(prefix) :]


def _nobody() -> tuple[IpNetwork, ...]:
    return ()


def access_logger(
    prefix: str, trusted: Callable[[], tuple[IpNetwork, ...]] = _nobody
) -> type[AbstractAccessLogger]:
    """An access log whose lines never hold the secret base path, nor anything close to it.

    Each line names the client as the limits count it: behind a proxy in `trusted()` (asked
    at each line, so a reload applies), the address its X-Forwarded-For gives, not the proxy's.
    """

    class RedactingAccessLogger(AbstractAccessLogger):
        def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
            self.logger.info(
                '%s "%s %s" %d %s %.1fms',
                client_address(request, trusted()),
                request.method if request.method in KNOWN_METHODS else "-",
                logged_path(request.path, response.status, prefix),
                response.status,
                response.body_length,
                time * 1000,
            )

    return RedactingAccessLogger


class SecretFilter(logging.Filter):
    """aiohttp's error log: an exception's text may hold a request line, and so a near miss of
    a secret path. Only the exception's kind is kept, and the base path redacted from the rest.
    """

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__})"
        record.msg, record.args = redact(text, self.prefix), None
        record.exc_info = record.exc_text = None
        return True


class QuietRequestHandler(web.RequestHandler):
    """aiohttp's connection protocol, answering what it cannot parse as Parlour answers.

    aiohttp answers a malformed request itself, before any handler or on_response_prepare
    hook runs, with "Server: Python/… aiohttp/…" and the request line echoed in the body; it
    has no hook for that (aio-libs/aiohttp#3287). This subclass makes those answers, and the
    500 for an exception in a handler, like every other response: the security headers, an
    empty Server header, and a body that echoes nothing.
    """

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if status >= 500:
            self.log_exception("Error handling request", exc_info=exc)  # ours: SecretFilter
        else:
            log.debug("unreadable request from %s (%s)", request.remote, type(exc).__name__)
        if request.writer.output_size > 0:
            raise ConnectionError("a response is under way; none can follow it")
        headers = dict(SECURITY_HEADERS)
        if request.secure:
            headers["Strict-Transport-Security"] = HSTS
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        response = web.Response(status=status, text=f"{phrase}.\n", headers=headers)
        response.force_close()
        return response


class QuietServer(web.Server):
    def __call__(self) -> web.RequestHandler:
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class QuietRunner(web.AppRunner):
    """An AppRunner whose connections are QuietRequestHandlers."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # The app builds its Server with arguments only it knows; keep them all, change the
        # class whose __call__ makes each connection's protocol.
        server.__class__ = QuietServer
        return server


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


# The header of a server's text frame (RFC 6455 5.2: FIN, opcode 1, never masked), by size.
_SHORT_HEADERS: Final = [bytes((0x81, size)) for size in range(126)]
_MEDIUM_HEADER = struct.Struct("!BBH").pack
_LONG_HEADER = struct.Struct("!BBQ").pack


def text_frame(data: bytes) -> bytes:
    """`data` as a text frame, header and payload in one bytes: a delivery is one write."""
    size = len(data)
    if size < 126:
        return _SHORT_HEADERS[size] + data
    if size < 65_536:
        return _MEDIUM_HEADER(0x81, 126, size) + data
    return _LONG_HEADER(0x81, 127, size) + data


# What the inbox puts in aiohttp's queue for a frame it read but could not finish at once.
DEFERRED: Final = WSMessage(WSMsgType.TEXT, None, "deferred")


class Inbox(WebSocketDataQueue):
    """aiohttp's queue between a socket's frame reader and its handler, with a short way round.

    aiohttp's reader parses every frame (masking, fragments, limits, UTF-8) and puts it here;
    the handler task would then be woken for it, one loop turn and a future per message, and
    then yield another turn for fairness. A text frame that arrives while the handler has
    nothing in hand goes to `inline` instead, as it is read, and its answers are written at
    once: no task wakes. `inline` returns the deliveries it could not make without waiting
    (a delay, a close); those, control frames, and every frame while anything is queued or
    the handler is busy take the queue, so that the order of answers never changes. So do
    those past INLINE_PER_READ of one read: a client that sends flat out is served one frame
    per loop turn by the handler, as before, behind everyone else.
    """

    def __init__(
        self, protocol: web.RequestHandler, limit: int, *, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(protocol, limit, loop=loop)
        self.inline: Callable[[str], list[Delivery] | None] | None = None
        self.busy = False  # the handler is acting on a frame it took from the queue
        self.credit = INLINE_PER_READ
        self.deferred: deque[list[Delivery]] = deque()
        self.heard = True  # read anything since the last heartbeat (Site.heartbeat)
        self.pinged = False

    def read_started(self) -> None:
        self.credit = INLINE_PER_READ
        self.heard = True

    def feed_data(self, data: WSMessage | WSMessageTextBytes, size: int) -> None:
        inline = self.inline
        if (
            inline is not None
            and data[0] is WSMsgType.TEXT
            and self.credit > 0
            and not self.busy
            and not self._buffer
        ):
            self.credit -= 1
            try:
                later = inline(data[1])
            except Exception:
                log.exception("error handling a frame")
                raise  # aiohttp's reader fails the socket, and the handler ends it
            if later is None:
                return
            self.deferred.append(later)
            data, size = DEFERRED, 0
        super().feed_data(data, size)


class RelaySocket(web.WebSocketResponse):
    """A WebSocketResponse whose reader feeds an Inbox.

    This is WebSocketResponse._post_start as aiohttp 3.14 writes it, with the queue made by
    us (aiohttp has no argument for it) and the start of each read told to the inbox. The
    heartbeat is Site.heartbeat's, one timer for every socket: aiohttp's would reset a timer
    of the socket's own at every read.
    """

    inbox: Inbox

    def _post_start(
        self, request: web.BaseRequest, protocol: str | None, writer: WebSocketWriter
    ) -> None:
        self._ws_protocol = protocol
        self._writer = writer
        loop = self._loop
        assert loop is not None
        self.inbox = Inbox(request.protocol, READER_QUEUE, loop=loop)
        self._reader = self.inbox
        self._parser = WebSocketReader(
            self._reader,
            self._max_msg_size,
            compress=bool(self._compress),
            decode_text=self._decode_text,
        )
        request.protocol.set_parser(self._parser, data_received_cb=self.inbox.read_started)
        request.protocol.keep_alive(False)


class Site:
    """The routes of one running server and the live sockets it must close on shutdown."""

    def __init__(self, hub: Hub, prefix: str, trusted_proxies: tuple[IpNetwork, ...] = ()) -> None:
        self.hub = hub
        self.prefix = prefix  # the base path belongs to the listening socket: no reload moves it
        self.assets = load_assets()
        self.sockets: dict[Conn, tuple[RelaySocket, asyncio.Transport]] = {}
        self.heartbeat_timer: asyncio.TimerHandle | None = None
        # Every path served below the base path, for GET and HEAD. A dict lookup is not a
        # constant-time comparison, so no key here may be a secret: a host page's secret segment
        # is found by its hash instead (dispatch), which tells a prober nothing by its timing.
        self.routes: dict[str, Handler] = {"/": self.page, "/ws": self.socket}
        self.assets["sw.js"] = service_worker(self.assets)
        for name in self.assets:
            if name in ROOT_FILES:
                self.routes[f"/{name}"] = functools.partial(self.static, name)
            elif name != "index.html":
                self.routes[f"/static/{name}"] = functools.partial(self.static, name)
        # The languages the page has catalogues for; the language codes here come from the
        # page's own file names, never from a request.
        self.languages = languages.catalogues(self.assets)
        words = {
            language: wording.read_catalogue(self.assets[f"i18n-{language}.js"].body.decode())
            for language in self.languages
            if language != languages.ENGLISH  # index.html is written in English
        }
        page = self.assets["index.html"]
        self.pages = {
            (role, door, language): _variant(
                page,
                f'data-role="{role}" data-door="{door}"',
                language,
                words.get(language) if language else None,
            )
            for role in ("visitor", "host")
            for door in ("off", "one", "several")
            for language in (None, *self.languages)
        }
        self.apply(trusted_proxies)

    def apply(self, trusted_proxies: tuple[IpNetwork, ...]) -> None:
        """Take what a reload may change here: which proxies' X-Forwarded-For is believed."""
        self.trusted_proxies = trusted_proxies

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        prefix = self.prefix
        path = request.path
        if not _same(path[: len(prefix)], prefix):
            return await self.not_found(request)
        rest = path[len(prefix) :]
        if rest == "" and prefix:
            raise web.HTTPPermanentRedirect(prefix + "/")
        if request.method not in ("GET", "HEAD"):
            return await self.not_found(request)
        handler = self.routes.get(rest)
        if handler is not None:
            return await handler(request)
        # Not a dict key (see above): a host page is found by its secret's verifier.
        secret = HOST_PAGE.fullmatch(rest)
        if secret is not None and self.hub.door.host_page(secret.group(1)):
            return self.asset(request, "index.html", page=True, role="host")
        return await self.not_found(request)

    async def not_found(self, request: web.Request) -> web.Response:
        """The one 404, noted in the audit: someone looked for what is not there."""
        address = client_address(request, self.trusted_proxies)
        what = probed(request.method, request.path, self.prefix)
        await self.deliver(self.hub.note(Event.PROBE, address, what))
        return not_found()

    async def page(self, request: web.Request) -> web.StreamResponse:
        return self.asset(request, "index.html", page=True, role="visitor")

    async def static(self, name: str, request: web.Request) -> web.StreamResponse:
        return self.asset(request, name)

    def asset(
        self, request: web.Request, name: str, page: bool = False, role: str = ""
    ) -> web.Response:
        item = self.assets[name]
        if role:
            item = self.pages[role, door_mode(len(self.hub.policy.hosts)), self.language(request)]
        headers = {
            "ETag": item.etag,
            "Cache-Control": "no-store" if page else "no-cache",
            # The page's words follow Accept-Language; the page is never stored (no-store) by
            # a cache that honours that, but the service worker keeps a copy by its address.
            "Vary": "Accept-Encoding, Accept-Language" if page else "Accept-Encoding",
        }
        if request.headers.get("If-None-Match") == item.etag and not page:
            return web.Response(status=304, headers=headers)
        body = item.body
        if accepts_gzip(request.headers.get("Accept-Encoding", "")):
            body = item.gzipped
            headers["Content-Encoding"] = "gzip"
        headers["Content-Type"] = item.content_type
        return web.Response(body=body, headers=headers)

    def language(self, request: web.Request) -> str | None:
        """The page's language for this request, or None when it sent no Accept-Language at all
        (then the page's script picks from the browser's languages itself)."""
        lines = request.headers.getall("Accept-Language", ())
        if not lines:
            return None
        # Several lines are one list in order (RFC 9110 5.3).
        return languages.choose(",".join(lines), self.languages)

    def _origin_ok(self, request: web.Request) -> bool:
        """Refuse cross-site WebSockets: a page elsewhere must not drive a visitor's browser."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True  # not a browser; nothing ambient to abuse
        host = request.headers.get("Host", "")
        return origin in (f"http://{host}", f"https://{host}")

    async def socket(self, request: web.Request) -> web.StreamResponse:
        # autoping off: a client's pings are frames on its message budget like any other, so
        # the handler sees them and answers them itself.
        ws = RelaySocket(max_msg_size=READ_LIMIT, compress=False, autoping=False)
        if not ws.can_prepare(request).ok or not self._origin_ok(request):
            return await self.not_found(request)
        await ws.prepare(request)
        transport = request.transport
        if transport is None:  # gone during the handshake
            return ws
        # Writing never pauses below the backlog limit, and deliver() never lets a backlog pass
        # it, so sending to a client never waits for that client to read.
        transport.set_write_buffer_limits(high=BACKLOG_LIMIT)
        agent = request.headers.get("User-Agent", "")[:MAX_AGENT]
        conn, out = self.hub.connect(client_address(request, self.trusted_proxies), agent)
        self.sockets[conn] = (ws, transport)
        inbox = ws.inbox
        try:
            await self.deliver(out)
            inbox.inline = functools.partial(self.receive_inline, conn, transport)
            async for message in ws:
                inbox.busy = True
                match message.type:
                    case WSMsgType.TEXT if message is DEFERRED:
                        out = inbox.deferred.popleft()
                    case WSMsgType.TEXT:
                        out = self.hub.receive(conn, message.data)
                    case WSMsgType.BINARY:
                        out = self.hub.receive(conn, message.data, text=False)
                    case WSMsgType.PING:
                        answer, out = self.hub.control(conn)
                        if answer:
                            with contextlib.suppress(ConnectionError):
                                await ws.pong(message.data)
                    case WSMsgType.PONG:  # the heartbeat's answer, or a client sending them
                        _, out = self.hub.control(conn)
                    case _:
                        break
                await self.deliver(out)
                if transport.is_closing():
                    break  # closed for its flood (or its backlog): its queued frames go unread
                # Frames already read come out of aiohttp without a pause, and writing seldom
                # waits either: without this, one client sending flat out would hold the loop,
                # and every other room, for as long as its frames keep coming.
                await asyncio.sleep(0)
                inbox.busy = False
        finally:
            inbox.inline = None
            del self.sockets[conn]
            await self.deliver(self.hub.disconnect(conn))
        return ws

    def receive_inline(
        self, conn: Conn, transport: asyncio.Transport, frame: str
    ) -> list[Delivery] | None:
        """A text frame as it is read (Inbox): None when all is done, else what is left to
        deliver, which may wait."""
        if transport.is_closing():
            return None  # closed for its flood: the rest goes unread
        out = self.hub.receive(conn, frame)
        for delivery in out:
            if delivery.delay or delivery.close is not None:
                return out
        self.send(out)
        return None

    async def deliver(self, out: list[Delivery]) -> None:
        if not any(delivery.delay or delivery.close is not None for delivery in out):
            self.send(out)
            return
        for delivery in out:
            if delivery.delay:
                await asyncio.sleep(delivery.delay)
            self.send([delivery])
            if delivery.close is None:
                continue
            found = self.sockets.get(delivery.conn)
            if found is None or found[0].closed or found[1].is_closing():
                continue
            ws, transport = found
            if delivery.close is CLOSE_TRY_AGAIN_LATER:
                await self.refuse(ws)
            else:
                await self.expel(delivery.conn, ws, transport, delivery.close)

    def send(self, out: list[Delivery]) -> None:
        """Write the messages of `out` (not its closes) to whoever is still there to read them."""
        encoded: dict[int, bytes] = {}  # one encoding per message, however many receive it
        for delivery in out:
            if delivery.message is None:
                continue
            found = self.sockets.get(delivery.conn)
            if found is None or found[0].closed or found[1].is_closing():
                continue
            transport = found[1]
            key = id(delivery.message)
            frame = encoded.get(key)
            if frame is None:
                frame = encoded[key] = text_frame(protocol.encode(delivery.message))
            if transport.get_write_buffer_size() + len(frame) > BACKLOG_LIMIT:
                log.info("dropped %r: over %d bytes it does not read", delivery.conn, BACKLOG_LIMIT)
                transport.abort()  # its handler sees the socket close and says goodbye for it
                continue
            transport.write(frame)

    async def refuse(self, ws: web.WebSocketResponse) -> None:
        """Close a refused socket with 1013, waiting only briefly for the client's answer."""
        try:
            async with asyncio.timeout(REFUSAL_CLOSE_WAIT):
                await ws.close(code=CLOSE_TRY_AGAIN_LATER, message=b"try again later")
        except TimeoutError:
            pass  # aiohttp has closed the transport on its way out

    async def expel(
        self, conn: Conn, ws: web.WebSocketResponse, transport: asyncio.Transport, code: int
    ) -> None:
        """Close a flooding socket with `code` at once: its close frame, then the TCP close.

        aiohttp's close() would go on reading the client's frames until its close frame came
        back, and a flooder sends frames, not that; RFC 6455 (7.1.1) has the server close TCP
        first anyway. The handler stops reading once it sees the transport closing.
        """
        log.info("closed %r with %d: it kept sending past the message rate", conn, code)
        with contextlib.suppress(ConnectionError):
            await ws.send_frame(code.to_bytes(2, "big") + b"too many messages", WSMsgType.CLOSE)
        transport.close()

    async def start_heartbeat(self, _app: web.Application | None = None) -> None:
        loop = asyncio.get_running_loop()
        self.heartbeat_timer = loop.call_later(HEARTBEAT_SECONDS, self.heartbeat)

    async def stop_heartbeat(self, _app: web.Application | None = None) -> None:
        if self.heartbeat_timer is not None:
            self.heartbeat_timer.cancel()

    def heartbeat(self) -> None:
        """Every HEARTBEAT_SECONDS: ping each socket that has sent nothing since the last
        beat, and drop each one that has sent nothing since its ping, not even the pong."""
        for ws, transport in list(self.sockets.values()):
            inbox = ws.inbox
            if inbox.heard:
                inbox.heard = inbox.pinged = False
            elif not inbox.pinged:
                if not transport.is_closing():
                    transport.write(PING_FRAME)
                inbox.pinged = True
            else:
                log.debug("dropped a socket that did not answer its ping")
                transport.abort()  # its handler sees the socket close and says goodbye for it
        self.heartbeat_timer = asyncio.get_running_loop().call_later(
            HEARTBEAT_SECONDS, self.heartbeat
        )

    async def close_all(self, _app: web.Application | None = None) -> None:
        """On shutdown every socket gets a clean 1001, so clients know to reconnect."""
        await asyncio.gather(
            *(
                ws.close(code=CLOSE_GOING_AWAY, message=b"server is restarting")
                for ws, _ in list(self.sockets.values())
            ),
            return_exceptions=True,
        )


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)
    if request.secure:
        response.headers["Strict-Transport-Security"] = HSTS


def build_app(hub: Hub, settings: Settings) -> tuple[web.Application, Site]:
    site = Site(hub, settings.prefix(), settings.trusted_proxies)
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", site.dispatch)
    app.on_response_prepare.append(_security_headers)
    app.on_startup.append(site.start_heartbeat)
    app.on_shutdown.append(site.stop_heartbeat)
    app.on_shutdown.append(site.close_all)
    return app, site


def make_runner(hub: Hub, settings: Settings) -> tuple[web.AppRunner, Site]:
    """The app ready to listen, with logging that keeps the base path secret."""
    app, site = build_app(hub, settings)
    server_log = logging.getLogger("aiohttp.server")
    secret_filter = SecretFilter(settings.prefix())
    server_log.addFilter(secret_filter)

    async def remove_filter(_app: web.Application) -> None:
        server_log.removeFilter(secret_filter)

    app.on_cleanup.append(remove_filter)
    runner = QuietRunner(
        app,
        access_log_class=access_logger(settings.prefix(), lambda: site.trusted_proxies),
        handle_signals=False,
        keepalive_timeout=HTTP_IDLE_SECONDS,
    )
    return runner, site
