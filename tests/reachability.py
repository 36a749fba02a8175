"""Parlour and coturn on a simulated Internet's public addresses, Chromium in its homes.

The browser tests of tests/browser/test_networks.py and the bench's `reach` section build
their topologies from tests/netns.py and start everything they need here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.netns import Home, Internet
from tests.support import ParlourProcess, write_config
from tests.turn import Coturn

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

# The page's port. Port 443, so that a network that lets nothing out but TCP to 443 still
# loads the page: such a network is one of the topologies.
PAGE_PORT: Final = 443
TURN_PORT: Final = 3478
TURNS_PORT: Final = 443  # on coturn's own address, as docs/turn.md advises
SECRET: Final = "parlour-and-coturn-share-this-secret"
UPLOAD_KBPS: Final = 1000  # as the other browser tests: keeps two cores able to keep up


@dataclass(frozen=True)
class Relay:
    """A coturn in the public namespace, and what Parlour's [turn] says about it."""

    tls: bool = False  # also turns: on TURNS_PORT, with a self-signed certificate
    secret: str = SECRET  # coturn's; a different one than Parlour's makes every login fail
    lifetime: int = 3600  # turn.lifetime


@dataclass(frozen=True)
class Site:
    """What a browser needs to know: the page's address and origin."""

    url: str
    origin: str
    server: ParlourProcess
    coturn: Coturn | None


@contextmanager
def serve(
    internet: Internet,
    folder: Path,
    rooms: dict[str, tuple[str, int]],
    relay: Relay | None,
    *,
    open_rooms: bool = False,
) -> Iterator[Site]:
    """`parlour serve` on the first server address (its own STUN responder on, as by default,
    which it offers pages because the address is not loopback), and coturn on the second."""
    host = internet.server_address()
    turn_host = internet.server_address()
    with ExitStack() as stack:
        coturn = None
        if relay is not None:
            coturn = stack.enter_context(
                Coturn.start(
                    folder / "coturn",
                    relay.secret,
                    with_tls=relay.tls,
                    address=turn_host,
                    prefix=internet.public.command(),
                    port=TURN_PORT,
                    tls_port=TURNS_PORT if relay.tls else None,
                )
            )
        call: dict[str, int | list[str]] = {"upload_kbps": UPLOAD_KBPS}
        config = write_config(
            folder, rooms, open_rooms=open_rooms, host=host, port=PAGE_PORT, call=call
        )
        if relay is not None:
            urls = [f"turn:{turn_host}:{TURN_PORT}?transport={t}" for t in ("udp", "tcp")]
            if relay.tls:
                urls.append(f"turns:{turn_host}:{TURNS_PORT}?transport=tcp")
            turn = (
                f"\n[turn]\nurls = {json.dumps(urls)}\nsecret = {json.dumps(SECRET)}\n"
                f"lifetime = {relay.lifetime}\n"
            )
            config.write_text(config.read_text() + turn)
        server = stack.enter_context(ParlourProcess.start(config, prefix=internet.public.command()))
        yield Site(server.url, f"http://{host}:{PAGE_PORT}", server, coturn)


def launch(
    playwright: Playwright, home: Home, folder: Path, site: Site, flags: Sequence[str] = ()
) -> Browser:
    """Debian's Chromium inside `home`, through a wrapper that Playwright takes for the browser.

    The page is served over plain HTTP from an address that is not loopback, which is not a
    secure context (no getUserMedia, no crypto.subtle); one flag makes that origin count as
    one. That is simpler than TLS for the page, which would need a certificate the browser
    trusts or a flag that ignores certificate errors everywhere, including for TURN over TLS,
    which the tests want to see checked (see test_networks.py).
    """
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / f"chromium-in-{home.namespace.name}"
    wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {home.namespace.name} {CHROMIUM} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    env: dict[str, str | float | bool] = {
        **os.environ,
        "XDG_CONFIG_HOME": str(folder),
        "XDG_CACHE_HOME": str(folder),
    }
    args = [*CHROMIUM_ARGS, f"--unsafely-treat-insecure-origin-as-secure={site.origin}", *flags]
    return playwright.chromium.launch(
        executable_path=str(wrapper), args=args, env=env, headless=True
    )


def trusting(certificate: Path) -> str:
    """The flag that makes Chromium accept this one certificate's key from any server."""
    loaded = x509.load_pem_x509_certificate(certificate.read_bytes())
    spki = loaded.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return "--ignore-certificate-errors-spki-list=" + base64.b64encode(
        hashlib.sha256(spki).digest()
    ).decode("ascii")
