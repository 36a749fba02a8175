"""The signalling core, without I/O: connections, spaces and relaying sealed envelopes.

`Hub` takes a connection and a frame and answers with the deliveries to make; the web layer
only moves bytes. Tests replay whole conversations through it with no sockets and a fake clock.

What is the same in every kind of space lives here: the message budget, the connection limit,
peer ids, membership, and passing envelopes on. What differs (whom a space admits, and who may
send to whom) is its kind's (parlour/spaces.py `Kind`); rooms are in parlour/rooms.py, the
front door in parlour/door.py.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from parlour import keys, protocol
from parlour.audit import AuditLog, Event
from parlour.door import CountryOf, DescribeAgent, FrontDoor, Recorder
from parlour.guard import JoinGuard, MessageBudget, Spend, address_key
from parlour.ice import TurnServers
from parlour.protocol import CloseCode, ErrorCode, error
from parlour.rooms import Rooms
from parlour.settings import Policy
from parlour.spaces import Admission, Conn, Delivery, Ice, Kind, Role, Space, SpaceKind

MESSAGE_RATE = 50.0
MESSAGE_BURST = 200.0
# Frames a connection may have dropped for the rate, earned back at MESSAGE_RATE a second. A
# page sends a few dozen messages a second and is never dropped at all; a client past this
# sends flat out, and every frame it sends, read only to be dropped, delays everyone else.
MESSAGE_DROPS = 100.0
# Open connections one address (an IPv6 /64) may hold. A family behind one NAT with a few tabs
# each stays far below; one hostile host cannot take the file descriptors everyone else needs.
MAX_CONNECTIONS_PER_ADDRESS = 32

IceProvider = Callable[[Conn], list[protocol.IceServer]]
"""The ICE servers a connection is given, asked at each join: credentials that expire (TURN)
are made then, for that connection."""


def no_ice_servers(_conn: Conn) -> list[protocol.IceServer]:
    return []


def no_country(_address: str) -> str | None:
    return None


def agent_as_is(agent: str | None) -> str:
    return (agent or "")[:80]


class Hub:
    def __init__(
        self,
        policy: Policy,
        *,
        ice: IceProvider = no_ice_servers,
        turn: TurnServers | None = None,
        audit: Recorder | None = None,
        country_of: CountryOf = no_country,
        describe_agent: DescribeAgent = agent_as_is,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._clock = clock
        self._new_id = new_id
        self._ice = ice
        self._turn = turn or TurnServers()
        self.guard = JoinGuard()
        self.spaces: dict[bytes, Space] = {}
        self.rooms = Rooms(self.spaces, self.guard, clock, wall_clock)
        self.door = FrontDoor(
            self.guard,
            audit or AuditLog(None, retention_days=1, max_rows=10_000),
            country_of=country_of,
            describe_agent=describe_agent,
            clock=clock,
            wall_clock=wall_clock,
            new_id=new_id,
        )
        self._kinds: dict[SpaceKind, Kind] = {SpaceKind.ROOM: self.rooms, SpaceKind.DOOR: self.door}
        self._peer_ids: set[str] = set()
        self.connections = 0
        # Open connections per address_key(); an entry goes when its count reaches zero, so the
        # table is never larger than the number of open connections.
        self.per_address: dict[str, int] = {}
        self.apply(policy)

    def apply(self, policy: Policy) -> None:
        """Take a new policy (a reload). Members stay; the new rooms govern the next joins."""
        self.policy = policy
        self.rooms.apply(policy)
        self.door.apply(policy)
        self._welcome = protocol.Welcome(
            protocol=protocol.PROTOCOL_VERSION,
            salt=keys.b64url(policy.salt),
            iterations=keys.KDF_ITERATIONS,
            max_frame=protocol.MAX_FRAME,
        )

    def connect(self, address: str, agent: str | None = None) -> tuple[Conn, list[Delivery]]:
        """A new connection: welcomed, or refused and closed when its address holds too many.

        Either way the web layer calls disconnect() for it when its socket is gone. `agent` is
        its User-Agent header, which a host sees when it knocks.
        """
        budget = MessageBudget(MESSAGE_RATE, MESSAGE_BURST, MESSAGE_DROPS, self._clock())
        conn = Conn(address, budget, agent)
        self.connections += 1
        network = address_key(address)
        held = self.per_address.get(network, 0)
        if held >= MAX_CONNECTIONS_PER_ADDRESS:
            # A refused connection takes no slot: the web layer closes it right after this answer,
            # so that the count is of connections admitted, never above the limit.
            refusal = error(ErrorCode.TOO_MANY_CONNECTIONS)
            noted = self.note(Event.CONNECTION_LIMIT, address, f"a connection beyond {held}")
            return conn, [Delivery(conn, refusal, close=CloseCode.TRY_AGAIN_LATER), *noted]
        self.per_address[network] = held + 1
        conn.network = network
        return conn, [Delivery(conn, self._welcome)]

    def receive(self, conn: Conn, frame: bytes | str, *, text: bool = True) -> list[Delivery]:
        """One frame from a client: rate-limit, decode, act. Binary frames are refused."""
        refused = self._spend(conn)
        if refused is not None:
            return refused
        if not text:
            detail = "Binary frames are not used; send JSON in a text frame."
            return [Delivery(conn, error(ErrorCode.NOT_JSON, detail=detail))]
        message = protocol.decode_client(frame)
        if isinstance(message, protocol.Error):
            return [Delivery(conn, message)]
        return self.handle(conn, message)

    def control(self, conn: Conn) -> tuple[bool, list[Delivery]]:
        """A WebSocket ping or pong from a client: a frame like any other, on the same budget.

        Returns whether the web layer, which owns the socket, is to answer a ping with its
        pong, and what to deliver besides.
        """
        refused = self._spend(conn)
        if refused is not None:
            return False, refused
        return True, []

    def _spend(self, conn: Conn) -> list[Delivery] | None:
        """None for a frame within the budget; else what answers one that is not."""
        match conn.budget.spend(self._clock()):
            case Spend.ACT:
                conn.warned = False
                return None
            case Spend.DROP:
                if conn.warned:
                    return []
                conn.warned = True
                return [Delivery(conn, error(ErrorCode.RATE_LIMITED))]
            case Spend.CLOSE:
                return [Delivery(conn, None, close=CloseCode.POLICY_VIOLATION)]

    def handle(self, conn: Conn, message: protocol.ClientMessage) -> list[Delivery]:
        match message:
            case protocol.Signal():
                return self._relay(conn, message)
            case protocol.Join():
                if conn.space is not None:
                    return [Delivery(conn, error(ErrorCode.ALREADY_JOINED, about="join"))]
                if self.door.waiting(conn):
                    return [Delivery(conn, error(ErrorCode.ALREADY_WAITING, about="join"))]
                return self._join(conn, message)
            case protocol.Leave():
                cancelled = self.door.cancel(conn)
                if cancelled is not None:
                    return [*cancelled, Delivery(conn, protocol.Left())]
                return self._leave(conn, protocol.Left())
            case protocol.Ping(id=ping_id):
                return [Delivery(conn, protocol.Pong(id=ping_id))]
            case protocol.Lock(ticket=ticket):
                if ticket is None:
                    return self.rooms.lock(conn)
                return self.rooms.restore(conn, ticket)
            case protocol.Unlock():
                return self.rooms.unlock(conn)
            case protocol.Refresh():
                if conn.space is None:
                    return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="refresh"))]
                ice = self._ice_for(conn)
                fresh = protocol.IceServers(ice_servers=ice.servers, ice_ttl=ice.ttl)
                return [Delivery(conn, fresh)]
            case protocol.Knock():
                return self.door.knock(conn, message, conn.agent)
            case protocol.Desk(secret=secret):
                return self.door.open_desk(conn, secret)
            case protocol.Answer(visitor=visitor):
                return self._answer(conn, visitor)
            case protocol.Decline(visitor=visitor):
                return self.door.decline(conn, visitor)
            case protocol.Dismiss(visitor=visitor):
                return self.door.dismiss(conn, visitor)

    def note(self, event: Event, address: str, what: str) -> list[Delivery]:
        """An attempt that went wrong, for the audit and the super-hosts' desks (the web layer
        notes the requests that got the 404 here)."""
        return self.door.note(event, address, what)

    def _join(self, conn: Conn, message: protocol.Join) -> list[Delivery]:
        admission = self.rooms.admit(conn, message)
        if isinstance(admission, list) and any(
            isinstance(d.message, protocol.Error) and d.message.code is ErrorCode.NO_SUCH_ROOM
            for d in admission
        ):
            # Only a failure can lock an address out, so locked now means locked by this one.
            admission += self.note(Event.WRONG_PASSPHRASE, conn.address, "a room passphrase")
            if self.guard.locked(conn.address, self._clock()):
                admission += self.note(Event.LOCKOUT, conn.address, "after wrong passphrases")
        return self._enter(conn, admission)

    def _answer(self, conn: Conn, visitor: str) -> list[Delivery]:
        """The host calls a visitor: the host into its call first if not there yet, then them."""
        found = self.door.answer(conn, visitor)
        if isinstance(found, list):
            return found
        space, visit = found
        out = []
        if conn.space is None:
            out += self._enter(conn, Admission(space, Role.HOST, self.door.greet))
        out += self.door.answered(visit)
        return out + self._enter(visit.conn, Admission(space, Role.VISITOR, self.door.greet))

    def disconnect(self, conn: Conn) -> list[Delivery]:
        self.connections -= 1
        self._release(conn)
        return self.door.disconnect(conn) + self._leave(conn, None)

    def _release(self, conn: Conn) -> None:
        """Give back the slot `conn` holds, if any; only once, however often asked."""
        network, conn.network = conn.network, None
        if network is None:
            return
        left = self.per_address[network] - 1
        if left:
            self.per_address[network] = left
        else:
            del self.per_address[network]

    def _enter(self, conn: Conn, admission: Admission | list[Delivery]) -> list[Delivery]:
        """Put an admitted connection into its space; tell it, and those who may send to it."""
        if isinstance(admission, list):
            return admission  # refused
        space, kind = admission.space, self._kinds[admission.space.kind]
        others = list(space.members.values())
        peer = self._fresh_id()
        space.members[peer] = conn
        self.spaces[space.key] = space
        conn.peer, conn.space, conn.role = peer, space, admission.role
        reply, *after = admission.greet(
            conn, [other for other in others if kind.may_relay(conn, other)], self._ice_for(conn)
        )
        announce = protocol.PeerJoined(peer=peer)
        told = [Delivery(other, announce) for other in others if kind.may_relay(other, conn)]
        return [reply, *told, *after]

    def _ice_for(self, conn: Conn) -> Ice:
        """The STUN servers and, with TURN, credentials made now for this connection."""
        relays = self._turn(conn)
        return Ice(self._ice(conn) + relays, self._turn.ttl if relays else None)

    def _fresh_id(self) -> str:
        peer = self._new_id()
        while peer in self._peer_ids:
            peer = self._new_id()
        self._peer_ids.add(peer)
        return peer

    def _leave(self, conn: Conn, reply: protocol.Left | None) -> list[Delivery]:
        space, peer = conn.space, conn.peer
        if space is None or peer is None:
            if reply is None:
                return []
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="leave"))]
        kind = self._kinds[space.kind]
        told = [other for other in space.members.values() if kind.may_relay(other, conn)]
        del space.members[peer]
        self._peer_ids.discard(peer)
        if not space.members:
            del self.spaces[space.key]
        conn.space = conn.peer = conn.role = None
        gone = protocol.PeerLeft(peer=peer)
        out = [Delivery(other, gone) for other in told]
        if reply is not None:
            out.append(Delivery(conn, reply))
        return out

    def _relay(self, conn: Conn, message: protocol.Signal) -> list[Delivery]:
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="signal"))]
        target = space.members.get(message.to)
        if target is None or not self._kinds[space.kind].may_relay(conn, target):
            return [Delivery(conn, error(ErrorCode.NO_SUCH_PEER, about="signal"))]
        relayed = protocol.Relayed(sender=conn.peer, seq=message.seq, iv=message.iv, ct=message.ct)
        return [Delivery(target, relayed)]
