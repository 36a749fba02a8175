"""Which ICE servers a page is given when it joins (signaling.IceProvider).

Asked at every join, with the connection, so that credentials that expire can be made then
for that connection; TURN is to be one more provider here, with no change to the core.
"""

from __future__ import annotations

from collections.abc import Sequence

from parlour import protocol
from parlour.spaces import Conn


class StunServers:
    """The operator's STUN servers (call.stun_servers), the same for everyone; none by default."""

    def __init__(self, urls: Sequence[str] = ()) -> None:
        self.apply(urls)

    def apply(self, urls: Sequence[str]) -> None:
        """Take the list of a reload; the next join gets it."""
        self._servers = [protocol.IceServer(urls=list(urls))] if urls else []

    def __call__(self, conn: Conn) -> list[protocol.IceServer]:
        return self._servers
