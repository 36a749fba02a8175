"""Abuse limits: a message budget per connection, failed joins per address, and the key an
address is counted under.

Pure bookkeeping with an injected clock, so tests drive time instead of sleeping. Every table
here is bounded: an address flood cannot grow memory without limit.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict, deque
from enum import Enum
from typing import Final

IPV6_PREFIX: Final = 64
"""IPv6 addresses are counted by network: one household gets a whole /64 and may use any of it."""
# The networks the lockout table falls back to when it is full, narrowest first (JoinGuard).
WIDER_IPV6: Final = (48, 32)
WIDER_IPV4: Final = (24,)
UNKNOWN: Final = "unknown"
"""The one key for every client address that is not an address: never a fresh key each time."""

_PORT = re.compile(r"[0-9]{1,5}")
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> IpAddress | None:
    """An address as a socket or a proxy may write it, or None for anything else.

    Proxies write a port after an IPv4 address (198.51.100.20:40001), brackets and a port
    around an IPv6 one ([2001:db8::1]:40001), a zone (fe80::1%eth0), quotes; a dual-stack
    socket shows an IPv4 peer as ::ffff:198.51.100.20. All of them are the plain address:
    otherwise one client would count as a new one with every port it connects from.
    """
    text = text.strip().strip('"')
    if text.startswith("["):
        text, bracket, port = text[1:].partition("]")
        if not bracket or (port and not _PORT.fullmatch(port.removeprefix(":"))):
            return None
        if port and not port.startswith(":"):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not _PORT.fullmatch(port):
            return None
    text = text.partition("%")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalize_address(text: str) -> str:
    """The plain form of an address (see parse_address), or UNKNOWN."""
    address = parse_address(text)
    return UNKNOWN if address is None else str(address)


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _key(network: IpNetwork | None) -> str:
    if network is None:
        return UNKNOWN
    if network.version == 4 and network.prefixlen == 32:
        return str(network.network_address)  # an IPv4 address counts as itself
    return str(network)


def networks(address: str) -> list[IpNetwork | None]:
    """Every network `address` may be counted under, narrowest first: the address (IPv4) or its
    /64 (IPv6), then the wider ones the lockout table falls back to; [None] for a non-address.
    """
    parsed = parse_address(address)
    if parsed is None:
        return [None]
    number = int(parsed)
    # Masked by hand: ip_network(..., strict=False) costs ten times as much, on every join.
    if isinstance(parsed, ipaddress.IPv4Address):
        return [
            ipaddress.IPv4Network((number >> (32 - prefix) << (32 - prefix), prefix))
            for prefix in (32, *WIDER_IPV4)
        ]
    return [
        ipaddress.IPv6Network((number >> (128 - prefix) << (128 - prefix), prefix))
        for prefix in (IPV6_PREFIX, *WIDER_IPV6)
    ]


def address_key(address: str) -> str:
    """What a per-address limit counts `address` under: an IPv4 address, or an IPv6 /64.

    Anything that is not an IP address (the web layer passes "unknown" when it does not know)
    counts as UNKNOWN, all together.
    """
    return _key(networks(address)[0])


class TokenBucket:
    """`rate` messages a second on average, up to `burst` at once."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Spend(Enum):
    """What becomes of one frame, by the budget of the connection that sent it."""

    ACT = "act"  # within the budget: act on it
    DROP = "drop"  # over the rate: drop it, unread
    CLOSE = "close"  # dropped too often: close the connection


class MessageBudget:
    """Frames one connection may send: `rate` a second, up to `burst` at once.

    Frames beyond are dropped, but reading even a dropped frame costs the server, and a
    connection that keeps sending past its rate costs everyone sharing the event loop. So the
    drops have a budget of their own: `tolerance` at once, earned back at `rate` a second.
    Spending past that one is a flood, not a burst, and the connection is to be closed.
    """

    __slots__ = ("drops", "messages")

    def __init__(self, rate: float, burst: float, tolerance: float, now: float) -> None:
        self.messages = TokenBucket(rate, burst, now)
        self.drops = TokenBucket(rate, tolerance, now)

    def spend(self, now: float) -> Spend:
        if self.messages.take(now):
            return Spend.ACT
        if self.drops.take(now):
            return Spend.DROP
        return Spend.CLOSE


class _Record:
    __slots__ = ("failures", "locked_until", "network")

    def __init__(self, network: IpNetwork | None) -> None:
        self.network = network
        self.failures: deque[float] = deque()
        self.locked_until = 0.0


class JoinGuard:
    """Wrong passphrases from one address are first slowed, then locked out for a while.

    Addresses are counted by address_key(), so an IPv6 client cannot step around the lockout by
    moving to another address of its /64.

    The table is bounded, and pressure on it never lets anyone out of a lockout: when it is
    full, it first forgets what holds nothing (no lockout running, no failure in the window),
    then merges the records that share a wider network (an IPv4 /24, an IPv6 /48, then /32)
    into one that counts them all, then forgets failures that have not locked anyone, least
    recent first. A running lockout is never dropped: when the table holds nothing else, a
    new address's failure is not counted, but its answer is held back MAX_DELAY.

    A locator is a 256-bit value out of a slow KDF, so guessing is hopeless anyway; the guard
    is there so a flood of joins costs the flooder time and leaves a trace, not the server.
    """

    SLOW_AFTER: Final = 3
    LOCK_AFTER: Final = 10
    WINDOW: Final = 600.0
    LOCKOUT: Final = 900.0
    MAX_DELAY: Final = 4.0
    MAX_ADDRESSES: Final = 10_000

    def __init__(self) -> None:
        # Keyed by network; no record's network lies inside another's (a merge takes them all).
        self._records: OrderedDict[str, _Record] = OrderedDict()
        # When the table is all lockouts, nothing can be freed before the first one ends.
        self._full_until = 0.0

    def __len__(self) -> int:
        """How many networks the table holds a record for (never above MAX_ADDRESSES)."""
        return len(self._records)

    def _find(self, address: str) -> tuple[str, _Record] | None:
        for network in networks(address):
            key = _key(network)
            record = self._records.get(key)
            if record is not None:
                return key, record
        return None

    def locked(self, address: str, now: float) -> float:
        """Seconds until `address` may try again; 0 when it may now."""
        found = self._find(address)
        if found is None:
            return 0.0
        return max(0.0, found[1].locked_until - now)

    def failed(self, address: str, now: float) -> float:
        """Record a wrong passphrase; returns how long to hold the answer back."""
        found = self._find(address)
        if found is None and len(self._records) >= self.MAX_ADDRESSES:
            self._make_room(now)
            found = self._find(address)  # a merge may have made a record that covers it
        if found is None:
            if len(self._records) >= self.MAX_ADDRESSES:
                return self.MAX_DELAY
            network = networks(address)[0]
            found = _key(network), _Record(network)
        key, record = found
        self._records[key] = record
        self._records.move_to_end(key)  # most recently failing last, for _make_room
        self._expire(record, now)
        record.failures.append(now)
        count = len(record.failures)
        if count >= self.LOCK_AFTER:
            record.locked_until = now + self.LOCKOUT
            record.failures.clear()
        if count <= self.SLOW_AFTER:
            return 0.0
        return min(self.MAX_DELAY, 0.25 * (1 << (count - self.SLOW_AFTER - 1)))

    def _expire(self, record: _Record, now: float) -> None:
        while record.failures and record.failures[0] <= now - self.WINDOW:
            record.failures.popleft()

    def _make_room(self, now: float) -> None:
        """Shrink a full table to three quarters, never dropping a running lockout."""
        if now < self._full_until:
            return
        target = self.MAX_ADDRESSES * 3 // 4
        for key, record in list(self._records.items()):
            self._expire(record, now)
            if record.locked_until <= now and not record.failures:
                del self._records[key]
        for level in range(max(len(WIDER_IPV6), len(WIDER_IPV4))):
            if len(self._records) <= target:
                return
            self._merge(level, now)
        for key, record in list(self._records.items()):
            if len(self._records) <= target:
                return
            if record.locked_until <= now:
                del self._records[key]
        if len(self._records) >= self.MAX_ADDRESSES:
            # Look again only once a quarter of the lockouts has ended, not at each one's end:
            # a pass reads the whole table.
            ends = sorted(record.locked_until for record in self._records.values())
            self._full_until = ends[len(ends) // 4]

    def _merge(self, level: int, now: float) -> None:
        """Records that share a network of the `level`th wider prefix become one for it."""
        groups: dict[IpNetwork, list[str]] = {}
        for key, record in self._records.items():
            wider = _wider(record.network, level)
            if wider is not None:
                groups.setdefault(wider, []).append(key)
        for wider, keys in groups.items():
            if len(keys) < 2:
                continue
            merged = _Record(wider)
            for key in keys:
                record = self._records.pop(key)
                merged.failures.extend(record.failures)
                merged.locked_until = max(merged.locked_until, record.locked_until)
            merged.failures = deque(sorted(merged.failures)[-self.LOCK_AFTER :])
            if len(merged.failures) >= self.LOCK_AFTER:
                # Ten failures in the window from one network: that network is locked out.
                merged.locked_until = max(merged.locked_until, now + self.LOCKOUT)
                merged.failures.clear()
            self._records[_key(wider)] = merged


def _wider(network: IpNetwork | None, level: int) -> IpNetwork | None:
    """The `level`th wider network around a record's; None past the widest."""
    if network is None:
        return None
    prefixes = WIDER_IPV4 if network.version == 4 else WIDER_IPV6
    if level >= len(prefixes) or network.prefixlen <= prefixes[level]:
        return None
    return network.supernet(new_prefix=prefixes[level])
