"""The `parlour` command as an operator runs it, in a temporary folder.

Most tests call its `main()` in-process, with room keys stretched by a cheap count (the verifier
is the same function of a cheaper stretch); two run `python -m parlour` as a real process, with
the protocol's count, checked against PROTOCOL.md's vectors.
"""

from __future__ import annotations

import dataclasses
import io
import os
import pty
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from parlour import __version__, cli, config, keys
from parlour.settings import Host, Settings, Tls, TlsMode
from tests.helpers import CHEAP_ITERATIONS, vectors
from tests.qrcodes import DARK, decode_terminal, terminal_lines
from tests.support import scaled


@dataclasses.dataclass(frozen=True)
class Done:
    """What one command printed."""

    stdout: str
    stderr: str


class Parlour:
    """`parlour ARGS` in `folder`, in-process: `cli.main` with this stdin and captured output.

    An expected problem is a sentence and an exit code; anything else escapes `main` as an
    exception and fails the test, as a traceback would from the real command.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    def __call__(self, folder: Path, *args: str, stdin: str = "", code: int = 0) -> Done:
        self._monkeypatch.chdir(folder)
        self._monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        self._capsys.readouterr()
        try:
            returned: int | str | None = cli.main(list(args))
        except SystemExit as exit_:  # argparse: --version, and usage errors
            returned = exit_.code
        out, err = self._capsys.readouterr()
        assert returned == code, (out, err)
        return Done(out, err)


@pytest.fixture(autouse=True)
def cheap_stretch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Room keys written in this process are stretched with CHEAP_ITERATIONS."""
    monkeypatch.setattr(cli, "STRETCH_ITERATIONS", CHEAP_ITERATIONS)


@pytest.fixture
def parlour(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Parlour:
    return Parlour(monkeypatch, capsys)


def verifier(passphrase: str, salt: bytes) -> bytes:
    """What the CLI stores for this passphrase in this process (see `cheap_stretch`)."""
    return keys.room_keys(passphrase, salt, CHEAP_ITERATIONS).verifier


def process(
    folder: Path, *args: str, stdin: str = "", code: int = 0
) -> subprocess.CompletedProcess[str]:
    """`python -m parlour ARGS` as a real process in `folder`."""
    done = subprocess.run(
        [sys.executable, "-m", "parlour", *args],
        cwd=folder,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=scaled(60.0),
        check=False,
    )
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done


def printed_passphrase(stdout: str) -> str:
    found = re.search(r"^Passphrase: (.+)$", stdout, re.MULTILINE)
    assert found is not None, stdout
    return found.group(1)


@pytest.fixture
def folder(tmp_path: Path, parlour: Parlour) -> Path:
    """A folder with a fresh parlour.toml, as `parlour init` leaves it."""
    parlour(tmp_path, "init")
    return tmp_path


def test_a_real_process_writes_the_room_the_protocol_vectors_open(tmp_path: Path) -> None:
    """As a process, with the protocol's stretch: init, room add from stdin, check; the stored
    verifier is PROTOCOL.md's for that passphrase and salt."""
    v = vectors()
    room = v["rooms"][-1]  # white space and a ligature that only normalizing folds
    process(tmp_path, "init")
    path = tmp_path / "parlour.toml"
    salt = re.search(r'^salt = "([^"]+)"$', path.read_text(), re.M)
    assert salt is not None
    path.write_text(path.read_text().replace(salt.group(1), v["salt"]))
    stdin = room["passphrase"] + "\n"
    done = process(tmp_path, "room", "add", "lounge", "--passphrase-stdin", stdin=stdin)
    assert printed_passphrase(done.stdout) == room["normalized"]
    [stored] = config.load(path).rooms
    assert keys.b64url(stored.verifier) == room["verifier"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert process(tmp_path, "check").stdout == "parlour.toml: OK (1 room)\n"


def test_a_real_process_prints_its_version_and_exits_2_on_a_bad_command_line(
    tmp_path: Path,
) -> None:
    """`python -m parlour --version` prints the version; a malformed command prints usage."""
    assert process(tmp_path, "--version").stdout == f"parlour {__version__}\n"
    assert "usage:" in process(tmp_path, "room", "add", code=2).stderr


def test_version(tmp_path: Path, parlour: Parlour) -> None:
    assert parlour(tmp_path, "--version").stdout == f"parlour {__version__}\n"


def test_init_writes_a_private_file_that_checks_ok(tmp_path: Path, parlour: Parlour) -> None:
    done = parlour(tmp_path, "init")
    assert "parlour room add NAME" in done.stdout
    path = tmp_path / "parlour.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = config.load(path)
    assert settings.rooms == ()
    assert re.fullmatch(r"/[A-Za-z0-9_-]{22}", settings.base_path)
    assert parlour(tmp_path, "check").stdout == "parlour.toml: OK (0 rooms)\n"


def test_init_writes_a_ticket_key_of_its_own(tmp_path: Path, parlour: Parlour) -> None:
    """Each new file gets a fresh secrets.ticket_key, so locks it serves survive a restart."""
    parlour(tmp_path, "init")
    parlour(tmp_path, "init", "--config", "other.toml")
    first = config.load(tmp_path / "parlour.toml").ticket_key
    second = config.load(tmp_path / "other.toml").ticket_key
    assert first is not None
    assert len(first) == 32
    assert second not in (None, first)


def test_check_on_a_file_without_ticket_key_is_ok_and_offers_one(
    folder: Path, parlour: Parlour
) -> None:
    """An old file lacking ticket_key still checks OK; check prints a fresh line to add."""
    path = folder / "parlour.toml"
    old = config.load(path).ticket_key
    assert old is not None
    text = path.read_text()
    path.write_text(re.sub(r"(?m)^ticket_key = .*\n", "", text))
    done = parlour(folder, "check")
    first, note = done.stdout.splitlines()
    assert first == "parlour.toml: OK (0 rooms)"
    found = re.search(r"Add under \[secrets\]: ticket_key = \"([A-Za-z0-9_-]{43})\"$", note)
    assert found is not None, note
    assert keys.unb64url(found.group(1)) != old


def test_check_offers_a_fresh_salt_but_never_echoes_the_broken_one(
    folder: Path, parlour: Parlour
) -> None:
    """`parlour check` on a broken salt prints a fresh value to paste, not the old value."""
    path = folder / "parlour.toml"
    text = path.read_text()
    salt = re.search(r'^salt = "([^"]+)"$', text, re.M)
    assert salt is not None
    path.write_text(text.replace(salt.group(1), salt.group(1)[:-1]))
    done = parlour(folder, "check", code=1)
    assert salt.group(1)[:-1][:12] not in done.stderr
    fresh = re.search(r'A fresh one: salt = "([A-Za-z0-9_-]{43})"', done.stderr)
    assert fresh is not None, done.stderr
    assert len(keys.unb64url(fresh.group(1))) == 32


def test_init_refuses_to_overwrite_without_force(folder: Path, parlour: Parlour) -> None:
    before = (folder / "parlour.toml").read_text()
    done = parlour(folder, "init", code=1)
    assert "already exists" in done.stderr
    assert "--force" in done.stderr
    assert (folder / "parlour.toml").read_text() == before
    parlour(folder, "init", "--force")
    assert (folder / "parlour.toml").read_text() != before


def test_room_add_prints_a_passphrase_that_matches_the_stored_verifier(
    folder: Path, parlour: Parlour
) -> None:
    done = parlour(folder, "room", "add", "lounge")
    passphrase = printed_passphrase(done.stdout)
    assert len(passphrase.split()) == keys.PASSPHRASE_WORDS
    assert "not stored anywhere" in done.stdout
    settings = config.load(folder / "parlour.toml")
    [room] = settings.rooms
    assert room.name == "lounge"
    assert room.verifier == verifier(passphrase, settings.salt)
    assert passphrase not in (folder / "parlour.toml").read_text()
    link = f"http://127.0.0.1:8080{settings.base_path}/#{quote(passphrase, safe='')}"
    assert f"Join link:  {link}\n" in done.stdout


def test_room_add_prints_the_public_url_link(folder: Path, parlour: Parlour) -> None:
    """With public_url (commented out in the new file, here enabled) the link leads through it."""
    path = folder / "parlour.toml"
    commented = '# public_url = "https://call.example.org"\n'
    assert commented in path.read_text()
    path.write_text(
        path.read_text().replace(commented, 'public_url = "https://call.example.org/"\n')
    )
    done = parlour(folder, "room", "add", "lounge")
    passphrase = quote(printed_passphrase(done.stdout), safe="")
    base_path = config.load(path).base_path
    assert f"Join link:  https://call.example.org{base_path}/#{passphrase}\n" in done.stdout
    assert "server.public_url" not in done.stdout


def test_room_add_on_every_interface_links_to_this_machine_by_name(
    folder: Path, parlour: Parlour
) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace('host = "127.0.0.1"', 'host = "0.0.0.0"'))
    done = parlour(folder, "room", "add", "lounge")
    passphrase = quote(printed_passphrase(done.stdout), safe="")
    base_path = config.load(path).base_path
    name = socket.gethostname()
    assert f"Join link:  http://{name}:8080{base_path}/#{passphrase}\n" in done.stdout
    assert (
        f"{name} is this machine's name; if people reach it by another address, "
        f"set server.public_url in {path.resolve()}.\n"
    ) in done.stdout


def test_room_add_reads_a_chosen_passphrase_from_stdin(folder: Path, parlour: Parlour) -> None:
    stdin = "  correct  horse battery staple\n"
    parlour(folder, "room", "add", "den", "--passphrase-stdin", "--max-members", "3", stdin=stdin)
    settings = config.load(folder / "parlour.toml")
    [room] = settings.rooms
    assert room.max_members == 3
    # Stretching normalizes, so what people mean is what counts.
    assert room.verifier == verifier("correct horse battery staple", settings.salt)


@pytest.mark.parametrize(
    ("stdin", "refusal"), [("", "No passphrase"), ("too short \n", "only 9 characters")]
)
def test_room_add_refuses_an_empty_or_short_passphrase(
    folder: Path, stdin: str, refusal: str, parlour: Parlour
) -> None:
    done = parlour(folder, "room", "add", "den", "--passphrase-stdin", stdin=stdin, code=1)
    assert refusal in done.stderr
    assert config.load(folder / "parlour.toml").rooms == ()


def test_room_add_refuses_a_passphrase_another_room_has(folder: Path, parlour: Parlour) -> None:
    stdin = "one passphrase for two\n"
    parlour(folder, "room", "add", "a", "--passphrase-stdin", stdin=stdin)
    done = parlour(folder, "room", "add", "b", "--passphrase-stdin", stdin=stdin, code=1)
    assert done.stderr == "That passphrase already opens room a; choose a different one.\n"
    assert done.stdout == ""


def test_room_add_refuses_a_taken_name_without_printing_a_passphrase(
    folder: Path, parlour: Parlour
) -> None:
    parlour(folder, "room", "add", "lounge")
    done = parlour(folder, "room", "add", "lounge", code=1)
    assert "already a room named lounge" in done.stderr
    assert done.stdout == ""


def test_room_list_shows_names_and_sizes_never_verifiers(folder: Path, parlour: Parlour) -> None:
    parlour(folder, "room", "add", "lounge")
    parlour(folder, "room", "add", "kitchen_table", "--max-members", "4")
    listed = parlour(folder, "room", "list").stdout
    assert listed == (
        "lounge         up to server.max_members people\nkitchen_table  up to 4 people\n"
    )
    for room in config.load(folder / "parlour.toml").rooms:
        assert keys.b64url(room.verifier) not in listed


def test_room_remove(folder: Path, parlour: Parlour) -> None:
    parlour(folder, "room", "add", "lounge")
    assert "Removed room lounge" in parlour(folder, "room", "remove", "lounge").stdout
    assert parlour(folder, "room", "list").stdout.startswith("No rooms in parlour.toml.")
    done = parlour(folder, "room", "remove", "lounge", code=1)
    assert done.stderr == "There is no room named lounge in parlour.toml.\n"


def test_check_on_a_broken_file_names_every_key_and_fix(folder: Path, parlour: Parlour) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace("port = 8080", 'port = "80a"\nprot = 1'))
    done = parlour(folder, "check", code=1)
    assert done.stdout == ""
    problems = done.stderr.splitlines()
    assert re.fullmatch(
        r'parlour\.toml:\d+: server\.port: must be .*, got "80a"\. Fix: port = 8080', problems[0]
    )
    assert re.fullmatch(r"parlour\.toml:\d+: server\.prot: .* Fix: port = 1", problems[1])
    assert len(problems) == 2


def test_check_on_a_missing_file_says_how_to_make_one(tmp_path: Path, parlour: Parlour) -> None:
    done = parlour(tmp_path, "check", code=1)
    assert done.stderr == (
        "parlour.toml: the file does not exist. "
        "Fix: run `parlour init` (or `parlour serve`, which writes one)\n"
    )


def test_every_command_takes_config(tmp_path: Path, parlour: Parlour) -> None:
    parlour(tmp_path, "init", "--config", "elsewhere.toml")
    parlour(tmp_path, "room", "add", "lounge", "--config", "elsewhere.toml")
    assert parlour(tmp_path, "room", "list", "--config", "elsewhere.toml").stdout.startswith(
        "lounge"
    )
    assert parlour(tmp_path, "check", "--config", "elsewhere.toml").stdout == (
        "elsewhere.toml: OK (1 room)\n"
    )
    parlour(tmp_path, "room", "remove", "lounge", "--config", "elsewhere.toml")
    assert not (tmp_path / "parlour.toml").exists()


def test_room_add_refuses_on_a_broken_file(folder: Path, parlour: Parlour) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace("port = 8080", "port = true"))
    done = parlour(folder, "room", "add", "lounge", code=1)
    assert "server.port" in done.stderr


def test_serve_refuses_a_broken_file_before_starting(folder: Path, parlour: Parlour) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace("port = 8080", "port = true"))
    assert "server.port: must be" in parlour(folder, "serve", code=1).stderr


def test_a_relay_only_room_without_turn_stops_check_and_serve(
    folder: Path, parlour: Parlour
) -> None:
    """Privacy mode with no TURN server is a room nobody can call in: both commands say so."""
    parlour(folder, "room", "add", "lounge")
    path = folder / "parlour.toml"
    path.write_text(path.read_text() + "relay_only = true\n")
    for command in ("check", "serve"):
        problem = parlour(folder, command, code=1).stderr
        assert "rooms.lounge.relay_only: is true, but no TURN server is configured" in problem
        assert "Fix: set up coturn and add it under [turn] (see docs/turn.md)" in problem


@pytest.mark.parametrize("args", [[], ["room"], ["room", "add"], ["bogus"]])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], parlour: Parlour) -> None:
    assert "usage:" in parlour(tmp_path, *args, code=2).stderr


def test_first_run_writes_a_config_with_one_working_room(tmp_path: Path) -> None:
    path = tmp_path / "parlour.toml"
    name, passphrase = cli.first_run(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = config.load(path)
    [room] = settings.rooms
    assert room.name == name == "lounge"
    assert room.verifier == verifier(passphrase, settings.salt)
    assert passphrase not in path.read_text()


def settings_for(host: str, mode: TlsMode, base_path: str) -> Settings:
    return Settings(
        source=Path("/x/parlour.toml"),
        salt=bytes(32),
        base_path=base_path,
        admin_path="A" * 22,
        host=host,
        port=8443,
        tls=Tls(mode),
    )


@pytest.mark.parametrize(
    ("host", "mode", "base_path", "link"),
    [
        ("127.0.0.1", TlsMode.OFF, "/", "http://127.0.0.1:8443/#a%20b%2Fc%23d"),
        ("example.org", TlsMode.FILES, "/hid", "https://example.org:8443/hid/#a%20b%2Fc%23d"),
        ("::1", TlsMode.SELF_SIGNED, "/hid", "https://[::1]:8443/hid/#a%20b%2Fc%23d"),
    ],
)
def test_join_link(host: str, mode: TlsMode, base_path: str, link: str) -> None:
    assert settings_for(host, mode, base_path).join_link(" a  b/c#d ") == link


@pytest.mark.parametrize(
    ("base_path", "page"),
    [("/", "https://call.example.org/"), ("/hid", "https://call.example.org/hid/")],
)
def test_public_url_makes_the_page_url_and_join_link(base_path: str, page: str) -> None:
    settings = dataclasses.replace(
        settings_for("127.0.0.1", TlsMode.OFF, base_path), public_url="https://call.example.org"
    )
    assert settings.page_url() == page
    assert settings.page_url(41234) == page  # a port bound at start is the listener's own
    assert settings.join_link(" a  b/c#d ") == page + "#a%20b%2Fc%23d"
    assert settings.listen_url() == f"http://127.0.0.1:8443{base_path.rstrip('/')}/"
    assert settings.link_caveat() == ""


@pytest.mark.parametrize(("host", "listening"), [("0.0.0.0", "0.0.0.0"), ("::", "[::]")])
def test_links_name_this_machine_when_listening_on_every_interface(
    host: str, listening: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(socket, "gethostname", lambda: "parlour-box")
    settings = settings_for(host, TlsMode.FILES, "/hid")
    assert settings.listen_url() == f"https://{listening}:8443/hid/"
    assert settings.page_url(41234) == "https://parlour-box:41234/hid/"
    assert settings.join_link(" a  b/c#d ") == "https://parlour-box:8443/hid/#a%20b%2Fc%23d"
    assert settings.link_caveat() == (
        "parlour-box is this machine's name; if people reach it by another address, "
        "set server.public_url in /x/parlour.toml."
    )


def test_loopback_links_need_no_caveat() -> None:
    assert settings_for("127.0.0.1", TlsMode.OFF, "/hid").link_caveat() == ""


# Hosts: the front door's people, each with a secret page whose address is printed once.

HOST_PAGE = re.compile(r"^Host page:  (\S+)$", re.MULTILINE)


def printed_page(stdout: str) -> str:
    found = HOST_PAGE.findall(stdout)
    assert len(found) == 1, stdout
    return str(found[0])


def host(folder: Path, name: str) -> Host:
    [found] = [h for h in config.load(folder / "parlour.toml").hosts if h.name == name]
    return found


def test_host_add_prints_a_page_whose_secret_hashes_to_the_stored_verifier(
    folder: Path, parlour: Parlour
) -> None:
    done = parlour(folder, "host", "add", "grandma")
    page = printed_page(done.stdout)
    settings = config.load(folder / "parlour.toml")
    base, _, secret = page.rpartition("/")
    assert base + "/" == settings.page_url() == f"http://127.0.0.1:8080{settings.base_path}/"
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", secret)
    assert keys.verifier(keys.unb64url(secret)) == host(folder, "grandma").verifier
    assert secret not in (folder / "parlour.toml").read_text()
    assert "shown only once" in done.stdout
    assert "keeps only a one-way image of it (the verifier)" in done.stdout
    assert "parlour host add grandma --replace" in done.stdout
    assert "SIGHUP (kill -HUP <pid>)" in done.stdout
    assert done.stderr == ""


def test_each_host_page_is_new(folder: Path, parlour: Parlour) -> None:
    first = printed_page(parlour(folder, "host", "add", "grandma").stdout)
    second = printed_page(parlour(folder, "host", "add", "grandpa").stdout)
    assert first.rpartition("/")[2] != second.rpartition("/")[2]


def test_host_add_without_options_is_reached_by_its_name_and_expects_nobody(
    folder: Path, parlour: Parlour
) -> None:
    done = parlour(folder, "host", "add", "Grandma")
    assert "Visitors reach Grandma by typing: Grandma\n" in done.stdout
    assert "parlour host permit Grandma VISITOR..." in done.stdout
    found = host(folder, "Grandma")
    assert (found.contacts, found.permitted, found.super) == (("grandma",), (), False)


def test_host_add_writes_super_contacts_and_permitted_names(folder: Path, parlour: Parlour) -> None:
    done = parlour(
        folder,
        "host",
        "add",
        "grandma",
        "--super",
        "--contact",
        "Grandma",
        "--contact",
        " Nana  Jo ",
        "--permit",
        "Zoë",
        "--permit",
        "Ada",
    )
    assert "Added host grandma as the super-host" in done.stdout
    assert (
        "Visitors reach grandma by typing: Grandma, Nana Jo\nPermitted: Zoë, Ada\n" in done.stdout
    )
    found = host(folder, "grandma")
    assert (found.super, found.contacts, found.permitted) == (
        True,
        ("grandma", "nana jo"),
        ("zoe", "ada"),
    )
    text = (folder / "parlour.toml").read_text()
    assert 'contacts = ["Grandma", "Nana Jo"]' in text  # as typed, spaces tidied
    assert 'permitted = ["Zoë", "Ada"]' in text
    assert parlour(folder, "check").stdout == "parlour.toml: OK (0 rooms, 1 host)\n"


def test_a_second_super_host_is_refused_and_the_file_left_alone(
    folder: Path, parlour: Parlour
) -> None:
    parlour(folder, "host", "add", "grandma", "--super")
    before = (folder / "parlour.toml").read_text()
    done = parlour(folder, "host", "add", "grandpa", "--super", code=1)
    assert done.stderr == (
        "Host grandma is already the super-host, and there is only one. Leave out --super, "
        "or first delete super = true under [hosts.grandma].\n"
    )
    assert done.stdout == ""
    assert (folder / "parlour.toml").read_text() == before


def test_a_contact_another_host_has_is_refused(folder: Path, parlour: Parlour) -> None:
    parlour(folder, "host", "add", "grandma", "--contact", "Nana")
    done = parlour(folder, "host", "add", "grandpa", "--contact", "NANA", code=1)
    assert 'Visitors who type "nana" already reach host grandma' in done.stderr
    assert [h.name for h in config.load(folder / "parlour.toml").hosts] == ["grandma"]


@pytest.mark.parametrize(
    ("args", "refusal"),
    [
        (["bad name"], "'bad name' cannot be a host name: use 1-64 characters of A-Z a-z 0-9 _ -."),
        (["x" * 65], "cannot be a host name"),
        (["grandma", "--contact", "x" * 65], "--contact: must be a list of 1 to 16 names"),
        (["grandma", "--permit", "A\u202eda"], '"A\\u202Eda" has a control character'),
    ],
)
def test_host_add_refuses_bad_names(
    folder: Path, parlour: Parlour, args: list[str], refusal: str
) -> None:
    done = parlour(folder, "host", "add", *args, code=1)
    assert refusal in done.stderr
    assert done.stdout == ""
    assert config.load(folder / "parlour.toml").hosts == ()


def test_host_add_refuses_a_taken_name_without_printing_a_page(
    folder: Path, parlour: Parlour
) -> None:
    parlour(folder, "host", "add", "grandma")
    done = parlour(folder, "host", "add", "grandma", code=1)
    assert done.stderr == (
        "There is already a host named grandma; pick another name, or give it a new page "
        "address with `parlour host add grandma --replace`.\n"
    )
    assert done.stdout == ""


def test_host_add_replace_makes_a_new_page_and_keeps_the_rest(
    folder: Path, parlour: Parlour
) -> None:
    old = printed_page(
        parlour(folder, "host", "add", "grandma", "--super", "--permit", "Ada").stdout
    )
    before = host(folder, "grandma")
    done = parlour(folder, "host", "add", "grandma", "--replace")
    assert done.stdout.startswith("New page address for host grandma in parlour.toml.\n")
    new = printed_page(done.stdout)
    after = host(folder, "grandma")
    assert new != old
    assert keys.verifier(keys.unb64url(new.rpartition("/")[2])) == after.verifier
    assert after.verifier != before.verifier
    assert dataclasses.replace(after, verifier=before.verifier) == before


def test_host_add_replace_needs_a_host_and_nothing_else(folder: Path, parlour: Parlour) -> None:
    done = parlour(folder, "host", "add", "grandma", "--replace", code=1)
    assert done.stderr == "There is no host named grandma in parlour.toml.\n"
    parlour(folder, "host", "add", "grandma")
    done = parlour(folder, "host", "add", "grandma", "--replace", "--super", code=1)
    assert "--replace only makes a new page address" in done.stderr
    assert host(folder, "grandma").super is False


def test_host_list_shows_roles_contacts_and_counts_never_a_secret(
    folder: Path, parlour: Parlour
) -> None:
    pages = [
        printed_page(parlour(folder, "host", "add", *args).stdout)
        for args in (
            ["grandma", "--super", "--contact", "Grandma", "--contact", "Nana"],
            ["tutor", "--permit", "Ada", "--permit", "Grace"],
        )
    ]
    path = folder / "parlour.toml"
    path.write_text(path.read_text() + "only_permitted = true\n")
    listed = parlour(folder, "host", "list").stdout
    assert listed == (
        "grandma  super  contacts: Grandma, Nana; 0 permitted names\n"
        "tutor           contacts: tutor; 2 permitted names; only permitted names shown\n"
    )
    for page in pages:
        assert page.rpartition("/")[2] not in listed
    for found in config.load(path).hosts:
        assert keys.b64url(found.verifier) not in listed


def test_host_list_without_hosts_says_how_to_add_one(folder: Path, parlour: Parlour) -> None:
    assert parlour(folder, "host", "list").stdout == (
        "No hosts in parlour.toml. Add one: parlour host add NAME\n"
    )


def test_host_remove(folder: Path, parlour: Parlour) -> None:
    parlour(folder, "host", "add", "grandma", "--super")
    parlour(folder, "host", "add", "grandpa")
    done = parlour(folder, "host", "remove", "grandma")
    assert done.stdout == (
        "Removed host grandma from parlour.toml.\n"
        "A running server stops opening the host's page when it gets SIGHUP (kill -HUP <pid>).\n"
    )
    assert [h.name for h in config.load(folder / "parlour.toml").hosts] == ["grandpa"]
    parlour(folder, "host", "add", "grandma", "--super")  # the super-host may be added again
    parlour(folder, "host", "remove", "grandma")
    done = parlour(folder, "host", "remove", "grandma", code=1)
    assert done.stderr == "There is no host named grandma in parlour.toml.\n"


def test_host_remove_works_on_a_file_check_rejects(folder: Path, parlour: Parlour) -> None:
    """Two super-hosts written by hand: removing one is the fix."""
    parlour(folder, "host", "add", "grandma", "--super")
    parlour(folder, "host", "add", "grandpa")
    path = folder / "parlour.toml"
    path.write_text(path.read_text() + "super = true\n")
    assert "one host at most may be the super-host" in parlour(folder, "check", code=1).stderr
    parlour(folder, "host", "remove", "grandpa")
    parlour(folder, "check")


def test_host_permit_and_unpermit_compare_as_the_server_does(
    folder: Path, parlour: Parlour
) -> None:
    parlour(folder, "host", "add", "grandma", "--permit", "Zoë")
    done = parlour(folder, "host", "permit", "grandma", "Ada", "ZOE", "Grace  Hopper")
    assert done.stdout == (
        "grandma may now call: Ada, Grace Hopper\n"
        "Already permitted: ZOE\n"
        "A running server applies it when it gets SIGHUP (kill -HUP <pid>).\n"
    )
    assert host(folder, "grandma").permitted == ("zoe", "ada", "grace hopper")
    done = parlour(folder, "host", "unpermit", "grandma", "zoe", "Bob")
    assert done.stdout == (
        "Taken off grandma's permitted names: Zoë\n"
        "Not on grandma's permitted names: Bob\n"
        "A running server applies it when it gets SIGHUP (kill -HUP <pid>).\n"
    )
    assert host(folder, "grandma").permitted == ("ada", "grace hopper")


def test_host_permit_refuses_an_unknown_host_and_a_bad_name(folder: Path, parlour: Parlour) -> None:
    done = parlour(folder, "host", "permit", "grandma", "Ada", code=1)
    assert done.stderr == "There is no host named grandma in parlour.toml.\n"
    parlour(folder, "host", "add", "grandma")
    done = parlour(folder, "host", "permit", "grandma", "x" * 65, code=1)
    assert "has 65 characters" in done.stderr
    assert host(folder, "grandma").permitted == ()


def test_host_add_keeps_the_files_comments_and_room_commands_still_work(
    folder: Path, parlour: Parlour
) -> None:
    path = folder / "parlour.toml"
    before = path.read_text()
    parlour(folder, "host", "add", "grandma")
    assert path.read_text().startswith(before)
    parlour(folder, "room", "add", "lounge")
    parlour(folder, "host", "add", "grandpa")
    settings = config.load(path)
    assert ([r.name for r in settings.rooms], [h.name for h in settings.hosts]) == (
        ["lounge"],
        ["grandma", "grandpa"],
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_host_add_refuses_on_a_broken_file(folder: Path, parlour: Parlour) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace("port = 8080", "port = true"))
    done = parlour(folder, "host", "add", "grandma", code=1)
    assert "server.port" in done.stderr
    assert "Host page" not in done.stdout


def test_init_no_longer_writes_admin_path_and_old_files_still_check(
    folder: Path, parlour: Parlour
) -> None:
    path = folder / "parlour.toml"
    assert "admin_path" not in path.read_text()
    path.write_text(
        path.read_text().replace(
            "[secrets]\n", '[secrets]\nadmin_path = "RrWRQotp6T5ELwWpItk5xw"\n'
        )
    )
    assert parlour(folder, "check").stdout == "parlour.toml: OK (0 rooms)\n"


def test_check_reports_front_door_problems(folder: Path, parlour: Parlour) -> None:
    path = folder / "parlour.toml"
    path.write_text(path.read_text().replace("countries = []", 'countries = ["DE"]'))
    done = parlour(folder, "check", code=1)
    assert re.fullmatch(
        r"parlour\.toml:\d+: front_door\.countries: lists countries, but without "
        r"front_door\.geoip_database .* Fix: add under \[front_door\]: .*\n",
        done.stderr,
    )


@pytest.mark.parametrize("args", [["host"], ["host", "add"], ["host", "permit", "grandma"]])
def test_host_usage_errors_exit_2(tmp_path: Path, args: list[str], parlour: Parlour) -> None:
    assert "usage:" in parlour(tmp_path, *args, code=2).stderr


def test_room_add_with_qr_prints_a_code_a_reader_decodes_to_the_join_link(
    folder: Path, parlour: Parlour
) -> None:
    """--qr: below the link, a QR code that zxing-cpp reads back as exactly that link."""
    done = parlour(folder, "room", "add", "lounge", "--qr")
    link = re.search(r"^Join link:  (\S+)$", done.stdout, re.MULTILINE)
    assert link is not None, done.stdout
    assert decode_terminal(done.stdout) == [link.group(1)]
    assert "#" in link.group(1)  # the passphrase travels in the code, after "#", as in the link


def test_room_add_prints_no_code_when_output_is_not_a_terminal(
    folder: Path, parlour: Parlour
) -> None:
    """Captured output (a pipe, a file, a log) keeps to plain lines: no colours, no blocks."""
    done = parlour(folder, "room", "add", "lounge")
    assert "\x1b[" not in done.stdout
    assert terminal_lines(done.stdout) == []
    assert not set(done.stdout) & set(DARK) - {" "}
    assert "\x1b[" not in parlour(folder, "room", "add", "den", "--qr", "--no-qr").stdout


def test_room_add_on_a_terminal_prints_the_code_unasked(folder: Path) -> None:
    """A real process whose stdout is a pseudo-terminal, as an operator's shell is."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "parlour", "room", "add", "lounge"],
            cwd=folder,
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONUTF8": "1"},
            timeout=scaled(60.0),
            check=False,
        )
        os.close(follower)
        follower = -1
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and everything read
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert done.returncode == 0, done.stderr
    text = output.decode("utf-8").replace("\r\n", "\n")
    link = re.search(r"^Join link:  (\S+)$", text, re.MULTILINE)
    assert link is not None, text
    assert decode_terminal(text) == [link.group(1)]
