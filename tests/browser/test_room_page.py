"""Two people in real Chromium join one room through the real server and talk, sealed."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Browser, Page, WebSocketRoute, expect

from parlour import keys
from tests.browser.calling import ask_to_join, call_list, join
from tests.browser.conftest import (
    PASSPHRASE,
    SMALL_ROOM_PASSPHRASE,
    Person,
    open_person,
)
from tests.helpers import vectors
from tests.support import ParlourProcess


def _jwk(side: dict[str, Any]) -> dict[str, str]:
    """A vector's P-256 key pair as a JWK, the form WebCrypto imports a private key in."""
    raw = keys.unb64url(side["key"])
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": keys.b64url(raw[1:33]),
        "y": keys.b64url(raw[33:]),
        "d": side["private"],
    }


def test_browser_crypto_reproduces_the_protocol_vectors(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """WebCrypto in Chromium derives the same locators, keys, envelopes and code as PROTOCOL.md."""
    person = open_person(browser, people, server.url)
    v = vectors()
    jwks = [_jwk(v["pair"]["committer"]), _jwk(v["pair"]["responder"])]
    results = person.page.evaluate(
        """async ([v, jwks]) => {
            const c = await import("./static/crypto.js");
            const salt = c.unb64url(v.salt);
            const out = [];
            for (const room of v.rooms) {
                const derived = await c.deriveRoomKeys(room.passphrase, salt, v.iterations);
                const given = await c.importSignallingKey(c.unb64url(room.signalling_key));
                const iv = c.unb64url(v.room_envelope.iv);
                const probe = {kind: "intro", session: "probe"};
                const aad = c.roomAad("AAAAAAAA", "BBBBBBBB", 9);
                const a = await c.seal(derived.key, aad, probe, iv);
                const b = await c.seal(given, aad, probe, iv);
                out.push({
                    normalized: c.normalizePassphrase(room.passphrase),
                    locator: derived.locator,
                    sameKey: a.ct === b.ct,
                });
            }
            const e = v.room_envelope;
            const key = await c.importSignallingKey(c.unb64url(e.signalling_key));
            const sealed = await c.seal(key, c.roomAad(e.from, e.to, e.seq),
                                        JSON.parse(e.plaintext), c.unb64url(e.iv));
            const opened = await c.open(key, c.roomAad(e.from, e.to, e.seq), e);
            let redirected = "opened";
            try { await c.open(key, c.roomAad(e.from, "CCCCCCCC", e.seq), e); }
            catch { redirected = "refused"; }

            const sides = [v.pair.committer, v.pair.responder];
            const shares = [];
            for (const [i, side] of sides.entries()) {
                const ecdh = {name: "ECDH", namedCurve: "P-256"};
                const privateKey = await crypto.subtle.importKey("jwk", jwks[i], ecdh, false,
                                                                  ["deriveBits"]);
                const {d, ...pub} = jwks[i];
                const publicKey = await crypto.subtle.importKey("jwk", pub, ecdh, true, []);
                shares.push(await c.newShare(side.session, side.fingerprints,
                                             {privateKey, publicKey}));
            }
            const [mine, theirs] = shares;
            const commits = [mine.commit, theirs.commit];
            const pairKey = await c.pairKey(mine.privateKey, theirs.key, ...commits);
            const backKey = await c.pairKey(theirs.privateKey, mine.key, ...commits);
            const p = v.pair.envelope;
            const aad = c.pairAad(p.from, p.to, p.seq);
            const plain = JSON.parse(p.plaintext);
            const pairSealed = await c.seal(pairKey, aad, plain, c.unb64url(p.iv));
            return {
                rooms: out, ct: sealed.ct, opened, redirected,
                shares: shares.map(({key, identity, commit}) => ({key, identity, commit})),
                pairCt: pairSealed.ct,
                pairOpened: await c.open(backKey, aad, p),
                code: await c.safetyCode(theirs.identity, mine.identity),
            };
        }""",
        [v, jwks],
    )
    for got, room in zip(results["rooms"], v["rooms"], strict=True):
        assert got == {
            "normalized": room["normalized"],
            "locator": room["locator"],
            "sameKey": True,
        }
    assert results["ct"] == v["room_envelope"]["ct"]
    assert results["opened"] == json.loads(v["room_envelope"]["plaintext"])
    assert results["redirected"] == "refused"
    sides = [v["pair"]["committer"], v["pair"]["responder"]]
    for got, side in zip(results["shares"], sides, strict=True):
        assert got == {"key": side["key"], "identity": side["identity"], "commit": side["commit"]}
    assert results["pairCt"] == v["pair"]["envelope"]["ct"]
    assert results["pairOpened"] == json.loads(v["pair"]["envelope"]["plaintext"])
    assert results["code"] == v["pair"]["safety_code"]


def test_two_people_meet_and_talk_and_the_server_learns_nothing(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Names and chat arrive sealed; the frames hold no passphrase, name, text, SDP or ICE."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada Lovelace", PASSPHRASE)
    expect(call_list(ada.page)).to_contain_text("Ada Lovelace (you)")

    grace = open_person(browser, people, server.url + "#" + PASSPHRASE.replace(" ", "%20"))
    expect(grace.page.get_by_label("Passphrase")).to_be_hidden()
    join(grace.page, "Grace Hopper")

    expect(call_list(ada.page)).to_contain_text("Grace Hopper")
    expect(call_list(grace.page)).to_contain_text("Ada Lovelace")

    ada.page.get_by_role("textbox", name="Message").fill("the lighthouse keeper waves at dawn")
    ada.page.get_by_role("button", name="Send", exact=True).click()
    log = grace.page.get_by_role("list", name="Messages")
    expect(log).to_contain_text("Ada Lovelace: the lighthouse keeper waves at dawn")

    locator = keys.b64url(keys.room_keys(PASSPHRASE, _salt(ada)).locator)
    assert {"type": "join", "room": locator} in ada.messages("sent")
    # Now that the page makes a call, ~100 kB of base64url envelopes cross: a three-letter word
    # ("sdp", "Ada") turns up in them by chance about one run in three. Hence whole names,
    # long words, and markers with a character base64url never uses.
    secrets = [PASSPHRASE, "Ada Lovelace", "Lovelace", "Grace Hopper", "Hopper", "lighthouse"]
    secrets += [word for word in PASSPHRASE.split() if len(word) >= 5]
    wire = "\n".join(ada.frames() + grace.frames())
    for secret in secrets:
        assert secret not in wire, f"{secret!r} crossed the server"
    for marker in ("v=0", "candidate", '"sdp"', '"hello"', '"chat"'):
        assert marker not in wire, f"{marker!r} crossed the server"
    signals = [m for m in ada.messages("sent") if m["type"] == "signal"]
    assert signals, "Ada sent no sealed envelope at all"


def test_someone_leaving_disappears_from_the_list(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """Leaving removes the person from the others' list of people."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)
    grace = open_person(browser, people, server.url)
    join(grace.page, "Grace", PASSPHRASE)
    expect(call_list(ada.page)).to_contain_text("Grace")
    grace.page.get_by_role("button", name="Leave call").click()
    expect(call_list(ada.page)).not_to_contain_text("Grace")
    expect(grace.page.get_by_role("button", name="Join")).to_be_visible()


def test_wrong_passphrase_is_told_clearly_and_joins_nothing(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """A wrong passphrase gets a plain sentence and the room stays closed."""
    person = open_person(browser, people, server.url)
    ask_to_join(person.page, "Mallory", "not the right words at all")
    expect(person.page.get_by_role("alert")).to_contain_text(
        "That passphrase does not open a room here"
    )
    expect(person.page.get_by_role("heading", name="In the room")).to_be_hidden()
    assert not [m for m in person.messages("received") if m["type"] == "joined"]


def test_a_join_link_is_welcomed_before_join_and_joins_on_the_same_socket(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """From a link the page connects while the person types, and says nothing until Join."""
    context = browser.new_context()
    page = context.new_page()
    people.append(Person(page))  # closed with the others
    later: list[object] = []
    with page.expect_websocket() as opened:
        page.goto(server.url + "#" + PASSPHRASE.replace(" ", "%20"))
    socket = opened.value
    page.on("websocket", lambda other: later.append(other))
    welcome = socket.wait_for_event("framereceived")
    assert json.loads(welcome)["type"] == "welcome"
    with socket.expect_event("framesent") as sent:
        ask_to_join(page, "Ada")
    assert json.loads(sent.value)["type"] == "join"
    expect(call_list(page)).to_contain_text("Ada (you)")
    assert not later, "Join opened a second connection instead of using the first"


def test_full_room_is_told_clearly(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """The third person in a room for two is told the room is full."""
    for name in ("One", "Two"):
        person = open_person(browser, people, server.url)
        join(person.page, name, SMALL_ROOM_PASSPHRASE)
        expect(person.page.get_by_role("heading", name="In the room")).to_be_visible()
    third = open_person(browser, people, server.url)
    ask_to_join(third.page, "Three", SMALL_ROOM_PASSPHRASE)
    expect(third.page.get_by_role("alert")).to_contain_text("The room is full")


def _tamper(page: Page, change: Any) -> None:
    """Route the page's socket through a meddler who rewrites what the server sends it."""

    def route(socket: WebSocketRoute) -> None:
        upstream = socket.connect_to_server()
        upstream.on_message(lambda frame: change(socket, frame))

    page.route_web_socket(re.compile(r"/ws$"), route)


def _forward_altered(socket: WebSocketRoute, frame: str | bytes) -> None:
    message = json.loads(frame)
    if message["type"] == "signal":
        ct = message["ct"]
        message["ct"] = ("A" if ct[0] != "A" else "B") + ct[1:]
    socket.send(json.dumps(message))


def _forward_twice(socket: WebSocketRoute, frame: str | bytes) -> None:
    socket.send(frame)
    if json.loads(frame)["type"] == "signal":
        socket.send(frame)


def test_altered_envelope_is_reported_and_ignored(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """An envelope changed in transit fails to open: the page warns and shows nothing of it."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)
    grace = open_person(browser, people, "about:blank")
    _tamper(grace.page, _forward_altered)
    grace.page.goto(server.url)
    ask_to_join(grace.page, "Grace", PASSPHRASE)
    expect(grace.page.get_by_role("alert")).to_contain_text("could not be opened")
    expect(call_list(grace.page)).not_to_contain_text("Ada")
    expect(call_list(grace.page)).to_contain_text("Someone joining")


def test_replayed_envelope_is_reported_and_opens_once(
    browser: Browser, people: list[Person], server: ParlourProcess
) -> None:
    """An envelope delivered twice opens once; the second copy is refused as a replay."""
    ada = open_person(browser, people, server.url)
    join(ada.page, "Ada", PASSPHRASE)
    grace = open_person(browser, people, "about:blank")
    _tamper(grace.page, _forward_twice)
    grace.page.goto(server.url)
    join(grace.page, "Grace", PASSPHRASE)
    expect(call_list(grace.page)).to_contain_text("Ada")
    ada.page.get_by_role("textbox", name="Message").fill("only once please")
    ada.page.get_by_role("button", name="Send", exact=True).click()
    expect(grace.page.get_by_role("alert")).to_contain_text("arrived twice")
    log = grace.page.get_by_role("list", name="Messages")
    expect(log.get_by_role("listitem")).to_have_count(1)


def _salt(person: Person) -> bytes:
    welcome = next(m for m in person.messages("received") if m["type"] == "welcome")
    return keys.unb64url(str(welcome["salt"]))
