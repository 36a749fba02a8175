"""Shared test support: configuration files and a real `parlour serve` process."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from parlour import keys

STARTUP_TIMEOUT = 20.0
LISTENING = re.compile(r"is listening on (\S+)")


def write_config(
    folder: Path,
    rooms: dict[str, tuple[str, int]],
    *,
    open_rooms: bool = False,
    salt: bytes | None = None,
    base_path: str | None = None,
) -> Path:
    """A parlour.toml on port 0 (any free port) with rooms given as name -> (passphrase, size)."""
    salt = salt or keys.generate_salt()
    base_path = base_path or "/" + keys.generate_path_secret()
    lines = [
        "[server]",
        'host = "127.0.0.1"',
        "port = 0",
        f'base_path = "{base_path}"',
        f"open_rooms = {'true' if open_rooms else 'false'}",
        "",
        "[secrets]",
        f'salt = "{keys.b64url(salt)}"',
        f'admin_path = "{keys.generate_path_secret()}"',
    ]
    for name, (passphrase, size) in rooms.items():
        verifier = keys.room_keys(passphrase, salt).verifier
        lines += ["", f"[rooms.{name}]", f'verifier = "{keys.b64url(verifier)}"']
        lines.append(f"max_members = {size}")
    path = folder / "parlour.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


class _Lines:
    """Lines from a pipe, collected by a thread so a test can wait for one with a timeout."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        for line in self.seen:
            if found := pattern.search(line):
                return found
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if found := pattern.search(line):
                return found
        raise AssertionError(f"no line matching {pattern.pattern!r}; saw: {self.seen!r}")


class ParlourProcess:
    """`python -m parlour serve` in a child process, stopped with SIGTERM like an init system."""

    def __init__(self, process: subprocess.Popen[str], config: Path) -> None:
        self.process = process
        self.config = config
        assert process.stdout is not None
        assert process.stderr is not None
        self.stdout = _Lines(process.stdout)
        self.stderr = _Lines(process.stderr)
        self.url = self.stdout.wait_for(LISTENING, STARTUP_TIMEOUT).group(1)

    @classmethod
    def start(cls, config: Path, *extra: str) -> Self:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "parlour", "serve", "--config", str(config), *extra],
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
            raise

    @property
    def ws_url(self) -> str:
        return "ws" + self.url.removeprefix("http") + "ws"

    def signal(self, signum: signal.Signals) -> None:
        self.process.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self.stop()
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
