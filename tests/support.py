"""Shared test support: configuration files and a real `parlour serve` process."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from parlour import keys, tickets


def _timeout_factor() -> float:
    text = os.environ.get("PARLOUR_TEST_TIMEOUT_FACTOR", "1")
    try:
        factor = float(text)
    except ValueError:
        factor = 0.0
    if not 0 < factor < float("inf"):
        raise ValueError(f"PARLOUR_TEST_TIMEOUT_FACTOR must be a number above 0, not {text!r}")
    return factor


# Every wait of the tests is scaled by this one factor: a shared or slow machine needs longer
# for the same events (shared/TESTING.md, "Load"), and a fixed wait would fail there.
TIMEOUT_FACTOR = _timeout_factor()


def scaled(seconds: float) -> float:
    """A wait of `seconds` on a quiet machine, times PARLOUR_TEST_TIMEOUT_FACTOR."""
    return seconds * TIMEOUT_FACTOR


STARTUP_TIMEOUT = scaled(20.0)
LISTENING = r"is listening on (\S+)"


# A [hosts.NAME] table for write_config: "secret" (the raw 32 bytes of the host page's address)
# and any of contacts, permitted (lists of names), only_permitted, super (booleans).
HostTable = dict[str, Any]


def host_secret() -> bytes:
    """The raw secret of a host page; its address is the base path, "/", keys.b64url of it."""
    return os.urandom(32)


@cache
def room_keys(passphrase: str, salt: bytes) -> keys.RoomKeys:
    """The real 600,000-iteration stretch, done once per passphrase and salt in a test run."""
    return keys.room_keys(passphrase, salt)


def write_config(
    folder: Path,
    rooms: dict[str, tuple[str, int]],
    *,
    open_rooms: bool = False,
    salt: bytes | None = None,
    base_path: str | None = None,
    port: int = 0,
    call: dict[str, int | list[str]] | None = None,
    host: str = "127.0.0.1",
    hosts: dict[str, HostTable] | None = None,
) -> Path:
    """A parlour.toml with rooms given as name -> (passphrase, size).

    Port 0 lets the server pick a free port; a test that restarts the server passes a concrete
    one so that browsers find it again. `call` becomes the [call] table (upload_kbps, ...).
    `hosts` become [hosts.NAME] tables: the raw secret under "secret" (stored as its verifier,
    as `parlour host add` does), every other key as written (contacts, permitted, super...).
    """
    salt = salt or keys.generate_salt()
    base_path = base_path or "/" + keys.generate_path_secret()
    lines = [
        "[server]",
        f'host = "{host}"',
        f"port = {port}",
        f'base_path = "{base_path}"',
        f"open_rooms = {'true' if open_rooms else 'false'}",
        "",
        "[secrets]",
        f'salt = "{keys.b64url(salt)}"',
        f'admin_path = "{keys.generate_path_secret()}"',
        # As `parlour init` writes it: without one, a restart would unlock every locked room.
        f'ticket_key = "{keys.b64url(tickets.generate_key())}"',
    ]
    if call:
        # JSON writes integers and lists of strings exactly as TOML does.
        lines += ["", "[call]", *(f"{key} = {json.dumps(value)}" for key, value in call.items())]
    for name, (passphrase, size) in rooms.items():
        verifier = room_keys(passphrase, salt).verifier
        lines += ["", f"[rooms.{name}]", f'verifier = "{keys.b64url(verifier)}"']
        lines.append(f"max_members = {size}")
    for name, table in (hosts or {}).items():
        verifier = keys.b64url(keys.verifier(table["secret"]))
        lines += ["", f"[hosts.{name}]", f'verifier = "{verifier}"']
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items() if key != "secret"]
    path = folder / "parlour.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class Lines:
    """Lines from a pipe, collected by a thread so a test can wait for one with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._stream = stream
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        for line in self._stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def close(self) -> None:
        """Once the process is gone the pipe ends; then it is closed, leaving nothing open."""
        self._thread.join(STARTUP_TIMEOUT)
        self._stream.close()

    def rest(self) -> list[str]:
        """Every line not yet looked at, once close() has seen the pipe end."""
        return [line for line in iter(self._queue.get_nowait, None)]

    def expect(self, pattern: str, timeout: float = STARTUP_TIMEOUT) -> re.Match[str]:
        """The next line not yet looked at that matches `pattern`."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if found := compiled.search(line):
                return found
        raise AssertionError(f"no line matching {pattern!r}; saw: {self.seen!r}")


class ParlourProcess:
    """`python -m parlour serve` in a child process, stopped with SIGTERM like an init system."""

    def __init__(self, process: subprocess.Popen[str], config: Path) -> None:
        self.process = process
        self.config = config
        assert process.stdout is not None
        assert process.stderr is not None
        self.stdout = Lines(process.stdout)
        self.stderr = Lines(process.stderr)
        self.url = self.stdout.expect(LISTENING).group(1)

    @classmethod
    def start(cls, config: Path, *extra: str, prefix: Sequence[str] = ()) -> Self:
        """`prefix` goes before the command: `ip netns exec NAME` runs it in a namespace."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "parlour", "serve", "--config", str(config), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            return cls(process, config)
        except BaseException:
            process.kill()
            process.wait()
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
            raise

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "ws"

    def send(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = scaled(15.0)) -> int:
        """SIGTERM, wait for the exit, close the pipes; kill only if it does not go."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            status = self.process.wait()
        self.stdout.close()
        self.stderr.close()
        return status

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
