"""parlour.signaling.Hub: whole conversations through the core, with no sockets and a fake clock."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import pytest

from parlour import envelopes, keys, protocol
from parlour.guard import JoinGuard
from parlour.ice import StunServers, TurnServers
from parlour.settings import Policy, Room, Turn
from parlour.signaling import (
    MAX_CONNECTIONS_PER_ADDRESS,
    MESSAGE_BURST,
    MESSAGE_DROPS,
    MESSAGE_RATE,
    Hub,
)
from parlour.spaces import Conn, Delivery, Role
from tests.helpers import SALT, FakeClock, locator, room, settings

LOUNGE = "correct horse battery staple"
STUDY = "purple monkey dishwasher"
TINY = "two is company"
NOBODY = "a room nobody configured"

IV = "ZGVmZ2hpamtsbW5v"
CT = "m5eIpdXa4gnJy-ubyPmNYxN6mez-PSqIqLWlM7DjYPeo2MyhfMSRkI4XEkbkNJk_0cnCM5YX7iFa"


def policy(*rooms: Any, **overrides: Any) -> Policy:
    """What the hub runs on, cut from settings as config.load would build them."""
    return settings(*rooms, **overrides).policy()


def configured(**overrides: Any) -> Policy:
    return policy(
        room("lounge", LOUNGE),
        room("study", STUDY),
        room("tiny", TINY, max_members=2),
        **overrides,
    )


class Net:
    """Routes the hub's deliveries into per-connection inboxes, as wire JSON."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.inbox: dict[Conn, list[dict[str, Any]]] = defaultdict(list)
        self.raw: dict[Conn, list[bytes]] = defaultdict(list)
        self.last: list[Delivery] = []
        self.closed: dict[Conn, protocol.CloseCode] = {}

    def route(self, out: list[Delivery]) -> list[Delivery]:
        self.last = out
        for delivery in out:
            if delivery.close is not None:
                self.closed[delivery.conn] = delivery.close
            if delivery.message is None:
                assert delivery.close is not None, "a delivery with nothing to do"
                continue
            data = protocol.encode(delivery.message)
            protocol.decode_server(data)  # everything sent is a valid server message
            self.raw[delivery.conn].append(data)
            self.inbox[delivery.conn].append(json.loads(data))
        return out

    def connect(self, address: str = "192.0.2.1") -> Conn:
        conn, out = self.hub.connect(address)
        self.route(out)
        return conn

    def send(self, conn: Conn, message: dict[str, Any] | str | bytes, *, text: bool = True) -> None:
        frame = json.dumps(message) if isinstance(message, dict) else message
        self.route(self.hub.receive(conn, frame, text=text))

    def disconnect(self, conn: Conn) -> None:
        self.route(self.hub.disconnect(conn))

    def take(self, conn: Conn) -> list[dict[str, Any]]:
        """Everything `conn` received since the last take."""
        self.raw.pop(conn, None)
        return self.inbox.pop(conn, [])

    def one(self, conn: Conn) -> dict[str, Any]:
        messages = self.take(conn)
        assert len(messages) == 1, messages
        return messages[0]

    def quiet(self, *conns: Conn) -> bool:
        return all(not self.inbox.get(conn) for conn in conns)

    def joined(self, passphrase: str, address: str = "192.0.2.1") -> tuple[Conn, str]:
        """A connection that has read its welcome and joined; returns it with its peer id."""
        conn = self.connect(address)
        self.take(conn)
        self.send(conn, join(passphrase))
        reply = self.one(conn)
        assert reply["type"] == "joined", reply
        return conn, reply["id"]


def join(passphrase: str, ticket: str | None = None) -> dict[str, Any]:
    message = {"type": "join", "room": locator(passphrase)}
    return message if ticket is None else {**message, "ticket": ticket}


def signal(to: str, seq: int = 1) -> dict[str, Any]:
    return {"type": "signal", "to": to, "seq": seq, "iv": IV, "ct": CT}


def error(code: str, about: str | None) -> tuple[str, str, str | None]:
    return ("error", code, about)


def summary(message: dict[str, Any]) -> tuple[str, str, str | None]:
    return (message["type"], message.get("code", ""), message.get("about"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def net(clock: FakeClock) -> Net:
    return Net(Hub(configured(), clock=clock))


# --- connecting and joining -----------------------------------------------------------------


def test_welcome_is_the_first_message_and_carries_the_key_parameters(net: Net) -> None:
    """On connect only that client gets welcome: protocol, salt, iterations, max_frame."""
    other = net.connect()
    net.take(other)
    conn = net.connect()
    assert net.take(conn) == [
        {
            "type": "welcome",
            "protocol": protocol.PROTOCOL_VERSION,
            "salt": keys.b64url(SALT),
            "iterations": keys.KDF_ITERATIONS,
            "max_frame": protocol.MAX_FRAME,
        }
    ]
    assert net.quiet(other)


def test_join_answers_joined_and_announces_the_newcomer(net: Net) -> None:
    """joined lists earlier members oldest first; each earlier member gets peer-joined."""
    ada, ada_id = net.joined(LOUNGE)
    grace = net.connect()
    net.take(grace)
    net.send(grace, join(LOUNGE))
    joined = net.one(grace)
    grace_id = joined["id"]
    assert joined == {
        "type": "joined",
        "id": grace_id,
        "peers": [ada_id],
        "capacity": 8,
        "ice_servers": [],
        "upload_kbps": 2500,
        "locked": False,
        "ice_ttl": None,
        "relay_only": False,
    }
    assert net.one(ada) == {"type": "peer-joined", "peer": grace_id}

    alan = net.connect()
    net.take(alan)
    net.send(alan, join(LOUNGE))
    assert net.one(alan)["peers"] == [ada_id, grace_id]
    assert net.one(ada)["type"] == net.one(grace)["type"] == "peer-joined"


def test_first_member_gets_empty_peers_and_the_rooms_capacity(net: Net) -> None:
    """The capacity in joined is the configured room's max_members."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(TINY))
    reply = net.one(conn)
    assert reply["peers"] == []
    assert reply["capacity"] == 2


def test_relay_stamps_the_sender_and_reaches_only_the_recipient(net: Net) -> None:
    """A signal arrives at its recipient as `from` = the sender's id; nobody else sees it."""
    ada, ada_id = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    alan, _ = net.joined(LOUNGE)
    net.take(ada)
    net.take(grace)
    net.send(grace, signal(ada_id, seq=5))
    assert net.take(ada) == [{"type": "signal", "from": grace_id, "seq": 5, "iv": IV, "ct": CT}]
    assert net.quiet(grace, alan)


def test_sealed_conversation_opens_with_the_stamped_sender(net: Net) -> None:
    """PROTOCOL.md's conversation: an envelope sealed for (from, to, seq) opens when relayed."""
    key = keys.room_keys(LOUNGE, SALT, 1_000).signalling_key
    ada, ada_id = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    assert net.one(ada) == {"type": "peer-joined", "peer": grace_id}
    iv = b"0123456789ab"
    intro = b'{"kind":"intro","session":"q8LxT3m0c9zH1vN5Yk2aBw"}'
    ct = envelopes.seal(key, envelopes.room_aad(grace_id, ada_id, 1), intro, iv)
    message = {
        "type": "signal",
        "to": ada_id,
        "seq": 1,
        "iv": keys.b64url(iv),
        "ct": keys.b64url(ct),
    }
    net.send(grace, message)
    got = net.one(ada)
    aad = envelopes.room_aad(got["from"], ada_id, got["seq"])
    plain = envelopes.open_sealed(key, aad, keys.unb64url(got["iv"]), keys.unb64url(got["ct"]))
    assert plain == intro


# --- signal errors --------------------------------------------------------------------------


def test_signal_to_a_peer_in_another_room_is_no_such_peer(net: Net) -> None:
    """Rooms are sealed off: a peer id from another room is unknown, and its owner hears nothing."""
    ada, _ = net.joined(LOUNGE)
    outsider, outsider_id = net.joined(STUDY)
    net.send(ada, signal(outsider_id))
    assert summary(net.one(ada)) == error("no-such-peer", "signal")
    assert net.quiet(outsider)


def test_signal_to_self_is_no_such_peer(net: Net) -> None:
    """You cannot send an envelope to yourself."""
    ada, ada_id = net.joined(LOUNGE)
    net.joined(LOUNGE)
    net.take(ada)
    net.send(ada, signal(ada_id))
    assert summary(net.one(ada)) == error("no-such-peer", "signal")


def test_signal_to_an_unknown_id_is_no_such_peer(net: Net) -> None:
    """An id nobody has is no-such-peer."""
    ada, _ = net.joined(LOUNGE)
    net.send(ada, signal("ZZZZZZZZ"))
    assert summary(net.one(ada)) == error("no-such-peer", "signal")


@pytest.mark.parametrize(
    "message",
    [
        signal("AAAAAAAA"),
        {"type": "leave"},
        {"type": "lock"},
        {"type": "unlock"},
        {"type": "refresh"},
    ],
    ids=["signal", "leave", "lock", "unlock", "refresh"],
)
def test_signal_leave_or_lock_before_join_is_not_joined(net: Net, message: dict[str, Any]) -> None:
    """Only members may signal, leave, lock, unlock or ask for fresh TURN credentials."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, message)
    assert summary(net.one(conn)) == error("not-joined", message["type"])


# --- leaving and rejoining ------------------------------------------------------------------


def test_leave_answers_left_and_tells_the_others(net: Net) -> None:
    """leave: the leaver gets left, the rest get peer-left, and the leaver is unreachable."""
    ada, ada_id = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    net.take(ada)
    net.send(grace, {"type": "leave"})
    assert net.one(grace) == {"type": "left"}
    assert net.one(ada) == {"type": "peer-left", "peer": grace_id}
    net.send(ada, signal(grace_id))
    assert summary(net.one(ada)) == error("no-such-peer", "signal")
    net.send(grace, signal(ada_id))
    assert summary(net.one(grace)) == error("not-joined", "signal")


def test_rejoin_after_leave_works(net: Net) -> None:
    """After leave the same connection can join again, and the room hears of it."""
    ada, ada_id = net.joined(LOUNGE)
    grace, _ = net.joined(LOUNGE)
    net.send(grace, {"type": "leave"})
    net.take(grace)
    net.take(ada)
    net.send(grace, join(LOUNGE))
    joined = net.one(grace)
    assert joined["type"] == "joined"
    assert joined["peers"] == [ada_id]
    assert net.one(ada) == {"type": "peer-joined", "peer": joined["id"]}
    net.send(grace, {"type": "leave"})
    net.take(grace)
    net.send(grace, join(STUDY))
    assert net.one(grace)["peers"] == []


def test_duplicate_join_is_already_joined(net: Net) -> None:
    """A connection in a room cannot join again, the same room or another, until it leaves."""
    ada, _ = net.joined(LOUNGE)
    grace, _ = net.joined(LOUNGE)
    net.take(ada)
    for passphrase in (LOUNGE, STUDY, NOBODY):
        net.send(grace, join(passphrase))
        assert summary(net.one(grace)) == error("already-joined", "join")
    assert net.quiet(ada)
    assert len(net.hub.guard) == 0  # not counted as wrong passphrases


def test_disconnect_tells_the_rest_and_removes_the_empty_room(net: Net) -> None:
    """Dropping mid-call sends peer-left to the others; the last one out removes the room."""
    ada, _ = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    alan, alan_id = net.joined(LOUNGE)
    net.take(ada)
    net.take(grace)
    net.disconnect(alan)
    assert net.one(ada) == net.one(grace) == {"type": "peer-left", "peer": alan_id}
    net.disconnect(grace)
    assert net.one(ada) == {"type": "peer-left", "peer": grace_id}
    assert len(net.hub.spaces) == 1
    net.disconnect(ada)
    assert net.hub.spaces == {}
    assert net.hub.connections == 0


def test_disconnect_before_join_sends_nothing(net: Net) -> None:
    """A connection that never joined leaves without a trace."""
    ada, _ = net.joined(LOUNGE)
    conn = net.connect()
    net.take(conn)
    net.disconnect(conn)
    assert net.last == []
    assert net.quiet(ada)


# --- rooms that refuse ----------------------------------------------------------------------


def test_full_room_is_room_full_and_not_a_failed_guess(net: Net) -> None:
    """Past max_members a join is room-full; members are not told, and the guard counts nothing."""
    ada, _ = net.joined(TINY)
    grace, _ = net.joined(TINY)
    net.take(ada)
    third = net.connect()
    net.take(third)
    net.send(third, join(TINY))
    assert summary(net.one(third)) == error("room-full", "join")
    assert net.quiet(ada, grace)
    assert len(net.hub.guard) == 0
    net.send(grace, {"type": "leave"})
    net.send(third, join(TINY))
    assert net.one(third)["type"] == "joined"


def test_wrong_passphrase_and_unconfigured_room_get_identical_answers(net: Net) -> None:
    """A wrong locator, one for no listed room and a non-canonical one: byte-identical errors."""
    answers = []
    bad_locators = [
        locator(NOBODY),
        locator(LOUNGE, salt=b"another deployment's salt......."),
        locator(LOUNGE)[:-1] + "B",  # 43 characters but not canonical base64url
    ]
    for address, room_locator in enumerate(bad_locators):
        conn = net.connect(f"192.0.2.{address + 10}")
        net.take(conn)
        net.send(conn, {"type": "join", "room": room_locator})
        answers.append(net.raw[conn])
        assert summary(net.one(conn)) == error("no-such-room", "join")
    assert answers[0] == answers[1] == answers[2]


def test_failed_joins_are_delayed_then_locked_out_per_address(net: Net, clock: FakeClock) -> None:
    """Wrong guesses from one address are held back, then locked out; other addresses are not."""
    guesser = net.connect("198.51.100.1")
    net.take(guesser)
    delays = []
    for n in range(JoinGuard.LOCK_AFTER):
        net.send(guesser, join(f"guess {n}"))
        assert summary(net.one(guesser)) == error("no-such-room", "join")
        delays.append(net.last[0].delay)
    assert delays == [0.0, 0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 4.0, 4.0, 4.0]

    # Locked: even the right passphrase is refused, with a message that says how long to wait.
    net.send(guesser, join(LOUNGE))
    answer = net.one(guesser)
    assert summary(answer) == error("locked-out", "join")
    assert "15 minutes" in answer["message"]
    assert answer["retry_after"] == JoinGuard.LOCKOUT
    assert net.hub.spaces == {}

    # A second connection from the same address is locked out too, for what is left of it.
    clock.advance(100.5)
    again = net.connect("198.51.100.1")
    net.take(again)
    net.send(again, join(LOUNGE))
    later = net.one(again)
    assert summary(later) == error("locked-out", "join")
    assert later["retry_after"] == JoinGuard.LOCKOUT - 100  # rounded up: never too early

    # Another address is untouched: no delay, and it gets in.
    neighbour = net.connect("198.51.100.2")
    net.take(neighbour)
    net.send(neighbour, join(NOBODY))
    assert net.last[0].delay == 0.0
    assert summary(net.one(neighbour)) == error("no-such-room", "join")
    net.send(neighbour, join(LOUNGE))
    assert net.one(neighbour)["type"] == "joined"

    # After the lockout the address may try again.
    clock.advance(JoinGuard.LOCKOUT)
    net.send(guesser, join(LOUNGE))
    assert net.one(guesser)["type"] == "joined"


def test_open_rooms_let_any_locator_open_an_ad_hoc_room(clock: FakeClock) -> None:
    """open_rooms: an unlisted passphrase opens its own room of settings.max_members."""
    net = Net(Hub(configured(open_rooms=True, max_members=3), clock=clock))
    _, ada_id = net.joined(NOBODY)
    grace = net.connect()
    net.take(grace)
    net.send(grace, join(NOBODY))
    joined = net.one(grace)
    assert joined["peers"] == [ada_id]
    assert joined["capacity"] == 3
    # A different unlisted passphrase is a different room.
    alan, _ = net.joined("yet another room")
    net.send(alan, signal(ada_id))
    assert summary(net.one(alan)) == error("no-such-peer", "signal")
    # Listed rooms keep their own size.
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(TINY))
    assert net.one(conn)["capacity"] == 2
    # A locator that is not canonical base64url still opens nothing.
    conn = net.connect()
    net.take(conn)
    net.send(conn, {"type": "join", "room": locator(NOBODY)[:-1] + "B"})
    assert summary(net.one(conn)) == error("no-such-room", "join")


def test_ad_hoc_rooms_are_refused_when_open_rooms_is_off(net: Net) -> None:
    """Without open_rooms, an unlisted passphrase opens nothing."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(NOBODY))
    assert summary(net.one(conn)) == error("no-such-room", "join")
    assert net.hub.spaces == {}


# --- locking --------------------------------------------------------------------------------

TICKET_PATTERN = r"[A-Za-z0-9_-]{48}"
TICKET_KEY = bytes(range(100, 132))
DAY = 24 * 3600.0


def locked_lounge(net: Net) -> tuple[Conn, str, Conn, str, str]:
    """Ada and Grace in the lounge, locked by Ada; returns both, their ids and the ticket."""
    ada, ada_id = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    net.take(ada)
    net.send(ada, {"type": "lock"})
    state = net.one(ada)
    assert net.one(grace) == state
    return ada, ada_id, grace, grace_id, state["ticket"]


def test_lock_tells_every_member_who_locked_it_and_the_ticket(net: Net) -> None:
    """lock: every member, the sender too, gets room-state locked by the sender, with a ticket."""
    outsider, _ = net.joined(STUDY)
    ada, _ = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    net.take(ada)
    net.send(grace, {"type": "lock"})
    state = net.one(grace)
    assert state == {"type": "room-state", "locked": True, "by": grace_id, "ticket": ANY}
    assert re.fullmatch(TICKET_PATTERN, state["ticket"])
    assert net.one(ada) == state
    assert net.quiet(outsider)


def test_each_lock_gets_a_fresh_random_ticket(net: Net) -> None:
    """Tickets are not derived from anything guessable: two locks, two different tickets."""
    ada, _, _, _, first = locked_lounge(net)
    net.send(ada, {"type": "unlock"})
    net.send(ada, {"type": "lock"})
    tickets = [m["ticket"] for m in net.take(ada)]
    assert tickets[0] is None
    assert re.fullmatch(TICKET_PATTERN, tickets[1])
    assert tickets[1] != first


def test_locked_room_refuses_a_join_with_room_locked_not_a_failed_guess(net: Net) -> None:
    """A right passphrase without a ticket: room-locked; members hear nothing, guard counts 0."""
    ada, _, grace, _, _ = locked_lounge(net)
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE))
    answer = net.one(late)
    assert summary(answer) == error("room-locked", "join")
    assert answer["message"] == protocol.ERROR_TEXT[protocol.ErrorCode.ROOM_LOCKED]
    assert net.quiet(ada, grace)
    assert len(net.hub.guard) == 0
    assert len(next(iter(net.hub.spaces.values())).members) == 2


def test_a_wrong_passphrase_gets_the_same_answer_whatever_is_locked(net: Net) -> None:
    """While a room is locked, a wrong locator (with or without a ticket) is plain no-such-room."""
    before = net.connect("192.0.2.50")
    net.take(before)
    net.send(before, join(NOBODY))
    unlocked_answer = net.raw[before]
    _, _, _, _, ticket = locked_lounge(net)
    for address, message in enumerate([join(NOBODY), join(NOBODY, ticket)]):
        conn = net.connect(f"192.0.2.{address + 60}")
        net.take(conn)
        net.send(conn, message)
        assert net.raw[conn] == unlocked_answer
        assert summary(net.one(conn)) == error("no-such-room", "join")


def test_the_ticket_admits_a_member_back_into_the_locked_room(net: Net) -> None:
    """A member whose socket dropped rejoins with the ticket: joined says locked, others told."""
    ada, ada_id, grace, _, ticket = locked_lounge(net)
    net.disconnect(grace)
    net.take(ada)
    back = net.connect()
    net.take(back)
    net.send(back, join(LOUNGE, ticket))
    joined = net.one(back)
    assert (joined["type"], joined["peers"], joined["locked"]) == ("joined", [ada_id], True)
    assert net.one(ada) == {"type": "peer-joined", "peer": joined["id"]}


def test_a_wrong_ticket_is_room_locked(net: Net) -> None:
    """A ticket of the right form that is not this lock's is refused like no ticket at all."""
    ada, _, _, _, ticket = locked_lounge(net)
    wrong = ("A" if ticket[0] != "A" else "B") + ticket[1:]
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE, wrong))
    assert summary(net.one(late)) == error("room-locked", "join")
    assert net.quiet(ada)


def test_unlock_tells_everyone_and_lets_newcomers_in_again(net: Net) -> None:
    """unlock: every member gets room-state unlocked by the sender; a plain join works again."""
    ada, _, grace, grace_id, ticket = locked_lounge(net)
    net.send(grace, {"type": "unlock"})
    state = {"type": "room-state", "locked": False, "by": grace_id, "ticket": None}
    assert net.one(grace) == net.one(ada) == state
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE))
    assert net.one(late)["locked"] is False
    net.take(ada)
    # The old ticket is void: locking again issues a new one, which it does not match.
    net.send(ada, {"type": "lock"})
    assert net.one(ada)["ticket"] != ticket
    stale = net.connect()
    net.take(stale)
    net.send(stale, join(LOUNGE, ticket))
    assert summary(net.one(stale)) == error("room-locked", "join")


def test_locking_a_locked_room_changes_nothing_and_answers_only_the_sender(net: Net) -> None:
    """A second lock (or an unlock of an open room) gets the state as it is, and nobody else."""
    ada, ada_id, grace, _, ticket = locked_lounge(net)
    net.send(grace, {"type": "lock"})
    assert net.one(grace) == {"type": "room-state", "locked": True, "by": ada_id, "ticket": ticket}
    assert net.quiet(ada)
    study, _ = net.joined(STUDY)
    net.send(study, {"type": "unlock"})
    assert net.one(study) == {"type": "room-state", "locked": False, "by": None, "ticket": None}


def test_a_room_that_empties_forgets_its_lock(net: Net) -> None:
    """When the last member goes, the room and its lock go: the next join needs no ticket."""
    ada, _, grace, _, _ = locked_lounge(net)
    net.disconnect(ada)
    net.send(grace, {"type": "leave"})
    assert net.hub.spaces == {}
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(LOUNGE))
    joined = net.one(conn)
    assert (joined["type"], joined["peers"], joined["locked"]) == ("joined", [], False)


def test_a_lock_is_on_the_senders_room_only(net: Net) -> None:
    """Locking the lounge leaves the study open, and a lounge ticket means nothing there."""
    study, study_id = net.joined(STUDY)
    _, _, _, _, ticket = locked_lounge(net)
    assert net.quiet(study)
    late = net.connect()
    net.take(late)
    net.send(late, join(STUDY, ticket))
    joined = net.one(late)
    assert (joined["peers"], joined["locked"]) == ([study_id], False)


def restarted(net: Net, clock: FakeClock) -> Net:
    """The same server after a restart: same file (so the same ticket key), nothing in memory."""
    return Net(Hub(net.hub.policy, clock=clock, wall_clock=clock))


@pytest.fixture
def keyed(clock: FakeClock) -> Net:
    """A hub whose file has a ticket key, and whose wall clock is the test's clock."""
    return Net(Hub(configured(ticket_key=TICKET_KEY), clock=clock, wall_clock=clock))


def back_alone(net: Net, ticket: str) -> tuple[Conn, str]:
    """The first member back after a restart: rejoins with its ticket, finds the room open."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(LOUNGE, ticket))
    joined = net.one(conn)
    assert (joined["type"], joined["peers"], joined["locked"]) == ("joined", [], False)
    return conn, joined["id"]


def test_lock_with_a_ticket_restores_a_lock_the_server_forgot(keyed: Net, clock: FakeClock) -> None:
    """After a restart the first member back locks again with its ticket; the others get in."""
    _, _, _, _, ticket = locked_lounge(keyed)
    net = restarted(keyed, clock)  # a fresh process: no room, no lock
    ada, ada_id = back_alone(net, ticket)
    net.send(ada, {"type": "lock", "ticket": ticket})
    assert net.one(ada) == {"type": "room-state", "locked": True, "by": ada_id, "ticket": ticket}
    grace = net.connect()
    net.take(grace)
    net.send(grace, join(LOUNGE, ticket))
    assert net.one(grace)["locked"] is True
    stranger = net.connect()
    net.take(stranger)
    net.send(stranger, join(LOUNGE))
    assert summary(net.one(stranger)) == error("room-locked", "join")


def test_lock_with_a_made_up_ticket_is_refused_and_the_room_stays_open(keyed: Net) -> None:
    """A ticket the server never made cannot lock a room, nor then admit anyone to it."""
    ada, _ = keyed.joined(LOUNGE)
    made_up = "q8LxT3m0c9zH1vN5Yk2aBw"
    for ticket in (made_up, "A" * 48, made_up * 2 + "AAAA"):
        keyed.send(ada, {"type": "lock", "ticket": ticket})
        assert summary(keyed.one(ada)) == error("invalid-ticket", "lock")
    late = keyed.connect()
    keyed.take(late)
    keyed.send(late, join(LOUNGE))
    assert keyed.one(late)["locked"] is False
    assert keyed.one(ada)["type"] == "peer-joined"


def test_another_rooms_ticket_cannot_lock_this_one(keyed: Net, clock: FakeClock) -> None:
    """A genuine ticket of the study does not restore a lock on the lounge."""
    study, _ = keyed.joined(STUDY)
    keyed.send(study, {"type": "lock"})
    study_ticket = keyed.one(study)["ticket"]
    net = restarted(keyed, clock)
    ada, _ = back_alone(net, study_ticket)
    net.send(ada, {"type": "lock", "ticket": study_ticket})
    assert summary(net.one(ada)) == error("invalid-ticket", "lock")


def test_a_ticket_made_under_another_key_is_refused(keyed: Net, clock: FakeClock) -> None:
    """A new ticket_key (or none, in an old file) voids the tickets signed with the old one."""
    _, _, _, _, ticket = locked_lounge(keyed)
    other = Net(Hub(configured(ticket_key=bytes(32)), clock=clock, wall_clock=clock))
    ada, _ = back_alone(other, ticket)
    other.send(ada, {"type": "lock", "ticket": ticket})
    assert summary(other.one(ada)) == error("invalid-ticket", "lock")
    keyless = Net(Hub(configured(), clock=clock, wall_clock=clock))
    grace, _ = back_alone(keyless, ticket)
    keyless.send(grace, {"type": "lock", "ticket": ticket})
    assert summary(keyless.one(grace)) == error("invalid-ticket", "lock")


def test_an_unlocked_ticket_cannot_lock_the_room_again(keyed: Net) -> None:
    """After unlock the old ticket is void for lock as for join, while the server runs."""
    ada, _, grace, _, ticket = locked_lounge(keyed)
    keyed.send(grace, {"type": "unlock"})
    keyed.take(ada)
    keyed.take(grace)
    keyed.send(ada, {"type": "lock", "ticket": ticket})
    assert summary(keyed.one(ada)) == error("invalid-ticket", "lock")
    assert keyed.quiet(grace)


def test_the_newest_genuine_ticket_wins_after_a_restart(keyed: Net, clock: FakeClock) -> None:
    """An old ticket put back first gives way to a later one; then only the later one admits."""
    ada, _, _, _, old = locked_lounge(keyed)
    keyed.send(ada, {"type": "unlock"})
    clock.advance(60)
    keyed.send(ada, {"type": "lock"})
    new = keyed.take(ada)[-1]["ticket"]
    assert new != old
    net = restarted(keyed, clock)
    # Mallory held the first ticket and is back first; she puts her old lock back.
    mallory, mallory_id = back_alone(net, old)
    net.send(mallory, {"type": "lock", "ticket": old})
    assert net.one(mallory)["ticket"] == old
    # Ada comes back with the newer ticket: she gets in, and everyone now holds hers.
    back = net.connect()
    net.take(back)
    net.send(back, join(LOUNGE, new))
    joined, state = net.take(back)
    assert (joined["type"], joined["peers"], joined["locked"]) == ("joined", [mallory_id], True)
    assert state == {"type": "room-state", "locked": True, "by": mallory_id, "ticket": new}
    assert net.take(mallory) == [{"type": "peer-joined", "peer": joined["id"]}, state]
    # The old ticket no longer admits anyone, nor can it take the lock back.
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE, old))
    assert summary(net.one(late)) == error("room-locked", "join")
    net.send(mallory, {"type": "lock", "ticket": old})
    assert summary(net.one(mallory)) == error("invalid-ticket", "lock")


def test_an_older_ticket_does_not_open_a_newer_lock(keyed: Net, clock: FakeClock) -> None:
    """Someone holding a ticket from before the current lock is room-locked, restart or not."""
    ada, _, _, _, old = locked_lounge(keyed)
    keyed.send(ada, {"type": "unlock"})
    clock.advance(1)
    keyed.send(ada, {"type": "lock"})
    new = keyed.take(ada)[-1]["ticket"]
    net = restarted(keyed, clock)
    first, _ = back_alone(net, new)
    net.send(first, {"type": "lock", "ticket": new})
    net.take(first)
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE, old))
    assert summary(net.one(late)) == error("room-locked", "join")
    assert net.quiet(first)


def test_a_ticket_older_than_a_day_cannot_restore_a_lock(keyed: Net, clock: FakeClock) -> None:
    """TICKET_LIFETIME bounds how long a ticket can put a lock back after a restart."""
    _, _, _, _, ticket = locked_lounge(keyed)
    clock.advance(DAY + 1)
    net = restarted(keyed, clock)
    ada, _ = back_alone(net, ticket)
    net.send(ada, {"type": "lock", "ticket": ticket})
    assert summary(net.one(ada)) == error("invalid-ticket", "lock")


def test_a_locked_rooms_own_ticket_still_admits_after_a_day(keyed: Net, clock: FakeClock) -> None:
    """The lifetime is for putting locks back; a lock in memory keeps admitting its ticket."""
    ada, ada_id, grace, _, ticket = locked_lounge(keyed)
    net = keyed
    clock.advance(2 * DAY)
    net.disconnect(grace)
    net.take(ada)
    back = net.connect()
    net.take(back)
    net.send(back, join(LOUNGE, ticket))
    assert net.one(back)["peers"] == [ada_id]


def test_lock_messages_share_the_rate_limit(net: Net) -> None:
    """Locking and unlocking in a loop is held to MESSAGE_BURST like any other frame."""
    ada, _ = net.joined(LOUNGE)
    grace, _ = net.joined(LOUNGE)
    net.take(grace)
    for n in range(int(MESSAGE_BURST)):
        net.send(ada, {"type": "lock" if n % 2 else "unlock"})
    net.send(ada, {"type": "lock"})
    assert summary(net.take(ada)[-1]) == error("rate-limited", None)
    # Only the frames that passed changed anything: one broadcast per real change, at most.
    assert len(net.take(grace)) < MESSAGE_BURST


# --- reloads --------------------------------------------------------------------------------


def test_reload_without_a_room_keeps_its_members_but_refuses_new_joins(net: Net) -> None:
    """apply(): members of a removed room stay connected and relaying; nobody new gets in."""
    ada, ada_id = net.joined(LOUNGE)
    grace, grace_id = net.joined(LOUNGE)
    net.take(ada)
    net.hub.apply(policy(room("study", STUDY)))
    net.send(grace, signal(ada_id))
    assert net.one(ada)["from"] == grace_id
    net.send(ada, {"type": "ping", "id": 1})
    assert net.one(ada) == {"type": "pong", "id": 1}
    late = net.connect()
    net.take(late)
    net.send(late, join(LOUNGE))
    assert summary(net.one(late)) == error("no-such-room", "join")
    assert net.quiet(ada, grace)
    net.send(grace, {"type": "leave"})
    assert net.one(ada) == {"type": "peer-left", "peer": grace_id}


def test_reload_with_a_new_room_admits_joins_to_it(net: Net) -> None:
    """apply(): an added room opens for the next join; new connections get the new salt."""
    new_salt = bytes(32)
    net.hub.apply(configured(rooms=(room("extra", "brand new room"),), salt=new_salt))
    conn = net.connect()
    assert net.one(conn)["salt"] == keys.b64url(new_salt)
    net.send(conn, join("brand new room"))
    assert net.one(conn)["type"] == "joined"


def test_reload_changing_a_rooms_size_applies_to_the_next_join(net: Net) -> None:
    """A room's new max_members governs joins after the reload."""
    net.joined(TINY)
    net.joined(TINY)
    net.hub.apply(policy(room("tiny", TINY, max_members=3)))
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(TINY))
    assert net.one(conn)["capacity"] == 3


# --- bad frames and rate limits -------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ("not json", error("not-json", None)),
        ("[]", error("not-json", None)),
        ('{"type": "dance"}', error("unknown-type", "dance")),
        ('{"type": "ping", "id": "x"}', error("bad-field", "ping")),
        (
            '{"type": "ping", "id": 1, "pad": "' + "x" * protocol.MAX_FRAME + '"}',
            error("too-large", None),
        ),
        ("[" * 2000, error("not-json", None)),
        ('{"a": ' * 2000 + "1" + "}" * 2000, error("not-json", None)),
        ('{"a": ' * 2000, error("not-json", None)),
        (
            f'{{"type": "signal", "to": "AAAAAAAA", "seq": 1, "iv": "{IV}", "ct": '
            + "[" * 2000
            + "]" * 2000
            + "}",
            error("not-json", None),
        ),
        ('{"type": "ping", "id": ' + '{"a": ' * 2000 + "1" + "}" * 2001, error("not-json", None)),
        (
            '{"pad": ' + "[" * 2000 + "]" * 2000 + ', "type": "ping", "id": 1}',
            error("not-json", None),
        ),
        ('{"type": "ping", "id": [[[1]]]}', error("bad-field", "ping")),
    ],
    ids=[
        "garbage",
        "array",
        "unknown",
        "bad-field",
        "too-large",
        "deep-arrays",
        "deep-objects",
        "deep-objects-unclosed",
        "deep-in-a-field",
        "deep-objects-in-a-field",
        "deep-before-type",
        "shallow-in-a-field",
    ],
)
def test_bad_frame_is_answered_to_its_sender_only(net: Net, frame: str, expected: Any) -> None:
    """A malformed frame gets its error code, touches no one else; the connection still works."""
    ada, ada_id = net.joined(LOUNGE)
    grace, _ = net.joined(LOUNGE)
    net.take(ada)
    net.send(grace, frame)
    assert summary(net.one(grace)) == expected
    assert net.quiet(ada)
    net.send(grace, signal(ada_id))
    assert net.one(ada)["type"] == "signal"


def test_binary_frames_are_not_json(net: Net) -> None:
    """A binary frame is refused with not-json even when it holds a valid message."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, b'{"type": "ping", "id": 1}', text=False)
    assert summary(net.one(conn)) == error("not-json", None)
    net.send(conn, b'{"type": "ping", "id": 1}')
    assert net.one(conn) == {"type": "pong", "id": 1}


def test_ping_is_answered_with_its_id(net: Net) -> None:
    """ping works before joining and echoes its id in pong."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, {"type": "ping", "id": 2**53 - 1})
    assert net.one(conn) == {"type": "pong", "id": 2**53 - 1}


def test_rate_limit_warns_once_then_drops_until_time_passes(net: Net, clock: FakeClock) -> None:
    """MESSAGE_BURST frames pass, the next gets one rate-limited error, then silence till refill."""
    conn = net.connect()
    net.take(conn)
    for n in range(int(MESSAGE_BURST)):
        net.send(conn, {"type": "ping", "id": n})
    assert [m["id"] for m in net.take(conn)] == list(range(int(MESSAGE_BURST)))

    net.send(conn, {"type": "ping", "id": 9999})
    assert summary(net.one(conn)) == error("rate-limited", None)
    for _ in range(50):
        net.send(conn, {"type": "ping", "id": 9999})
    assert net.quiet(conn)

    clock.advance(1.5 / MESSAGE_RATE)  # one token and a half: one frame passes
    net.send(conn, {"type": "ping", "id": 1})
    assert net.one(conn) == {"type": "pong", "id": 1}
    # Exhausted again: a fresh warning, since frames passed in between.
    net.send(conn, {"type": "ping", "id": 2})
    assert summary(net.one(conn)) == error("rate-limited", None)


def flood(net: Net, conn: Conn, frames: int, frame: str = "{}") -> None:
    for _ in range(frames):
        net.send(conn, frame)


def test_a_connection_that_keeps_flooding_is_closed_with_1008(net: Net) -> None:
    """Past its burst and MESSAGE_DROPS dropped frames more, a flooder is closed with 1008."""
    conn = net.connect()
    net.take(conn)
    flood(net, conn, int(MESSAGE_BURST))
    assert {summary(m) for m in net.take(conn)} == {error("bad-field", None)}
    flood(net, conn, int(MESSAGE_DROPS))
    assert [summary(m) for m in net.take(conn)] == [error("rate-limited", None)]
    assert conn not in net.closed
    flood(net, conn, 1)
    assert net.last == [Delivery(conn, None, close=protocol.CloseCode.POLICY_VIOLATION)]
    assert net.closed == {conn: 1008}


def test_a_connection_over_its_rate_now_and_then_is_never_closed(
    net: Net, clock: FakeClock
) -> None:
    """Drops are earned back at MESSAGE_RATE a second: overshooting again and again is no flood."""
    conn = net.connect()
    for _ in range(5):
        flood(net, conn, int(MESSAGE_BURST + MESSAGE_DROPS))
        assert summary(net.take(conn)[-1]) == error("rate-limited", None)
        clock.advance(MESSAGE_BURST / MESSAGE_RATE)  # refills the burst, and the drops with it
    assert net.closed == {}
    net.send(conn, {"type": "ping", "id": 1})
    assert net.one(conn) == {"type": "pong", "id": 1}


def test_websocket_pings_spend_the_message_budget_and_a_ping_flood_is_closed(net: Net) -> None:
    """Pings and pongs count as frames: answered within the budget, then dropped, then closed."""
    conn = net.connect()
    net.take(conn)
    for _ in range(int(MESSAGE_BURST) - 1):
        assert net.hub.control(conn) == (True, [])
    net.send(conn, {"type": "ping", "id": 1})  # text frames and pings share the one budget
    assert net.one(conn) == {"type": "pong", "id": 1}
    answer, out = net.hub.control(conn)
    net.route(out)
    assert not answer
    assert summary(net.one(conn)) == error("rate-limited", None)
    for _ in range(int(MESSAGE_DROPS) - 1):
        assert net.hub.control(conn) == (False, [])
    closing = Delivery(conn, None, close=protocol.CloseCode.POLICY_VIOLATION)
    assert net.hub.control(conn) == (False, [closing])


def test_another_rooms_relay_goes_on_while_a_flooder_is_closed(net: Net) -> None:
    """Envelopes in one room arrive between a flooder's frames in another; its room hears it go."""
    ada, _ = net.joined(LOUNGE)
    bob, bob_id = net.joined(LOUNGE)
    grace, _ = net.joined(STUDY)
    flooder, flooder_id = net.joined(STUDY)
    net.take(ada)
    net.take(grace)
    rounds = 0
    while flooder not in net.closed:
        flood(net, flooder, 10)
        rounds += 1
        net.send(ada, signal(bob_id, rounds))
        assert net.one(bob)["seq"] == rounds
    # Its join spent one frame of the burst: the 300th frame after it is the one that closes.
    assert rounds == 30 == (MESSAGE_BURST - 1 + MESSAGE_DROPS) // 10 + 1
    net.disconnect(flooder)
    assert net.one(grace) == {"type": "peer-left", "peer": flooder_id}
    assert net.quiet(ada, bob)


def test_rate_limit_is_per_connection(net: Net) -> None:
    """One connection's flood leaves another connection's budget intact."""
    flooder = net.connect()
    calm = net.connect()
    for _ in range(int(MESSAGE_BURST) + 1):
        net.send(flooder, {"type": "ping", "id": 1})
    net.take(calm)
    net.send(calm, {"type": "ping", "id": 2})
    assert net.one(calm) == {"type": "pong", "id": 2}


# --- connections per address ---------------------------------------------------------------


def fill(net: Net, address: str) -> list[Conn]:
    """As many connections from `address` as it may hold, each welcomed and left open."""
    conns = [net.connect(address) for _ in range(MAX_CONNECTIONS_PER_ADDRESS)]
    for conn in conns:
        assert net.one(conn)["type"] == "welcome"
    assert not any(delivery.close for delivery in net.last)
    return conns


def refused(net: Net, address: str) -> Conn:
    """A connection from `address` refused with too-many-connections and a close, no welcome."""
    conn = net.connect(address)
    assert summary(net.one(conn)) == error("too-many-connections", None)
    assert [delivery.close for delivery in net.last] == [protocol.CloseCode.TRY_AGAIN_LATER]
    return conn


def test_past_the_limit_a_connection_is_refused_and_closed(net: Net) -> None:
    """The connection after MAX_CONNECTIONS_PER_ADDRESS gets an error and a close, no welcome."""
    held = fill(net, "192.0.2.1")
    refused(net, "192.0.2.1")
    assert net.quiet(*held)
    assert net.hub.per_address == {"192.0.2.1": MAX_CONNECTIONS_PER_ADDRESS}


def test_a_disconnect_frees_a_slot_and_a_refused_connection_holds_none(net: Net) -> None:
    """Closing an admitted connection lets the next one in; closing a refused one frees nothing."""
    held = fill(net, "192.0.2.1")
    net.disconnect(refused(net, "192.0.2.1"))
    refused(net, "192.0.2.1")
    net.disconnect(held[0])
    assert net.one(net.connect("192.0.2.1"))["type"] == "welcome"
    refused(net, "192.0.2.1")


def test_the_limit_of_one_address_leaves_others_alone(net: Net) -> None:
    """With one address at its limit, another address connects and joins as usual."""
    fill(net, "192.0.2.1")
    net.joined(LOUNGE, address="192.0.2.2")
    refused(net, "192.0.2.1")


def test_ipv6_addresses_count_by_their_64(net: Net) -> None:
    """Addresses in one /64 share one count; the next /64 has a count of its own."""
    for n in range(MAX_CONNECTIONS_PER_ADDRESS):
        assert net.one(net.connect(f"2001:db8:1:2::{n + 1:x}"))["type"] == "welcome"
    refused(net, "2001:db8:1:2:ffff:ffff:ffff:ffff")
    assert net.one(net.connect("2001:db8:1:3::1"))["type"] == "welcome"


def test_the_address_table_empties_when_everyone_disconnects(net: Net) -> None:
    """Counts go back to zero on every path (joined, refused, never joined) and entries go."""
    conns = [*fill(net, "192.0.2.1"), refused(net, "192.0.2.1")]
    conns += [net.joined(LOUNGE, address="2001:db8::1")[0], net.connect("?")]
    assert len(net.hub.per_address) == 3
    for conn in conns:
        net.disconnect(conn)
    assert net.hub.per_address == {}
    assert net.hub.connections == 0


# --- peer ids -------------------------------------------------------------------------------


def test_peer_ids_are_unique_even_when_the_generator_repeats(clock: FakeClock) -> None:
    """A repeated random id is drawn again, so no two connected peers share one."""
    drawn: Iterator[str] = iter(["AAAAAAAA", "AAAAAAAA", "AAAAAAAA", "BBBBBBBB", "AAAAAAAA"])
    net = Net(Hub(configured(), clock=clock, new_id=lambda: next(drawn)))
    _, first = net.joined(LOUNGE)
    _, second = net.joined(STUDY)
    assert (first, second) == ("AAAAAAAA", "BBBBBBBB")


def test_default_peer_ids_are_eight_base64url_characters_and_distinct(net: Net) -> None:
    """Ids the hub makes are of the documented form and distinct across rooms."""
    ids = [net.joined(passphrase)[1] for passphrase in [LOUNGE] * 8 + [STUDY] * 8]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{8}", peer) for peer in ids)


def test_a_left_peers_id_may_be_reused(clock: FakeClock) -> None:
    """Ids are unique among connected peers; one freed by leaving can be handed out again."""
    drawn: Iterator[str] = iter(["AAAAAAAA", "AAAAAAAA"])
    net = Net(Hub(configured(), clock=clock, new_id=lambda: next(drawn)))
    conn, first = net.joined(LOUNGE)
    net.disconnect(conn)
    _, again = net.joined(LOUNGE)
    assert first == again == "AAAAAAAA"


def test_the_policy_is_frozen() -> None:
    """The hub's policy cannot be changed in place, only replaced: a reload is an apply()."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        configured().open_rooms = True  # type: ignore[misc]


def test_joined_carries_the_configured_stun_servers_and_upload_budget(clock: FakeClock) -> None:
    """Members learn the operator's STUN servers and upload budget; no STUN unless listed."""
    stun = ("stun:stun.example.org:3478", "stun:[::1]:3478")
    net = Net(Hub(configured(upload_kbps=900), ice=StunServers(stun), clock=clock))
    ada = net.connect()
    net.take(ada)
    net.send(ada, join(LOUNGE))
    joined = net.one(ada)
    assert joined["ice_servers"] == [{"urls": list(stun)}]
    assert joined["upload_kbps"] == 900


def test_the_ice_provider_is_asked_at_every_join_for_that_connection(clock: FakeClock) -> None:
    """ICE servers are made per join (as expiring TURN credentials will be), not once per reload."""
    asked: list[Conn] = []

    def provider(conn: Conn) -> list[protocol.IceServer]:
        asked.append(conn)
        return [protocol.IceServer(urls=[f"stun:n{len(asked)}.example.org"])]

    net = Net(Hub(configured(), ice=provider, clock=clock))
    ada, _ = net.joined(LOUNGE)
    assert asked == [ada]
    grace = net.connect()
    net.take(grace)
    net.send(grace, join(LOUNGE))
    assert net.one(grace)["ice_servers"] == [{"urls": ["stun:n2.example.org"]}]
    net.send(grace, {"type": "leave"})
    net.take(grace)
    net.send(grace, join(LOUNGE))
    assert net.one(grace)["ice_servers"] == [{"urls": ["stun:n3.example.org"]}]
    net.send(grace, join(STUDY))  # refused (already joined): nobody is asked
    assert asked == [ada, grace, grace]


def test_without_a_provider_a_join_gets_no_ice_servers(net: Net) -> None:
    """A hub given no ICE provider hands out no STUN server at all (no public STUN)."""
    conn = net.connect()
    net.take(conn)
    net.send(conn, join(LOUNGE))
    assert net.one(conn)["ice_servers"] == []


SECRET = "s3cret-shared-with-coturn"
TURN_URLS = ("turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443")


def turned(clock: FakeClock, wall: FakeClock, *rooms: Room) -> Net:
    """A hub whose rooms are `rooms` (the lounge by default), with coturn and one STUN server."""
    turn = TurnServers(Turn(TURN_URLS, SECRET, lifetime=600), wall_clock=wall)
    stun = StunServers(["stun:stun.example.org:3478"])
    rooms = rooms or (room("lounge", LOUNGE),)
    return Net(Hub(policy(*rooms), ice=stun, turn=turn, clock=clock, wall_clock=wall))


def test_joined_carries_turn_credentials_made_for_the_connection(clock: FakeClock) -> None:
    """TURN entries follow the STUN ones, with "<expiry>:<peer id>" and its HMAC; ice_ttl says how
    long they last."""
    wall = FakeClock(1_767_225_000.4)
    net = turned(clock, wall)
    ada = net.connect()
    net.take(ada)
    net.send(ada, join(LOUNGE))
    joined = net.one(ada)
    username = f"1767225600:{joined['id']}"
    assert joined["ice_servers"] == [
        {"urls": ["stun:stun.example.org:3478"]},
        {"urls": list(TURN_URLS), "username": username, "credential": hmac_b64(username)},
    ]
    assert (joined["ice_ttl"], joined["relay_only"]) == (600, False)


def hmac_b64(username: str) -> str:
    digest = hmac.new(SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def test_refresh_answers_fresh_credentials_to_the_sender_only(clock: FakeClock) -> None:
    """A member's refresh gets ice-servers with an expiry counted from now; nobody else hears."""
    wall = FakeClock(1_767_225_000.0)
    net = turned(clock, wall)
    ada, ada_id = net.joined(LOUNGE)
    grace, _ = net.joined(LOUNGE)
    net.take(ada)
    wall.advance(450)
    net.send(ada, {"type": "refresh"})
    fresh = net.one(ada)
    username = f"{1_767_225_000 + 450 + 600}:{ada_id}"
    assert fresh == {
        "type": "ice-servers",
        "ice_servers": [
            {"urls": ["stun:stun.example.org:3478"]},
            {"urls": list(TURN_URLS), "username": username, "credential": hmac_b64(username)},
        ],
        "ice_ttl": 600,
    }
    assert net.quiet(grace)


def test_without_turn_refresh_answers_the_stun_servers_and_no_ttl(net: Net) -> None:
    """Without [turn] a refresh still has an answer: what joined gave, and ice_ttl null."""
    ada, _ = net.joined(LOUNGE)
    net.send(ada, {"type": "refresh"})
    assert net.one(ada) == {"type": "ice-servers", "ice_servers": [], "ice_ttl": None}


def test_refresh_spends_the_message_budget(net: Net) -> None:
    """Asking for credentials over and over is rate-limited like any other message."""
    ada, _ = net.joined(LOUNGE)  # the join spent one of the burst
    for _ in range(int(MESSAGE_BURST)):
        net.send(ada, {"type": "refresh"})
    *answered, last = net.take(ada)
    assert [m["type"] for m in answered] == ["ice-servers"] * (int(MESSAGE_BURST) - 1)
    assert summary(last) == error("rate-limited", None)


def test_a_relay_only_room_says_so_in_joined_and_others_do_not(clock: FakeClock) -> None:
    """rooms.NAME.relay_only reaches the page as joined.relay_only; other rooms carry false."""
    private = dataclasses.replace(room("study", STUDY), relay_only=True)
    net = turned(clock, FakeClock(1_767_225_000.0), room("lounge", LOUNGE), private)
    ada = net.connect()
    net.take(ada)
    net.send(ada, join(STUDY))
    assert net.one(ada)["relay_only"] is True
    net.send(ada, {"type": "leave"})
    net.take(ada)
    net.send(ada, join(LOUNGE))
    assert net.one(ada)["relay_only"] is False


def test_a_connection_is_a_member_while_in_a_room_and_nothing_outside(net: Net) -> None:
    """The role comes with admission and goes when the connection leaves the room."""
    conn = net.connect()
    assert conn.role is None
    net.send(conn, join(LOUNGE))
    assert conn.role is Role.MEMBER
    net.send(conn, join(NOBODY))  # a refused join leaves the role as it was
    assert conn.role is Role.MEMBER
    net.send(conn, {"type": "leave"})
    assert conn.role is None
    net.send(conn, join(NOBODY))
    assert conn.role is None
