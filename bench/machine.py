"""What the figures were measured on: they mean little without it."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

from bench import procfs


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return 0.0


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def describe(server_loop: str, nofile: int, niceness: int) -> list[str]:
    try:
        import uvloop  # noqa: F401

        generator_loop = "uvloop"
    except ImportError:
        generator_loop = "asyncio"
    if server_loop == "shipped":
        server_loop = f"as shipped ({generator_loop})"
    return [
        f"machine: {_cpu_model()}, {procfs.cores()} cores, {_memory_gib():.0f} GiB, "
        f"Linux {platform.release()}",
        f"python {platform.python_version()}, parlour {_version('parlour')}, aiohttp "
        f"{_version('aiohttp')}, msgspec {_version('msgspec')}, uvloop {_version('uvloop')}",
        f"server event loop: {server_loop}; generator event loop: {generator_loop}; "
        f"open files allowed: {nofile:,}; niceness {niceness}; load average: {load_average()}",
    ]
