"""Which ICE servers a page is given when it joins (signaling.IceProvider).

Asked at every join, with the connection, so that credentials that expire can be made then
for that connection; TURN is to be one more provider here, with no change to the core.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

from parlour import protocol
from parlour.settings import Turn
from parlour.spaces import Conn


class StunServers:
    """The operator's STUN servers (call.stun_servers), the same for everyone; none by default."""

    def __init__(self, urls: Sequence[str] = ()) -> None:
        self.own: str | None = None  # Parlour's own responder (stun.own_url), first when set
        self.apply(urls)

    def apply(self, urls: Sequence[str]) -> None:
        """Take the list of a reload; the next join gets it."""
        self._urls = list(urls)

    def __call__(self, conn: Conn) -> list[protocol.IceServer]:
        urls = [self.own, *self._urls] if self.own else self._urls
        return [protocol.IceServer(urls=list(urls))] if urls else []


def turn_credentials(secret: str, label: str, expiry: int) -> tuple[str, str]:
    """A TURN REST API username and password that coturn (use-auth-secret) accepts until
    `expiry` (unix seconds): "<expiry>:<label>", and base64 of its HMAC-SHA1 under the secret."""
    username = f"{expiry}:{label}"
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode("ascii")


class TurnServers:
    """The operator's coturn (turn.urls), with credentials made for each connection that last
    turn.lifetime seconds from now; none without [turn]."""

    def __init__(
        self, turn: Turn | None = None, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self._wall_clock = wall_clock
        self.apply(turn)

    def apply(self, turn: Turn | None) -> None:
        """Take the [turn] of a reload; the next join or refresh gets credentials under it."""
        self._turn = turn

    @property
    def ttl(self) -> int | None:
        """Seconds the credentials made now last; None without TURN."""
        return None if self._turn is None else self._turn.lifetime

    def __call__(self, conn: Conn) -> list[protocol.IceServer]:
        turn = self._turn
        if turn is None:
            return []
        # The peer id names a connection, not a person, and only while it is open; coturn logs
        # the username, so nothing that outlives the call goes into it.
        expiry = int(self._wall_clock()) + turn.lifetime
        username, credential = turn_credentials(turn.secret, conn.peer or "parlour", expiry)
        return [protocol.IceServer(urls=list(turn.urls), username=username, credential=credential)]
