"""`parlour check --turn` against a real coturn started for these tests (tests/turn.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from parlour import cli, turncheck
from tests.support import scaled, write_config
from tests.turn import Coturn, free_port

SECRET = "coturn-shares-this-with-parlour"


@pytest.fixture(scope="module")
def coturn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with Coturn.start(tmp_path_factory.mktemp("coturn"), SECRET, with_tls=True) as running:
        yield running


def config(folder: Path, urls: list[str], secret: str = SECRET) -> Path:
    path = write_config(folder, {})
    turn = f"\n[turn]\nurls = {json.dumps(urls)}\nsecret = {json.dumps(secret)}\n"
    path.write_text(path.read_text() + turn)
    return path


def check(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """Exit status, the per-URL lines, and stderr of `parlour check --turn`."""
    timeout = str(scaled(1.5))
    status = cli.main(["check", "--config", str(path), "--turn", "--timeout", timeout])
    out, err = capsys.readouterr()
    return status, [line for line in out.splitlines() if line.startswith("turn")], err


def test_the_right_secret_relays_over_udp_and_tcp(
    tmp_path: Path, coturn: Coturn, capsys: pytest.CaptureFixture[str]
) -> None:
    """With coturn's own secret, each URL gets a real allocation: "reachable", exit 0."""
    urls = [f"turn:127.0.0.1:{coturn.port}?transport=udp", f"turn:127.0.0.1:{coturn.port}"]
    urls.append(f"turn:127.0.0.1:{coturn.port}?transport=tcp")
    status, lines, _ = check(config(tmp_path, urls), capsys)
    assert status == 0
    assert len(lines) == 3
    for url, line in zip(urls, lines, strict=True):
        assert line.startswith(f"{url}: reachable: "), line
        assert " relayed at 127.0.0.1:" in line


def test_a_wrong_secret_is_named_with_the_fix(
    tmp_path: Path, coturn: Coturn, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another secret than coturn's: "wrong secret", pointing at static-auth-secret; exit 1."""
    urls = [f"turn:127.0.0.1:{coturn.port}", f"turn:127.0.0.1:{coturn.port}?transport=tcp"]
    wrong = "not-the-secret-coturn-has"
    status, lines, err = check(config(tmp_path, urls, wrong), capsys)
    assert status == 1
    assert len(lines) == 2
    for line in lines:
        assert ": wrong secret: " in line
        assert "Fix: make turn.secret the same as static-auth-secret" in line
        assert wrong not in line
        assert SECRET not in line
    assert "2 of 2 URLs failed" in err


def test_a_closed_port_is_unreachable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nobody listening: "unreachable" over UDP (no answer) and TCP (refused), with the fix."""
    port = free_port()
    urls = [f"turn:127.0.0.1:{port}", f"turn:127.0.0.1:{port}?transport=tcp"]
    status, lines, _ = check(config(tmp_path, urls), capsys)
    assert status == 1
    assert [line.split(": ")[1] for line in lines] == ["unreachable", "unreachable"]
    assert f"open UDP port {port}" in lines[0]
    assert f"open TCP port {port}" in lines[1]


def test_an_untrusted_certificate_is_a_tls_problem(
    tmp_path: Path, coturn: Coturn, capsys: pytest.CaptureFixture[str]
) -> None:
    """turns: to a certificate browsers would not trust (self-signed): "TLS problem"."""
    url = f"turns:localhost:{coturn.tls_port}?transport=tcp"
    status, [line], _ = check(config(tmp_path, [url]), capsys)
    assert status == 1
    assert line.startswith(f"{url}: TLS problem: ")
    assert "certificate" in line


def test_a_trusted_certificate_relays_over_tls(
    tmp_path: Path,
    coturn: Coturn,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """turns: with a certificate the check trusts: a real allocation over TLS."""
    monkeypatch.setenv("SSL_CERT_FILE", str(coturn.certificate))
    url = f"turns:localhost:{coturn.tls_port}?transport=tcp"
    status, [line], _ = check(config(tmp_path, [url]), capsys)
    assert (status, line.split(": ")[1]) == (0, "reachable")
    assert "over TLS" in line


def test_without_turn_there_is_nothing_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--turn on a file without [turn] fails and says how to add one."""
    status = cli.main(["check", "--config", str(write_config(tmp_path, {})), "--turn"])
    err = capsys.readouterr().err
    assert status == 1
    assert "no TURN server to check" in err
    assert "docs/turn.md" in err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("turn:turn.example.org", ("turn.example.org", 3478, "udp", False)),
        ("turn:turn.example.org:3479?transport=tcp", ("turn.example.org", 3479, "tcp", False)),
        ("turns:turn.example.org", ("turn.example.org", 5349, "tcp", True)),
        ("turns:[2001:db8::1]:443?transport=tcp", ("2001:db8::1", 443, "tcp", True)),
    ],
)
def test_urls_are_read_with_the_defaults_of_rfc_7065(
    url: str, expected: tuple[str, int, str, bool]
) -> None:
    """Port 3478 for turn:, 5349 for turns:; UDP unless it says tcp; turns: is always TCP."""
    target = turncheck.Target.parse(url)
    assert (target.host, target.port, target.transport, target.tls) == expected
