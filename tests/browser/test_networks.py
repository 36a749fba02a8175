"""Calls across simulated networks: home routers, blocked UDP, a TURN relay (tests/netns.py).

Parlour (with its own STUN responder) and coturn run in a public namespace on documentation
addresses; each person's Chromium runs in a home namespace behind a router namespace that
NATs one way or another, or blocks traffic. Each test builds its own topology, and checks what
a person sees (video decoded both ways, or the tile that says why not) and which route
getStats says the call took.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, expect, sync_playwright

from tests.browser.calling import Link, eventually, join, link_url, tile, wait_decoding
from tests.browser.conftest import PASSPHRASE, Person, open_person
from tests.netns import Block, Home, Internet, Nat
from tests.reachability import Relay, Site, launch, serve, trusting
from tests.support import scaled

# The page's bound for saying that nobody could be reached (mesh.js CONNECT_BOUND_MS), and as
# long again for a slow machine.
BOUND_S = 15.0


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@dataclass
class Town:
    """One topology with everything started in it; closed in reverse: browsers, servers, and
    last the namespaces."""

    internet: Internet
    playwright: Playwright
    folder: Path
    stack: ExitStack
    site: Site | None = None
    crowd: list[Person] = field(default_factory=list)

    def serve(self, relay: Relay | None = None) -> Site:
        rooms = {"lounge": (PASSPHRASE, 8)}
        self.site = self.stack.enter_context(serve(self.internet, self.folder, rooms, relay))
        return self.site

    def person(self, home: Home, name: str, flags: Sequence[str] = ()) -> Person:
        """`name` opens the join link in a Chromium of their own at `home`, and joins."""
        assert self.site is not None, "serve() first"
        folder = self.folder / f"chromium-{name}"
        browser = launch(self.playwright, home, folder, self.site, flags)
        self.stack.callback(browser.close)
        person = open_person(browser, self.crowd, link_url(self.site.url, PASSPHRASE))
        join(person.page, name)
        return person


@pytest.fixture
def town(playwright: Playwright, tmp_path: Path) -> Iterator[Town]:
    with ExitStack() as stack:
        internet = stack.enter_context(Internet())
        yield Town(internet, playwright, tmp_path, stack)


def call_of_two(ada: Person, grace: Person) -> tuple[Link, Link]:
    """Both decode the other's video; the connection each sees, as getStats reports it."""
    [seen_by_ada] = wait_decoding(ada.page, 1, "Ada, from Grace")
    [seen_by_grace] = wait_decoding(grace.page, 1, "Grace, from Ada")
    print(f"Ada's side: {seen_by_ada}\nGrace's side: {seen_by_grace}")
    return seen_by_ada, seen_by_grace


def route(link: Link) -> tuple[str | None, str | None, str | None, str | None]:
    return link.local, link.remote, link.protocol, link.relay_protocol


def test_same_lan_connects_host_to_host(town: Town) -> None:
    """Two people behind one router: their own addresses, straight over the LAN."""
    router = town.internet.router(Nat.ENDPOINT_INDEPENDENT)
    first, second = town.internet.home(router), town.internet.home(router)
    town.serve()
    links = call_of_two(town.person(first, "Ada"), town.person(second, "Grace"))
    for link in links:
        assert route(link) == ("host", "host", "udp", None), link


def test_endpoint_independent_nat_connects_directly_via_parlours_stun(town: Town) -> None:
    """Two homes behind routers that keep the port: the addresses Parlour's STUN responder
    told them punch through, with no relay."""
    homes = [town.internet.home(town.internet.router(Nat.ENDPOINT_INDEPENDENT)) for _ in "ab"]
    town.serve()
    links = call_of_two(town.person(homes[0], "Ada"), town.person(homes[1], "Grace"))
    for link in links:
        assert "relay" not in (link.local, link.remote), link
        assert link.protocol == "udp", link
    assert any("srflx" in (link.local, link.remote) for link in links), links


# Each page's selected pairs by the addresses of their two ends, and its own relay candidates
# with the way each reached the relay: a pair's relay end may be the other person's, and only
# their page knows how it reached coturn.
ENDS = """async () => {
  const pairs = [];
  const relays = {};
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    const byId = new Map();
    (await pc.getStats()).forEach((s) => byId.set(s.id, s));
    const where = (c) => ({type: c?.candidateType ?? null, at: `${c?.address}:${c?.port}`});
    for (const s of byId.values()) {
      if (s.type === "local-candidate" && s.candidateType === "relay") {
        relays[`${s.address}:${s.port}`] = s.relayProtocol;
      }
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        pairs.push([where(byId.get(pair?.localCandidateId)),
                    where(byId.get(pair?.remoteCandidateId))]);
      }
    }
  }
  return {pairs, relays};
}"""


def assert_relayed(people: tuple[Person, Person], *ways: str) -> set[str]:
    """Each person's connection has a relay at one end at least (theirs or the other's), and
    every relay on it was reached one of these `ways` ("udp", "tcp" or "tls"). The relay
    addresses used."""
    ends = [person.page.evaluate(ENDS) for person in people]
    relays = {at: way for seen in ends for at, way in seen["relays"].items()}
    every: set[str] = set()
    for seen in ends:
        [pair] = seen["pairs"]
        used = {end["at"] for end in pair if end["type"] == "relay"}
        assert used, f"not relayed: {pair}"
        assert {relays.get(at) for at in used} <= set(ways), f"{pair}, relays: {relays}"
        every |= used
    return every


def test_blocked_udp_is_relayed_over_tcp(town: Town) -> None:
    """Ada's router drops every UDP datagram: her browser reaches coturn over TCP, Grace's
    media meets hers at the relay."""
    ada = town.internet.home(town.internet.router(Nat.ENDPOINT_INDEPENDENT, Block.UDP))
    grace = town.internet.home(town.internet.router(Nat.ENDPOINT_INDEPENDENT))
    town.serve(Relay())
    people = town.person(ada, "Ada"), town.person(grace, "Grace")
    seen_by_ada, _ = call_of_two(*people)
    assert (seen_by_ada.local, seen_by_ada.relay_protocol) == ("relay", "tcp"), seen_by_ada
    # Grace's own relay, reached over UDP, may be the other end (a relay-to-relay pair).
    assert_relayed(people, "tcp", "udp")


def test_only_tcp_443_is_relayed_over_tls(town: Town) -> None:
    """Ada's router lets nothing out but TCP to port 443: the page loads from there, and her
    browser reaches coturn with turns: on 443."""
    ada = town.internet.home(town.internet.router(Nat.ENDPOINT_INDEPENDENT, Block.ALL_BUT_TCP_443))
    grace = town.internet.home(town.internet.router(Nat.ENDPOINT_INDEPENDENT))
    site = town.serve(Relay(tls=True))
    assert site.coturn is not None
    assert site.coturn.certificate is not None
    # Chromium checks a turns: server's certificate as it checks a web page's: with the test's
    # self-signed one (its IP address in the subject alternative names) the handshake stops at
    # once (coturn logs "TLS/TCP socket disconnected") and no relay is made. Trusting that one
    # key (not --ignore-certificate-errors, which would trust anything) lets Ada's through;
    # Grace, who is not told, is refused, and reaches the relay over UDP instead.
    trust = trusting(site.coturn.certificate)
    people = town.person(ada, "Ada", [trust]), town.person(grace, "Grace")
    seen_by_ada, _ = call_of_two(*people)
    assert (seen_by_ada.local, seen_by_ada.relay_protocol) == ("relay", "tls"), seen_by_ada
    assert_relayed(people, "tls", "udp")


def test_wrong_turn_secret_names_who_cannot_be_reached(town: Town) -> None:
    """coturn refuses every credential: Hedy, behind symmetric NAT, reaches nobody, and each
    tile between her and the others says so within the bound, and why; Ada and Grace, on one
    LAN, go on."""
    lan = town.internet.router(Nat.ENDPOINT_INDEPENDENT)
    first, second = town.internet.home(lan), town.internet.home(lan)
    alone = town.internet.home(town.internet.router(Nat.SYMMETRIC))
    town.serve(Relay(secret="not-the-secret-parlour-signs-with"))
    ada, grace = town.person(first, "Ada"), town.person(second, "Grace")
    wait_decoding(ada.page, 1, "Ada, from Grace")
    hedy = town.person(alone, "Hedy")
    timeout = scaled(2 * BOUND_S) * 1000
    for page, other in ((ada.page, "Hedy"), (grace.page, "Hedy"), (hedy.page, "Ada")):
        expect(tile(page, other)).to_contain_text(
            f"Could not connect to {other}, not even through the relay: your network or theirs"
            " blocks calls.",
            timeout=timeout,
        )
    wait_decoding(grace.page, 1, "Grace, from Ada, with Hedy unreachable")
    wait_decoding(ada.page, 1, "Ada, from Grace, with Hedy unreachable")


def test_symmetric_nat_is_relayed_over_udp_and_outlives_its_credentials(town: Town) -> None:
    """Two homes behind routers that give each destination a new port: only coturn gets
    through, over UDP. And the call outlives its credentials.

    turn.lifetime = 60: at three quarters of it each page asks for fresh credentials, gets
    them, and the relayed call moves to allocations made with them; it still decodes after
    the first ones have expired.

    Why "moves" is what is checked: coturn looks at credentials again only when Chromium
    refreshes an allocation, one minute before its lifetime ends (or at half of a lifetime
    under two minutes). coturn 4.6.1 grants 600 s on a refresh (seen in its log, also with
    --max-allocate-lifetime set lower), so an allocation made with the first credentials would
    be refused only minutes after they expire: longer than a test should run, and no proof
    then either. Within a minute, what shows that the call no longer needs them is that it is
    carried by other allocations, made under the new usernames.
    """
    homes = [town.internet.home(town.internet.router(Nat.SYMMETRIC)) for _ in "ab"]
    site = town.serve(Relay(lifetime=60))
    assert site.coturn is not None
    people = town.person(homes[0], "Ada"), town.person(homes[1], "Grace")
    call_of_two(*people)
    before = assert_relayed(people, "udp")
    first = [turn_username(person, "joined") for person in people]
    expired = max(int(name.split(":")[0]) for name in first)

    def refreshed(person: Person) -> str:
        assert any(m["type"] == "refresh" for m in person.messages("sent")), "no refresh sent"
        return turn_username(person, "ice-servers")

    # 45 s after joining, and as long again for a slow machine.
    fresh = [
        eventually(p.page, lambda p=p: refreshed(p), "fresh credentials", scaled(90))
        for p in people
    ]
    for old, new in zip(first, fresh, strict=True):
        assert int(new.split(":")[0]) > int(old.split(":")[0]), (old, new)
        site.coturn.output.expect(rf"new, realm=<[^>]*>, username=<{re.escape(new)}>", scaled(30))
    # The call goes on all along, until the first credentials have expired.
    while time.time() < expired + 2:
        for person, name in zip(people, ("Ada", "Grace"), strict=True):
            wait_decoding(person.page, 1, f"{name}, as the first credentials run out")
    call_of_two(*people)
    after = assert_relayed(people, "udp")
    assert not before & after, f"still on the first allocations: {before & after}"


def turn_username(person: Person, kind: str) -> str:
    """The TURN username in the last message of this type the page received."""
    found = [m for m in person.messages("received") if m["type"] == kind]
    assert found, f"no {kind} received"
    servers = found[-1]["ice_servers"]
    assert isinstance(servers, list)
    [name] = [server["username"] for server in servers if "username" in server]
    assert isinstance(name, str)
    return name
