"""Simulated networks on one machine: network namespaces, veth pairs, bridges and iptables.

An `Internet` is a "public" namespace with a bridge: the servers' addresses (203.0.113.0/24)
and the routers' outside addresses (198.51.100.0/24) all sit on it, one hop from each other.
A `Router` is a namespace with one leg on that bridge and a bridge of its own for its LAN; it
forwards between them through iptables (NAT of one kind or another, some traffic dropped). A
home is a namespace on a router's LAN with a private address, where a browser runs.

Needs root, `ip` (iproute2) and `iptables`. Every namespace is named after this process and a
counter, so two runs never share one, and `Internet.close` (also on the way out of a failed
test, through the context manager) deletes each, which removes its veths and bridges too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType
from typing import Final, Self

SERVERS: Final = "203.0.113"
OUTSIDE: Final = "198.51.100"
GATEWAY: Final = f"{OUTSIDE}.1"  # the public namespace's own leg, every router's default route
_counter = itertools.count(1)


class Nat(Enum):
    """How a router maps its LAN's addresses to its outside one."""

    # MASQUERADE keeps the source port where it can: one mapping for every destination, so
    # two such routers can punch holes to each other with what STUN told them.
    ENDPOINT_INDEPENDENT = "endpoint-independent"
    # --random-fully picks a new port for each destination: what STUN saw is no use to anyone
    # else, and only a relay gets through.
    SYMMETRIC = "symmetric"


class Block(Enum):
    """What a router lets out besides replies."""

    NOTHING = "nothing"
    UDP = "udp"  # drops every UDP datagram, both ways
    ALL_BUT_TCP_443 = "all-but-tcp-443"  # new connections only to TCP port 443


def _run(args: Sequence[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")


@dataclass(frozen=True)
class Namespace:
    name: str

    def command(self, *args: str) -> list[str]:
        """`args` run inside this namespace."""
        return ["ip", "netns", "exec", self.name, *args]

    def run(self, *args: str) -> None:
        _run(self.command(*args))

    def ip(self, *args: str) -> None:
        _run(["ip", "-n", self.name, *args])

    def sysctl(self, setting: str) -> None:
        self.run("sysctl", "-q", "-w", setting)


@dataclass(frozen=True)
class Home:
    """A machine on a router's LAN."""

    namespace: Namespace
    address: str


@dataclass
class Router:
    """A namespace between a LAN of its own (10.0.N.0/24) and the Internet's bridge."""

    namespace: Namespace
    number: int
    outside: str
    nat: Nat
    block: Block
    homes: list[Home] = field(default_factory=list)


class Internet:
    """The public namespace and everything built on it; a context manager that deletes it all."""

    def __init__(self) -> None:
        self.tag = f"parlour-{os.getpid()}-{next(_counter)}"
        self.namespaces: list[Namespace] = []
        self.routers: list[Router] = []
        self.public = self._namespace("public")
        self._servers = 1
        try:
            self.public.ip("link", "set", "lo", "up")
            self.public.ip("link", "add", "wan", "type", "bridge")
            self.public.ip("addr", "add", f"{GATEWAY}/24", "dev", "wan")
            self.public.ip("link", "set", "wan", "up")
            # Whatever is not on the bridge (a private address a browser offered as its own)
            # is lost, as on the Internet, rather than refused: without a route a send fails
            # at once, and coturn then ends the whole allocation that tried it. A veth without
            # ARP takes it, and its peer drops it, addressed to another machine's hardware.
            self.public.ip("link", "add", "void", "type", "veth", "peer", "name", "sink")
            self.public.ip("link", "set", "void", "arp", "off", "up")
            self.public.ip("link", "set", "sink", "up")
            self.public.ip("route", "add", "default", "dev", "void")
        except BaseException:
            self.close()
            raise

    def server_address(self) -> str:
        """One more address of the public namespace for a server to listen on: 203.0.113.2, .3…"""
        self._servers += 1
        address = f"{SERVERS}.{self._servers}"
        self.public.ip("addr", "add", f"{address}/24", "dev", "wan")
        return address

    def router(self, nat: Nat, block: Block = Block.NOTHING) -> Router:
        number = len(self.routers) + 1
        space = self._namespace(f"router{number}")
        router = Router(space, number, f"{OUTSIDE}.{10 + number}", nat, block)
        self.routers.append(router)
        space.ip("link", "set", "lo", "up")
        # Outside leg: "out" here, "r<N>" enslaved to the public bridge.
        space.ip(*f"link add out type veth peer name r{number} netns {self.public.name}".split())
        self.public.ip("link", "set", f"r{number}", "master", "wan", "up")
        space.ip("addr", "add", f"{router.outside}/24", "dev", "out")
        space.ip("link", "set", "out", "up")
        space.ip("route", "add", "default", "via", GATEWAY)
        # Inside: a bridge for the LAN, so that several homes can share it.
        space.ip("link", "add", "lan", "type", "bridge")
        space.ip("addr", "add", f"10.0.{number}.1/24", "dev", "lan")
        space.ip("link", "set", "lan", "up")
        space.sysctl("net.ipv4.ip_forward=1")
        masquerade = ["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", "out", "-j", "MASQUERADE"]
        if nat is Nat.SYMMETRIC:
            masquerade.append("--random-fully")
        space.run(*masquerade)
        # Like a home router's firewall: nothing unasked for gets in. The drop also keeps such
        # a packet from leaving a conntrack entry behind (an entry is kept only for a packet
        # that gets through), which would take the port that an answer of the LAN's own would
        # be mapped to: hole punching would fail for a reason no real router has.
        state = ["-m", "conntrack", "--ctstate", "NEW"]
        space.run("iptables", "-A", "INPUT", "-i", "out", *state, "-j", "DROP")
        self._filter(space, block)
        return router

    def home(self, router: Router) -> Home:
        """A new machine on `router`'s LAN, its default route through the router."""
        index = len(router.homes) + 1
        space = self._namespace(f"home{router.number}-{index}")
        address = f"10.0.{router.number}.{index + 1}"
        space.ip("link", "set", "lo", "up")
        peer = f"h{index}"
        space.ip(*f"link add eth0 type veth peer name {peer} netns {router.namespace.name}".split())
        router.namespace.ip("link", "set", peer, "master", "lan", "up")
        space.ip("addr", "add", f"{address}/24", "dev", "eth0")
        space.ip("link", "set", "eth0", "up")
        space.ip("route", "add", "default", "via", f"10.0.{router.number}.1")
        home = Home(space, address)
        router.homes.append(home)
        return home

    def close(self) -> None:
        """End what still runs in the namespaces (only ours: their names are this run's), then
        delete every one of them."""
        for space in reversed(self.namespaces):
            pids = subprocess.run(
                ["ip", "netns", "pids", space.name], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "delete", space.name], capture_output=True, check=False)
        self.namespaces.clear()

    def _namespace(self, role: str) -> Namespace:
        space = Namespace(f"{self.tag}-{role}")
        _run(["ip", "netns", "add", space.name])
        self.namespaces.append(space)
        return space

    @staticmethod
    def _filter(space: Namespace, block: Block) -> None:
        if block is Block.NOTHING:
            return
        forward = ["iptables", "-A", "FORWARD"]
        if block is Block.UDP:
            space.run(*forward, "-p", "udp", "-j", "DROP")
            return
        space.run(*forward, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "ACCEPT")
        space.run(*forward, "-i", "lan", "-p", "tcp", "--dport", "443", "-j", "ACCEPT")
        space.run(*forward, "-j", "DROP")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
