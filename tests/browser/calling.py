"""Taking part in a real call as a person would, and watching its media as webrtc-internals does.

Controls are found by role and accessible name (the contract in the call page's docs); media is
read through the RTCPeerConnections the conftest's init script collects in `window.__pcs`.
Everything that takes time is awaited by polling for the condition, never by sleeping.
"""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import Person, leave_all, open_person
from tests.support import scaled

T = TypeVar("T")

TIMEOUT_S = scaled(15.0)
POLL_MS = 200

AUDIO_KBPS = 40

RECONNECTING = "Reconnecting to the server…"
# signaling.js retries with a backoff that grows to 10 s (±20 %): once the server is back, the
# next attempt may be that far off.
RECONNECT_TIMEOUT_MS = round(scaled(30.0) * 1000)


# Join is enabled by the page's module once it has wired the form (index.html ships it
# disabled). Twice on a loaded machine, in the simulated networks, that took longer than the
# usual timeout after the page's load event, and could not be made to happen again on its own:
# a longer wait, and a message that says what the page had loaded and what went wrong in it.
READY_MS = round(scaled(45.0) * 1000)
PAGE_STATE = """() => ({
  ready: document.readyState,
  problems: window.__problems ?? [],
  loaded: performance.getEntriesByType("resource")
    .map((r) => `${r.name.split("/").pop()} ${r.responseStatus} ${Math.round(r.responseEnd)} ms`),
  marks: performance.getEntriesByType("mark").map((m) => `${m.name} ${Math.round(m.startTime)} ms`),
})"""


def ask_to_join(page: Page, name: str, passphrase: str | None = None) -> None:
    """Type the name (and the passphrase unless the link carried it) and press Join."""
    page.get_by_role("textbox", name="Your name").fill(name)
    if passphrase is not None:
        page.get_by_role("textbox", name="Passphrase").fill(passphrase)
    button = page.get_by_role("button", name="Join", exact=True)
    try:
        expect(button).to_be_enabled(timeout=READY_MS)
    except AssertionError as error:
        raise AssertionError(f"the page never wired Join: {page.evaluate(PAGE_STATE)}") from error
    button.click()


def join(page: Page, name: str, passphrase: str | None = None) -> None:
    """Ask to join, and wait until one's own tile is in the call."""
    ask_to_join(page, name, passphrase)
    expect(own_tile(page, name)).to_be_visible()


def call_list(page: Page) -> Locator:
    return page.get_by_role("list", name="People in the call")


def tile(page: Page, name: str) -> Locator:
    """The tile of someone else, as its group is named: exactly their display name."""
    return call_list(page).get_by_role("group", name=name, exact=True)


def own_tile(page: Page, name: str) -> Locator:
    return call_list(page).get_by_role("group", name=f"{name} (you)", exact=True)


def controls(page: Page) -> Locator:
    return page.get_by_role("toolbar", name="Call controls")


def press(page: Page, button: str) -> None:
    controls(page).get_by_role("button", name=button, exact=True).click()


def say(page: Page, text: str) -> None:
    """Write in the chat, opening the panel first if it is closed (as on narrow screens)."""
    open_chat(page)
    page.get_by_role("textbox", name="Message").fill(text)
    page.get_by_role("complementary", name="Chat").get_by_role("button", name="Send").click()


def open_chat(page: Page) -> None:
    button = controls(page).get_by_role("button", name="Chat", exact=True)
    if button.get_attribute("aria-expanded") != "true":
        button.click()
    expect(page.get_by_role("complementary", name="Chat")).to_be_visible()


def chat_log(page: Page) -> Locator:
    """The chat's messages, opening the panel to read them."""
    open_chat(page)
    return page.get_by_role("list", name="Messages")


def link_url(base: str, passphrase: str) -> str:
    """A join link: the passphrase travels after "#", which browsers never send to a server."""
    return base + "#" + passphrase.replace(" ", "%20")


def meet(
    browser: Browser, crowd: list[Person], url: str, passphrase: str, names: tuple[str, str]
) -> tuple[Person, Person]:
    """Two people join: the first types the passphrase, the second opens the join link."""
    first = open_person(browser, crowd, url)
    join(first.page, names[0], passphrase)
    second = open_person(browser, crowd, link_url(url, passphrase))
    join(second.page, names[1])
    return first, second


def free_port() -> int:
    """A port free now, written into a config so that a restarted server takes it again."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def eventually(page: Page, check: Callable[[], T], what: str, timeout: float = TIMEOUT_S) -> T:
    """Run `check` until it stops raising AssertionError (like Playwright's expect.poll).

    The verdict is always that of a check begun after the deadline: on a busy machine one check
    of many queries can take longer than the timeout, and what it read at its start would be
    old news by its end.
    """
    deadline = time.monotonic() + timeout
    while True:
        final = time.monotonic() > deadline
        try:
            return check()
        except AssertionError as error:
            if final:
                raise AssertionError(f"{what}, within {timeout:.0f} s: {error}") from None
        page.wait_for_timeout(POLL_MS)  # lets Playwright deliver events between two polls


# --- What getStats says --------------------------------------------------------------------

PEEK = """async () => {
  const out = [];
  for (const [index, pc] of window.__pcs.entries()) {
    if (pc.connectionState === "closed") continue;
    const byId = new Map();
    (await pc.getStats()).forEach((entry) => byId.set(entry.id, entry));
    const link = {index, state: pc.connectionState, frames_decoded: 0, audio_packets: 0,
                  audio_energy: 0, local: null, remote: null, protocol: null,
                  relay_protocol: null};
    for (const s of byId.values()) {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        link.frames_decoded += s.framesDecoded ?? 0;
      }
      if (s.type === "inbound-rtp" && s.kind === "audio") {
        link.audio_packets += s.packetsReceived ?? 0;
        link.audio_energy += s.totalAudioEnergy ?? 0;
      }
      if (s.type === "transport" && s.selectedCandidatePairId) {
        const pair = byId.get(s.selectedCandidatePairId);
        const local = byId.get(pair?.localCandidateId);
        link.local = local?.candidateType ?? null;
        link.remote = byId.get(pair?.remoteCandidateId)?.candidateType ?? null;
        link.protocol = local?.protocol ?? null;
        link.relay_protocol = local?.relayProtocol ?? null;
      }
    }
    out.push(link);
  }
  return out;
}"""


@dataclass(frozen=True)
class Link:
    """One RTCPeerConnection of a page, as getStats reports it."""

    index: int
    state: str
    frames_decoded: int
    audio_packets: int
    audio_energy: float  # totalAudioEnergy: grows only while there is sound
    local: str | None  # candidateType of the selected pair's local candidate
    remote: str | None
    protocol: str | None = None  # the local candidate's: "udp" or "tcp"
    relay_protocol: str | None = None  # a local relay candidate's way to the relay: udp/tcp/tls


def links(page: Page) -> list[Link]:
    """Every RTCPeerConnection of the page that is not closed."""
    return [Link(**entry) for entry in page.evaluate(PEEK)]


def the_link(page: Page, who: str) -> Link:
    """The one connection of `who`'s page in a call of two, once it is connected."""

    def one() -> Link:
        found = connected(page)
        assert len(found) == 1, f"{len(found)} connections, not one"
        return found[0]

    return eventually(page, one, f"{who} connected")


def wait_heard(page: Page, link: Link, who: str) -> None:
    """Sound on `link` is played out, not only received: totalAudioEnergy counts only what the
    receiver renders."""

    def heard() -> None:
        [now] = [other for other in links(page) if other.index == link.index]
        assert now.audio_energy > 0, f"nothing played out: {now}"

    eventually(page, heard, who)


def connected(page: Page) -> list[Link]:
    return [link for link in links(page) if link.state == "connected"]


def wait_decoding(page: Page, count: int, who: str) -> list[Link]:
    """Wait until `count` connections are up and every one decodes video frames, more each poll."""
    before: dict[int, int] = {}

    def check() -> list[Link]:
        live = connected(page)
        stale = [
            link
            for link in live
            if link.frames_decoded <= before.get(link.index, -1) or link.index not in before
        ]
        before.clear()
        before.update({link.index: link.frames_decoded for link in live})
        assert len(live) == count, f"{len(live)} connections up, not {count}: {links(page)}"
        assert not stale, f"not decoding more video frames: {stale}"
        return live

    return eventually(page, check, f"{who} decoding video from {count} people")


def assert_direct(page: Page, who: str) -> None:
    """Every selected candidate pair joins the two browsers directly: no TURN relay."""
    for link in connected(page):
        assert link.local, f"{who}: no selected candidate pair: {link}"
        assert link.remote, f"{who}: no selected candidate pair: {link}"
        assert "relay" not in (link.local, link.remote), f"{who}: relayed: {link}"


# A person sees video moving: each element has a picture size, plays, and its clock advances.
PLAYING = """(videos) => videos.map((video) => {
  const time = video.currentTime;
  const moved = video.__seenTime !== undefined && time > video.__seenTime;
  video.__seenTime = time;
  return moved && video.videoWidth > 0 && !video.paused;
}).every(Boolean)"""


def wait_playing(page: Page, *names: str) -> None:
    """The tiles of these people show moving video on this page."""
    handles = []
    for name in names:
        video = tile(page, name).locator("video")
        expect(video).to_have_count(1)
        handles.append(video.element_handle())
    page.wait_for_function(PLAYING, arg=handles, polling=POLL_MS)


# How much a measure may creep while "still": a muted microphone sends digital silence whose
# totalAudioEnergy still grows by ~1e-9 a second; the fake microphone's beeps add ~1e-1.
STILL = {"frames_decoded": 0.0, "audio_energy": 1e-6}


def wait_still(page: Page, link_index: int, measure: str, who: str) -> None:
    """`measure` of one connection stops growing while audio packets keep arriving.

    The audio packets are the clock: about fifty a second reach a receiver whatever the sender
    does with its microphone, so "flat over 50 packets" means "flat for about a second" without
    sleeping. The first 50 packets let whatever was already in flight or buffered drain.
    """

    def sample() -> Link:
        return next(link for link in links(page) if link.index == link_index)

    def after(packets: int, start: Link) -> Link:
        def check() -> Link:
            now = sample()
            assert now.audio_packets >= start.audio_packets + packets, f"{now}"
            return now

        return eventually(page, check, f"{who} receiving {packets} audio packets")

    start = after(50, sample())
    end = after(50, start)
    assert getattr(end, measure) - getattr(start, measure) <= STILL[measure], (
        f"{who}: {measure} went on from {getattr(start, measure)} to {getattr(end, measure)}"
    )


def wait_growing(page: Page, link_index: int, measure: str, who: str) -> None:
    """`measure` of one connection grows again."""
    first: list[Any] = []

    def check() -> None:
        now = next(link for link in links(page) if link.index == link_index)
        value = getattr(now, measure)
        if not first:
            first.append(value)
        assert value > first[0], f"{measure} stuck at {value}"

    eventually(page, check, f"{who}: {measure} growing")


# --- Senders ---------------------------------------------------------------------------------

SENDERS = """() => window.__pcs
  .filter((pc) => pc.connectionState === "connected")
  .flatMap((pc) => pc.getTransceivers())
  .filter((t) => t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")
  .map((t) => ({
    kind: t.receiver.track.kind,
    track: t.sender.track
      ? {enabled: t.sender.track.enabled, state: t.sender.track.readyState,
         label: t.sender.track.label, deviceId: t.sender.track.getSettings().deviceId ?? null}
      : null,
    encodings: (t.sender.getParameters().encodings ?? []).map((e) => ({
      maxBitrate: e.maxBitrate ?? null,
      scaleResolutionDownBy: e.scaleResolutionDownBy ?? null,
      maxFramerate: e.maxFramerate ?? null,
    })),
  }))"""


def senders(page: Page, kind: str) -> list[dict[str, Any]]:
    """What each connected RTCPeerConnection sends of one kind: the track and the encodings."""
    return [s for s in page.evaluate(SENDERS) if s["kind"] == kind]


def expected_video_kbps(upload_kbps: int, others: int) -> float:
    """PROTOCOL.md, "Sending within a budget", written out independently of mesh.js."""
    return max(100.0, min(2500.0, (upload_kbps - AUDIO_KBPS * others) / others))


def expected_scale(kbps: float) -> float:
    return 1.0 if kbps >= 1200 else 1.5 if kbps >= 600 else 2.0 if kbps >= 300 else 3.0


# --- Safety code -----------------------------------------------------------------------------


def identities(page: Page) -> set[str]:
    """The identity texts a page hashed (conftest's instrumentation): its own and the others'."""
    return set(page.evaluate("window.__identities"))


DESCRIPTIONS = """() => window.__pcs
  .filter((pc) => pc.connectionState === "connected")
  .map((pc) => [pc.localDescription.sdp, pc.remoteDescription.sdp])"""


def shown_safety_code(page: Page, name: str) -> str:
    """Open `Connection details for NAME` and read the code beside `Safety code`."""
    button = tile(page, name).get_by_role("button", name=f"Connection details for {name}")
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    details = page.get_by_role("region", name=f"Connection details for {name}")
    code = details.locator("dt", has_text="Safety code").locator("xpath=following-sibling::dd[1]")
    expect(code).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    return code.inner_text()


# --- What crosses the server -------------------------------------------------------------------

# Each has a character base64url never uses, or is long enough never to turn up by chance in
# the ciphertexts (a three-letter word would, in the ~50 kB of envelopes of a call).
SDP_MARKERS = ("v=0", "a=fingerprint", "candidate", "typ host", "ice-ufrag", '"sdp"', "m=video")


def assert_nothing_readable(frames: list[str], secrets: list[str]) -> None:
    """No session description, ICE candidate or secret in any WebSocket frame.

    `secrets` should be long or hold a space, for the reason given above SDP_MARKERS.
    """
    assert frames, "no WebSocket frames were seen at all"
    wire = "\n".join(frames)
    for marker in (*SDP_MARKERS, *secrets):
        assert marker not in wire, f"{marker!r} crossed the server"


# --- A call that several tests share -------------------------------------------------------------


def unrest(page: Page, name: str, others: Sequence[str]) -> list[str]:
    """How `name`'s page differs from a call at rest with `others`, read at once: in the call
    with a tile and a connection for each of them, microphone and camera on, nothing pinned,
    opened or full screen. Empty when it is at rest."""
    if page.is_closed():
        return [f"{name}: the page is closed"]
    try:
        tiles = call_list(page).get_by_role("listitem").count()
        states = [link.state for link in links(page)]
        checks = [
            (f"{name} in the call", own_tile(page, name).count() == 1),
            (f"{len(others) + 1} tiles, not {tiles}", tiles == len(others) + 1),
            *((f"a tile for {other}", tile(page, other).count() == 1) for other in others),
            (f"{len(others)} connections up: {states}", states.count("connected") == len(others)),
            ("the microphone on", _button(page, "Mute microphone").is_visible()),
            ("the camera on", _button(page, "Turn camera off").is_visible()),
            ("no dialog open", page.get_by_role("dialog").count() == 0),
            ("nothing pinned", _pressed(page, "Pin ").count() == 0),
            ("no connection details open", _expanded(page).count() == 0),
            ("not full screen", page.evaluate("document.fullscreenElement === null")),
        ]
    except PlaywrightError as error:
        return [f"{name}: {error.message}"]
    return [f"{name}: not {what}" for what, held in checks if not held]


def _button(page: Page, name: str) -> Locator:
    return controls(page).get_by_role("button", name=name, exact=True)


def _pressed(page: Page, prefix: str) -> Locator:
    return page.get_by_role("button", name=re.compile("^" + re.escape(prefix)), pressed=True)


def _expanded(page: Page) -> Locator:
    details = re.compile("^Connection details for ")
    return page.get_by_role("button", name=details, expanded=True)


class SharedCall:
    """One call the tests of a module share, handed to each test only when it is at rest.

    A test that fails half-way may leave the call changed (someone gone or muted, a dialog
    open, a slow start that never connected); the next test would inherit that and fail too.
    Instead it gets a new call, so every test starts from the same state.
    """

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.crowd: list[Person] = []

    def people(self, names: Sequence[str], start: Callable[[list[Person]], object]) -> list[Person]:
        """The call that `start` makes by opening one person for each of `names`, in order."""
        if self.crowd:
            problems = self._unrest(names)
            if not problems:
                return list(self.crowd)
            print(f"the shared call is not at rest, so it starts anew: {problems}")
        leave_all(self.crowd)
        start(self.crowd)
        assert len(self.crowd) == len(names), f"{len(self.crowd)} people for {names}"
        # The connections first, one cheap reading per page and poll: on a busy machine a poll
        # of everything takes longer than the timeout (about 20 queries a page, each up to a
        # second while the renderers encode), and one that began before the last newcomer's
        # connections were made can only fail.
        for person, name in zip(self.crowd, names, strict=True):
            up = f"{name}'s connections"
            eventually(person.page, lambda page=person.page: _assert_up(page, len(names) - 1), up)
        eventually(
            self.crowd[0].page,
            lambda: _assert_none(self._unrest(names)),
            f"a call of {', '.join(names)} at rest",
        )
        return list(self.crowd)

    def close(self) -> None:
        leave_all(self.crowd)

    def _unrest(self, names: Sequence[str]) -> list[str]:
        return [
            problem
            for person, name in zip(self.crowd, names, strict=True)
            for problem in unrest(person.page, name, [other for other in names if other != name])
        ]


def _assert_none(problems: list[str]) -> None:
    assert not problems, problems


def _assert_up(page: Page, count: int) -> None:
    states = [link.state for link in links(page)]
    assert states.count("connected") == count, f"not {count} connections up: {states}"
