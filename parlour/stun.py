"""Parlour's own STUN responder: browsers learn their public address without asking anyone else.

Only Binding requests are answered, with a Binding success response that carries
XOR-MAPPED-ADDRESS (and FINGERPRINT when the request had one). Anything else (a datagram that
is not a well-formed STUN message, an indication, a response, another method) is dropped and
counted, never answered. Two bounds keep it from being a useful reflector for someone who
forges source addresses: a response is at most RESPONSE_GROWTH bytes larger than the request,
and each address (an IPv4 address, an IPv6 /64) gets at most RATE answers a second after a
BURST. The message format is aioice's; this module adds only the checks its parser leaves out.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, cast

from aioice import stun as wire

from parlour.guard import TokenBucket
from parlour.settings import Settings

log = logging.getLogger("parlour.stun")

HEADER: Final = 20  # type, length, magic cookie, transaction id
MAGIC_COOKIE: Final = 0x2112A442
MAX_DATAGRAM: Final = 548  # a Binding request needs far less; bigger ones are not for us
# Browsers send a bare 20-byte request (Chromium does); the smallest possible answer is 32 bytes
# (IPv4) and the largest 52 (IPv6 and FINGERPRINT, for a 28-byte request). A response may grow
# by this much and no more; a datagram that would need more is dropped.
RESPONSE_GROWTH: Final = 24
RATE: Final = 20.0  # answers a second, per address, on average
BURST: Final = 40.0  # answers at once, per address
MAX_TRACKED: Final = 16_384  # addresses remembered; past it, only known addresses are answered
REPORT_EVERY: Final = 60.0  # seconds: drops are logged at most this often


@dataclass(frozen=True, slots=True)
class Limits:
    """The per-address bound; the defaults are the documented ones (docs/deployment.md)."""

    rate: float = RATE
    burst: float = BURST
    tracked: int = MAX_TRACKED


def framed(data: bytes) -> bool:
    """Whether `data` is framed as one STUN message, attribute by attribute.

    aioice's parser checks neither the magic cookie nor the two leading zero bits, and it
    accepts an attribute whose length runs past the end of the message (it reads what is there).
    """
    if not HEADER <= len(data) <= MAX_DATAGRAM or data[0] & 0xC0:
        return False
    length, cookie = struct.unpack_from("!HI", data, 2)
    if cookie != MAGIC_COOKIE or length % 4 or HEADER + length != len(data):
        return False
    at = HEADER
    while at < len(data):
        if at + 4 > len(data):
            return False
        (size,) = struct.unpack_from("!H", data, at + 2)
        at += 4 + size + (-size % 4)
    return at == len(data)


def mapped(address: tuple[Any, ...]) -> tuple[str, int]:
    """The sender as XOR-MAPPED-ADDRESS should name it: on a dual-stack socket an IPv4 sender
    arrives as ::ffff:a.b.c.d, and its own IPv4 address is what it needs to hear."""
    host, port = str(address[0]), int(address[1])
    if ":" not in host:
        return host, port  # an IPv4 socket gives the dotted quad as it is
    ip = ipaddress.IPv6Address(host.partition("%")[0])
    return str(ip.ipv4_mapped or ip), port


def counted_as(host: str) -> str:
    """The key of the per-address bound: an IPv4 address, or an IPv6 address's /64.

    Not guard.address_key: that also works out the wider networks the lockout needs, which
    here would cost more than the whole answer.
    """
    if ":" not in host:
        return host
    return f"{int(ipaddress.IPv6Address(host)) >> 64:x}::/64"


class Responder(asyncio.DatagramProtocol):
    """Answers Binding requests on one UDP socket; counts what it drops and what it limits."""

    def __init__(
        self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.answered = 0
        self.dropped = 0  # not a Binding request we could answer: never answered
        self.limited = 0  # a good request over its address's bound
        self._buckets: dict[str, TokenBucket] = {}
        self._transport: asyncio.DatagramTransport | None = None
        self._unreported = (0, 0)
        self._reported_at = -REPORT_EVERY
        self._report: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[Any, ...]) -> None:
        reply = self.answer(data, addr)
        if reply is not None and self._transport is not None:
            self._transport.sendto(reply, addr)

    def error_received(self, exc: Exception) -> None:
        # An ICMP error for an earlier answer (the sender went away): nothing to do.
        log.debug("stun: %s", exc)

    def answer(self, data: bytes, addr: tuple[Any, ...]) -> bytes | None:
        """The bytes to send back to `addr`, or None to stay silent."""
        request = self._request(data)
        if request is None:
            self._drop(limited=False)
            return None
        try:
            sender = mapped(addr)
        except ValueError:
            self._drop(limited=False)
            return None
        if not self._allowed(sender[0]):
            self._drop(limited=True)
            return None
        response = wire.Message(
            wire.Method.BINDING,
            wire.Class.RESPONSE,
            transaction_id=request.transaction_id,
            attributes={"XOR-MAPPED-ADDRESS": sender},
        )
        if "FINGERPRINT" in request.attributes:
            response.add_fingerprint()
        reply = bytes(response)
        if len(reply) > len(data) + RESPONSE_GROWTH:
            self._drop(limited=False)
            return None
        self.answered += 1
        return reply

    def _request(self, data: bytes) -> wire.Message | None:
        if not framed(data):
            return None
        try:
            message = wire.parse_message(data)
        except (ValueError, struct.error):  # a bad attribute, fingerprint or method
            return None
        if message.message_method != wire.Method.BINDING:
            return None
        if message.message_class != wire.Class.REQUEST:
            return None
        return message

    def _allowed(self, host: str) -> bool:
        key = counted_as(host)
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.limits.tracked:
                self._forget_idle(now)
            if len(self._buckets) >= self.limits.tracked:
                return False
            bucket = self._buckets[key] = TokenBucket(self.limits.rate, self.limits.burst, now)
        return bucket.take(now)

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that would be full again by now: forgetting them changes nothing."""
        refill = self.limits.burst / self.limits.rate
        for key in [k for k, b in self._buckets.items() if now - b.stamp >= refill]:
            del self._buckets[key]

    def _drop(self, *, limited: bool) -> None:
        dropped, over = self._unreported
        if limited:
            self.limited += 1
            self._unreported = (dropped, over + 1)
        else:
            self.dropped += 1
            self._unreported = (dropped + 1, over)
        if self._report is None:
            wait = max(0.0, self._reported_at + REPORT_EVERY - self.clock())
            self._report = asyncio.get_running_loop().call_later(wait, self.report)

    def report(self) -> None:
        """Log what was dropped since the last report, if anything (at most once a minute)."""
        if self._report is not None:
            self._report.cancel()
            self._report = None
        dropped, over = self._unreported
        if dropped or over:
            log.warning(
                "stun: dropped %d datagrams that were not Binding requests and %d requests "
                "over the per-address bound (%d and %d since start)",
                dropped,
                over,
                self.dropped,
                self.limited,
            )
        self._unreported = (0, 0)
        self._reported_at = self.clock()


def loopback(host: str) -> bool:
    """Whether listening on `host` reaches this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def own_url(settings: Settings, port: int) -> str | None:
    """The stun: URL that browsers reach the responder at, or None when they cannot: the
    responder is off, or it listens on loopback, where host candidates already suffice."""
    if not settings.stun_enabled or loopback(settings.stun_listens_at()):
        return None
    host = settings.stun_host_public()
    return f"stun:[{host}]:{port}" if ":" in host else f"stun:{host}:{port}"


class UdpListener:
    """The responder on its UDP socket, for server.py's list of listeners."""

    def __init__(self, host: str, port: Callable[[], int], limits: Limits | None = None) -> None:
        self.host = host
        self._port = port  # asked at start: by default the web port, known once that is bound
        self.responder = Responder(limits)
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        port = self._port()
        try:
            self._transport, _ = await loop.create_datagram_endpoint(
                lambda: self.responder, local_addr=(self.host, port)
            )
        except OSError as exc:
            # run() prints the web port with this; say which socket it was, and the way out.
            fix = "set stun.port to a free one, or stun.enabled = false"
            raise OSError(exc.errno, f"{exc.strerror} (STUN, UDP port {port}: {fix})") from exc

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self.responder.report()

    def bound_port(self) -> int:
        if self._transport is None:
            raise RuntimeError("the STUN responder is not listening")
        return int(self._transport.get_extra_info("sockname")[1])
