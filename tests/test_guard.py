"""parlour.guard: the message budget, the wrong-passphrase schedule and address keys."""

from __future__ import annotations

import pytest

from parlour.guard import JoinGuard, MessageBudget, Spend, TokenBucket, address_key

T0 = 5_000.0
G = JoinGuard


def take_all(bucket: TokenBucket, now: float) -> int:
    """How many messages the bucket lets through at `now` before it refuses one."""
    count = 0
    while bucket.take(now):
        count += 1
        assert count < 10_000, "bucket never runs dry"
    return count


def fail(
    guard: JoinGuard, times: int, address: str = "198.51.100.1", now: float = T0
) -> list[float]:
    return [guard.failed(address, now) for _ in range(times)]


# --- TokenBucket ----------------------------------------------------------------------------


def test_bucket_allows_its_burst_at_once_then_refuses() -> None:
    """A fresh bucket lets exactly `burst` messages through in one instant."""
    bucket = TokenBucket(rate=4, burst=5, now=T0)
    assert take_all(bucket, T0) == 5
    assert not bucket.take(T0)


def test_bucket_refills_at_its_rate() -> None:
    """After running dry, one message more per 1/rate seconds is allowed."""
    bucket = TokenBucket(rate=4, burst=5, now=T0)
    take_all(bucket, T0)
    assert not bucket.take(T0 + 0.125)
    assert bucket.take(T0 + 0.25)
    assert not bucket.take(T0 + 0.25)
    assert take_all(bucket, T0 + 1.0) == 3


def test_bucket_refill_is_capped_at_burst() -> None:
    """A long quiet spell earns no more than one burst."""
    bucket = TokenBucket(rate=4, burst=5, now=T0)
    take_all(bucket, T0)
    assert take_all(bucket, T0 + 3_600) == 5


# --- MessageBudget --------------------------------------------------------------------------


def spend(budget: MessageBudget, times: int, now: float) -> list[Spend]:
    return [budget.spend(now) for _ in range(times)]


def test_budget_acts_on_its_burst_drops_its_tolerance_then_closes() -> None:
    """burst frames are acted on, the next `tolerance` dropped, and the one after that closes."""
    budget = MessageBudget(rate=4, burst=5, tolerance=3, now=T0)
    assert spend(budget, 5, T0) == [Spend.ACT] * 5
    assert spend(budget, 3, T0) == [Spend.DROP] * 3
    assert budget.spend(T0) is Spend.CLOSE


def test_budget_earns_back_frames_and_drops_at_its_rate() -> None:
    """Time refills both: a client that overshoots now and then is dropped, never closed."""
    budget = MessageBudget(rate=4, burst=5, tolerance=3, now=T0)
    now = T0
    for _ in range(3):
        spent = spend(budget, 8, now)
        assert Spend.CLOSE not in spent
        assert spent.count(Spend.DROP) == 3
        now += 1.25  # five frames' worth, and more than three drops'
    assert spend(budget, 9, now)[-1] is Spend.CLOSE


# --- JoinGuard: delays and lockout ----------------------------------------------------------


def test_first_failures_are_answered_without_delay() -> None:
    """Up to SLOW_AFTER (3) wrong passphrases cost nothing: people mistype."""
    assert fail(JoinGuard(), G.SLOW_AFTER) == [0.0, 0.0, 0.0]


def test_delay_doubles_from_a_quarter_second_and_is_capped() -> None:
    """Failures 4.. are held back 0.25, 0.5, 1, 2, 4, 4 s: doubling, never over MAX_DELAY."""
    delays = fail(JoinGuard(), G.LOCK_AFTER - 1)
    assert delays == [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 4.0]
    assert max(delays) == G.MAX_DELAY


def test_not_locked_until_the_tenth_failure() -> None:
    """Nine failures slow an address but leave it free to try."""
    guard = JoinGuard()
    fail(guard, G.LOCK_AFTER - 1)
    assert guard.locked("198.51.100.1", T0) == 0.0


def test_tenth_failure_locks_out_for_lockout_seconds_then_frees() -> None:
    """The 10th failure locks the address for LOCKOUT; afterwards it starts from a clean slate."""
    guard = JoinGuard()
    delays = fail(guard, G.LOCK_AFTER)
    assert delays[-1] == G.MAX_DELAY
    assert guard.locked("198.51.100.1", T0) == G.LOCKOUT
    assert guard.locked("198.51.100.1", T0 + G.LOCKOUT - 1) == 1.0
    assert guard.locked("198.51.100.1", T0 + G.LOCKOUT) == 0.0
    # Free again, and the count starts over: no delay for the next few.
    later = T0 + G.LOCKOUT
    assert fail(guard, G.SLOW_AFTER, now=later) == [0.0, 0.0, 0.0]
    assert guard.failed("198.51.100.1", later) == 0.25


def test_failures_older_than_the_window_are_forgotten() -> None:
    """Failures spread wider than WINDOW never add up to a delay or a lockout."""
    guard = JoinGuard()
    now = T0
    for _ in range(3 * G.LOCK_AFTER):
        assert guard.failed("198.51.100.1", now) == 0.0
        now += G.WINDOW / G.SLOW_AFTER  # never more than SLOW_AFTER inside one window
    assert guard.locked("198.51.100.1", now) == 0.0


def test_failures_inside_the_window_still_count() -> None:
    """Failures less than WINDOW old add up; at WINDOW they drop out of the count."""
    guard = JoinGuard()
    fail(guard, G.SLOW_AFTER)
    assert guard.failed("198.51.100.1", T0 + G.WINDOW - 1) == 0.25
    assert guard.failed("198.51.100.1", T0 + G.WINDOW - 1) == 0.5
    # The three at T0 expire: the two recent ones plus this make three, no delay.
    assert guard.failed("198.51.100.1", T0 + G.WINDOW) == 0.0


def test_addresses_are_independent() -> None:
    """One address locked out leaves every other address untouched."""
    guard = JoinGuard()
    fail(guard, G.LOCK_AFTER, address="198.51.100.1")
    assert guard.locked("198.51.100.1", T0) > 0
    assert guard.locked("198.51.100.2", T0) == 0.0
    assert guard.failed("198.51.100.2", T0) == 0.0


def test_an_ipv6_lockout_covers_its_64_and_no_other() -> None:
    """Moving to another address of the same /64 does not step around a lockout."""
    guard = JoinGuard()
    fail(guard, G.LOCK_AFTER, address="2001:db8:1:2::10")
    assert guard.locked("2001:db8:1:2:ffff::99", T0) > 0
    assert guard.locked("2001:db8:1:3::10", T0) == 0.0


def test_unknown_address_is_not_locked() -> None:
    """An address never seen may try."""
    assert JoinGuard().locked("203.0.113.9", T0) == 0.0


# --- JoinGuard: bounds ----------------------------------------------------------------------


def test_the_table_holds_one_record_per_network_that_failed() -> None:
    """len() counts networks with a record: an IPv6 /64 is one, however many addresses fail."""
    guard = JoinGuard()
    assert len(guard) == 0
    guard.failed("198.51.100.7", T0)
    guard.failed("198.51.100.7", T0)
    guard.failed("2001:db8:1:2::10", T0)
    guard.failed("2001:db8:1:2::11", T0)
    assert len(guard) == 2


def lock(guard: JoinGuard, address: str, now: float = T0) -> None:
    fail(guard, G.LOCK_AFTER, address=address, now=now)
    assert guard.locked(address, now) == G.LOCKOUT


def test_a_flood_from_the_same_48_never_frees_a_locked_64(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failing from many /64s of one /48 fills the table, which merges them, never unlocks."""
    monkeypatch.setattr(JoinGuard, "MAX_ADDRESSES", 20)
    guard = JoinGuard()
    lock(guard, "2001:db8:1:1::1")
    for n in range(2, 500):
        guard.failed(f"2001:db8:1:{n:x}::1", T0 + 1)
        assert len(guard) <= 20
        assert guard.locked("2001:db8:1:1::1", T0 + 1) > 0
    # The /48 failed far more than ten times in the window: all of it is now locked out.
    assert guard.locked("2001:db8:1:ffff::1", T0 + 1) > 0
    assert guard.locked("2001:db8:2::1", T0 + 1) == 0.0


def test_a_flood_from_many_networks_never_frees_a_locked_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Failures from thousands of unrelated /24s or /32s push out other failures, not lockouts."""
    monkeypatch.setattr(JoinGuard, "MAX_ADDRESSES", 20)
    guard = JoinGuard()
    lock(guard, "198.51.100.7")
    lock(guard, "2001:db8:9:9::9")
    for n in range(3_000):
        guard.failed(f"{10 + n // 250}.{n % 250}.0.1", T0 + 1)
        guard.failed(f"2001:{n:x}::1", T0 + 1)
        assert len(guard) <= 20
    assert guard.locked("198.51.100.7", T0 + 1) > 0
    assert guard.locked("2001:db8:9:9::1", T0 + 1) > 0
    # The lockouts end on time, flood or not.
    assert guard.locked("198.51.100.7", T0 + G.LOCKOUT) == 0.0


def test_failures_of_one_24_merge_and_lock_it_when_the_table_is_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under pressure an IPv4 /24 counts as one: ten failures from it in the window lock it."""
    monkeypatch.setattr(JoinGuard, "MAX_ADDRESSES", 8)
    guard = JoinGuard()
    for n in range(1, 12):
        guard.failed(f"203.0.113.{n}", T0)
    assert guard.locked("203.0.113.200", T0) == G.LOCKOUT
    assert guard.locked("203.0.114.1", T0) == 0.0


def test_a_table_full_of_lockouts_holds_new_failures_back_and_keeps_every_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With only running lockouts left, a new address is not counted but waits MAX_DELAY."""
    monkeypatch.setattr(JoinGuard, "MAX_ADDRESSES", 4)
    guard = JoinGuard()
    locked = ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1"]
    for address in locked:
        lock(guard, address)
    assert guard.failed("100.64.0.1", T0 + 1) == G.MAX_DELAY
    assert len(guard) == 4
    assert all(guard.locked(address, T0 + 1) > 0 for address in locked)
    # Once the lockouts end, new addresses are counted again from their first failure.
    assert guard.failed("100.64.0.1", T0 + G.LOCKOUT) == 0.0
    assert guard.locked("192.0.2.1", T0 + G.LOCKOUT) == 0.0


def test_default_address_table_bound_holds_under_a_flood() -> None:
    """Many more addresses than MAX_ADDRESSES never grow the table past it."""
    guard = JoinGuard()
    for n in range(G.MAX_ADDRESSES + 500):
        guard.failed(f"2001:db8:{n // 60_000:x}:{n % 60_000:x}::1", T0)
        guard.failed(f"10.{n // 65_536}.{(n // 256) % 256}.{n % 256}", T0)
    assert len(guard) <= G.MAX_ADDRESSES


def test_a_port_or_a_non_address_is_no_way_around_the_lockout() -> None:
    """Ports, brackets and junk all count under the same key as the address (or "unknown")."""
    guard = JoinGuard()
    for n in range(G.LOCK_AFTER):
        guard.failed(f"198.51.100.20:{40_000 + n}", T0)
        guard.failed(f"not an address {n}", T0)
    assert guard.locked("198.51.100.20", T0) == G.LOCKOUT
    assert guard.locked("[::ffff:198.51.100.20]:1", T0) == G.LOCKOUT
    assert guard.locked("something else", T0) == G.LOCKOUT


# --- address_key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::9", "2001:db8:1:3::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("198.51.100.20:40001", "198.51.100.20"),
        ("[2001:db8:1:2::1]:40001", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::1]", "2001:db8:1:2::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ('"[::ffff:192.0.2.1]:443"', "192.0.2.1"),
        (" 192.0.2.1 ", "192.0.2.1"),
        ("?", "unknown"),
        ("", "unknown"),
        ("not an address", "unknown"),
        ("unknown", "unknown"),
        ("198.51.100.20:port", "unknown"),
        ("[2001:db8::1]x", "unknown"),
        ("198.051.100.020", "unknown"),
    ],
    ids=[
        "ipv4",
        "ipv6",
        "ipv6-same-64",
        "ipv6-next-64",
        "ipv4-mapped",
        "ipv4-port",
        "ipv6-brackets-port",
        "ipv6-brackets",
        "ipv6-zone",
        "quoted-mapped-port",
        "spaces",
        "question-mark",
        "empty",
        "garbage",
        "unknown",
        "bad-port",
        "after-bracket",
        "leading-zeros",
    ],
)
def test_address_key_is_the_ipv4_address_or_the_ipv6_64(address: str, key: str) -> None:
    """IPv4 by address, IPv6 by /64, however written; anything else is one "unknown" key."""
    assert address_key(address) == key
