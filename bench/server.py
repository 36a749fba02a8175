"""A real `parlour serve` in its own process, on a free loopback port, with a throwaway config.

The server is started the way an operator starts it (`python -m parlour serve --config FILE`);
the bench only chooses the port beforehand, so that it can poll the page from the moment of
spawning instead of waiting for the server to print its address.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench import http, limits, procfs
from bench.errors import BenchError
from bench.wire import b64url, unb64url

HOST: Final = "127.0.0.1"
START_TIMEOUT: Final = 60.0  # generous: a busy shared machine can be very slow
POLL_INTERVAL: Final = 0.002  # a poll, not a test: short so it adds little to the cold start
STOP_TIMEOUT: Final = 30.0


# `parlour serve` runs on uvloop where it is installed, else on asyncio. `--server-loop` is a
# what-if: "asyncio" hides uvloop from the server (its import fails, as where it is not
# installed); "uvloop" installs uvloop's policy first, which also puts a build that predates
# the choice (bench/builds.py) on uvloop.
WRAPPERS: Final = {
    "asyncio": "import sys; sys.modules['uvloop'] = None; ",
    "uvloop": "import uvloop; uvloop.install(); ",
}
RUN_PARLOUR: Final = (
    "import runpy, sys; sys.argv[0] = 'parlour'; "
    "runpy.run_module('parlour', run_name='__main__', alter_sys=True)"
)


@dataclass(frozen=True, slots=True)
class Launch:
    """How a server is started.

    `pycache` receives the compiled bytecode: an installed Parlour has it (pip compiles on
    install), while a source checkout run with PYTHONDONTWRITEBYTECODE would compile every
    module on every start and make the cold start look worse than any real deployment.

    `python` and `cwd` start another build (bench/builds.py): an interpreter whose
    environment holds it, run outside this checkout, which `-m` would otherwise import first.
    `module` other than "parlour" is a stand-in taking `--config FILE` (bench/floor.py).
    """

    pycache: Path
    loop: str = "shipped"
    python: str = sys.executable
    cwd: Path | None = None
    module: str = "parlour"

    def command(self, config: Path) -> list[str]:
        if self.module != "parlour":
            return [self.python, "-m", self.module, "--config", str(config)]
        serve = ["serve", "--config", str(config)]
        if self.loop in WRAPPERS:
            return [self.python, "-c", WRAPPERS[self.loop] + RUN_PARLOUR, *serve]
        return [self.python, "-m", "parlour", *serve]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def write_config(folder: Path, port: int, *, open_rooms: bool, locators: Sequence[str]) -> Path:
    """A parlour.toml whose rooms open with the given locators (no KDF needed: the server only
    ever sees locators, and stores SHA-256 of each as the room's verifier)."""
    lines = [
        "[server]",
        f'host = "{HOST}"',
        f"port = {port}",
        f'base_path = "/{secrets.token_urlsafe(16)}"',
        f"open_rooms = {'true' if open_rooms else 'false'}",
        "",
        "[secrets]",
        f'salt = "{b64url(secrets.token_bytes(32))}"',
        f'admin_path = "{secrets.token_urlsafe(16)}"',
    ]
    for number, locator in enumerate(locators):
        verifier = hashlib.sha256(unb64url(locator)).digest()
        lines += ["", f"[rooms.r{number:05d}]", f'verifier = "{b64url(verifier)}"']
    path = folder / "parlour.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def base_path_of(config: Path) -> str:
    for line in config.read_text().splitlines():
        if line.startswith("base_path = "):
            return line.split('"')[1]
    raise BenchError(f"{config} has no base_path")


class Server:
    """One running `parlour serve`; `cold_start` is spawn to the first 200 on the room page."""

    def __init__(
        self, folder: Path, launch: Launch, *, open_rooms: bool, locators: Sequence[str] = ()
    ) -> None:
        self.port = free_port()
        self.config = write_config(folder, self.port, open_rooms=open_rooms, locators=locators)
        self.base_path = base_path_of(self.config)
        self.log_path = folder / "server.log"
        self.page_path = self.base_path + "/"
        self.ws_path = self.base_path + "/ws"
        # The server holds 10,000 sockets: it needs a raised open-file limit itself. Limits are
        # inherited through fork and exec, so raising ours first gives it the same; a
        # preexec_fn would do it in the child, but is unsafe once any thread runs (Playwright's
        # do, in the call section).
        limits.raise_nofile()
        with self.log_path.open("wb") as log:
            started = time.perf_counter()
            self.process = subprocess.Popen(
                launch.command(self.config),
                cwd=launch.cwd,
                env=launch.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            self._wait_for_page()
        except BaseException:
            self.kill()
            raise
        self.cold_start = time.perf_counter() - started

    @property
    def pid(self) -> int:
        return self.process.pid

    def _wait_for_page(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"parlour serve exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                reply = http.get(HOST, self.port, self.page_path)
            except (ConnectionRefusedError, ConnectionResetError):
                time.sleep(POLL_INTERVAL)
                continue
            if reply.status != 200:
                raise BenchError(f"the room page answered {reply.status}:\n{self.log()}")
            return
        raise BenchError(
            f"no answer on port {self.port} within {START_TIMEOUT:.0f} s:\n{self.log()}"
        )

    def rss_kib(self) -> int:
        return procfs.rss_kib(self.pid)

    def cpu_seconds(self) -> float:
        return procfs.cpu_seconds(self.pid)

    def open_files(self) -> int:
        return procfs.open_files(self.pid)

    def open_files_allowed(self) -> int:
        return procfs.nofile_limit(self.pid)

    def settled_rss_kib(self, timeout: float = 3.0) -> int:
        """VmRSS once it stops moving (freed buffers, late allocations), or after `timeout`."""
        deadline = time.monotonic() + timeout
        last = self.rss_kib()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.rss_kib()
            if now == last:
                return now
            last = now
        return last

    def log(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM as an init system would; a server that hangs on it is killed, and reported."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise BenchError(f"parlour serve ignored SIGTERM for {STOP_TIMEOUT:.0f} s") from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
