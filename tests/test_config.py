"""config.py: every rule of parlour.toml, and the problems it reports when one is broken."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

import pytest

from parlour import config, config_keys, keys
from parlour.config import ConfigError, Problem
from parlour.settings import Host, Room, TlsMode, Turn

SALT = keys.b64url(bytes(range(32)))
ADMIN = "A" * 22
LOUNGE = keys.b64url(keys.verifier(b"l" * 32))
FAMILY = keys.b64url(keys.verifier(b"f" * 32))
DOCS = Path(__file__).parent.parent / "docs" / "configuration.md"

VALID = f"""\
[server]
host = "127.0.0.1"
port = 8080
base_path = "/hidden"
trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]
open_rooms = false
max_members = 6

[tls]
mode = "off"

[secrets]
salt = "{SALT}"
admin_path = "{ADMIN}"

[rooms.lounge]
verifier = "{LOUNGE}"

[rooms.family]
verifier = "{FAMILY}"
max_members = 4
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "parlour.toml"
    path.write_text(text, encoding="utf-8")
    return path


def edited(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def only_problem(tmp_path: Path, text: str) -> Problem:
    problems = config.check(write(tmp_path, text))
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_file_loads_into_frozen_settings(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, VALID))
    assert settings.source == (tmp_path / "parlour.toml").resolve()
    assert settings.salt == bytes(range(32))
    assert settings.base_path == "/hidden"
    assert settings.admin_path == ADMIN
    assert (settings.host, settings.port, settings.open_rooms) == ("127.0.0.1", 8080, False)
    assert settings.trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
    )
    assert settings.tls.mode is TlsMode.OFF
    assert settings.rooms == (
        Room("lounge", keys.verifier(b"l" * 32), 6),  # server.max_members is the default
        Room("family", keys.verifier(b"f" * 32), 4),
    )


def test_optional_keys_take_their_defaults(tmp_path: Path) -> None:
    text = f'[server]\nbase_path = "/"\n[secrets]\nsalt = "{SALT}"\nadmin_path = "{ADMIN}"\n'
    settings = config.load(write(tmp_path, text))
    assert (settings.host, settings.port, settings.max_members) == ("127.0.0.1", 8080, 8)
    assert settings.trusted_proxies == ()
    assert settings.open_rooms is False
    assert settings.tls.mode is TlsMode.OFF
    assert settings.rooms == ()
    assert settings.prefix() == ""


def test_problem_names_file_line_key_value_and_fix(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited("port = 8080", 'port = "80a"'))
    assert problem == Problem(
        tmp_path / "parlour.toml",
        "server.port",
        3,
        'must be a whole number from 0 to 65535, got "80a"',
        "port = 8080",
    )
    assert str(problem) == (
        f"{tmp_path / 'parlour.toml'}:3: server.port: "
        'must be a whole number from 0 to 65535, got "80a". Fix: port = 8080'
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [('"80a"', '"80a"'), ("-1", "-1"), ("65536", "65536"), ("80.5", "80.5"), ("[80]", "[80]")],
)
def test_port_must_be_a_whole_number_in_range(tmp_path: Path, value: str, shown: str) -> None:
    problem = only_problem(tmp_path, edited("port = 8080", f"port = {value}"))
    assert problem.key == "server.port"
    assert problem.message.endswith(f"got {shown}")


def test_port_zero_asks_for_any_free_port(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, edited("port = 8080", "port = 0"))).port == 0


def test_true_is_not_a_number(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited("port = 8080", "port = true"))
    assert problem.message == "must be a whole number from 0 to 65535, got true"
    problem = only_problem(tmp_path, edited("max_members = 6", "max_members = true"))
    assert problem.key == "server.max_members"


def test_one_is_not_true(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited("open_rooms = false", "open_rooms = 1"))
    assert (problem.key, problem.message) == ("server.open_rooms", "must be true or false, got 1")


@pytest.mark.parametrize("value", ["1", "9"])
def test_room_size_is_two_to_eight(tmp_path: Path, value: str) -> None:
    problem = only_problem(tmp_path, edited("max_members = 4", f"max_members = {value}"))
    assert problem.key == "rooms.family.max_members"
    assert problem.line == 21


@pytest.mark.parametrize(
    "base_path",
    ["hidden", "/hidden/", "/a//b", "/a/./b", "/a/../b", "/a b", "/caf\u00e9", "", "/a?b"],
)
def test_bad_base_path_is_refused(tmp_path: Path, base_path: str) -> None:
    """A bad base_path is reported by its size, never quoted: it is a secret."""
    problem = only_problem(tmp_path, edited('"/hidden"', f'"{base_path}"'))
    assert problem.key == "server.base_path"
    assert f"got a text of {len(base_path)} characters (not shown" in problem.message


@pytest.mark.parametrize("base_path", ["/", "/a", "/a/b-c_D9"])
def test_good_base_path_is_accepted(tmp_path: Path, base_path: str) -> None:
    assert config.check(write(tmp_path, edited('"/hidden"', f'"{base_path}"'))) == []


@pytest.mark.parametrize("host", ['""', '"bad host"', '"[::1]"', "5", '"-x.org"'])
def test_bad_host_is_refused(tmp_path: Path, host: str) -> None:
    assert only_problem(tmp_path, edited('"127.0.0.1"', host)).key == "server.host"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "::1", "localhost", "call.example.org"])
def test_ip_addresses_and_host_names_are_hosts(tmp_path: Path, host: str) -> None:
    assert config.load(write(tmp_path, edited('"127.0.0.1"', f'"{host}"'))).host == host


def with_public_url(value: str) -> str:
    return edited("port = 8080", f"port = 8080\npublic_url = {value}")


def test_public_url_is_unset_by_default(tmp_path: Path) -> None:
    assert config.load(write(tmp_path, VALID)).public_url is None


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://call.example.org", "https://call.example.org"),
        ("https://call.example.org/", "https://call.example.org"),
        ("http://call.example.org:8443", "http://call.example.org:8443"),
        ("HTTPS://192.0.2.7/", "https://192.0.2.7"),
        ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
    ],
)
def test_public_url_is_an_origin_without_trailing_slash(
    tmp_path: Path, url: str, origin: str
) -> None:
    assert config.load(write(tmp_path, with_public_url(f'"{url}"'))).public_url == origin


_AFTER_HOST = "leave out everything after the host and port; base_path adds the path"


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ('"call.example.org"', 'it must start with "https://" or "http://"'),
        ('"wss://call.example.org"', 'it must start with "https://" or "http://"'),
        ('"https://call.example.org/hidden/"', _AFTER_HOST),
        ('"https://call.example.org?room=1"', _AFTER_HOST),
        ('"https://call.example.org/#top"', _AFTER_HOST),
        ('"https://me@call.example.org"', "leave out the user name"),
        ('"https://call.example.org:0"', "the port must be from 1 to 65535"),
        ('"https://call.example.org:65536"', "the port must be from 1 to 65535"),
        ('"https://2001:db8::1"', "write an IPv6 address in brackets"),
        ('"http://0.0.0.0:8080"', "nobody can open 0.0.0.0; give the name or address people reach"),
        ('"https://bad host"', ""),
        ('"https://call.example.org:"', ""),
        ("8443", ""),
    ],
)
def test_bad_public_url_is_refused_with_its_key_value_and_fix(
    tmp_path: Path, value: str, detail: str
) -> None:
    problem = only_problem(tmp_path, with_public_url(value))
    assert (problem.key, problem.line) == ("server.public_url", 4)
    expected = f"must be {config_keys.PUBLIC_URL.expects}, got {value}"
    assert problem.message == (f"{expected} ({detail})" if detail else expected)
    assert str(problem).startswith(f"{tmp_path / 'parlour.toml'}:4: server.public_url: ")
    assert str(problem).endswith('. Fix: public_url = "https://call.example.org"')


@pytest.mark.parametrize("proxies", ['["nope"]', '"10.0.0.0/8"', "[10]"])
def test_trusted_proxies_must_be_ips_or_networks(tmp_path: Path, proxies: str) -> None:
    text = edited('["127.0.0.1", "10.0.0.0/8"]', proxies)
    assert only_problem(tmp_path, text).key == "server.trusted_proxies"


def test_trusted_proxy_network_with_host_bits_is_accepted(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, edited('"10.0.0.0/8"', '"10.1.2.3/8"')))
    assert settings.trusted_proxies[1] == ipaddress.ip_network("10.0.0.0/8")


@pytest.mark.parametrize(
    ("salt", "detail"),
    [
        (keys.b64url(bytes(16)), "it decodes to 16 bytes"),
        (keys.b64url(bytes(33)), "it decodes to 33 bytes"),
        ("not base64!", "it is not unpadded base64url"),
        (keys.b64url(bytes(32)) + "=", "it is not unpadded base64url"),
    ],
)
def test_salt_must_be_32_bytes_of_base64url(tmp_path: Path, salt: str, detail: str) -> None:
    problem = only_problem(tmp_path, edited(SALT, salt))
    assert problem.key == "secrets.salt"
    assert problem.message.endswith(f"({detail})")
    assert "parlour init" in problem.fix


@pytest.mark.parametrize("admin_path", ["A" * 21, "A" * 21 + "!", "A" * 22 + "/"])
def test_admin_path_must_be_long_base64url(tmp_path: Path, admin_path: str) -> None:
    assert only_problem(tmp_path, edited(ADMIN, admin_path)).key == "secrets.admin_path"


def test_verifier_must_be_32_bytes(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited(LOUNGE, keys.b64url(bytes(31))))
    assert (problem.key, problem.line) == ("rooms.lounge.verifier", 17)
    assert "parlour room remove lounge" in problem.fix


def test_a_missing_salt_is_reported_with_a_fix(tmp_path: Path) -> None:
    text = edited(f'[secrets]\nsalt = "{SALT}"\nadmin_path = "{ADMIN}"\n', "")
    problems = config.check(write(tmp_path, text))
    assert [(p.key, p.message) for p in problems] == [("secrets.salt", "is missing")]
    for problem in problems:
        assert problem.fix.startswith(f'add under [secrets]: {problem.key[8:]} = "…"')
        assert "parlour init" in problem.fix
    fresh = re.fullmatch(r'salt = "([^"]+)"', problems[0].fresh)
    assert fresh is not None
    assert len(keys.unb64url(fresh.group(1))) == 32  # the example value is itself valid


def test_missing_base_path_offers_a_generated_one_apart_from_the_fix(tmp_path: Path) -> None:
    """The fresh value rides in Problem.fresh, for `parlour check`; str(problem) never has it."""
    problem = only_problem(tmp_path, edited('base_path = "/hidden"\n', ""))
    assert (problem.key, problem.line) == ("server.base_path", 1)  # the [server] header
    assert re.fullmatch(r'base_path = "/[A-Za-z0-9_-]{22}"', problem.fresh)
    assert not re.search(r"[A-Za-z0-9_-]{22}", str(problem).replace(str(problem.file), ""))


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (SALT, SALT[:-1], "secrets.salt"),
        (SALT, SALT + "x", "secrets.salt"),
        (ADMIN, ADMIN[:-1] + "!", "secrets.admin_path"),
        ('"/hidden"', '"/hidden//x"', "server.base_path"),
        (f'admin_path = "{ADMIN}"', f'admin_path = "{ADMIN}"\nticket_key = "{SALT[:-2]}"', None),
        (f'salt = "{SALT}"', f'salt = "{SALT}"\nsalts = "{SALT}"', None),
    ],
    ids=["salt short", "salt long", "admin path", "base path", "ticket key", "misspelt key"],
)
def test_a_secret_value_is_never_quoted_in_a_problem(
    tmp_path: Path, old: str, new: str, key: str | None
) -> None:
    """Problems about secret keys name the key and what is wrong, never the value written."""
    problem = only_problem(tmp_path, edited(old, new))
    if key is not None:
        assert problem.key == key
    written = [new.strip('"'), *re.findall(r'"([^"]+)"', new)][-1]
    text = str(problem).replace(str(problem.file), "")
    for start in range(len(written) - 7):
        assert written[start : start + 8] not in text, text


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited("open_rooms = false", "open_rooms = false\nprot = 9"))
    assert problem.key == "server.prot"
    assert problem.line == 7
    assert problem.message == "unknown key server.prot; did you mean server.port?"
    assert problem.fix == "port = 9"


def test_key_in_the_wrong_table_is_pointed_to_its_table(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "port = 9\n" + VALID)
    assert (problem.key, problem.line) == ("port", 1)
    assert problem.fix == "move it under [server] as port = 9"


def test_unknown_key_without_a_match_lists_the_table_keys(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited('mode = "off"', 'mode = "off"\nzzz = 1'))
    assert problem.message == "unknown key tls.zzz"
    assert "[tls] takes mode, certificate, key" in problem.fix


def test_unknown_table_suggests_the_close_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID + "\n[secret]\nx = 1\n")
    assert problem.message == "unknown table [secret]; did you mean [secrets]?"
    assert problem.line == 23


def test_unknown_key_in_a_room_is_reported(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID + "verifer = 1\n")
    assert (
        problem.message == "unknown key rooms.family.verifer; did you mean rooms.family.verifier?"
    )


@pytest.mark.parametrize("name", ['"bad name"', '"caf\u00e9"', "a" * 65])
def test_room_names_are_limited(tmp_path: Path, name: str) -> None:
    problem = only_problem(tmp_path, edited("[rooms.family]", f"[rooms.{name}]"))
    assert "must be 1-64 characters of A-Z a-z 0-9 _ -" in problem.message


def test_room_must_be_a_table(tmp_path: Path) -> None:
    text = edited(f'[rooms.lounge]\nverifier = "{LOUNGE}"', f'[rooms]\nlounge = "{LOUNGE}"')
    assert only_problem(tmp_path, text).key == "rooms.lounge"


def test_room_needs_a_verifier(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited(f'verifier = "{LOUNGE}"', ""))
    assert (problem.key, problem.message) == ("rooms.lounge.verifier", "is missing")
    assert "parlour room add lounge" in problem.fix


def test_two_rooms_with_one_passphrase_are_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited(FAMILY, LOUNGE))
    assert problem.key == "rooms.family.verifier"
    assert "same as rooms.lounge.verifier" in problem.message
    assert "parlour room remove family" in problem.fix


def test_unknown_tls_mode_is_refused(tmp_path: Path) -> None:
    text = edited('mode = "off"', 'mode = "on"\ncertificate = "c.pem"')
    problem = only_problem(tmp_path, text)  # certificate's place is unknowable; not reported
    assert problem.message == 'must be "off", "self-signed" or "files", got "on"'


def test_tls_files_need_certificate_and_key(tmp_path: Path) -> None:
    problems = config.check(write(tmp_path, edited('mode = "off"', 'mode = "files"')))
    assert [(p.key, p.message) for p in problems] == [
        ("tls.certificate", 'is required with mode = "files"'),
        ("tls.key", 'is required with mode = "files"'),
    ]


def test_tls_files_must_exist(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("x")
    tls = 'mode = "files"\ncertificate = "cert.pem"\nkey = "missing.pem"'
    problem = only_problem(tmp_path, edited('mode = "off"', tls))
    assert problem.key == "tls.key"
    assert str(tmp_path / "missing.pem") in problem.message
    assert "No such file" in problem.message


def test_tls_files_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    for name in ("cert.pem", "key.pem"):
        (tmp_path / "certs" / name).write_text("x")
    tls = 'mode = "files"\ncertificate = "certs/cert.pem"\nkey = "certs/key.pem"'
    settings = config.load(write(tmp_path, edited('mode = "off"', tls)))
    assert settings.tls.certificate == tmp_path.resolve() / "certs" / "cert.pem"
    assert settings.tls.key == tmp_path.resolve() / "certs" / "key.pem"


@pytest.mark.parametrize("mode", ["off", "self-signed"])
def test_tls_files_are_refused_without_mode_files(tmp_path: Path, mode: str) -> None:
    problem = only_problem(tmp_path, edited('mode = "off"', f'mode = "{mode}"\nkey = "k.pem"'))
    assert problem.key == "tls.key"
    assert problem.message == f'is only used with mode = "files", and mode is "{mode}"'


def test_table_that_is_a_value_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, 'tls = "off"\n' + edited('[tls]\nmode = "off"', ""))
    assert (problem.key, problem.message) == ("tls", 'must be a table [tls], got "off"')


def test_every_problem_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    text = (
        VALID.replace("port = 8080", "port = -1")
        .replace(SALT, "short")
        .replace("open_rooms", "open_room")
    )
    problems = config.check(write(tmp_path, text))
    assert [(p.line, p.key) for p in problems] == [
        (3, "server.port"),
        (6, "server.open_room"),
        (13, "secrets.salt"),
    ]
    with pytest.raises(ConfigError) as raised:
        config.load(tmp_path / "parlour.toml")
    assert [p.message for p in raised.value.problems] == [p.message for p in problems]


def test_missing_file_says_how_to_make_one(tmp_path: Path) -> None:
    [problem] = config.check(tmp_path / "parlour.toml")
    assert str(problem) == (
        f"{tmp_path / 'parlour.toml'}: the file does not exist. "
        "Fix: run `parlour init` (or `parlour serve`, which writes one)"
    )


def test_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, edited("port = 8080", "port = "))
    assert (problem.key, problem.line) == ("", 3)
    assert problem.message.startswith("this is not valid TOML: ")


def test_toml_error_at_the_end_points_at_the_last_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, VALID + "extra = [1,\n")
    assert problem.line == 22
    assert problem.message == "this is not valid TOML: Invalid value"


def test_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "parlour.toml"
    path.write_bytes(VALID.encode() + b"# \xff\n")
    [problem] = config.check(path)
    assert (problem.line, problem.message) == (22, "the file is not UTF-8 text")


def test_keys_are_described_once_each() -> None:
    names = [spec.name for spec in config_keys.KEYS]
    assert len(names) == len(set(names))
    sections = {spec.section for spec in config_keys.KEYS}
    assert sections == {
        *("server", "tls", "secrets", "call", "turn", "stun", "front_door", "audit"),
        *("rooms.NAME", "hosts.NAME"),
    }
    for spec in config_keys.KEYS:
        assert spec.doc
        assert "\n" not in spec.doc


def test_docs_describe_every_key_and_no_other() -> None:
    text = DOCS.read_text(encoding="utf-8")
    tables = "server|tls|secrets|call|turn|stun|front_door|audit|rooms|hosts"
    documented = set(re.findall(rf"`((?:{tables})\.[^`\s]*)`", text))
    assert {spec.name for spec in config_keys.KEYS} == documented


def test_docs_example_file_is_valid(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    assert config.check(write(tmp_path, example.group(1))) == []


def with_call(lines: str) -> str:
    return VALID + "\n[call]\n" + lines + "\n"


def test_call_keys_default_to_no_stun_and_a_home_line_budget(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, VALID))
    assert settings.stun_servers == ()
    assert settings.upload_kbps == 2500


def test_call_keys_are_read(tmp_path: Path) -> None:
    text = with_call(
        'upload_kbps = 900\nstun_servers = ["stun:stun.example.org:3478", "stun:[::1]"]'
    )
    settings = config.load(write(tmp_path, text))
    assert settings.upload_kbps == 900
    assert settings.stun_servers == ("stun:stun.example.org:3478", "stun:[::1]")


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("upload_kbps = 100", "call.upload_kbps"),
        ("upload_kbps = true", "call.upload_kbps"),
        ('stun_servers = ["https://stun.example.org"]', "call.stun_servers"),
        ('stun_servers = ["turn:relay.example.org"]', "call.stun_servers"),
        ('stun_servers = "stun:stun.example.org"', "call.stun_servers"),
    ],
)
def test_bad_call_keys_are_refused(tmp_path: Path, line: str, key: str) -> None:
    problem = only_problem(tmp_path, with_call(line))
    assert problem.key == key
    assert problem.line == VALID.count("\n") + 3


TURN_SECRET = "coturn-static-auth-secret-0123"
TURN = f"""
[turn]
urls = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"]
secret = "{TURN_SECRET}"
"""


def test_turn_is_off_by_default_and_loads_urls_secret_and_an_hour(tmp_path: Path) -> None:
    """No [turn]: no relay. With urls and secret, credentials last an hour unless lifetime says."""
    assert config.load(write(tmp_path, VALID)).turn is None
    turn = config.load(write(tmp_path, VALID + TURN)).turn
    assert turn == Turn(
        ("turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"),
        TURN_SECRET,
        3600,
    )
    assert config.load(write(tmp_path, VALID + TURN + "lifetime = 600\n")).turn == Turn(
        turn.urls, TURN_SECRET, 600
    )


@pytest.mark.parametrize(
    ("line", "key", "detail"),
    [
        ('urls = ["stun:turn.example.org"]', "turn.urls", "is not a TURN URL"),
        ('urls = ["turns:turn.example.org:443?transport=udp"]', "turn.urls", "over TCP only"),
        ('urls = "turn:turn.example.org"', "turn.urls", "must be a list of TURN URLs"),
        ("lifetime = 59", "turn.lifetime", "from 60 to 86400"),
        ("lifetime = 86401", "turn.lifetime", "from 60 to 86400"),
        ('secret = "short-secret"', "turn.secret", "it is only 12 characters"),
        ('secret = "has a space in it, long enough"', "turn.secret", "letters, digits"),
    ],
)
def test_bad_turn_keys_name_the_key_and_the_fix(
    tmp_path: Path, line: str, key: str, detail: str
) -> None:
    """Each bad [turn] value is one problem at its key, saying what was expected."""
    name = line.split(" =")[0]
    text = "\n".join(
        existing for existing in TURN.splitlines() if not existing.startswith(f"{name} =")
    )
    problem = only_problem(tmp_path, VALID + text + "\n" + line + "\n")
    assert problem.key == key
    assert detail in problem.message
    assert problem.fix


def test_a_turn_secret_is_never_quoted_in_a_problem(tmp_path: Path) -> None:
    """A refused secret is described by its size; neither it nor a fresh one is in the message."""
    written = "not valid because of spaces"
    problem = only_problem(tmp_path, VALID + TURN.replace(TURN_SECRET, written))
    assert problem.key == "turn.secret"
    assert written not in str(problem)
    assert "a text of 27 characters (not shown: it is a secret)" in problem.message


def test_turn_urls_without_a_secret_ask_for_coturns_secret(tmp_path: Path) -> None:
    """urls alone cannot make credentials: the problem says where the secret comes from."""
    problem = only_problem(tmp_path, VALID + TURN.replace(f'secret = "{TURN_SECRET}"', ""))
    assert (problem.key, problem.message) == (
        "turn.secret",
        "is missing, and turn.urls lists servers: pages would get no credentials",
    )
    assert "static-auth-secret" in problem.fix
    assert problem.fresh.startswith('secret = "')
    assert problem.fresh not in str(problem)  # only `parlour check` prints a fresh one


def test_a_turn_secret_without_urls_is_reported(tmp_path: Path) -> None:
    """A secret with no server to share it with is a mistake, not silently unused."""
    problem = only_problem(tmp_path, VALID + f'[turn]\nsecret = "{TURN_SECRET}"\n')
    assert problem.key == "turn.urls"
    assert "turn.secret is not used" in problem.message


def test_relay_only_reaches_the_room(tmp_path: Path) -> None:
    """rooms.NAME.relay_only = true puts that room, and only it, in privacy mode."""
    text = edited("max_members = 4\n", "max_members = 4\nrelay_only = true\n") + TURN
    lounge, family = config.load(write(tmp_path, text)).rooms
    assert (lounge.relay_only, family.relay_only) == (False, True)


def test_relay_only_without_turn_is_an_error_naming_the_fix(tmp_path: Path) -> None:
    """A relay-only room with no TURN server is a room nobody can call in: refused at load."""
    problem = only_problem(
        tmp_path, edited("max_members = 4\n", "max_members = 4\nrelay_only = true\n")
    )
    assert (problem.key, problem.line) == ("rooms.family.relay_only", 22)
    assert "nobody in this room could reach anyone" in problem.message
    assert "docs/turn.md" in problem.fix


def test_relay_only_must_be_true_or_false(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path, edited("max_members = 4\n", 'max_members = 4\nrelay_only = "yes"\n') + TURN
    )
    assert problem.key == "rooms.family.relay_only"
    assert problem.message == 'must be true or false, got "yes"'


def test_the_turn_table_in_turn_md_is_valid(tmp_path: Path) -> None:
    """docs/turn.md's [turn] example loads, with the three URLs it tells the operator to use."""
    text = (DOCS.parent / "turn.md").read_text(encoding="utf-8")
    [example] = re.findall(r"```toml\n(.*?)```", text, re.DOTALL)
    turn = config.load(write(tmp_path, VALID + "\n" + example)).turn
    assert turn is not None
    assert [url.split(":")[0] for url in turn.urls] == ["turn", "turn", "turns"]


# The front door: [hosts.NAME], [front_door], [audit], and the obsolete secrets.admin_path.

GRANDMA = keys.b64url(keys.verifier(b"g" * 32))
GRANDPA = keys.b64url(keys.verifier(b"p" * 32))
HOSTS = f"""
[hosts.grandma]
verifier = "{GRANDMA}"
contacts = ["Grandma", "  Nana "]
permitted = ["Ada", "Zoë", "ZOE", "Grace  Hopper"]
super = true

[hosts.grandpa]
verifier = "{GRANDPA}"
"""


def with_hosts(old: str = "", new: str = "") -> str:
    assert old in HOSTS
    return VALID + HOSTS.replace(old, new, 1)


def test_hosts_load_with_their_names_folded(tmp_path: Path) -> None:
    """Contacts and permitted names are kept as the server compares them; defaults fill in."""
    grandma, grandpa = config.load(write(tmp_path, with_hosts())).hosts
    assert grandma == Host(
        name="grandma",
        verifier=keys.verifier(b"g" * 32),
        contacts=("grandma", "nana"),
        permitted=("ada", "zoe", "grace hopper"),  # "Zoë" and "ZOE" are one name
        only_permitted=False,
        super=True,
        relay_only=False,
    )
    assert grandpa == Host("grandpa", keys.verifier(b"p" * 32), contacts=("grandpa",))


def test_host_flags_are_read(tmp_path: Path) -> None:
    text = with_hosts(f'verifier = "{GRANDPA}"', f'verifier = "{GRANDPA}"\nonly_permitted = true')
    assert config.load(write(tmp_path, text)).hosts[1].only_permitted is True
    text = with_hosts(f'verifier = "{GRANDPA}"', f'verifier = "{GRANDPA}"\nrelay_only = true')
    assert config.load(write(tmp_path, text + TURN)).hosts[1].relay_only is True


def test_hosts_reach_the_policy(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, with_hosts()))
    assert settings.policy().hosts == settings.hosts
    assert [host.name for host in settings.hosts] == ["grandma", "grandpa"]


def test_a_file_without_hosts_has_none(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, VALID))
    assert (settings.hosts, settings.countries, settings.geoip_database) == ((), frozenset(), None)


SIXTY_FIVE = "x" * 65


@pytest.mark.parametrize(
    ("old", "new", "key", "detail"),
    [
        ('contacts = ["Grandma", "  Nana "]', "contacts = []", "contacts", "it has 0"),
        ('contacts = ["Grandma", "  Nana "]', 'contacts = "Grandma"', "contacts", "like ["),
        ('"  Nana "', '"Na\\u202ena"', "contacts", '"Na\\u202Ena" has a control character'),
        ('"  Nana "', '"Na\\tna"', "contacts", "has a control character"),
        ('"  Nana "', f'"{SIXTY_FIVE}"', "contacts", "has 65 characters"),
        ('"  Nana "', '"   "', "contacts", "has 0 characters"),
        ('"  Nana "', '"\\u0301"', "contacts", "nothing once accents are set aside"),
        ('"  Nana "', "7", "contacts", "7 is not text"),
        (
            'contacts = ["Grandma", "  Nana "]',
            "contacts = [" + ", ".join(f'"c{n}"' for n in range(17)) + "]",
            "contacts",
            "a list of 17 entries (it has 17)",
        ),
        (
            'permitted = ["Ada", "Zoë", "ZOE", "Grace  Hopper"]',
            "permitted = [" + ", ".join(f'"v{n}"' for n in range(501)) + "]",
            "permitted",
            "a list of 501 entries (it has 501)",
        ),
        ('"Grace  Hopper"', f'"{SIXTY_FIVE}"', "permitted", "has 65 characters"),
        ('"Grace  Hopper"', "true", "permitted", "true is not text"),
        ("super = true", 'super = "yes"', "super", 'must be true or false, got "yes"'),
        ("super = true", "only_permitted = 1", "only_permitted", "got 1"),
        ("super = true", "relay_only = 0", "relay_only", "got 0"),
        (GRANDMA, GRANDMA[:-2], "verifier", "must be a host verifier"),
    ],
)
def test_bad_host_keys_name_the_file_the_key_and_what_is_wrong(
    tmp_path: Path, old: str, new: str, key: str, detail: str
) -> None:
    problem = only_problem(tmp_path, with_hosts(old, new))
    assert problem.key == f"hosts.grandma.{key}"
    assert detail in problem.message
    assert str(problem).startswith(f"{tmp_path / 'parlour.toml'}:")
    assert problem.fix


def test_five_hundred_permitted_names_and_sixteen_contacts_are_fine(tmp_path: Path) -> None:
    text = with_hosts(
        'permitted = ["Ada", "Zoë", "ZOE", "Grace  Hopper"]',
        "permitted = [" + ", ".join(f'"v{n}"' for n in range(500)) + "]",
    ).replace(
        'contacts = ["Grandma", "  Nana "]',
        "contacts = [" + ", ".join(f'"c{n}"' for n in range(16)) + "]",
    )
    grandma = config.load(write(tmp_path, text)).hosts[0]
    assert (len(grandma.permitted), len(grandma.contacts)) == (500, 16)


def test_a_host_without_a_verifier_is_told_how_to_make_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, with_hosts(f'verifier = "{GRANDPA}"\n', ""))
    assert (problem.key, problem.message) == ("hosts.grandpa.verifier", "is missing")
    assert problem.fix == ("run `parlour host add grandpa --replace` for a new host page address")


@pytest.mark.parametrize("name", ['"bad name"', '"caf\u00e9"', "a" * 65])
def test_host_names_are_limited_like_room_names(tmp_path: Path, name: str) -> None:
    problem = only_problem(tmp_path, with_hosts("[hosts.grandpa]", f"[hosts.{name}]"))
    assert "host name" in problem.message
    assert "must be 1-64 characters of A-Z a-z 0-9 _ -" in problem.message


def test_a_host_must_be_a_table(tmp_path: Path) -> None:
    text = VALID + f'\n[hosts]\ngrandpa = "{GRANDPA}"\n'
    problem = only_problem(tmp_path, text)
    assert problem.key == "hosts.grandpa"
    assert "parlour host add grandpa" in problem.fix


def test_a_misspelt_host_key_suggests_the_right_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, with_hosts() + 'permited = ["Ada"]\n')
    assert problem.message == (
        "unknown key hosts.grandpa.permited; did you mean hosts.grandpa.permitted?"
    )
    assert problem.fix == 'permitted = ["Ada"]'


def test_two_super_hosts_are_refused_naming_both(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, with_hosts() + "super = true\n")
    assert problem.key == "hosts.grandpa.super"
    assert problem.message == (
        "is true, and so is hosts.grandma.super: one host at most may be the super-host"
    )
    assert problem.fix == "delete super = true under [hosts.grandpa] or [hosts.grandma]"
    assert str(problem).startswith(
        f"{tmp_path / 'parlour.toml'}:{with_hosts().count(chr(10)) + 1}:"
    )


def test_a_contact_two_hosts_have_is_refused_naming_both(tmp_path: Path) -> None:
    """Compared as visitors' names are: "NANA" is Grandma's "  Nana "."""
    problem = only_problem(tmp_path, with_hosts() + 'contacts = ["Grandpa", "NANA"]\n')
    assert problem.key == "hosts.grandpa.contacts"
    assert problem.message.startswith('contacts has "nana", and so has hosts.grandma.contacts')
    assert "a visitor who types it must reach one host" in problem.message
    assert problem.fix.startswith('take "nana" out of [hosts.grandpa] or [hosts.grandma]')


def test_a_default_contact_counts_too(tmp_path: Path) -> None:
    """A host's name is its contact when it lists none, and may clash with another's list."""
    text = with_hosts('contacts = ["Grandma", "  Nana "]', 'contacts = ["GrandPa"]')
    problem = only_problem(tmp_path, text)
    assert problem.key == "hosts.grandpa.contacts"
    assert problem.message.startswith('contacts (by default, its name) has "grandpa"')


def test_a_name_may_be_permitted_by_several_hosts(tmp_path: Path) -> None:
    grandma, grandpa = config.load(write(tmp_path, with_hosts() + 'permitted = ["ada"]\n')).hosts
    assert "ada" in grandma.permitted
    assert grandpa.permitted == ("ada",)


def test_two_hosts_with_one_page_are_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, with_hosts(GRANDPA, GRANDMA))
    assert problem.key == "hosts.grandpa.verifier"
    assert "same as hosts.grandma.verifier" in problem.message
    assert "parlour host add grandpa --replace" in problem.fix


def test_a_relay_only_host_without_turn_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, with_hosts() + "relay_only = true\n")
    assert problem.key == "hosts.grandpa.relay_only"
    assert problem.message == (
        "is true, but no TURN server is configured ([turn] urls and secret), so this host "
        "could call nobody"
    )
    assert problem.fix == (
        "set up coturn and add it under [turn] (see docs/turn.md), or delete the line"
    )


def front_door(lines: str) -> str:
    return VALID + "\n[front_door]\n" + lines + "\n"


def test_countries_with_a_database_load_upper_cased(tmp_path: Path) -> None:
    (tmp_path / "geo").mkdir()
    (tmp_path / "geo" / "country.mmdb").write_bytes(b"not opened by config")
    text = front_door('countries = ["de", "AT", "De"]\ngeoip_database = "geo/country.mmdb"')
    settings = config.load(write(tmp_path, text))
    assert settings.countries == frozenset({"DE", "AT"})
    assert settings.policy().countries == settings.countries
    assert settings.geoip_database == tmp_path.resolve() / "geo" / "country.mmdb"


def test_a_database_alone_is_fine(tmp_path: Path) -> None:
    """Countries shown on the host's page, nobody refused."""
    (tmp_path / "country.mmdb").write_bytes(b"")
    settings = config.load(write(tmp_path, front_door('geoip_database = "country.mmdb"')))
    assert (settings.countries, settings.geoip_database) == (
        frozenset(),
        tmp_path.resolve() / "country.mmdb",
    )


@pytest.mark.parametrize(
    ("value", "detail"),
    [
        ('["DEU"]', '"DEU" is not a two-letter country code'),
        ('["D1"]', '"D1" is not a two-letter country code'),
        ('["ÄT"]', '"ÄT" is not a two-letter country code'),
        ("[49]", "49 is not a two-letter country code"),
        ('["uk"]', 'the United Kingdom\'s code is "GB"'),
        ('"DE"', ""),
    ],
)
def test_bad_countries_are_refused(tmp_path: Path, value: str, detail: str) -> None:
    (tmp_path / "country.mmdb").write_bytes(b"")
    text = front_door(f'countries = {value}\ngeoip_database = "country.mmdb"')
    problem = only_problem(tmp_path, text)
    assert problem.key == "front_door.countries"
    assert problem.message.startswith("must be a list of two-letter country codes (ISO 3166-1)")
    assert detail in problem.message
    assert problem.fix == 'countries = ["DE", "AT"]'


def test_countries_without_a_database_are_refused_with_where_to_get_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, front_door('countries = ["DE"]'))
    assert (problem.key, problem.line) == ("front_door.countries", VALID.count("\n") + 3)
    assert "without front_door.geoip_database nothing can tell" in problem.message
    assert problem.fix.startswith('add under [front_door]: geoip_database = "GeoLite2-Country')
    assert "MaxMind" in problem.fix
    assert "DB-IP" in problem.fix
    assert "delete the countries line" in problem.fix


def test_a_missing_database_names_the_file_the_key_and_where_to_get_one(tmp_path: Path) -> None:
    text = front_door('countries = ["DE"]\ngeoip_database = "GeoLite2-Country.mmdb"')
    problem = only_problem(tmp_path, text)
    assert problem.key == "front_door.geoip_database"
    assert str(tmp_path.resolve() / "GeoLite2-Country.mmdb") in problem.message
    assert "No such file" in problem.message
    assert "GeoLite2-Country from MaxMind" in problem.fix
    assert "DB-IP" in problem.fix
    assert "MMDB" in problem.fix
    assert str(problem).startswith(f"{tmp_path / 'parlour.toml'}:")


def test_the_database_must_be_a_file(tmp_path: Path) -> None:
    (tmp_path / "geo").mkdir()
    problem = only_problem(tmp_path, front_door('geoip_database = "geo"'))
    assert problem.key == "front_door.geoip_database"
    assert "Is a directory" in problem.message


def test_the_audit_is_kept_next_to_the_config_by_default(tmp_path: Path) -> None:
    settings = config.load(write(tmp_path, VALID))
    assert settings.audit_database == tmp_path.resolve() / "parlour-audit.sqlite"
    assert (settings.audit_retention_days, settings.audit_max_rows) == (90, 100_000)
    assert not settings.audit_database.exists()  # the server makes it, not the check


def test_audit_keys_are_read(tmp_path: Path) -> None:
    text = VALID + '\n[audit]\ndatabase = "audit.db"\nretention_days = 3650\nmax_rows = 1000\n'
    settings = config.load(write(tmp_path, text))
    assert settings.audit_database == tmp_path.resolve() / "audit.db"
    assert (settings.audit_retention_days, settings.audit_max_rows) == (3650, 1000)


@pytest.mark.parametrize(
    ("line", "key", "detail"),
    [
        ("retention_days = 0", "audit.retention_days", "from 1 to 3650, got 0"),
        ("retention_days = 3651", "audit.retention_days", "from 1 to 3650, got 3651"),
        ("max_rows = 999", "audit.max_rows", "from 1000 to 10000000, got 999"),
        ("max_rows = 10000001", "audit.max_rows", "from 1000 to 10000000, got 10000001"),
        ('database = ""', "audit.database", "(it is empty)"),
        ('database = "gone/audit.sqlite"', "audit.database", "in a folder that does not exist"),
        ('database = "."', "audit.database", "which is a folder"),
    ],
)
def test_bad_audit_keys_are_refused(tmp_path: Path, line: str, key: str, detail: str) -> None:
    problem = only_problem(tmp_path, VALID + "\n[audit]\n" + line + "\n")
    assert problem.key == key
    assert detail in problem.message
    assert problem.fix


def test_admin_path_is_no_longer_needed(tmp_path: Path) -> None:
    """An old file keeps loading with it; a new one does without."""
    settings = config.load(write(tmp_path, edited(f'admin_path = "{ADMIN}"\n', "")))
    assert settings.admin_path == ""


def test_control_characters_are_quoted_as_escapes(tmp_path: Path) -> None:
    """A bidi override in a problem would reverse the rest of the operator's terminal line."""
    problem = only_problem(tmp_path, with_hosts('"  Nana "', '"\\u202eanaN"'))
    assert "\u202e" not in str(problem)
    assert '"\\u202EanaN"' in problem.message
