"""Real calls of two and three people in Chromium: media, state, privacy, comings and goings."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from parlour import envelopes
from tests.browser.calling import (
    AUDIO_KBPS,
    DESCRIPTIONS,
    SharedCall,
    assert_direct,
    assert_nothing_readable,
    call_list,
    chat_log,
    controls,
    eventually,
    expected_scale,
    expected_video_kbps,
    identities,
    join,
    link_url,
    meet,
    press,
    say,
    senders,
    shown_safety_code,
    tile,
    wait_decoding,
    wait_growing,
    wait_playing,
    wait_still,
)
from tests.browser.conftest import UPLOAD_KBPS, Person, open_person
from tests.support import ParlourProcess

DUO = "amber kettles whistle over quiet meadows"
PRIVATE = "seven velvet owls decode the midnight river"
LEAVING = "doors open softly for the late arriving guest"
RELOADING = "a second cup of tea is always welcome"


@pytest.fixture(scope="module")
def rooms() -> dict[str, tuple[str, int]]:
    named = {"duo": DUO, "private": PRIVATE, "leaving": LEAVING, "reloading": RELOADING}
    return {name: (passphrase, 8) for name, passphrase in named.items()}


@pytest.fixture
def duo(browser: Browser, server: ParlourProcess, shared_call: SharedCall) -> tuple[Person, Person]:
    """Ada and Grace in a call the module's tests share while it is at rest."""
    names = ("Ada", "Grace")
    ada, grace = shared_call.people(
        names, lambda crowd: meet(browser, crowd, server.url, DUO, names)
    )
    return ada, grace


def test_two_people_see_each_other_over_a_direct_path(duo: tuple[Person, Person]) -> None:
    """Both decode the other's video, show it moving in the tile, and no TURN relay is used."""
    ada, grace = duo
    for person, other in ((ada, "Grace"), (grace, "Ada")):
        wait_decoding(person.page, 1, f"{other}'s peer")
        assert_direct(person.page, f"{other}'s peer")
        wait_playing(person.page, other)


def test_two_people_send_video_within_the_whole_upload_budget(
    duo: tuple[Person, Person],
) -> None:
    """With one other person, video gets upload_kbps - 40 kbit/s at 1.5 times smaller, audio 40."""
    kbps = expected_video_kbps(UPLOAD_KBPS, 1)
    assert (kbps, expected_scale(kbps)) == (960, 1.5)
    for person in duo:

        def check(person: Person = person) -> None:
            videos, audios = senders(person.page, "video"), senders(person.page, "audio")
            assert len(videos) == len(audios) == 1, (videos, audios)
            [video], [audio] = videos, audios
            [encoding] = video["encodings"]
            assert abs(encoding["maxBitrate"] - kbps * 1000) <= 1000, video
            assert encoding["scaleResolutionDownBy"] == expected_scale(kbps), video
            assert encoding["maxFramerate"] in (None, 30), video
            assert [e["maxBitrate"] for e in audio["encodings"]] == [AUDIO_KBPS * 1000], audio

        eventually(person.page, check, "the send budget for one other person")


def test_both_ends_show_the_same_safety_code(duo: tuple[Person, Person]) -> None:
    """Each end shows the same code, PROTOCOL.md's digest of both identities, whose fingerprints
    are the ones the media uses."""
    ada, grace = duo
    wait_decoding(ada.page, 1, "Ada")
    at_ada = shown_safety_code(ada.page, "Grace")
    at_grace = shown_safety_code(grace.page, "Ada")
    both = identities(ada.page)
    assert both == identities(grace.page)
    assert len(both) == 2, both
    [(local, remote)] = ada.page.evaluate(DESCRIPTIONS)
    by_print = {tuple(text.splitlines()[3:]): text for text in both}
    mine = by_print[tuple(envelopes.sdp_fingerprints(local))]
    theirs = by_print[tuple(envelopes.sdp_fingerprints(remote))]
    assert at_ada == at_grace == envelopes.safety_code(mine, theirs)
    for person, other in ((ada, "Grace"), (grace, "Ada")):
        person.page.keyboard.press("Escape")
        details = tile(person.page, other).get_by_role(
            "button", name=f"Connection details for {other}"
        )
        expect(details).to_have_attribute("aria-expanded", "false")


def test_muting_and_turning_the_camera_off_are_seen_by_the_other_and_undone(
    duo: tuple[Person, Person],
) -> None:
    """Grace sees Ada's microphone and camera go off (indicator and media) and come back."""
    ada, grace = duo
    [link] = wait_decoding(grace.page, 1, "Grace")
    at_grace = tile(grace.page, "Ada")
    mic_off = at_grace.get_by_role("img", name="Microphone off")
    camera_off = at_grace.get_by_role("img", name="Camera off")
    expect(mic_off).to_be_hidden()
    expect(camera_off).to_be_hidden()

    press(ada.page, "Mute microphone")
    expect(mic_off).to_be_visible()
    expect(controls(ada.page).get_by_role("button", name="Unmute microphone")).to_be_visible()
    assert [s["track"]["enabled"] for s in senders(ada.page, "audio")] == [False]
    wait_still(grace.page, link.index, "audio_energy", "Grace hearing a muted Ada")

    press(ada.page, "Unmute microphone")
    expect(mic_off).to_be_hidden()
    assert [s["track"]["enabled"] for s in senders(ada.page, "audio")] == [True]
    wait_growing(grace.page, link.index, "audio_energy", "Grace hearing Ada again")

    press(ada.page, "Turn camera off")
    expect(camera_off).to_be_visible()
    expect(controls(ada.page).get_by_role("button", name="Turn camera on")).to_be_visible()
    eventually(
        ada.page,
        lambda: _assert_equal([s["track"] for s in senders(ada.page, "video")], [None]),
        "Ada's camera released and no video sent",
    )
    wait_still(grace.page, link.index, "frames_decoded", "Grace seeing Ada's camera off")

    press(ada.page, "Turn camera on")
    expect(camera_off).to_be_hidden()
    wait_growing(grace.page, link.index, "frames_decoded", "Grace seeing Ada's camera again")
    wait_playing(grace.page, "Ada")


def test_a_whole_call_shows_the_server_no_sdp_candidate_or_name(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Joining, media, mute, chat and leaving put no SDP, ICE candidate or name on the wire."""
    ada, grace = meet(browser, people, server.url, PRIVATE, ("Ada Lovelace", "Grace Hopper"))
    wait_decoding(ada.page, 1, "Ada")
    wait_decoding(grace.page, 1, "Grace")
    press(ada.page, "Mute microphone")
    expect(
        tile(grace.page, "Ada Lovelace").get_by_role("img", name="Microphone off")
    ).to_be_visible()
    press(ada.page, "Unmute microphone")

    say(ada.page, "the lighthouse keeper waves at dawn")
    expect(chat_log(grace.page)).to_contain_text("the lighthouse keeper waves at dawn")
    press(grace.page, "Leave call")
    expect(tile(ada.page, "Grace Hopper")).to_have_count(0)

    secrets = ["Ada Lovelace", "Lovelace", "Grace Hopper", "Hopper", PRIVATE, "midnight"]
    assert_nothing_readable(ada.frames() + grace.frames(), [*secrets, "lighthouse"])


def test_someone_leaving_disappears_from_every_call(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """After Leave call, the others lose that tile and that connection; the rest go on."""
    crowd = [open_person(browser, people, link_url(server.url, LEAVING)) for _ in range(3)]
    for person, name in zip(crowd, ("Ada", "Grace", "Hedy"), strict=True):
        join(person.page, name)
    ada, grace, hedy = crowd
    for person in crowd:
        wait_decoding(person.page, 2, "everyone")
    press(hedy.page, "Leave call")
    for person in (ada, grace):
        expect(tile(person.page, "Hedy")).to_have_count(0)
        expect(call_list(person.page).get_by_role("listitem")).to_have_count(2)
        wait_decoding(person.page, 1, "the two who stayed")
    expect(call_list(hedy.page)).to_be_hidden()


def test_someone_reloading_comes_back_under_the_same_name(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A reloaded page rejoins with the remembered name: one tile for them, video again."""
    ada, grace = meet(browser, people, server.url, RELOADING, ("Ada", "Grace"))
    [before] = wait_decoding(ada.page, 1, "Ada")

    grace.page.reload()
    expect(grace.page.get_by_role("textbox", name="Your name")).to_have_value("Grace")
    # The link's passphrase left the address bar when the page read it: it is asked again.
    grace.page.get_by_role("textbox", name="Passphrase").fill(RELOADING)
    grace.page.get_by_role("button", name="Join", exact=True).click()

    # The connection to the page that went away is closed, not kept beside the new one.
    [after] = wait_decoding(ada.page, 1, "Ada after Grace came back")
    assert after.index != before.index
    expect(tile(ada.page, "Grace")).to_have_count(1)
    expect(call_list(ada.page).get_by_role("listitem")).to_have_count(2)
    wait_playing(ada.page, "Grace")
    wait_playing(grace.page, "Ada")


def _assert_equal(got: object, want: object) -> None:
    assert got == want, f"{got!r} != {want!r}"
