"""The signalling core, without I/O: rooms, membership, and relaying sealed envelopes.

`Hub` takes a connection and a frame and answers with the deliveries to make; the web layer
only moves bytes. Tests replay whole conversations through it with no sockets and a fake clock.

A `Space` is anything people meet in. Passphrase rooms are the first kind; the front door
(a host answering a visitor) becomes a second kind of space in this same hub.
"""

from __future__ import annotations

import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from parlour import keys, protocol, tickets
from parlour.guard import JoinGuard, MessageBudget, Spend, address_key
from parlour.protocol import CloseCode, ErrorCode, error
from parlour.settings import Room, Settings

MESSAGE_RATE = 50.0
MESSAGE_BURST = 200.0
# Frames a connection may have dropped for the rate, earned back at MESSAGE_RATE a second. A
# page sends a few dozen messages a second and is never dropped at all; a client past this
# sends flat out, and every frame it sends, read only to be dropped, delays everyone else.
MESSAGE_DROPS = 100.0
# Open connections one address (an IPv6 /64) may hold. A family behind one NAT with a few tabs
# each stays far below; one hostile host cannot take the file descriptors everyone else needs.
MAX_CONNECTIONS_PER_ADDRESS = 32
# How long after a lock its ticket can still put the lock back after a restart, in seconds. A
# restart finds its members on their way back within minutes; a ticket older than a day
# belongs to a call long over.
TICKET_LIFETIME = 24 * 3600


class SpaceKind(StrEnum):
    ROOM = "room"


class Conn:
    """One client connection, as the core sees it."""

    __slots__ = ("address", "budget", "network", "peer", "space", "warned")

    def __init__(self, address: str, now: float) -> None:
        self.address = address
        # The key this connection is counted under while it holds a slot; None when it holds none.
        self.network: str | None = None
        self.budget = MessageBudget(MESSAGE_RATE, MESSAGE_BURST, MESSAGE_DROPS, now)
        self.peer: str | None = None
        self.space: Space | None = None
        self.warned = False  # one rate-limited error per exhaustion, not one per dropped frame

    def __repr__(self) -> str:
        return f"<Conn {self.peer or '-'} from {self.address}>"


class Space:
    __slots__ = ("capacity", "key", "kind", "latest", "locked_by", "members", "ticket")

    def __init__(self, kind: SpaceKind, key: bytes, capacity: int) -> None:
        self.kind = kind
        self.key = key
        self.capacity = capacity
        self.members: dict[str, Conn] = {}
        # A locked space admits only joins that carry its ticket. Both live here, so a space
        # that empties (and is dropped) forgets its lock with everything else.
        self.ticket: str | None = None
        self.locked_by: str | None = None
        # When the newest ticket this space has held was issued (ms), locked or since unlocked:
        # a ticket no newer cannot put a lock back, so an unlock stays an unlock.
        self.latest = 0

    def holds(self, ticket: str | None) -> bool:
        """Whether `ticket` is this lock's own ticket (False when the space is not locked)."""
        if self.ticket is None or ticket is None:
            return False
        return hmac.compare_digest(ticket.encode(), self.ticket.encode())

    def take(self, ticket: str, issued: int, by: str | None) -> None:
        self.ticket, self.latest = ticket, max(self.latest, issued)
        if by is not None:
            self.locked_by = by

    def state(self) -> protocol.RoomState:
        locked = self.ticket is not None
        return protocol.RoomState(locked=locked, by=self.locked_by, ticket=self.ticket)


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


class Hub:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._clock = clock
        # Tickets carry the time they were issued, which must mean the same after a restart.
        self._wall_clock = wall_clock
        self._new_id = new_id
        # Without secrets.ticket_key (a file from before it existed) tickets are signed with a
        # key of this process's own: locks work, but none can be put back after a restart.
        self._process_ticket_key = tickets.generate_key()
        self.guard = JoinGuard()
        self.spaces: dict[bytes, Space] = {}
        self._peer_ids: set[str] = set()
        self.connections = 0
        # Open connections per address_key(); an entry goes when its count reaches zero, so the
        # table is never larger than the number of open connections.
        self.per_address: dict[str, int] = {}
        self.apply(settings)

    def apply(self, settings: Settings) -> None:
        """Take new settings (a reload). Members stay; the new rooms govern the next joins."""
        self.settings = settings
        self._rooms: dict[bytes, Room] = {room.verifier: room for room in settings.rooms}
        self._welcome = protocol.Welcome(
            protocol=protocol.PROTOCOL_VERSION,
            salt=keys.b64url(settings.salt),
            iterations=keys.KDF_ITERATIONS,
            max_frame=protocol.MAX_FRAME,
        )
        stun = list(settings.stun_servers)
        self._ice_servers = [protocol.IceServer(urls=stun)] if stun else []
        self._ticket_key = settings.ticket_key or self._process_ticket_key

    def connect(self, address: str) -> tuple[Conn, list[Delivery]]:
        """A new connection: welcomed, or refused and closed when its address holds too many.

        Either way the web layer calls disconnect() for it when its socket is gone.
        """
        conn = Conn(address, self._clock())
        self.connections += 1
        network = address_key(address)
        held = self.per_address.get(network, 0)
        if held >= MAX_CONNECTIONS_PER_ADDRESS:
            # A refused connection takes no slot: the web layer closes it right after this answer,
            # so that the count is of connections admitted, never above the limit.
            refusal = error(ErrorCode.TOO_MANY_CONNECTIONS)
            return conn, [Delivery(conn, refusal, close=CloseCode.TRY_AGAIN_LATER)]
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
                return self._join(conn, message)
            case protocol.Leave():
                return self._leave(conn, protocol.Left())
            case protocol.Ping(id=ping_id):
                return [Delivery(conn, protocol.Pong(id=ping_id))]
            case protocol.Lock(ticket=ticket):
                return self._lock(conn) if ticket is None else self._restore(conn, ticket)
            case protocol.Unlock():
                return self._unlock(conn)

    def disconnect(self, conn: Conn) -> list[Delivery]:
        self.connections -= 1
        self._release(conn)
        return self._leave(conn, None)

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

    def _join(self, conn: Conn, message: protocol.Join) -> list[Delivery]:
        if conn.space is not None:
            return [Delivery(conn, error(ErrorCode.ALREADY_JOINED, about="join"))]
        now = self._clock()
        wait = self.guard.locked(conn.address, now)
        if wait:
            detail = f"Try again in {math.ceil(wait / 60)} minutes."  # 900 s is 15, not 16
            refusal = error(
                ErrorCode.LOCKED_OUT, about="join", detail=detail, retry_after=math.ceil(wait)
            )
            return [Delivery(conn, refusal)]
        try:
            key = keys.verifier(keys.unb64url(message.room))
        except ValueError:
            key = b""
        space = self._space_for(key)
        if space is None:
            delay = self.guard.failed(conn.address, now)
            return [Delivery(conn, error(ErrorCode.NO_SUCH_ROOM, about="join"), delay)]
        # Only now, past the locator check: a locked room must not tell a guesser it exists.
        newer = None
        if space.ticket is not None and not space.holds(message.ticket):
            newer = self._newer(space, message.ticket)
            if newer is None:
                return [Delivery(conn, error(ErrorCode.ROOM_LOCKED, about="join"))]
        if len(space.members) >= space.capacity:
            return [Delivery(conn, error(ErrorCode.ROOM_FULL, about="join"))]
        peer = self._fresh_id()
        others = list(space.members.values())
        space.members[peer] = conn
        self.spaces[key] = space
        conn.peer, conn.space = peer, space
        announce = protocol.PeerJoined(peer=peer)
        joined = protocol.Joined(
            id=peer,
            peers=[o.peer for o in others if o.peer],
            capacity=space.capacity,
            ice_servers=self._ice_servers,
            upload_kbps=self.settings.upload_kbps,
            locked=space.ticket is not None,
        )
        out = [Delivery(conn, joined), *(Delivery(o, announce) for o in others)]
        if newer is not None and message.ticket is not None:
            # A lock put back after a restart with an older ticket than this member holds: the
            # newest wins, and everyone in the room gets it, so that all can come back with it.
            space.take(message.ticket, newer, by=None)
            state = space.state()
            out += [Delivery(member, state) for member in space.members.values()]
        return out

    def _space_for(self, key: bytes) -> Space | None:
        """The space a verifier opens, or None: unknown and wrong look the same from outside."""
        room = self._rooms.get(key)
        if room is not None:
            space = self.spaces.get(key) or Space(SpaceKind.ROOM, key, room.max_members)
            space.capacity = room.max_members
            return space
        if key and self.settings.open_rooms:
            return self.spaces.get(key) or Space(SpaceKind.ROOM, key, self.settings.max_members)
        return None

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
        del space.members[peer]
        self._peer_ids.discard(peer)
        if not space.members:
            del self.spaces[space.key]
        conn.space = conn.peer = None
        gone = protocol.PeerLeft(peer=peer)
        out = [Delivery(other, gone) for other in space.members.values()]
        if reply is not None:
            out.append(Delivery(conn, reply))
        return out

    def _newer(self, space: Space, ticket: str | None) -> int | None:
        """When `ticket` was issued, if it may lock `space` now; else None.

        It may when this server made it for this room, no longer ago than TICKET_LIFETIME, and
        later than every ticket the space has held: an unlocked ticket stays void, and of two
        genuine tickets the newer wins.
        """
        if ticket is None:
            return None
        issued = tickets.issued(self._ticket_key, space.key, ticket)
        if issued is None or issued <= space.latest:
            return None
        if self._now_ms() - issued > TICKET_LIFETIME * 1000:
            return None
        return issued

    def _now_ms(self) -> int:
        return int(self._wall_clock() * 1000)

    def _lock(self, conn: Conn) -> list[Delivery]:
        """Lock the sender's room with a ticket made now, and tell every member."""
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="lock"))]
        if space.ticket is not None:
            # Already so (two members pressed at once): only the sender hears how things stand,
            # and the lock keeps the ticket the members already hold.
            return [Delivery(conn, space.state())]
        # Later than any ticket the space has held, even if the wall clock stepped back.
        issued = max(self._now_ms(), space.latest + 1)
        space.take(tickets.mint(self._ticket_key, space.key, issued), issued, by=conn.peer)
        return self._tell_state(space)

    def _restore(self, conn: Conn, ticket: str) -> list[Delivery]:
        """Put back a lock the server forgot, with a ticket it made for this room."""
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="lock"))]
        if space.holds(ticket):
            return [Delivery(conn, space.state())]
        issued = self._newer(space, ticket)
        if issued is None:
            return [Delivery(conn, error(ErrorCode.INVALID_TICKET, about="lock"))]
        space.take(ticket, issued, by=conn.peer)
        return self._tell_state(space)

    def _unlock(self, conn: Conn) -> list[Delivery]:
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="unlock"))]
        if space.ticket is None:
            return [Delivery(conn, space.state())]
        space.ticket, space.locked_by = None, conn.peer  # `latest` keeps the void ticket void
        return self._tell_state(space)

    def _tell_state(self, space: Space) -> list[Delivery]:
        state = space.state()
        return [Delivery(member, state) for member in space.members.values()]

    def _relay(self, conn: Conn, message: protocol.Signal) -> list[Delivery]:
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="signal"))]
        target = space.members.get(message.to)
        if target is None or target is conn:
            return [Delivery(conn, error(ErrorCode.NO_SUCH_PEER, about="signal"))]
        relayed = protocol.Relayed(sender=conn.peer, seq=message.seq, iv=message.iv, ct=message.ct)
        return [Delivery(target, relayed)]
