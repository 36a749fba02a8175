"""The front door, the second kind of space: visitors knock, hosts answer from their desks.

A visitor's `knock` is always answered `waiting`, whoever they are: whether the name is on a
list, whether the host they typed exists, whether their country may knock, whether they knock
too often, is never said to them. Only the host's desk shows them (or not), and the audit
records what went wrong. When a host answers, host and visitor go into the host's call, a space
like a room where everyone may send to everyone (PROTOCOL.md "The front door").

Pure bookkeeping like the rest of the core: the audit log, the country lookup and the
User-Agent reader are injected, the clock too.
"""

from __future__ import annotations

import hmac
import secrets
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Protocol

from parlour import keys, names, protocol
from parlour.audit import Entry, Event
from parlour.guard import JoinGuard, TokenBucket, address_key, parse_address
from parlour.protocol import ErrorCode, GoneReason, error
from parlour.settings import Host, Policy
from parlour.spaces import Admission, Conn, Delivery, Ice, Role, Space, SpaceKind

# Knocks one address (an IPv6 /64) may make: a person who cancels and asks again a few times
# stays within it; a script gets `waiting` for every knock and is shown to nobody.
KNOCK_RATE: Final = 5 / 60
KNOCK_BURST: Final = 5.0
KNOCKERS: Final = 10_000  # addresses whose knock budget is remembered, least recent dropped
MAX_WAITING: Final = 50  # visitors one host's list holds; a new knock drops the oldest
AUDIT_SHOWN: Final = 200  # audit entries a super-host's desk opens with


class Recorder(Protocol):
    """What the door needs of the audit (parlour/audit.py's AuditLog)."""

    def record(self, event: Event, address: str, country: str | None, what: str) -> Entry | None:
        """Keep the entry; None when flood bounds left it out."""
        ...

    def recent(self, limit: int = AUDIT_SHOWN) -> list[Entry]: ...


CountryOf = Callable[[str], str | None]
"""ISO 3166-1 alpha-2 code of an address, or None (no database, or a private address)."""
DescribeAgent = Callable[[str | None], str]
"""A User-Agent header as a browser and device in words."""


class Visit:
    """One knock, from when it is made until it is answered, declined or cancelled."""

    __slots__ = ("agent", "conn", "country", "expected", "host", "id", "name", "since", "to")

    def __init__(
        self,
        visit_id: str,
        conn: Conn,
        host: str | None,
        name: str,
        to: str,
        country: str | None,
        since: int,
    ) -> None:
        self.id = visit_id
        self.conn = conn
        # The host whose desk shows this visit; None for one nobody sees (unknown host, refused
        # country, too many knocks, an unexpected name a host does not show or dismissed).
        self.host = host
        self.name = name
        self.to = to
        self.country = country
        self.since = since  # Unix ms
        self.expected = False
        self.agent = ""

    def shown(self) -> protocol.Visitor:
        return protocol.Visitor(
            id=self.id,
            name=self.name,
            to=self.to,
            address=self.conn.address,
            country=self.country,
            agent=self.agent,
            since=self.since,
            expected=self.expected,
        )


class CallSpace(Space):
    """A host's call: the host, and the visitors they answered."""

    __slots__ = ("host", "relay_only")

    def __init__(self, host: str, capacity: int, relay_only: bool) -> None:
        super().__init__(SpaceKind.DOOR, secrets.token_bytes(16), capacity)
        self.host = host
        self.relay_only = relay_only


def _entry(entry: Entry) -> protocol.AuditEntry:
    return protocol.AuditEntry(
        at=int(entry.at * 1000),
        event=str(entry.event),
        address=entry.address,
        country=entry.country,
        what=entry.what,
    )


class FrontDoor:
    """Visitors waiting, hosts' desks, and the audit's way to the super-hosts' desks."""

    def __init__(
        self,
        guard: JoinGuard,
        audit: Recorder,
        *,
        country_of: CountryOf,
        describe_agent: DescribeAgent,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        new_id: Callable[[], str],
    ) -> None:
        self._guard = guard
        self.audit = audit
        self._country_of = country_of
        self._describe = describe_agent
        self._clock = clock
        self._wall_clock = wall_clock
        self._new_id = new_id
        self._visits: dict[str, Visit] = {}  # by visit id; also those nobody sees
        self._by_conn: dict[Conn, Visit] = {}
        # Each host's list, oldest first (the desk shows it newest first).
        self._waiting: dict[str, OrderedDict[str, Visit]] = {}
        # Desk connection -> the host's name and the verifier of the secret it opened with.
        self._desks: dict[Conn, tuple[str, bytes]] = {}
        self._knocks: OrderedDict[str, TokenBucket] = OrderedDict()

    def apply(self, policy: Policy) -> None:
        """New hosts govern the next knocks; visitors already waiting stay where they are."""
        self._hosts = {host.name: host for host in policy.hosts}
        self._by_verifier = {host.verifier: host for host in policy.hosts}
        self._by_contact = {contact: host for host in policy.hosts for contact in host.contacts}
        self._countries = policy.countries
        self._capacity = policy.max_members
        # A desk opened with a secret the file no longer holds (the host's page was given a new
        # address, because the old one leaked, or the host is gone) hears nothing more.
        verifiers = {host.name: host.verifier for host in policy.hosts}
        self._desks = {
            conn: (name, verifier)
            for conn, (name, verifier) in self._desks.items()
            if verifiers.get(name) == verifier
        }
        self._upload_kbps = policy.upload_kbps

    # The visitor's side

    def knock(self, conn: Conn, message: protocol.Knock, agent: str | None) -> list[Delivery]:
        if conn in self._by_conn:
            return [Delivery(conn, error(ErrorCode.ALREADY_WAITING, about="knock"))]
        if conn.space is not None:
            return [Delivery(conn, error(ErrorCode.ALREADY_JOINED, about="knock"))]
        name, to = names.clean(message.name), names.clean(message.to)
        country = self._country_of(conn.address)
        visit = Visit(
            self._fresh_id(), conn, None, name, to, country, int(self._wall_clock() * 1000)
        )
        self._visits[visit.id] = visit
        self._by_conn[conn] = visit
        # The same answer, first and at once, whatever follows: see the module's docstring.
        out = [Delivery(conn, protocol.Waiting())]
        tried = f"{name} to {to}" if to else name
        host = self._host_for(to)
        if not self._may_knock(conn.address):
            return out + self.note(Event.KNOCK_LIMIT, conn.address, tried, country)
        if not self._country_allowed(conn.address, country):
            return out + self.note(Event.COUNTRY, conn.address, tried, country)
        if host is None:
            return out + self.note(Event.UNKNOWN_HOST, conn.address, tried, country)
        visit.expected = names.fold(name) in host.permitted
        if not visit.expected:
            out += self.note(Event.UNEXPECTED_NAME, conn.address, tried, country)
            if host.only_permitted:
                return out
        visit.host = host.name
        visit.agent = self._describe(agent)
        waiting = self._waiting.setdefault(host.name, OrderedDict())
        while len(waiting) >= MAX_WAITING:
            # The oldest unexpected knock goes first: a flood of strangers does not push out
            # the grandchild who knocked before it.
            oldest = next((v for v in waiting.values() if not v.expected), None)
            oldest = oldest or next(iter(waiting.values()))
            del waiting[oldest.id]
            oldest.host = None  # still waiting, as far as they know; seen by nobody
            out += self._tell_desks(host.name, protocol.VisitorGone(oldest.id, GoneReason.DROPPED))
            what = f"{oldest.name} dropped from {host.name}'s full list"
            out += self.note(Event.LIST_FULL, oldest.conn.address, what, oldest.country)
        waiting[visit.id] = visit
        return out + self._tell_desks(host.name, protocol.VisitorArrived(visit.shown()))

    def cancel(self, conn: Conn) -> list[Delivery] | None:
        """A waiting visitor leaves (or its connection goes); None when it was not waiting."""
        visit = self._by_conn.get(conn)
        if visit is None:
            return None
        return self._drop(visit, GoneReason.CANCELLED)

    def waiting(self, conn: Conn) -> bool:
        return conn in self._by_conn

    # The host's side

    def host_page(self, secret: str) -> bool:
        """Whether `secret` is the last segment of a host's page (web.py serves it then)."""
        return self._host_of(secret) is not None

    def open_desk(self, conn: Conn, secret: str) -> list[Delivery]:
        now = self._clock()
        wait = self._guard.locked(conn.address, now)
        if wait:
            refusal = error(ErrorCode.LOCKED_OUT, about="desk", retry_after=max(1, round(wait)))
            return [Delivery(conn, refusal)]
        host = self._host_of(secret)
        if host is None:
            delay = self._guard.failed(conn.address, now)
            out = [Delivery(conn, error(ErrorCode.NOT_A_HOST, about="desk"), delay)]
            out += self.note(Event.BAD_HOST_SECRET, conn.address, "a host page's secret")
            if self._guard.locked(conn.address, now):
                out += self.note(Event.LOCKOUT, conn.address, "after wrong host page secrets")
            return out
        self._desks[conn] = (host.name, host.verifier)
        waiting = self._waiting.get(host.name)
        visitors = [visit.shown() for visit in reversed(waiting.values())] if waiting else []
        audit = [_entry(entry) for entry in self.audit.recent(AUDIT_SHOWN)] if host.super else []
        opened = protocol.DeskOpened(
            host=host.name, super=host.super, visitors=visitors, audit=audit
        )
        return [Delivery(conn, opened)]

    def answer(self, conn: Conn, visitor: str) -> tuple[CallSpace, Visit] | list[Delivery]:
        """The call a host answers `visitor` into, and the visit; or the refusal."""
        found = self._desk_visit(conn, visitor, "answer")
        if isinstance(found, list):
            return found
        host, visit = found
        if not visit.expected:
            return [Delivery(conn, error(ErrorCode.NOT_EXPECTED, about="answer"))]
        space = conn.space
        if space is None:
            space = CallSpace(host.name, self._capacity, host.relay_only)
        elif not isinstance(space, CallSpace):
            return [Delivery(conn, error(ErrorCode.ALREADY_JOINED, about="answer"))]
        if len(space.members) + (conn.space is None) >= space.capacity:
            return [Delivery(conn, error(ErrorCode.ROOM_FULL, about="answer"))]
        return space, visit

    def answered(self, visit: Visit) -> list[Delivery]:
        """The visit is over: its visitor is in the call now."""
        return self._drop(visit, GoneReason.ANSWERED)

    def decline(self, conn: Conn, visitor: str) -> list[Delivery]:
        found = self._desk_visit(conn, visitor, "decline")
        if isinstance(found, list):
            return found
        _, visit = found
        return [Delivery(visit.conn, protocol.Declined()), *self._drop(visit, GoneReason.DECLINED)]

    def dismiss(self, conn: Conn, visitor: str) -> list[Delivery]:
        found = self._desk_visit(conn, visitor, "dismiss")
        if isinstance(found, list):
            return found
        host, visit = found
        if visit.expected:
            return self.decline(conn, visitor)
        # Off the list, told nothing: they wait on, as every unwelcome visitor does.
        waiting = self._waiting.get(host.name)
        if waiting is not None:
            waiting.pop(visit.id, None)
        visit.host = None
        return self._tell_desks(host.name, protocol.VisitorGone(visit.id, GoneReason.DISMISSED))

    def greet(self, conn: Conn, peers: list[Conn], ice: Ice) -> list[Delivery]:
        """`joined` for whoever goes into a host's call (spaces.Greeting)."""
        space = conn.space
        assert isinstance(space, CallSpace)
        assert conn.peer is not None
        joined = protocol.Joined(
            id=conn.peer,
            peers=[peer.peer for peer in peers if peer.peer],
            capacity=space.capacity,
            ice_servers=ice.servers,
            upload_kbps=self._upload_kbps,
            locked=False,
            ice_ttl=ice.ttl,
            relay_only=space.relay_only,
        )
        return [Delivery(conn, joined)]

    def admission(self, role: Role, space: CallSpace) -> Admission:
        return Admission(space, role, self.greet)

    def may_relay(self, sender: Conn, target: Conn) -> bool:
        return sender is not target  # everyone the host let in talks to everyone

    # Both

    def disconnect(self, conn: Conn) -> list[Delivery]:
        self._desks.pop(conn, None)
        return self.cancel(conn) or []

    def note(
        self, event: Event, address: str, what: str, country: str | None = None
    ) -> list[Delivery]:
        """Record an attempt that went wrong, and show it to the super-hosts' open desks."""
        if country is None:
            country = self._country_of(address)
        entry = self.audit.record(event, address, country, what)
        if entry is None:
            return []
        supers = {host.name for host in self._hosts.values() if host.super}
        if not supers:
            return []
        shown = protocol.Audited(_entry(entry))
        return [Delivery(desk, shown) for desk, (name, _) in self._desks.items() if name in supers]

    # Inside

    def _host_for(self, to: str) -> Host | None:
        """Whom a visitor asks for: the one host when there is one and they typed nothing."""
        if not to and len(self._hosts) == 1:
            return next(iter(self._hosts.values()))
        return self._by_contact.get(names.fold(to)) if to else None

    def _host_of(self, secret: str) -> Host | None:
        try:
            verifier = keys.verifier(keys.unb64url(secret))
        except ValueError:
            return None
        # A dict lookup by the hash is no timing oracle for the secret; this compares again
        # only so that the match is explicit.
        host = self._by_verifier.get(verifier)
        if host is None or not hmac.compare_digest(host.verifier, verifier):
            return None
        return host

    def _may_knock(self, address: str) -> bool:
        key = address_key(address)
        now = self._clock()
        bucket = self._knocks.get(key)
        if bucket is None:
            bucket = TokenBucket(KNOCK_RATE, KNOCK_BURST, now)
            if len(self._knocks) >= KNOCKERS:
                self._knocks.popitem(last=False)
        self._knocks[key] = bucket
        self._knocks.move_to_end(key)
        return bucket.take(now)

    def _country_allowed(self, address: str, country: str | None) -> bool:
        if not self._countries:
            return True
        if country is not None:
            return country in self._countries
        # No country: a private or local address (family on the same network) may knock; a
        # public one the database does not know may not.
        parsed = parse_address(address)
        return parsed is not None and not parsed.is_global

    def _desk_visit(
        self, conn: Conn, visitor: str, about: str
    ) -> tuple[Host, Visit] | list[Delivery]:
        opened = self._desks.get(conn)
        host = self._hosts.get(opened[0]) if opened is not None else None
        if host is None:
            return [Delivery(conn, error(ErrorCode.NOT_A_HOST, about=about))]
        waiting = self._waiting.get(host.name)
        visit = waiting.get(visitor) if waiting is not None else None
        if visit is None:
            return [Delivery(conn, error(ErrorCode.NO_SUCH_VISITOR, about=about))]
        return host, visit

    def _drop(self, visit: Visit, reason: GoneReason) -> list[Delivery]:
        del self._visits[visit.id]
        del self._by_conn[visit.conn]
        if visit.host is None:
            return []
        waiting = self._waiting.get(visit.host)
        if waiting is not None:
            waiting.pop(visit.id, None)
            if not waiting:
                del self._waiting[visit.host]
        return self._tell_desks(visit.host, protocol.VisitorGone(visit.id, reason))

    def _tell_desks(self, host: str, message: protocol.ServerMessage) -> list[Delivery]:
        return [Delivery(desk, message) for desk, (name, _) in self._desks.items() if name == host]

    def _fresh_id(self) -> str:
        visit_id = self._new_id()
        while visit_id in self._visits:
            visit_id = self._new_id()
        return visit_id
