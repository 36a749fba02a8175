"""parlour.ice: TURN credentials in coturn's shared-secret scheme, made per connection."""

from __future__ import annotations

from parlour.guard import MessageBudget
from parlour.ice import TurnServers, turn_credentials
from parlour.settings import Turn
from parlour.spaces import Conn
from tests.helpers import FakeClock

SECRET = "s3cret-shared-with-coturn"
URLS = ("turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp")


def member(peer: str) -> Conn:
    conn = Conn("192.0.2.1", MessageBudget(1.0, 1.0, 1.0, 0.0))
    conn.peer = peer
    return conn


def test_credentials_match_a_value_computed_with_openssl() -> None:
    """base64(HMAC-SHA1(secret, "<expiry>:<label>")), as `openssl dgst -sha1 -hmac` gives it."""
    # printf '%s' 1767225600:AAAAAAAA | openssl dgst -sha1 -hmac s3cret-shared-with-coturn
    #   -binary | base64
    assert turn_credentials(SECRET, "AAAAAAAA", 1_767_225_600) == (
        "1767225600:AAAAAAAA",
        "anauPKAA5zp6ZNgHF0A5AIWSuWg=",
    )


def test_the_username_expires_lifetime_seconds_after_the_wall_clock_says_now() -> None:
    """Expiry is whole Unix seconds from the wall clock plus the lifetime; the label is the
    peer id."""
    wall = FakeClock(1_767_225_000.9)
    turn = TurnServers(Turn(URLS, SECRET, lifetime=600), wall_clock=wall)
    [server] = turn(member("AAAAAAAA"))
    assert (server.urls, server.username) == (list(URLS), "1767225600:AAAAAAAA")
    assert server.credential == "anauPKAA5zp6ZNgHF0A5AIWSuWg="
    wall.advance(3600)
    [later] = turn(member("AAAAAAAA"))
    assert later.username == "1767229200:AAAAAAAA"
    assert later.credential == "VvZ52LDUaJk4pkBDXEwpvxt73oc="
    assert turn.ttl == 600


def test_without_turn_there_are_no_servers_and_no_ttl() -> None:
    """No [turn]: nothing is handed out and nothing expires; a reload can add or remove it."""
    turn = TurnServers(None, wall_clock=FakeClock(0.0))
    assert (turn(member("AAAAAAAA")), turn.ttl) == ([], None)
    turn.apply(Turn(URLS, SECRET, lifetime=60))
    assert turn.ttl == 60
    assert len(turn(member("AAAAAAAA"))) == 1
    turn.apply(None)
    assert turn(member("AAAAAAAA")) == []


def test_the_secret_is_not_in_the_settings_repr() -> None:
    """A Turn printed by accident (a log line, a traceback) does not show the secret."""
    assert SECRET not in repr(Turn(URLS, SECRET))
