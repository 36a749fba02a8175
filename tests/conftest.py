"""How the suite splits between two pytest-xdist workers (scripts/test runs `-n 2 --dist
loadgroup`).

Two lanes, never more: on a 2-core machine two calls decoding video at once would each slow the
other past their waits. Lane "calls" holds the modules whose tests keep several pages in a call
with video for most of their time; lane "quiet" holds the rest, whose time goes mostly to
waiting for the product's own timers (reconnect backoffs, the 15 s bound before "Could not
connect", TURN credentials running out) or to pages without a call, and to the tests without a
browser. Every module stays whole in one lane, so its module-scoped server and browser are made
once. Without xdist the marks change nothing.
"""

from __future__ import annotations

import pytest

CALLS = frozenset(
    {
        "test_call.py",
        "test_call_controls.py",
        "test_call_devices.py",
        "test_call_four.py",
        "test_call_lock.py",
        "test_call_restart.py",
        "test_call_through_proxies.py",
        "test_files.py",
        "test_front_door.py",
        "test_hostile_server.py",
        "test_screen_share.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        lane = "calls" if item.path.name in CALLS else "quiet"
        item.add_marker(pytest.mark.xdist_group(lane))
