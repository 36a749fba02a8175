"""Abuse limits: a message budget per connection, failed joins per address, and the key an
address is counted under.

Pure bookkeeping with an injected clock, so tests drive time instead of sleeping. Every table
here is bounded: an address flood cannot grow memory without limit.
"""

from __future__ import annotations

import ipaddress
from collections import OrderedDict, deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

IPV6_PREFIX: Final = 64
"""IPv6 addresses are counted by network: one household gets a whole /64 and may use any of it."""


def address_key(address: str) -> str:
    """What a per-address limit counts `address` under: an IPv4 address, or an IPv6 /64.

    Anything that is not an IP address (the web layer passes "?" when it does not know) is
    counted as it is.
    """
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        # A dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d: that is the IPv4 address.
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, IPV6_PREFIX), strict=False))
    return str(parsed)


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


@dataclass(frozen=True, slots=True)
class Attempt:
    """One failed join, kept for the super-host's view of suspicious activity."""

    address: str
    at: float
    locked: bool


class _Record:
    __slots__ = ("failures", "locked_until")

    def __init__(self) -> None:
        self.failures: deque[float] = deque()
        self.locked_until = 0.0


class JoinGuard:
    """Wrong passphrases from one address are first slowed, then locked out for a while.

    Addresses are counted by address_key(), so an IPv6 client cannot step around the lockout by
    moving to another address of its /64; the audit keeps the address itself.

    A locator is a 256-bit value out of a slow KDF, so guessing is hopeless anyway; the guard
    is there so a flood of joins costs the flooder time and leaves a trace, not the server.
    """

    SLOW_AFTER: Final = 3
    LOCK_AFTER: Final = 10
    WINDOW: Final = 600.0
    LOCKOUT: Final = 900.0
    MAX_DELAY: Final = 4.0
    MAX_ADDRESSES: Final = 10_000
    AUDIT_SIZE: Final = 1_000

    def __init__(self) -> None:
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self.audit: deque[Attempt] = deque(maxlen=self.AUDIT_SIZE)

    def locked(self, address: str, now: float) -> float:
        """Seconds until `address` may try again; 0 when it may now."""
        record = self._records.get(address_key(address))
        if record is None:
            return 0.0
        return max(0.0, record.locked_until - now)

    def failed(self, address: str, now: float) -> float:
        """Record a wrong passphrase; returns how long to hold the answer back."""
        key = address_key(address)
        record = self._records.pop(key, None) or _Record()
        self._records[key] = record  # most recently seen last, for pruning
        while record.failures and record.failures[0] <= now - self.WINDOW:
            record.failures.popleft()
        record.failures.append(now)
        count = len(record.failures)
        if count >= self.LOCK_AFTER:
            record.locked_until = now + self.LOCKOUT
            record.failures.clear()
        self.audit.append(Attempt(address, now, locked=count >= self.LOCK_AFTER))
        while len(self._records) > self.MAX_ADDRESSES:
            self._records.popitem(last=False)
        if count <= self.SLOW_AFTER:
            return 0.0
        return min(self.MAX_DELAY, 0.25 * (1 << (count - self.SLOW_AFTER - 1)))
