"""Running the server: listen, announce, reload on SIGHUP, close cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import ssl
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from aiohttp import web

from parlour import __version__, config, stun
from parlour.audit import AuditError, AuditLog
from parlour.geo import Countries, GeoError
from parlour.ice import StunServers, TurnServers
from parlour.settings import Settings, TlsMode
from parlour.signaling import Hub
from parlour.web import Site, make_runner

log = logging.getLogger("parlour")

# Settings that belong to the listening socket: a reload cannot change them in place.
RESTART_ONLY = (
    "host",
    "port",
    "tls",
    "base_path",
    "stun_enabled",
    "stun_host",
    "stun_port",
    # Files opened once at start: a reload that names others would leave them open meanwhile.
    "geoip_database",
    "audit_database",
    "audit_retention_days",
    "audit_max_rows",
)


class StartError(Exception):
    """Something `serve` needs cannot be opened; the message says what and names the file."""


def run(settings: Settings, *, first_room: tuple[str, str] | None = None, qr: bool = False) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(_serve(settings, first_room, qr))
    except StartError as exc:
        print(f"parlour: {exc} (in {settings.source})", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"parlour: cannot listen on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    return 0


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed, else asyncio's (None: the default).

    Every relayed message costs a read, a write and a few callbacks in the loop; uvloop does
    those in C, for about 2.5 MiB more at start (docs/performance.md).
    """
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


class Listener(Protocol):
    """Something the server listens with: the web site's TCP port first; a STUN responder on
    UDP, or another port, are to join it. All start before the announcement and all stop on
    the one way out, last started first stopped."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class TcpListener:
    """The web site on its TCP port (and its TLS, if any)."""

    def __init__(
        self, runner: web.AppRunner, host: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> None:
        self.runner = runner
        self.host, self.port, self.ssl_context = host, port, ssl_context

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.host, self.port, ssl_context=self.ssl_context)
        await site.start()

    async def stop(self) -> None:
        await self.runner.cleanup()  # closes every WebSocket with 1001 first (Site.close_all)

    def bound_port(self) -> int | None:
        """The port the socket got (port 0 asks the kernel for any free one)."""
        for address in self.runner.addresses:
            if isinstance(address, tuple):
                return int(address[1])
        return None


@dataclass
class Running:
    """What a reload reaches: each layer is handed only the settings it runs on."""

    settings: Settings
    hub: Hub
    ice: StunServers
    site: Site
    turn: TurnServers = field(default_factory=TurnServers)

    def apply(self, settings: Settings) -> None:
        self.settings = settings
        self.hub.apply(settings.policy())
        self.ice.apply(settings.stun_servers)
        self.turn.apply(settings.turn)
        self.site.apply(settings.trusted_proxies)


async def _serve(settings: Settings, first_room: tuple[str, str] | None, qr: bool) -> None:
    if missing := config.ticket_key_missing(settings):
        log.warning("%s", missing)
    ice = StunServers(settings.stun_servers)
    turn = TurnServers(settings.turn)
    audit, countries = _front_door_files(settings)
    if settings.hosts:
        # ua-parser's rules take a fifth of a second to load: at start, not at the first knock.
        from parlour import agents

        agents.load()
    hub = Hub(
        settings.policy(),
        ice=ice,
        turn=turn,
        audit=audit,
        country_of=countries.lookup,
        describe_agent=_describe_agent,
    )
    runner, site = make_runner(hub, settings)
    running = Running(settings, hub, ice, site, turn)
    # Handlers first: whoever reads the announcement may signal at once, and SIGHUP's
    # default action would end the process.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    loop.add_signal_handler(signal.SIGHUP, _reload, running)
    started: list[Listener] = []
    try:
        files, ssl_context = _tls(settings)
        web_listener = TcpListener(runner, settings.host, settings.port, ssl_context)
        listeners: list[Listener] = [web_listener]
        if settings.stun_enabled:
            # By default the web port's number, known only once the web socket is bound.
            udp = stun.UdpListener(
                settings.stun_listens_at(), lambda: _stun_port(settings, web_listener)
            )
            listeners.append(udp)
        for listener in listeners:
            started.append(listener)  # before start: one that fails half-way is stopped too
            await listener.start()
        if settings.stun_enabled:
            ice.own = stun.own_url(settings, udp.bound_port())
        _announce(settings, web_listener.bound_port() or settings.port, files, first_room, qr)
        await stop.wait()
    finally:
        log.info("shutting down: closing %d connections", len(site.sockets))
        for listener in reversed(started):
            await listener.stop()
        audit.close()
        countries.close()


def _front_door_files(settings: Settings) -> tuple[AuditLog, Countries]:
    """The audit's database and the country database, opened for the server's lifetime."""
    try:
        audit = AuditLog(
            settings.audit_database,
            retention_days=settings.audit_retention_days,
            max_rows=settings.audit_max_rows,
        )
    except AuditError as exc:
        raise StartError(f"{exc}; check [audit] database") from exc
    if settings.geoip_database is None:
        return audit, Countries.none()
    try:
        return audit, Countries.open(settings.geoip_database)
    except GeoError as exc:
        audit.close()
        raise StartError(f"{exc}; check [front_door] geoip_database") from exc


def _describe_agent(agent: str | None) -> str:
    # Imported at the first knock, not at start: ua-parser's tables are the largest import
    # the front door brings, and a server without hosts never needs them.
    from parlour import agents

    return agents.describe(agent)


def _stun_port(settings: Settings, web: TcpListener) -> int:
    if settings.stun_port is not None:
        return settings.stun_port
    return web.bound_port() or settings.port


def _tls(settings: Settings) -> tuple[tuple[Path, Path] | None, ssl.SSLContext | None]:
    """The certificate files and server context, or none at all without TLS."""
    if settings.tls.mode is TlsMode.OFF:
        return None, None
    # Imported only with TLS on: it brings `cryptography`, 6 MiB that plain HTTP never uses.
    from parlour import tls

    files = tls.certificate_files(settings)
    return files, tls.ssl_context(files) if files else None


def _reload(running: Running) -> None:
    """Re-read the file. A broken file changes nothing; a good one applies without a drop."""
    current = running.settings
    try:
        fresh = config.load(current.source)
    except config.ConfigError as exc:
        log.error("reload refused, keeping the running settings:")
        for problem in exc.problems:
            log.error("  %s", problem)
        return
    changed = [name for name in RESTART_ONLY if getattr(fresh, name) != getattr(current, name)]
    if changed:
        log.warning("reload: %s change only on restart; running with the old", ", ".join(changed))
        fresh = dataclasses.replace(fresh, **{name: getattr(current, name) for name in changed})
    running.apply(fresh)
    log.info("reloaded %s: %d rooms", fresh.source, len(fresh.rooms))


def _announce(
    settings: Settings,
    port: int,
    files: tuple[Path, Path] | None,
    first_room: tuple[str, str] | None,
    qr: bool = False,
) -> None:
    # The real address is the operator's; the one people open (a proxy's, or this machine's
    # name instead of 0.0.0.0) goes on its own line when it differs.
    listening, page = settings.listen_url(port), settings.page_url(port)
    lines = [f"Parlour {__version__} is listening on {listening}"]
    if page != listening:
        lines.append(f"People open: {page}")
    if caveat := settings.link_caveat():
        lines.append(caveat)
    if settings.tls.mode is TlsMode.SELF_SIGNED and files is not None:
        from parlour import tls

        lines.append(f"Self-signed certificate, SHA-256 {tls.fingerprint(files[0])}")
    if first_room is not None:
        name, passphrase = first_room
        link = settings.join_link(passphrase, port)
        lines += [
            f'Room "{name}" passphrase: {passphrase}',
            "Join link (share it only with the people you call): " + link,
        ]
        if qr:
            from parlour.qr import terminal_qr

            lines.append(terminal_qr(link))
    print("\n".join(lines), flush=True)
