"""The front door in the signalling core: knocks, desks, answers, and what each side is told.

Whole conversations through parlour.signaling.Hub, with no sockets and a fake clock.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from parlour import keys, names, protocol
from parlour.audit import AuditLog, Event
from parlour.door import KNOCK_BURST, MAX_WAITING
from parlour.settings import Host
from parlour.signaling import Hub
from parlour.spaces import Conn, Role
from tests.helpers import FakeClock
from tests.test_signaling import LOUNGE, Net, join, policy, room, signal

GRANDMA_SECRET = keys.b64url(bytes(range(32)))
TUTOR_SECRET = keys.b64url(bytes(range(1, 33)))
STRANGER_SECRET = keys.b64url(bytes(32))


def host(name: str, secret: str, contacts: list[str], permitted: list[str], **rest: Any) -> Host:
    return Host(
        name=name,
        verifier=keys.verifier(keys.unb64url(secret)),
        contacts=tuple(names.fold(contact) for contact in contacts),
        permitted=tuple(names.fold(person) for person in permitted),
        **rest,
    )


GRANDMA = host("grandma", GRANDMA_SECRET, ["Grandma", "Oma"], ["Ada", "Zoë"], super=True)
TUTOR = host("tutor", TUTOR_SECRET, ["Mr Tutor"], ["Pupil"])

COUNTRIES = {"203.0.113.7": "NZ", "198.51.100.9": "DE"}


class Door(Net):
    """A hub with hosts, and the steps a visitor's and a host's page take."""

    def knock(self, name: str, to: str = "Grandma", address: str = "192.0.2.1") -> Conn:
        conn = self.connect(address)
        self.take(conn)
        self.send(conn, {"type": "knock", "name": name, "to": to})
        return conn

    def desk(self, secret: str = GRANDMA_SECRET, address: str = "192.0.2.50") -> Conn:
        conn = self.connect(address)
        self.take(conn)
        self.send(conn, {"type": "desk", "secret": secret})
        return conn


def door_hub(*hosts: Host, clock: FakeClock | None = None, **overrides: Any) -> Door:
    clock = clock or FakeClock()
    audit = AuditLog(None, retention_days=30, max_rows=10_000, clock=clock)
    ids = (f"id{n:06d}" for n in itertools.count())
    hub = Hub(
        policy(room("lounge", LOUNGE), hosts=hosts or (GRANDMA, TUTOR), **overrides),
        audit=audit,
        country_of=COUNTRIES.get,
        clock=clock,
        wall_clock=clock,
        new_id=lambda: next(ids),
    )
    return Door(hub)


@pytest.fixture
def door() -> Door:
    return door_hub()


def events(door: Door) -> list[Event]:
    return [entry.event for entry in door.hub.door.audit.recent()]


def test_a_desk_opens_with_the_hosts_name_and_its_waiting_list(door: Door) -> None:
    ada = door.knock("Ada", address="203.0.113.7")
    desk = door.desk()
    opened = door.one(desk)
    assert opened["type"] == "desk"
    assert (opened["host"], opened["super"]) == ("grandma", True)
    [visitor] = opened["visitors"]
    assert visitor == {
        "id": visitor["id"],
        "name": "Ada",
        "to": "Grandma",
        "address": "203.0.113.7",
        "country": "NZ",
        "agent": "",
        "since": visitor["since"],
        "expected": True,
    }
    assert door.one(ada) == {"type": "waiting"}


def test_every_knock_is_answered_alike_whoever_knocks_and_for_whom(door: Door) -> None:
    door.desk()
    frames = []
    for name, to in [("Ada", "Grandma"), ("Mallory", "Grandma"), ("Ada", "Nobody"), ("Ada", "")]:
        conn = door.knock(name, to)
        frames.append(door.raw[conn])
    assert frames == [[b'{"type":"waiting"}']] * 4


def test_an_expected_visitor_is_listed_live_and_the_host_calls_them_into_a_call(
    door: Door,
) -> None:
    desk = door.desk()
    door.take(desk)
    ada = door.knock("  ada ")  # names compare without case or extra spaces
    door.take(ada)
    arrived = door.one(desk)
    assert arrived["type"] == "visitor"
    assert arrived["visitor"]["name"] == "ada"
    assert arrived["visitor"]["expected"] is True
    door.send(desk, {"type": "answer", "visitor": arrived["visitor"]["id"]})
    host_joined, gone, peer_joined = door.take(desk)
    assert host_joined["type"] == "joined"
    assert host_joined["peers"] == []
    assert gone == {
        "type": "visitor-gone",
        "visitor": arrived["visitor"]["id"],
        "reason": "answered",
    }
    ada_joined = door.one(ada)
    assert ada_joined["type"] == "joined"
    assert ada_joined["peers"] == [host_joined["id"]]
    assert peer_joined == {"type": "peer-joined", "peer": ada_joined["id"]}
    assert ada.role is Role.VISITOR
    assert desk.role is Role.HOST
    # From here it is a call: envelopes pass both ways.
    door.send(ada, signal(host_joined["id"]))
    assert door.one(desk)["type"] == "signal"
    door.send(desk, signal(ada_joined["id"]))
    assert door.one(ada)["type"] == "signal"


def test_a_second_visitor_is_answered_into_the_call_going_on(door: Door) -> None:
    desk = door.desk()
    door.take(desk)
    ada = door.knock("Ada")
    zoe = door.knock("ZOE")  # accents do not count either: Zoë is on the list
    ada_visit, zoe_visit = (m["visitor"]["id"] for m in door.take(desk))
    door.send(desk, {"type": "answer", "visitor": ada_visit})
    host_id = door.take(desk)[0]["id"]
    ada_id = door.take(ada)[-1]["id"]
    door.send(desk, {"type": "answer", "visitor": zoe_visit})
    gone, peer_joined = door.take(desk)
    zoe_joined = door.take(zoe)[-1]
    assert zoe_joined["type"] == "joined"
    assert zoe_joined["peers"] == [host_id, ada_id]  # oldest first: she introduces herself
    assert peer_joined == {"type": "peer-joined", "peer": zoe_joined["id"]}
    assert gone["reason"] == "answered"
    assert door.one(ada) == {"type": "peer-joined", "peer": zoe_joined["id"]}
    door.send(zoe, signal(ada_id))  # visitors in one call talk to each other too
    assert door.one(ada)["type"] == "signal"


def test_an_unexpected_name_is_shown_to_the_host_marked_so_and_cannot_be_called(
    door: Door,
) -> None:
    desk = door.desk()
    door.take(desk)
    mallory = door.knock("Mallory", address="198.51.100.9")
    door.take(mallory)
    audit, listed = door.take(desk)  # grandma, super, also sees the audit
    assert audit["entry"]["event"] == "unexpected-name"
    arrived = listed["visitor"]
    assert (arrived["name"], arrived["expected"], arrived["country"]) == ("Mallory", False, "DE")
    door.send(desk, {"type": "answer", "visitor": arrived["id"]})
    assert door.one(desk)["code"] == "not-expected"
    door.send(desk, {"type": "dismiss", "visitor": arrived["id"]})
    assert door.one(desk) == {
        "type": "visitor-gone",
        "visitor": arrived["id"],
        "reason": "dismissed",
    }
    assert door.quiet(mallory)  # told nothing: still waiting, as far as they can tell
    assert mallory.space is None
    assert Event.UNEXPECTED_NAME in events(door)


def test_only_permitted_hides_unexpected_visitors_from_the_host() -> None:
    shy = host("shy", GRANDMA_SECRET, ["Shy"], ["Ada"], only_permitted=True)
    door = door_hub(shy)
    desk = door.desk()
    door.take(desk)
    door.knock("Mallory", to="Shy")
    assert door.quiet(desk)
    door.knock("Ada", to="Shy")
    assert door.one(desk)["visitor"]["name"] == "Ada"


def test_each_host_sees_only_their_own_visitors(door: Door) -> None:
    grandma, tutor = door.desk(), door.desk(TUTOR_SECRET)
    door.take(grandma), door.take(tutor)
    door.knock("Pupil", to="mr  TUTOR")
    assert door.quiet(grandma)
    assert door.one(tutor)["visitor"]["name"] == "Pupil"
    door.knock("Ada", to="oma")
    assert door.quiet(tutor)
    assert door.one(grandma)["visitor"]["name"] == "Ada"


def test_with_one_host_a_visitor_need_not_name_them() -> None:
    door = door_hub(GRANDMA)
    desk = door.desk()
    door.take(desk)
    door.knock("Ada", to="")
    assert door.one(desk)["visitor"]["name"] == "Ada"


def test_with_several_hosts_a_knock_for_nobody_reaches_nobody_and_is_audited(door: Door) -> None:
    grandma, tutor = door.desk(), door.desk(TUTOR_SECRET)
    door.take(grandma), door.take(tutor)
    door.knock("Ada", to="")
    door.knock("Ada", to="Santa")
    assert door.quiet(tutor)
    assert [m["type"] for m in door.take(grandma)] == ["audit", "audit"]  # grandma is super
    assert events(door) == [Event.UNKNOWN_HOST, Event.UNKNOWN_HOST]


def test_decline_tells_the_visitor_who_may_knock_again(door: Door) -> None:
    desk = door.desk()
    door.take(desk)
    ada = door.knock("Ada")
    visitor = door.one(desk)["visitor"]["id"]
    door.take(ada)
    door.send(desk, {"type": "decline", "visitor": visitor})
    assert door.one(ada) == {"type": "declined"}
    assert door.one(desk) == {"type": "visitor-gone", "visitor": visitor, "reason": "declined"}
    door.send(ada, {"type": "knock", "name": "Ada", "to": "Grandma"})
    assert door.one(ada) == {"type": "waiting"}


def test_a_visitor_who_cancels_or_closes_leaves_the_list(door: Door) -> None:
    desk = door.desk()
    door.take(desk)
    ada, zoe = door.knock("Ada"), door.knock("Zoë")
    ada_id, zoe_id = (m["visitor"]["id"] for m in door.take(desk))
    door.take(ada)
    door.send(ada, {"type": "leave"})
    assert door.one(ada) == {"type": "left"}
    assert door.one(desk) == {"type": "visitor-gone", "visitor": ada_id, "reason": "cancelled"}
    door.disconnect(zoe)
    assert door.one(desk) == {"type": "visitor-gone", "visitor": zoe_id, "reason": "cancelled"}


def test_one_knock_waits_per_connection(door: Door) -> None:
    ada = door.knock("Ada")
    door.take(ada)
    door.send(ada, {"type": "knock", "name": "Ada", "to": "Grandma"})
    assert door.one(ada)["code"] == "already-waiting"
    door.send(ada, join(LOUNGE))
    assert door.one(ada)["code"] == "already-waiting"


def test_a_host_reloading_the_page_sees_who_still_waits(door: Door) -> None:
    first = door.desk()
    door.knock("Ada")
    door.knock("Zoë")
    door.disconnect(first)
    again = door.desk()
    listed = [visitor["name"] for visitor in door.one(again)["visitors"]]
    assert listed == ["Zoë", "Ada"]  # newest first


def test_a_wrong_host_secret_is_refused_slowed_audited_and_locks_out(door: Door) -> None:
    stranger = door.desk(STRANGER_SECRET, address="198.51.100.9")
    assert door.one(stranger)["code"] == "not-a-host"
    delays, codes = [], []
    for _ in range(10):
        door.send(stranger, {"type": "desk", "secret": STRANGER_SECRET})
        delays.append(max(d.delay for d in door.last))
        codes += [m.get("code") for m in door.take(stranger)]
    assert delays[0] == 0
    assert delays[3] > 0  # held back from the fourth failure on, as wrong passphrases are
    assert codes[-1] == "locked-out"
    assert Event.BAD_HOST_SECRET in events(door)
    assert Event.LOCKOUT in events(door)
    door.send(stranger, {"type": "desk", "secret": GRANDMA_SECRET})
    assert door.one(stranger)["code"] == "locked-out"


def test_answer_decline_and_dismiss_need_a_desk_of_that_visitors_host(door: Door) -> None:
    grandma = door.desk()
    door.take(grandma)
    ada = door.knock("Ada")
    door.take(ada)
    visitor = door.one(grandma)["visitor"]["id"]
    nobody = door.connect()
    door.take(nobody)
    tutor = door.desk(TUTOR_SECRET)
    door.take(tutor)
    for kind in ("answer", "decline", "dismiss"):
        door.send(nobody, {"type": kind, "visitor": visitor})
        assert door.one(nobody)["code"] == "not-a-host"
        door.send(tutor, {"type": kind, "visitor": visitor})
        assert door.one(tutor)["code"] == "no-such-visitor"
    assert door.quiet(ada)


def test_knocks_beyond_the_rate_are_answered_alike_and_shown_to_nobody(door: Door) -> None:
    desk = door.desk()
    door.take(desk)
    shown = []
    for n in range(int(KNOCK_BURST) + 3):
        conn = door.knock(f"Ada {n}", address="198.51.100.9")
        assert door.raw[conn] == [b'{"type":"waiting"}']
        shown += [m for m in door.take(desk) if m["type"] == "visitor"]
    assert len(shown) == KNOCK_BURST
    assert events(door).count(Event.KNOCK_LIMIT) == 3


def test_a_full_list_drops_its_oldest_knock_and_says_so() -> None:
    clock = FakeClock()
    door = door_hub(clock=clock)
    desk = door.desk()
    door.take(desk)
    first = None
    for n in range(MAX_WAITING + 1):
        conn = door.knock(f"Mallory {n}", address=f"192.0.2.{n % 250 + 1}")
        first = first or conn
        clock.advance(13)  # within each address's knock rate
    assert len(door.one(door.desk())["visitors"]) == MAX_WAITING
    gone = [m for m in door.take(desk) if m["type"] == "visitor-gone"]
    assert [m["reason"] for m in gone] == ["dropped"]
    assert Event.LIST_FULL in events(door)
    assert door.raw[first] == [b'{"type":"waiting"}']  # and nothing since: it waits on, unseen


def test_a_country_outside_the_allow_list_waits_unseen(door: Door) -> None:
    door = door_hub(countries=frozenset({"NZ"}))
    desk = door.desk()
    door.take(desk)
    refused = door.knock("Ada", address="198.51.100.9")  # DE
    assert door.raw[refused] == [b'{"type":"waiting"}']
    assert [m["type"] for m in door.take(desk)] == ["audit"]
    door.knock("Ada", address="203.0.113.7")  # NZ
    assert door.one(desk)["type"] == "visitor"
    door.knock("Ada", address="192.168.1.20")  # the host's own network has no country
    assert door.one(desk)["type"] == "visitor"
    assert Event.COUNTRY in events(door)


def test_the_super_host_sees_wrong_passphrases_and_connection_limits_live(door: Door) -> None:
    desk = door.desk()
    assert door.one(desk)["audit"] == []
    guesser = door.connect("198.51.100.9")
    door.send(guesser, join("not the passphrase"))
    entry = next(m for m in door.take(desk) if m["type"] == "audit")["entry"]
    assert (entry["event"], entry["address"], entry["country"]) == (
        "wrong-passphrase",
        "198.51.100.9",
        "DE",
    )
    tutor = door.desk(TUTOR_SECRET)
    assert door.one(tutor)["audit"] == []  # not super: no audit, then or later
    door.send(guesser, join("still not it"))
    assert door.quiet(tutor)
    again = door.desk()
    assert [e["event"] for e in door.one(again)["audit"]][:2] == [
        "wrong-passphrase",
        "wrong-passphrase",
    ]


def test_names_are_cleaned_of_control_characters_and_cut(door: Door) -> None:
    desk = door.desk()
    door.take(desk)
    door.knock("Ada\u202e\x00\nLovelace" + "x" * 200)
    shown = door.take(desk)[-1]["visitor"]["name"]
    assert shown.startswith("Ada Lovelace")
    assert len(shown) == protocol.NAME_LENGTH


def test_a_flood_of_strangers_does_not_push_out_an_expected_visitor() -> None:
    door = door_hub()
    desk = door.desk()
    door.take(desk)
    ada = door.knock("Ada", address="203.0.113.7")
    ada_id = door.one(desk)["visitor"]["id"]
    for n in range(500):
        door.knock(f"Flood {n}", address=f"10.{n // 250}.{n % 250}.1")
    door.take(desk)
    door.send(desk, {"type": "answer", "visitor": ada_id})
    assert door.take(desk)[0]["type"] == "joined"
    assert door.take(ada)[-1]["type"] == "joined"
    assert len(door.one(door.desk())["visitors"]) == MAX_WAITING - 1  # all strangers, all seen


def test_a_desk_whose_secret_was_replaced_hears_nothing_more_and_can_do_nothing() -> None:
    """The operator gives a leaked host page a new address (host add --replace, SIGHUP)."""
    door = door_hub(GRANDMA, TUTOR)
    leaked = door.desk()
    door.take(leaked)
    replaced = host("grandma", STRANGER_SECRET, ["Grandma"], ["Ada"], super=True)
    door.hub.apply(policy(room("lounge", LOUNGE), hosts=(replaced, TUTOR)))
    door.knock("Ada")
    assert door.quiet(leaked)
    fresh = door.desk(STRANGER_SECRET)
    visitor = door.one(fresh)["visitors"][0]["id"]
    door.send(leaked, {"type": "answer", "visitor": visitor})
    assert door.one(leaked)["code"] == "not-a-host"


def test_a_relay_only_hosts_calls_are_relay_only_for_everyone_in_them() -> None:
    private = host("private", GRANDMA_SECRET, ["Doctor"], ["Ada"], relay_only=True)
    door = door_hub(private, TUTOR)
    desk = door.desk()
    door.take(desk)
    ada = door.knock("Ada", to="doctor")
    door.take(ada)
    door.send(desk, {"type": "answer", "visitor": door.one(desk)["visitor"]["id"]})
    assert door.take(desk)[0]["relay_only"] is True
    assert door.one(ada)["relay_only"] is True
    tutor = door.desk(TUTOR_SECRET)
    door.take(tutor)
    pupil = door.knock("Pupil", to="Mr Tutor")
    door.take(pupil)
    door.send(tutor, {"type": "answer", "visitor": door.one(tutor)["visitor"]["id"]})
    assert door.one(pupil)["relay_only"] is False
