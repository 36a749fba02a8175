"""The parent's side of the load generator: worker processes, asked in parallel over pipes."""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Final, Self

from bench import procfs, worker
from bench.errors import BenchError
from bench.server import HOST, Server
from bench.traffic import Target

ANSWER_TIMEOUT: Final = 120.0
Reply = dict[str, Any]


class Pool:
    """`count` worker processes aimed at one server."""

    def __init__(self, count: int, server: Server, seed: int) -> None:
        # "spawn": a fresh interpreter per worker, sharing nothing with the bench's state.
        context = multiprocessing.get_context("spawn")
        target = Target(HOST, server.port, server.ws_path)
        self._pipes: list[Connection] = []
        self._processes: list[multiprocessing.process.BaseProcess] = []
        for number in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=worker.run, args=(theirs, target, seed + number), daemon=True
            )
            process.start()
            theirs.close()
            self._pipes.append(mine)
            self._processes.append(process)

    def __len__(self) -> int:
        return len(self._pipes)

    def ask(
        self, command: str, each: list[Reply] | None = None, timeout: float = ANSWER_TIMEOUT
    ) -> list[Reply]:
        """Send `command` to every worker (with its own arguments from `each`), then gather."""
        arguments = each or [{} for _ in self._pipes]
        for pipe, args in zip(self._pipes, arguments, strict=True):
            pipe.send((command, args))
        replies = []
        for number, pipe in enumerate(self._pipes):
            if not pipe.poll(timeout):
                raise BenchError(f"worker {number} gave no answer to {command} in {timeout:.0f} s")
            try:
                reply: Reply = pipe.recv()
            except (EOFError, OSError) as exc:
                process = self._processes[number]
                process.join(1)
                raise BenchError(
                    f"worker {number} died during {command} ({exc!r}, exit {process.exitcode})"
                ) from None
            if "error" in reply:
                raise BenchError(f"worker {number}: {reply['error']}")
            replies.append(reply)
        return replies

    def cpu_seconds(self) -> float:
        """The generator's CPU time, read from /proc exactly as the server's is."""
        return sum(procfs.cpu_seconds(p.pid) for p in self._processes if p.pid is not None)

    def close(self) -> None:
        for pipe in self._pipes:
            with contextlib.suppress(OSError):  # a worker that died has closed its end
                pipe.send(("quit", {}))
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join(5)
        for pipe in self._pipes:
            pipe.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
