"""Abuse limits: a message budget per connection, and failed joins per address.

Pure bookkeeping with an injected clock, so tests drive time instead of sleeping. Every table
here is bounded: an address flood cannot grow memory without limit.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Final


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
        record = self._records.get(address)
        if record is None:
            return 0.0
        return max(0.0, record.locked_until - now)

    def failed(self, address: str, now: float) -> float:
        """Record a wrong passphrase; returns how long to hold the answer back."""
        record = self._records.pop(address, None) or _Record()
        self._records[address] = record  # most recently seen last, for pruning
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
