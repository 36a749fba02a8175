"""One load-generator process: holds connections and runs what the bench's parent asks.

The parent sends (command, arguments) over a pipe and gets one dict back per command; a
command that starts an activity (relaying, probing, flooding) returns at once, and a later
command stops it. The pipe closing, or MAX_LIFETIME passing, ends the worker whatever it does.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Callable, Coroutine
from multiprocessing.connection import Connection
from typing import Any, Final

from bench import limits
from bench.traffic import (
    Counters,
    Flood,
    FrameFlood,
    Pair,
    Probe,
    Relay,
    Sources,
    Target,
    open_pair,
)
from bench.wire import new_locator

MAX_LIFETIME: Final = 900.0
Reply = dict[str, Any]


def run(pipe: Connection, target: Target, seed: int) -> None:
    """The process's entry point (a top-level function, so that "spawn" can import it)."""
    limits.raise_nofile()
    worker = Worker(pipe, target, seed)
    try:
        import uvloop
    except ImportError:
        asyncio.run(worker.serve())
    else:
        # The generator's own overhead is what we keep small; the server is not affected.
        uvloop.run(worker.serve())


class Worker:
    def __init__(self, pipe: Connection, target: Target, seed: int) -> None:
        self.pipe = pipe
        self.target = target
        self.rng = random.Random(seed)
        self.counters = Counters()
        self.pairs: list[Pair] = []
        self.relay: Relay | None = None
        self.probes: list[Probe] = []
        self.samples: list[float] = []
        self.flood: Flood | None = None
        self.frame_flood: FrameFlood | None = None
        self.sources = Sources(octet=10 + seed % 240)

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        def readable() -> None:
            try:
                while self.pipe.poll():
                    inbox.put_nowait(self.pipe.recv())
            except (EOFError, OSError):
                loop.remove_reader(self.pipe.fileno())
                inbox.put_nowait(("quit", {}))

        loop.add_reader(self.pipe.fileno(), readable)
        # uvloop makes a watched descriptor non-blocking, and a command larger than what has
        # arrived would then fail half-read; blocking reads only wait for the rest of it.
        os.set_blocking(self.pipe.fileno(), True)
        loop.call_later(MAX_LIFETIME, inbox.put_nowait, ("quit", {}))
        handlers: dict[str, Callable[..., Coroutine[Any, Any, Reply]]] = {
            "open": self.open,
            "snapshot": self.snapshot,
            "relay_start": self.relay_start,
            "relay_stop": self.relay_stop,
            "probe_start": self.probe_start,
            "probe_stop": self.probe_stop,
            "flood_start": self.flood_start,
            "flood_stop": self.flood_stop,
            "frames_start": self.frames_start,
            "frames_stop": self.frames_stop,
        }
        while True:
            name, arguments = await inbox.get()
            if name == "quit":
                break
            try:
                reply = await handlers[name](**arguments)
            except Exception as exc:
                reply = {"error": f"{name}: {type(exc).__name__}: {exc}"}
            try:
                self.pipe.send(reply)
            except OSError:
                break
        await self.shutdown()

    async def shutdown(self) -> None:
        if self.flood is not None:
            await self.flood.stop()
        if self.relay is not None:
            self.relay.stop()
        if self.frame_flood is not None:
            self.frame_flood.stop()
        for pair in self.pairs:
            pair.close()
        await asyncio.sleep(0.1)  # let the FINs go out before the loop closes the sockets

    async def open(
        self, pairs: int, rate: float, concurrency: int, locators: list[str] | None = None
    ) -> Reply:
        """Open `pairs` joined pairs, `rate` connections a second at most, some in flight."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        gate = asyncio.Semaphore(concurrency)
        interval = 2.0 / rate  # a pair is two connections
        problems: list[BaseException] = []

        async def one(locator: str) -> None:
            try:
                self.pairs.append(
                    await open_pair(self.target, locator, self.counters, self.sources)
                )
            except Exception as exc:
                problems.append(exc)
            finally:
                gate.release()

        tasks = []
        next_at = started
        for number in range(pairs):
            await gate.acquire()
            if problems:
                break
            if (delay := next_at - loop.time()) > 0:
                await asyncio.sleep(delay)
            next_at += interval
            locator = locators[number % len(locators)] if locators else new_locator()
            tasks.append(asyncio.create_task(one(locator)))
        await asyncio.gather(*tasks)
        if problems:
            raise problems[0]
        return {"pairs": len(self.pairs), "seconds": loop.time() - started}

    async def snapshot(self) -> Reply:
        flood = self.flood
        return {
            "cpu": time.process_time(),
            "received": self.counters.received,
            "errors": self.counters.errors,
            "stray": self.counters.stray,
            "last_error": self.counters.last_error,
            "sent": self.relay.seq if self.relay else 0,
            "joins": flood.joins if flood else 0,
            "refused": flood.refused if flood else 0,
            "failures": flood.failures if flood else 0,
            "last_problem": flood.last_problem if flood else "",
            "open": sum(not (p.a.closed or p.b.closed) for p in self.pairs) * 2,
        }

    async def relay_start(self, rate: float) -> Reply:
        self.relay = Relay(self.pairs, rate, self.rng)
        return {}

    async def relay_stop(self) -> Reply:
        if self.relay is not None:
            self.relay.stop()
        return {}

    async def probe_start(self) -> Reply:
        self.samples = []
        self.probes = [Probe(pair, self.samples, self.rng) for pair in self.pairs]
        return {}

    async def probe_stop(self) -> Reply:
        for probe in self.probes:
            probe.stop(self.counters)
        lost = sum(probe.lost for probe in self.probes)
        self.probes = []
        return {"samples": self.samples, "lost": lost}

    async def flood_start(self, concurrency: int, locators: list[str]) -> Reply:
        self.flood = Flood(self.target, concurrency, locators, self.rng, self.sources)
        self.flood.start()
        return {}

    async def flood_stop(self) -> Reply:
        if self.flood is not None:
            await self.flood.stop()
        return await self.snapshot()

    async def frames_start(self, connections: int, kind: str) -> Reply:
        """Open `connections` connections and set them all flooding `kind` frames at once."""
        self.frame_flood = FrameFlood(self.target, connections, kind, self.sources)
        await self.frame_flood.open()
        self.frame_flood.start()
        return {}

    async def frames_stop(self) -> Reply:
        if self.frame_flood is None:
            return {"codes": {}, "sent": 0, "closed_after": []}
        reply = self.frame_flood.stop()
        self.frame_flood = None
        return reply
