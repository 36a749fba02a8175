"""A real coturn (`turnserver`, Debian's coturn) for tests, on free loopback ports (or at an
address inside a network namespace) with its own temporary configuration, checking credentials
with a shared secret; stopped at the end."""

from __future__ import annotations

import random
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from parlour import tls
from tests.support import Lines, scaled

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
REALM = "test.invalid"


def free_port(*, also_udp: bool = True) -> int:
    """A port nobody listens on over TCP (and UDP) on 127.0.0.1 just now."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = int(tcp.getsockname()[1])
        if not also_udp:
            return port
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@dataclass
class Coturn:
    """`turnserver` running; `port` takes UDP and TCP, `tls_port` (when asked for) TLS."""

    process: subprocess.Popen[str]
    output: Lines
    port: int
    tls_port: int | None
    certificate: Path | None

    @classmethod
    def start(
        cls,
        folder: Path,
        secret: str,
        *,
        with_tls: bool = False,
        address: str = "127.0.0.1",
        prefix: Sequence[str] = (),
        port: int | None = None,
        tls_port: int | None = None,
    ) -> Self:
        """On free loopback ports by default; or at `address`, with `prefix` before the command
        (`ip netns exec NAME` runs it in a namespace, where any port is free)."""
        folder.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        # A window of relay ports of its own, so that two test runs do not share one.
        low = random.randrange(50_000, 59_000, 100)
        args = [
            *prefix,
            TURNSERVER,
            "-n",  # no configuration file: everything is on this line
            "-v",  # verbose: it says when each listener is open, which start() waits for
            f"--listening-ip={address}",
            f"--relay-ip={address}",
            f"--listening-port={port}",
            f"--min-port={low}",
            f"--max-port={low + 99}",
            "--use-auth-secret",
            f"--static-auth-secret={secret}",
            f"--realm={REALM}",
            "--no-dtls",
            "--no-cli",  # required with --allow-loopback-peers
            "--allow-loopback-peers",
            "--fingerprint",
            f"--pidfile={folder / 'turnserver.pid'}",
            f"--userdb={folder / 'turndb'}",
            "--log-file=stdout",
            "--simple-log",
            "--no-software-attribute",
        ]
        certificate = None
        if with_tls:
            certificate, key = tls.ensure_self_signed(folder, ["localhost", address])
            tls_port = tls_port or free_port(also_udp=False)
            args += [f"--tls-listening-port={tls_port}", f"--cert={certificate}", f"--pkey={key}"]
        else:
            tls_port = None
            args.append("--no-tls")
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        assert process.stdout is not None
        running = cls(process, Lines(process.stdout), port, tls_port, certificate)
        try:
            running.wait_listening(address)
        except BaseException:
            running.stop()
            raise
        return running

    def wait_listening(self, address: str) -> None:
        """Until it says each of its listeners is open: UDP, and TCP on each port."""
        deadline = time.monotonic() + scaled(10.0)
        waiting = {("UDP", self.port), *(("TCP", p) for p in (self.port, self.tls_port) if p)}
        opened = rf"(UDP|TCP) listener opened on ?: ?{re.escape(address)}:(\d+)$"
        while waiting:
            try:
                found = self.output.expect(opened, max(0.0, deadline - time.monotonic()))
            except AssertionError as error:
                status = self.process.poll()
                raise RuntimeError(
                    f"turnserver is not listening (exit: {status}): {error}"
                ) from None
            waiting.discard((found.group(1), int(found.group(2))))

    def log(self) -> list[str]:
        """Everything it printed that start() did not read; complete once it has stopped."""
        return self.output.rest()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(scaled(10.0))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
