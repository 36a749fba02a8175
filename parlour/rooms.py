"""Passphrase rooms, the first kind of space: admission by verifier, capacity, and locks.

A join is admitted when its locator's verifier names a configured room (or any, with open
rooms), the room is not locked against it and has a place. Everyone in a room is a member and
may send to every other member. Locks and their tickets are a room's alone.
"""

from __future__ import annotations

import functools
import hmac
import math
from collections.abc import Callable

from parlour import keys, protocol, tickets
from parlour.guard import JoinGuard
from parlour.protocol import ErrorCode, error
from parlour.settings import Policy, Room
from parlour.spaces import Admission, Conn, Delivery, Ice, Role, Space, SpaceKind

# How long after a lock its ticket can still put the lock back after a restart, in seconds. A
# restart finds its members on their way back within minutes; a ticket older than a day
# belongs to a call long over.
TICKET_LIFETIME = 24 * 3600


class RoomSpace(Space):
    __slots__ = ("latest", "locked_by", "relay_only", "ticket")

    def __init__(self, key: bytes, capacity: int) -> None:
        super().__init__(SpaceKind.ROOM, key, capacity)
        self.relay_only = False  # the room's config says; set at every join, as capacity is
        # A locked room admits only joins that carry its ticket. Both live here, so a room
        # that empties (and is dropped) forgets its lock with everything else.
        self.ticket: str | None = None
        self.locked_by: str | None = None
        # When the newest ticket this room has held was issued (ms), locked or since unlocked:
        # a ticket no newer cannot put a lock back, so an unlock stays an unlock.
        self.latest = 0

    def holds(self, ticket: str | None) -> bool:
        """Whether `ticket` is this lock's own ticket (False when the room is not locked)."""
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

    def tell_state(self) -> list[Delivery]:
        state = self.state()
        return [Delivery(member, state) for member in self.members.values()]


class Rooms:
    """The rules of passphrase rooms (a spaces.Kind for `join`), and their locks."""

    def __init__(
        self,
        spaces: dict[bytes, Space],
        guard: JoinGuard,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
    ) -> None:
        self._spaces = spaces  # the hub's: rooms open while they have members
        self._guard = guard
        self._clock = clock
        # Tickets carry the time they were issued, which must mean the same after a restart.
        self._wall_clock = wall_clock
        # Without secrets.ticket_key (a file from before it existed) tickets are signed with a
        # key of this process's own: locks work, but none can be put back after a restart.
        self._process_ticket_key = tickets.generate_key()

    def apply(self, policy: Policy) -> None:
        """New rooms govern the next joins; members already in stay."""
        self._rooms: dict[bytes, Room] = {room.verifier: room for room in policy.rooms}
        self._open_rooms = policy.open_rooms
        self._max_members = policy.max_members
        self._upload_kbps = policy.upload_kbps
        self._ticket_key = policy.ticket_key or self._process_ticket_key

    def admit(self, conn: Conn, message: protocol.Join) -> Admission | list[Delivery]:
        now = self._clock()
        wait = self._guard.locked(conn.address, now)
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
        space = self._room_for(key)
        if space is None:
            delay = self._guard.failed(conn.address, now)
            return [Delivery(conn, error(ErrorCode.NO_SUCH_ROOM, about="join"), delay)]
        # Only now, past the locator check: a locked room must not tell a guesser it exists.
        newer = None
        if space.ticket is not None and not space.holds(message.ticket):
            newer = self._newer(space, message.ticket)
            if newer is None:
                return [Delivery(conn, error(ErrorCode.ROOM_LOCKED, about="join"))]
        if len(space.members) >= space.capacity:
            return [Delivery(conn, error(ErrorCode.ROOM_FULL, about="join"))]
        restored = None if newer is None or message.ticket is None else (message.ticket, newer)
        return Admission(space, Role.MEMBER, functools.partial(self._greet, space, restored))

    def may_relay(self, sender: Conn, target: Conn) -> bool:
        return sender is not target  # in a room everyone talks to everyone

    def _greet(
        self,
        space: RoomSpace,
        restored: tuple[str, int] | None,
        conn: Conn,
        peers: list[Conn],
        ice: Ice,
    ) -> list[Delivery]:
        assert conn.peer is not None
        joined = protocol.Joined(
            id=conn.peer,
            peers=[peer.peer for peer in peers if peer.peer],
            capacity=space.capacity,
            ice_servers=ice.servers,
            upload_kbps=self._upload_kbps,
            locked=space.ticket is not None,
            ice_ttl=ice.ttl,
            relay_only=space.relay_only,
        )
        if restored is None:
            return [Delivery(conn, joined)]
        # A lock put back after a restart with an older ticket than this member holds: the
        # newest wins, and everyone in the room gets it, so that all can come back with it.
        space.take(*restored, by=None)
        return [Delivery(conn, joined), *space.tell_state()]

    def _room_for(self, key: bytes) -> RoomSpace | None:
        """The room a verifier opens, or None: unknown and wrong look the same from outside."""
        found = self._spaces.get(key)
        open_space = found if isinstance(found, RoomSpace) else None
        room = self._rooms.get(key)
        if room is not None:
            space = open_space or RoomSpace(key, room.max_members)
            space.capacity, space.relay_only = room.max_members, room.relay_only
            return space
        if key and self._open_rooms:
            return open_space or RoomSpace(key, self._max_members)
        return None

    def _newer(self, space: RoomSpace, ticket: str | None) -> int | None:
        """When `ticket` was issued, if it may lock `space` now; else None.

        It may when this server made it for this room, no longer ago than TICKET_LIFETIME, and
        later than every ticket the room has held: an unlocked ticket stays void, and of two
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

    def lock(self, conn: Conn) -> list[Delivery]:
        """Lock the sender's room with a ticket made now, and tell every member."""
        space = conn.space
        if not isinstance(space, RoomSpace) or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="lock"))]
        if space.ticket is not None:
            # Already so (two members pressed at once): only the sender hears how things stand,
            # and the lock keeps the ticket the members already hold.
            return [Delivery(conn, space.state())]
        # Later than any ticket the room has held, even if the wall clock stepped back.
        issued = max(self._now_ms(), space.latest + 1)
        space.take(tickets.mint(self._ticket_key, space.key, issued), issued, by=conn.peer)
        return space.tell_state()

    def restore(self, conn: Conn, ticket: str) -> list[Delivery]:
        """Put back a lock the server forgot, with a ticket it made for this room."""
        space = conn.space
        if not isinstance(space, RoomSpace) or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="lock"))]
        if space.holds(ticket):
            return [Delivery(conn, space.state())]
        issued = self._newer(space, ticket)
        if issued is None:
            return [Delivery(conn, error(ErrorCode.INVALID_TICKET, about="lock"))]
        space.take(ticket, issued, by=conn.peer)
        return space.tell_state()

    def unlock(self, conn: Conn) -> list[Delivery]:
        space = conn.space
        if not isinstance(space, RoomSpace) or conn.peer is None:
            return [Delivery(conn, error(ErrorCode.NOT_JOINED, about="unlock"))]
        if space.ticket is None:
            return [Delivery(conn, space.state())]
        space.ticket, space.locked_by = None, conn.peer  # `latest` keeps the void ticket void
        return space.tell_state()
