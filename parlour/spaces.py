"""What the signalling core is made of: connections with a role, spaces of a kind, deliveries.

A space is anything people meet in. Each kind of space brings its own rules (a `Kind`): whom
it admits, in which role, and who may pass envelopes to whom. Passphrase rooms are the first
kind (parlour/rooms.py); the front door, where a host answers a visitor, is the second
(parlour/door.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from parlour import protocol
from parlour.guard import MessageBudget
from parlour.protocol import CloseCode


class SpaceKind(StrEnum):
    ROOM = "room"
    DOOR = "door"  # a host's call, with the visitors they answered


class Role(StrEnum):
    """What a connection is in its space."""

    MEMBER = "member"
    HOST = "host"
    VISITOR = "visitor"


class Conn:
    """One client connection, as the core sees it."""

    __slots__ = ("address", "agent", "budget", "network", "peer", "role", "space", "warned")

    def __init__(self, address: str, budget: MessageBudget, agent: str | None = None) -> None:
        self.address = address
        self.agent = agent  # the User-Agent header, for a host to see who knocks
        # The key this connection is counted under while it holds a slot; None when it holds none.
        self.network: str | None = None
        self.budget = budget
        self.peer: str | None = None
        self.space: Space | None = None
        self.role: Role | None = None  # None while in no space
        self.warned = False  # one rate-limited error per exhaustion, not one per dropped frame

    def __repr__(self) -> str:
        return f"<Conn {self.peer or '-'} from {self.address}>"


class Space:
    """Where connections meet, keyed by what opens it (for a room, its verifier)."""

    __slots__ = ("capacity", "key", "kind", "members")

    def __init__(self, kind: SpaceKind, key: bytes, capacity: int) -> None:
        self.kind = kind
        self.key = key
        self.capacity = capacity
        self.members: dict[str, Conn] = {}


@dataclass(frozen=True, slots=True)
class Delivery:
    """Send `message` to `conn`, after holding it back `delay` seconds (slowing a guesser).

    With `close`, the web layer then closes the connection with that code (see PROTOCOL.md
    "Close codes"); such a delivery may have no message.
    """

    conn: Conn
    message: protocol.ServerMessage | None
    delay: float = 0.0
    close: CloseCode | None = None


@dataclass(frozen=True, slots=True)
class Ice:
    """The ICE servers a connection is given, and how long their credentials last (seconds;
    None when none expire)."""

    servers: list[protocol.IceServer]
    ttl: int | None = None


Greeting = Callable[[Conn, list[Conn], Ice], list[Delivery]]
"""What a kind tells a newcomer once it is in: given it, the members it may talk to (oldest
first) and its ICE servers, its reply first, then what goes to everyone after the others have
heard of it."""


@dataclass(frozen=True, slots=True)
class Admission:
    """A kind's yes: `conn` goes into `space` as `role`, and `greet` answers it."""

    space: Space
    role: Role
    greet: Greeting


class Kind(Protocol):
    """The rules of one kind of space. How a kind admits is its own (a room by `join`, the
    front door by a host's `answer`); the core asks each the same question about relaying."""

    def may_relay(self, sender: Conn, target: Conn) -> bool:
        """Whether `sender` may pass an envelope to `target`, a member of the same space.

        It also says who hears of whom: a member is told of those it may send to, and a
        newcomer's arrival and departure go to those who may send to it.
        """
        ...
