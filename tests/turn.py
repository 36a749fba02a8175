"""A real coturn (`turnserver`, Debian's coturn) for tests, on free loopback ports with its own
temporary configuration, checking credentials with a shared secret; stopped at the end."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from parlour import tls
from tests.support import scaled

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

    process: subprocess.Popen[bytes]
    folder: Path
    port: int
    tls_port: int | None
    certificate: Path | None

    @classmethod
    def start(cls, folder: Path, secret: str, *, with_tls: bool = False) -> Self:
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        # A window of relay ports of its own, so that two test runs do not share one.
        low = random.randrange(50_000, 59_000, 100)
        args = [
            TURNSERVER,
            "-n",  # no configuration file: everything is on this line
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
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
            f"--log-file={folder / 'turnserver.log'}",
            "--simple-log",
            "--no-software-attribute",
        ]
        tls_port = certificate = None
        if with_tls:
            certificate, key = tls.ensure_self_signed(folder, ["localhost"])
            tls_port = free_port(also_udp=False)
            args += [f"--tls-listening-port={tls_port}", f"--cert={certificate}", f"--pkey={key}"]
        else:
            args.append("--no-tls")
        process = subprocess.Popen(
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        running = cls(process, folder, port, tls_port, certificate)
        try:
            running.wait_listening()
        except BaseException:
            running.stop()
            raise
        return running

    def wait_listening(self) -> None:
        """Until each of its TCP listeners takes a connection (UDP opens with them)."""
        deadline = time.monotonic() + scaled(10.0)
        for port in filter(None, (self.port, self.tls_port)):
            while True:
                if self.process.poll() is not None:
                    log = (self.folder / "turnserver.log").read_text(errors="replace")
                    raise RuntimeError(f"turnserver exited ({self.process.returncode}):\n{log}")
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"turnserver is not listening on {port}") from None
                    # Nothing to await: the process says nothing when its listener is up.
                    time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(scaled(10.0))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
