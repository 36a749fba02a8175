"""The shipped systemd unit: systemd's own checks where systemd is installed, and that what it
runs is what `parlour` accepts."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parlour import cli
from tests.proxies import EXAMPLES, documented

UNIT = EXAMPLES / "systemd" / "parlour.service"
INSTALLED = "/opt/parlour/bin/parlour"  # the venv the unit names, as docs/deployment.md makes it
STATE = "/var/lib/parlour"
# systemd-analyze security rates 0 (locked down) to 10 (exposed), "OK" up to 4.9; its
# --threshold is in tenths. The unit rates 1.4 with systemd 252.
MOST_EXPOSURE_TENTHS = 20

analyze = shutil.which("systemd-analyze")
needs_systemd = pytest.mark.skipif(
    analyze is None, reason="systemd-analyze is not installed (Debian's systemd package has it)"
)


def service() -> configparser.SectionProxy:
    """The [Service] section; a key given twice (SystemCallFilter) keeps its last value."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser["Service"]


def installed_copy(folder: Path) -> Path:
    """The unit with ExecStart at this machine's `parlour`: systemd checks the program exists."""
    program = shutil.which("parlour") or str(Path(sys.executable).parent / "parlour")
    assert Path(program).exists(), "parlour is not installed here (pip install -e .)"
    text = UNIT.read_text()
    assert INSTALLED in text
    copy = folder / UNIT.name
    copy.write_text(text.replace(INSTALLED, program))
    return copy


@needs_systemd
def test_systemd_analyze_verify_finds_nothing_to_say(tmp_path: Path) -> None:
    """Every key known and well-formed, the program there: systemd says nothing at all."""
    assert analyze is not None
    done = subprocess.run(
        [analyze, "verify", "--man=no", str(installed_copy(tmp_path))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).strip() == ""


@needs_systemd
def test_systemd_rates_the_unit_well_locked_down(tmp_path: Path) -> None:
    assert analyze is not None
    done = subprocess.run(
        [
            analyze,
            "security",
            "--offline=true",
            f"--threshold={MOST_EXPOSURE_TENTHS}",
            "--no-pager",
            str(installed_copy(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr


def test_the_unit_runs_parlour_serve_on_a_config_in_its_state_directory() -> None:
    """ExecStart is a command line `parlour` takes, and everything it writes (the config's
    folder: certificate, audit database) is the state directory systemd makes writable."""
    unit = service()
    program, *args = shlex.split(unit["ExecStart"])
    assert program == INSTALLED
    parsed = cli._parser().parse_args(args)
    assert parsed.handler is cli._serve
    assert str(parsed.config.parent) == STATE
    assert f"/var/lib/{unit['StateDirectory']}" == STATE
    assert unit["WorkingDirectory"] == STATE
    assert unit["StateDirectoryMode"] == "0700"


def test_the_unit_is_hardened_reloads_with_sighup_and_restarts_on_failure() -> None:
    unit = service()
    assert unit["ExecReload"] == "/bin/kill -HUP $MAINPID"  # Parlour reloads on SIGHUP
    assert unit["Restart"] == "on-failure"
    assert unit["User"] == "parlour"
    expected = {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
        "AmbientCapabilities": "",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    }
    assert {key: unit.get(key) for key in expected} == expected


def test_deployment_md_shows_the_unit_verbatim() -> None:
    assert documented(UNIT) == [UNIT.read_text()]
