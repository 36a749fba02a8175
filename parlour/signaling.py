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

from parlour import keys, protocol
from parlour.guard import JoinGuard, TokenBucket, address_key
from parlour.protocol import ErrorCode, error
from parlour.settings import Room, Settings

MESSAGE_RATE = 50.0
MESSAGE_BURST = 200.0
# Open connections one address (an IPv6 /64) may hold. A family behind one NAT with a few tabs
# each stays far below; one hostile host cannot take the file descriptors everyone else needs.
MAX_CONNECTIONS_PER_ADDRESS = 32


class SpaceKind(StrEnum):
    ROOM = "room"


class Conn:
    """One client connection, as the core sees it."""

    __slots__ = ("address", "bucket", "network", "peer", "space", "warned")

    def __init__(self, address: str, now: float) -> None:
        self.address = address
        # The key this connection is counted under while it holds a slot; None when it holds none.
        self.network: str | None = None
        self.bucket = TokenBucket(MESSAGE_RATE, MESSAGE_BURST, now)
        self.peer: str | None = None
        self.space: Space | None = None
        self.warned = False  # one rate-limited error per exhaustion, not one per dropped frame

    def __repr__(self) -> str:
        return f"<Conn {self.peer or '-'} from {self.address}>"


class Space:
    __slots__ = ("capacity", "key", "kind", "locked_by", "members", "ticket")

    def __init__(self, kind: SpaceKind, key: bytes, capacity: int) -> None:
        self.kind = kind
        self.key = key
        self.capacity = capacity
        self.members: dict[str, Conn] = {}
        # A locked space admits only joins that carry its ticket. Both live here, so a space
        # that empties (and is dropped) forgets its lock with everything else.
        self.ticket: str | None = None
        self.locked_by: str | None = None

    def admits(self, ticket: str | None) -> bool:
        if self.ticket is None:
            return True
        return ticket is not None and hmac.compare_digest(ticket.encode(), self.ticket.encode())

    def state(self) -> protocol.RoomState:
        locked = self.ticket is not None
        return protocol.RoomState(locked=locked, by=self.locked_by, ticket=self.ticket)


@dataclass(frozen=True, slots=True)
class Delivery:
    """Send `message` to `conn`, after holding it back `delay` seconds (slowing a guesser).

    With `close`, the web layer then closes the connection (see PROTOCOL.md "Close codes").
    """

    conn: Conn
    message: protocol.ServerMessage
    delay: float = 0.0
    close: bool = False


class Hub:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._clock = clock
        self._new_id = new_id
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
            return conn, [Delivery(conn, refusal, close=True)]
        self.per_address[network] = held + 1
        conn.network = network
        return conn, [Delivery(conn, self._welcome)]

    def receive(self, conn: Conn, frame: bytes | str, *, text: bool = True) -> list[Delivery]:
        """One frame from a client: rate-limit, decode, act. Binary frames are refused."""
        if not conn.bucket.take(self._clock()):
            if conn.warned:
                return []
            conn.warned = True
            return [Delivery(conn, error(ErrorCode.RATE_LIMITED))]
        conn.warned = False
        if not text:
            detail = "Binary frames are not used; send JSON in a text frame."
            return [Delivery(conn, error(ErrorCode.NOT_JSON, detail=detail))]
        message = protocol.decode_client(frame)
        if isinstance(message, protocol.Error):
            return [Delivery(conn, message)]
        return self.handle(conn, message)

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
                return self._lock(conn, "lock", ticket or secrets.token_urlsafe(16))
            case protocol.Unlock():
                return self._lock(conn, "unlock", None)

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
            return [Delivery(conn, error(ErrorCode.LOCKED_OUT, about="join", detail=detail))]
        try:
            key = keys.verifier(keys.unb64url(message.room))
        except ValueError:
            key = b""
        space = self._space_for(key)
        if space is None:
            delay = self.guard.failed(conn.address, now)
            return [Delivery(conn, error(ErrorCode.NO_SUCH_ROOM, about="join"), delay)]
        # Only now, past the locator check: a locked room must not tell a guesser it exists.
        if not space.admits(message.ticket):
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
        return [Delivery(conn, joined), *(Delivery(o, announce) for o in others)]

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

    def _lock(self, conn: Conn, about: str, ticket: str | None) -> list[Delivery]:
        """Lock (with a ticket) or unlock the sender's room, and tell every member."""
        space = conn.space
        if space is None or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about=about))]
        if (ticket is None) == (space.ticket is None):
            # Already so (two members pressed at once): only the sender hears how things stand,
            # and the lock keeps the ticket the members already hold.
            return [Delivery(conn, space.state())]
        space.ticket, space.locked_by = ticket, conn.peer
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
