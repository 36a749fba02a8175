"""`parlour check --turn`: a real TURN Allocate against each configured URL, with credentials
made now as a page would get them, and what each answer means for the operator.

The TURN client is aioice's (its turn module); only the verdicts and their fixes are ours.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
from dataclasses import dataclass
from enum import StrEnum

from aioice import stun
from aioice.turn import create_turn_endpoint

from parlour.ice import turn_credentials
from parlour.settings import Turn

DEFAULT_TIMEOUT = 5.0
LABEL = "parlour-check"  # the username's label: coturn's log shows this was the check
_URL = re.compile(
    r"(?P<scheme>turns?):(?:\[(?P<ipv6>[^\]]+)\]|(?P<host>[^:?\[\]]+))"
    r"(?::(?P<port>[0-9]+))?(?:\?transport=(?P<transport>udp|tcp))?"
)


class Verdict(StrEnum):
    REACHABLE = "reachable"
    WRONG_SECRET = "wrong secret"  # noqa: S105 (a verdict, not a password)
    UNREACHABLE = "unreachable"
    TLS_PROBLEM = "TLS problem"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Target:
    """Where a TURN URL points: host, port, and how to speak to it."""

    url: str
    host: str
    port: int
    transport: str  # "udp" or "tcp"
    tls: bool

    @classmethod
    def parse(cls, url: str) -> Target:
        found = _URL.fullmatch(url)
        if found is None:  # config.py checked every URL already
            raise ValueError(f"not a TURN URL: {url}")
        tls = found["scheme"] == "turns"
        port = int(found["port"]) if found["port"] else (5349 if tls else 3478)
        transport = found["transport"] or ("tcp" if tls else "udp")
        return cls(url, found["ipv6"] or found["host"], port, transport, tls)


@dataclass(frozen=True, slots=True)
class Result:
    target: Target
    verdict: Verdict
    detail: str  # what happened, in words
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict is Verdict.REACHABLE

    def __str__(self) -> str:
        line = f"{self.target.url}: {self.verdict}: {self.detail}"
        return f"{line}. Fix: {self.fix}" if self.fix else line


class _Closed(asyncio.DatagramProtocol):
    """Told when the allocation is gone, so that the check waits for its own clean-up."""

    def __init__(self) -> None:
        self.closed = asyncio.Event()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()


async def allocate(target: Target, username: str, password: str, timeout: float) -> str:
    """Make an allocation and delete it again; returns the relayed address it got."""
    host = target.host
    if target.transport == "udp":
        # aioice sends to exactly the address it is given; a connected UDP socket would refuse
        # a host name where the kernel reports the address.
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, target.port, type=socket.SOCK_DGRAM
        )
        host = str(infos[0][4][0])
    context = ssl.create_default_context() if target.tls else None
    async with asyncio.timeout(timeout):
        transport, protocol = await create_turn_endpoint(
            _Closed,
            (host, target.port),
            username=username,
            password=password,
            lifetime=60,
            ssl=context,
            transport=target.transport,
        )
        relayed = transport.get_extra_info("sockname")
        transport.close()  # deletes the allocation on the server
        await protocol.closed.wait()
    return f"{relayed[0]}:{relayed[1]}" if relayed else "an address"


async def check_url(
    target: Target, turn: Turn, *, timeout: float = DEFAULT_TIMEOUT, now: float | None = None
) -> Result:
    """One URL's verdict, with credentials made as Hub makes them for a page."""
    expiry = int(time.time() if now is None else now) + turn.lifetime
    username, password = turn_credentials(turn.secret, LABEL, expiry)
    where = (
        f"{target.host} port {target.port} over {'TLS' if target.tls else target.transport.upper()}"
    )
    try:
        relayed = await allocate(target, username, password, timeout)
    except stun.TransactionFailed as error:
        code = error.response.attributes.get("ERROR-CODE", (0, ""))
        if code[0] == 401:
            return Result(
                target,
                Verdict.WRONG_SECRET,
                f"{where} refused the credentials (401 Unauthorized)",
                "make turn.secret the same as static-auth-secret in coturn's configuration, "
                "with use-auth-secret on; also check that both machines' clocks are right",
            )
        return Result(
            target,
            Verdict.REFUSED,
            f"{where} refused the allocation ({code[0]} {code[1]})".rstrip(),
            "see coturn's log for why (quotas: user-quota, total-quota; see docs/turn.md)",
        )
    except ssl.SSLError as error:
        return Result(
            target,
            Verdict.TLS_PROBLEM,
            f"{where}: {getattr(error, 'verify_message', None) or error.reason or error}",
            "give coturn (cert=, pkey=) a certificate for this host name that browsers trust, "
            "e.g. from Let's Encrypt, with its whole chain",
        )
    except (TimeoutError, stun.TransactionTimeout):
        return Result(
            target,
            Verdict.UNREACHABLE,
            f"no answer from {where} within {timeout:g} s",
            f"start coturn there and open {target.transport.upper()} port {target.port} "
            "in its firewall (see docs/turn.md)",
        )
    except OSError as error:
        if type(error) is ConnectionError:  # aioice: an answer, but not a TURN server's
            return Result(target, Verdict.REFUSED, f"{where}: {error}", "is this coturn?")
        return Result(
            target,
            Verdict.UNREACHABLE,
            f"{where}: {error.strerror or error}",
            f"start coturn there and open {target.transport.upper()} port {target.port} "
            "in its firewall, or correct the host name in turn.urls (see docs/turn.md)",
        )
    return Result(target, Verdict.REACHABLE, f"{where} relayed at {relayed}")


async def check_all(turn: Turn, *, timeout: float = DEFAULT_TIMEOUT) -> list[Result]:
    """Every URL's verdict, all asked at once."""
    targets = [Target.parse(url) for url in turn.urls]
    return list(await asyncio.gather(*(check_url(t, turn, timeout=timeout) for t in targets)))
