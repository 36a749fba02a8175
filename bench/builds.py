"""The servers a comparison runs side by side: this checkout, an older commit, the floor relay.

The older commit is installed for the run only: `git archive` of the commit into a temporary
folder, a virtual environment there that sees this interpreter's packages (so both builds run
on the same aiohttp, msgspec and event loop libraries, and only Parlour's code differs), and
`pip install --no-deps` of the tree into it. Nothing is left behind when the run ends.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from bench.errors import BenchError
from bench.server import Launch

CHECKOUT: Final = Path(__file__).resolve().parent.parent
BASELINE: Final = "2456811"  # the commit issue 13 measured against
PIP_TIMEOUT: Final = 600.0


@dataclass(frozen=True, slots=True)
class Build:
    name: str
    launch: Launch


def today(launch: Launch) -> Build:
    return Build("today", launch)


def floor(launch: Launch) -> Build:
    return Build("floor", replace(launch, module="bench.floor", cwd=CHECKOUT))


def older(launch: Launch, folder: Path, commit: str = BASELINE) -> Build:
    """`commit` built into `folder`, started as shipped then (its own choice of event loop)."""
    source, venv = folder / "source", folder / "venv"
    source.mkdir()
    python = venv / "bin" / "python"
    archive = _run(["git", "-C", str(CHECKOUT), "archive", commit], f"git archive {commit}")
    _run(["tar", "-x", "-C", str(source)], "unpacking it", stdin=archive)
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], "making a venv")
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
        f"pip install of {commit}",
        cwd=folder,
    )
    # Run from the folder, not the checkout: `python -m parlour` would import today's code.
    return Build(commit, replace(launch, python=str(python), cwd=folder, loop="shipped"))


def _run(command: list[str], what: str, *, stdin: bytes = b"", cwd: Path | None = None) -> bytes:
    try:
        done = subprocess.run(
            command, input=stdin, capture_output=True, cwd=cwd, timeout=PIP_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BenchError(f"{what} failed: {error}") from None
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise BenchError(f"{what} failed ({done.returncode}): " + " / ".join(tail))
    return done.stdout
