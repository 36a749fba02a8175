"""STUN Binding responses a second, and server CPU per response, against a real `parlour serve`.

The responder allows each address 40 answers at once and 20 a second (docs/configuration.md),
so the load comes from many loopback addresses (127.77.x.y; all of 127/8 is this machine),
round robin, with a fixed number of requests in flight. Bounded in count and in time, and aimed
at 127.0.0.1 only.
"""

from __future__ import annotations

import selectors
import socket
import statistics
import tempfile
import time
from pathlib import Path
from typing import Final

from aioice import stun as wire

from bench.plan import Plan
from bench.report import Better, Figure, Section
from bench.server import HOST, Launch, Server

SILENCE: Final = 1.0  # seconds without any answer: what is still in flight is lost
SUCCESS: Final = b"\x01\x01"  # Binding success response


def _senders(count: int) -> list[socket.socket]:
    senders = []
    for number in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((f"127.77.{number // 250}.{number % 250 + 1}", 0))
        sock.setblocking(False)
        senders.append(sock)
    return senders


def one(server: Server, plan: Plan) -> tuple[float, float, int]:
    """(answers a second, server CPU µs per answer, requests lost) for one bounded run."""
    request = bytes(wire.Message(wire.Method.BINDING, wire.Class.REQUEST))
    target = (HOST, server.port)
    senders = _senders(plan.stun_addresses)
    chooser = selectors.DefaultSelector()
    for sock in senders:
        chooser.register(sock, selectors.EVENT_READ)
    sent = answered = lost = in_flight = 0
    turn = 0

    def send() -> None:
        nonlocal sent, in_flight, turn
        senders[turn].sendto(request, target)
        turn = (turn + 1) % len(senders)
        sent += 1
        in_flight += 1

    try:
        cpu = server.cpu_seconds()
        started = time.perf_counter()
        deadline = started + plan.stun_seconds
        while sent < min(plan.stun_window, plan.stun_requests):
            send()
        while in_flight and time.perf_counter() < deadline:
            ready = chooser.select(SILENCE)
            if not ready:
                lost += in_flight
                in_flight = 0
            for key, _ in ready:
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                while True:
                    try:
                        reply = sock.recv(2048)
                    except BlockingIOError:
                        break
                    in_flight -= 1
                    answered += reply[:2] == SUCCESS
            while in_flight < plan.stun_window and sent < plan.stun_requests:
                send()
        elapsed = time.perf_counter() - started
        cpu = server.cpu_seconds() - cpu
    finally:
        chooser.close()
        for sock in senders:
            sock.close()
    lost += in_flight
    if not answered:
        return 0.0, 0.0, lost
    return answered / elapsed, 1e6 * cpu / answered, lost


def measure(launch: Launch, plan: Plan) -> Section:
    runs = []
    with tempfile.TemporaryDirectory(prefix="parlour-bench-") as folder:
        server = Server(Path(folder), launch, open_rooms=False)
        try:
            for _ in range(plan.stun_runs):
                runs.append(one(server, plan))
        finally:
            server.stop()
    lost = statistics.median(r[2] for r in runs)
    return Section(
        "stun",
        [
            Figure(
                "STUN Binding responses a second",
                "/s",
                tuple(r[0] for r in runs),
                None,
                Better.HIGHER,
                digits=0,
            ),
            Figure("server CPU per STUN response", "µs", tuple(r[1] for r in runs), None),
        ],
        [
            f"no target given: reported only; each run at most {plan.stun_requests:,} bare "
            f"20-byte requests or {plan.stun_seconds:.0f} s, {plan.stun_window} in flight, from "
            f"{plan.stun_addresses} loopback addresses to {HOST}:{server.port}/udp",
            f"requests without an answer: {lost:,.0f} a run (median); the bench's own sending "
            "shares the machine's 2 cores with the server",
        ],
    )
