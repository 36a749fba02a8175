"""What a load worker does with its connections: hold joined pairs, relay, probe, flood joins
or frames.

Everything here runs inside one worker process's event loop and is driven by callbacks and
timers rather than a task per connection, so that one process can drive thousands of them.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Final

import msgspec

from bench.wire import (
    ERROR_TAG,
    JOINED_TAG,
    PEER_JOINED_TAG,
    SIGNAL_TAG,
    WELCOME_TAG,
    envelope_tails,
    join_frame,
    new_locator,
    signal_prefix,
)
from bench.wsclient import ZERO_MASK, Closed, WsClient, connect

SETUP_TIMEOUT: Final = 15.0
TAILS: Final = 64


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    path: str


class Sources:
    """Loopback source addresses (127.N.x.y), a different one for each new connection.

    On the internet every person has an address of their own; from one address, ten thousand
    connections would meet any per-address limit the server sets, and measure that instead.
    Each address also has its own ephemeral ports, so a join flood never runs out of them.
    """

    SPREAD: Final = 250 * 250

    def __init__(self, octet: int) -> None:
        self._octet = octet
        self._count = 0

    def next(self) -> str:
        n = self._count % self.SPREAD
        self._count += 1
        return f"127.{self._octet}.{n // 250}.{n % 250 + 1}"


class Refused(Exception):
    """The server answered a join with something other than `joined`."""


async def join(client: WsClient, locator: str) -> bytes:
    """welcome -> join -> joined on an open connection; returns `joined` as received."""
    welcome = await client.recv()
    if not welcome.startswith(WELCOME_TAG):
        raise Refused(f"expected welcome, got {welcome[:120]!r}")
    client.send_text(join_frame(locator))
    reply = await client.recv()
    if not reply.startswith(JOINED_TAG):
        raise Refused(f"join refused: {reply[:200]!r}")
    return reply


class Joined(msgspec.Struct):
    """The part of `joined` the bench uses (decoding only that keeps the generator cheap)."""

    id: str
    peers: list[str]


@dataclass(slots=True)
class Counters:
    """What the worker's connections received once they were set up."""

    received: int = 0
    errors: int = 0
    stray: int = 0
    last_error: str = ""

    def count(self, payload: bytes) -> None:
        if payload.startswith(SIGNAL_TAG):
            self.received += 1
        elif payload.startswith(ERROR_TAG):
            self.errors += 1
            self.last_error = payload[:200].decode(errors="replace")
        else:
            self.stray += 1  # peer-joined/peer-left would land here: none are expected


@dataclass(slots=True)
class Pair:
    """Two connections in one room, each knowing the other's peer id."""

    a: WsClient
    b: WsClient
    a_id: str
    b_id: str

    def close(self) -> None:
        self.a.close()
        self.b.close()


async def open_pair(target: Target, locator: str, counters: Counters, sources: Sources) -> Pair:
    async with asyncio.timeout(SETUP_TIMEOUT):
        a = await connect(target.host, target.port, target.path, sources.next())
        try:
            a_id = msgspec.json.decode(await join(a, locator), type=Joined).id
            b = await connect(target.host, target.port, target.path, sources.next())
            try:
                joined = msgspec.json.decode(await join(b, locator), type=Joined)
                if joined.peers != [a_id]:
                    raise Refused(f"room {locator[:8]}… was not empty: {joined.peers!r}")
                announced = await a.recv()
                if not announced.startswith(PEER_JOINED_TAG):
                    raise Refused(f"expected peer-joined, got {announced[:120]!r}")
            except BaseException:
                b.close()
                raise
        except BaseException:
            a.close()
            raise
    a.on_text = b.on_text = counters.count
    return Pair(a, b, a_id, joined.id)


class Relay:
    """Every connection of the pairs sends envelopes to its partner: `rate` a second in all,
    round-robin, so each connection stays far below the server's per-connection rate limit."""

    TICK: Final = 0.005
    MAX_LAG: Final = 0.1  # after a stall, send at most this many seconds' worth at once

    def __init__(self, pairs: list[Pair], rate: float, rng: random.Random) -> None:
        self._senders = [(p.a, signal_prefix(p.b_id)) for p in pairs]
        self._senders += [(p.b, signal_prefix(p.a_id)) for p in pairs]
        rng.shuffle(self._senders)
        self._tails = envelope_tails(rng, TAILS)
        self._rate = rate
        self._loop = asyncio.get_running_loop()
        self._last = self._loop.time()
        self._due = 0.0
        self._next = 0
        self.seq = 0
        self._handle = self._loop.call_later(self.TICK, self._tick)

    def _tick(self) -> None:
        now = self._loop.time()
        self._due = min(self._due + (now - self._last) * self._rate, self._rate * self.MAX_LAG)
        self._last = now
        count = int(self._due)
        self._due -= count
        senders, tails, index, seq = self._senders, self._tails, self._next, self.seq
        for _ in range(count):
            client, prefix = senders[index]
            index = index + 1 if index + 1 < len(senders) else 0
            seq += 1
            client.send_text(prefix + str(seq).encode() + tails[seq % TAILS])
        self._next, self.seq = index, seq
        self._handle = self._loop.call_later(self.TICK, self._tick)

    def stop(self) -> None:
        self._handle.cancel()


class Probe:
    """Round trips on one pair: A sends an envelope to B, B echoes one back at once, A times
    the whole A -> server -> B -> server -> A path. One envelope in flight at a time."""

    GAP: Final = (0.020, 0.030)  # about 40 a second: under the server's 50 per connection
    LOST_AFTER: Final = 1.0

    def __init__(self, pair: Pair, samples: list[float], rng: random.Random) -> None:
        self._pair = pair
        self._samples = samples
        self._rng = rng
        self._tails = envelope_tails(rng, 8)
        self._to_b = signal_prefix(pair.b_id)
        self._to_a = signal_prefix(pair.a_id)
        self._loop = asyncio.get_running_loop()
        self._seq = 0
        self._sent_at = 0.0
        self._waiting = False
        self._stopped = False
        self._timer: asyncio.TimerHandle | None = None
        self.lost = 0
        pair.a.on_text = self._at_a
        pair.b.on_text = self._at_b
        # Start at a random moment so that the probes do not tick in lockstep.
        self._timer = self._loop.call_later(rng.uniform(*self.GAP), self._send)

    def _send(self) -> None:
        if self._stopped:
            return
        self._seq += 1
        self._waiting = True
        tail = self._tails[self._seq % len(self._tails)]
        self._sent_at = time.perf_counter()
        self._pair.a.send_text(self._to_b + str(self._seq).encode() + tail)
        self._timer = self._loop.call_later(self.LOST_AFTER, self._lost, self._seq)

    def _at_b(self, payload: bytes) -> None:
        if payload.startswith(SIGNAL_TAG):
            tail = self._tails[self._seq % len(self._tails)]
            self._pair.b.send_text(self._to_a + str(self._seq).encode() + tail)

    def _at_a(self, payload: bytes) -> None:
        if not (self._waiting and payload.startswith(SIGNAL_TAG)):
            return
        self._samples.append(time.perf_counter() - self._sent_at)
        self._waiting = False
        self._next()

    def _lost(self, seq: int) -> None:
        if self._waiting and seq == self._seq:
            self.lost += 1
            self._waiting = False
            self._next()

    def _next(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self._stopped:
            self._timer = self._loop.call_later(self._rng.uniform(*self.GAP), self._send)

    def stop(self, counters: Counters) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
        self._pair.a.on_text = self._pair.b.on_text = counters.count


@dataclass(slots=True)
class Flood:
    """`concurrency` loops, each: connect, upgrade, welcome, join, joined, close; again."""

    target: Target
    concurrency: int
    locators: list[str]
    rng: random.Random
    sources: Sources
    joins: int = 0
    refused: int = 0
    failures: int = 0
    last_problem: str = ""
    _stopping: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._joiner()) for _ in range(self.concurrency)]

    async def _joiner(self) -> None:
        target = self.target
        while not self._stopping:
            client: WsClient | None = None
            try:
                async with asyncio.timeout(SETUP_TIMEOUT):
                    client = await connect(
                        target.host, target.port, target.path, self.sources.next()
                    )
                    locator = self.rng.choice(self.locators) if self.locators else new_locator()
                    await join(client, locator)
                self.joins += 1
            except Refused as exc:
                self.refused += 1
                self.last_problem = str(exc)
            except (OSError, TimeoutError, Closed) as exc:
                self.failures += 1
                self.last_problem = repr(exc)
                await asyncio.sleep(0.01)  # a refused connect must not become a hot loop
            finally:
                if client is not None:
                    client.close()

    async def stop(self) -> None:
        self._stopping = True
        done, pending = await asyncio.wait(self._tasks, timeout=SETUP_TIMEOUT + 5)
        for task in pending:
            task.cancel()
        for task in done:
            task.result()  # a bug in a joiner should surface, not vanish


# Whole masked frames, as the flood sends them: `{}` in a text frame, and an empty ping.
FLOOD_FRAMES: Final = {
    "text": bytes((0x81, 0x82)) + ZERO_MASK + b"{}",
    "ping": bytes((0x89, 0x80)) + ZERO_MASK,
}
FLOOD_BATCH: Final = 512  # frames per write
FLOOD_LIMIT: Final = 50_000_000  # frames per connection at most, whatever the server does


class FrameFlood:
    """`connections` connections that each send one kind of frame as fast as the socket takes
    them, until the server closes them or stop() comes. They do not come back once closed.

    Only ever aimed at a server on 127.0.0.1, and bounded: FLOOD_LIMIT frames a connection, and
    the parent stops it after one window.
    """

    def __init__(self, target: Target, connections: int, kind: str, sources: Sources) -> None:
        if target.host != "127.0.0.1":
            raise ValueError(f"a flood is only ever aimed at 127.0.0.1, not {target.host}")
        self._target = target
        self._count = connections
        self._batch = FLOOD_FRAMES[kind] * FLOOD_BATCH
        self._sources = sources
        self._clients: list[WsClient] = []
        self._sent: dict[WsClient, int] = {}
        self._started = 0.0
        self._stopped = False

    async def open(self) -> None:
        """Connect and read `welcome` on every connection, before any of them floods."""
        target = self._target
        async with asyncio.timeout(SETUP_TIMEOUT):
            for _ in range(self._count):
                client = await connect(target.host, target.port, target.path, self._sources.next())
                self._clients.append(client)
                welcome = await client.recv()
                if not welcome.startswith(WELCOME_TAG):
                    raise Refused(f"expected welcome, got {welcome[:120]!r}")

    def start(self) -> None:
        self._started = time.perf_counter()
        for client in self._clients:
            self._sent[client] = 0
            client.on_text = _ignore
            client.on_writable = lambda client=client: self._pump(client)
            self._pump(client)

    def _pump(self, client: WsClient) -> None:
        """Write batches until the kernel's buffer is full (the transport pauses us) or done."""
        transport = client.transport
        while client.writable and not client.closed and not self._stopped and transport:
            if self._sent[client] >= FLOOD_LIMIT:
                return
            transport.write(self._batch)
            self._sent[client] += FLOOD_BATCH

    def stop(self) -> dict[str, object]:
        """Stop, close what is still open; returns what happened to each connection."""
        self._stopped = True
        codes: dict[str, int] = {}
        closed_after = []
        for client in self._clients:
            if client.closed_at is not None:
                closed_after.append(client.closed_at - self._started)
            if client.close_code is not None:
                key = str(client.close_code)
            else:
                key = "dropped" if client.closed else "open"
            codes[key] = codes.get(key, 0) + 1
            client.close()
        return {"codes": codes, "sent": sum(self._sent.values()), "closed_after": closed_after}


def _ignore(_payload: bytes) -> None:
    pass
