"""Open-file limits: ten thousand sockets need more descriptors than a login shell grants."""

from __future__ import annotations

import contextlib
import resource
from typing import Final

WANTED: Final = 65_536


def raise_nofile(wanted: int = WANTED) -> int:
    """Raise this process's open-file limit as far as allowed; returns the soft limit now."""
    infinity = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != infinity and hard < wanted:
        # A container can forbid raising the hard limit, even to root.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == infinity else min(wanted, hard)
    if soft != infinity and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return wanted if soft == infinity else soft
