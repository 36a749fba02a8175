"""A two-person call through real nginx and real Caddy over HTTPS, as docs/examples ships them.

One Parlour, one Chromium, and each proxy in turn in front of that Parlour, in a hidden
sub-path of a little existing site (tests/proxies.py). Chromium trusts the test certificate's
key alone and finds call.example.org at 127.0.0.1. Everything else the proxies must do
(headers, addresses, the 404, long-lived sockets) is in tests/test_proxies.py, without a
browser.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

from parlour import keys
from tests import proxies
from tests.browser.calling import meet, wait_decoding
from tests.browser.conftest import PASSPHRASE, UPLOAD_KBPS, Person
from tests.chromium import CHROMIUM_ARGS
from tests.support import ParlourProcess, write_config

pytestmark = pytest.mark.browser

BASE_PATH = "/family/" + keys.generate_path_secret()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> proxies.Certificate:
    return proxies.make_certificate(tmp_path_factory.mktemp("certificate"))


@pytest.fixture(scope="module")
def browser_args(certificate: proxies.Certificate) -> list[str]:
    return [
        *CHROMIUM_ARGS,
        certificate.spki_flag,
        f"--host-resolver-rules=MAP {proxies.SITE_NAME} 127.0.0.1",
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParlourProcess]:
    """Parlour on loopback behind the proxies, trusting them, as docs/deployment.md sets it."""
    folder = tmp_path_factory.mktemp("parlour")
    config = write_config(
        folder,
        {"lounge": (PASSPHRASE, 8)},
        base_path=BASE_PATH,
        call={"upload_kbps": UPLOAD_KBPS},
    )
    text = config.read_text().replace(
        "[server]\n", '[server]\ntrusted_proxies = ["127.0.0.1"]\n', 1
    )
    config.write_text(text)
    with ParlourProcess.start(config) as process:
        yield process


@pytest.fixture(scope="module", params=sorted(proxies.PROXIES))
def proxy(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    certificate: proxies.Certificate,
    server: ParlourProcess,
) -> Iterator[proxies.Proxy]:
    kind: str = request.param
    port = urlsplit(server.url).port
    assert port is not None
    with proxies.PROXIES[kind](tmp_path_factory.mktemp(kind), certificate, port, BASE_PATH) as run:
        yield run


def test_two_people_call_through_the_proxy_over_https(
    proxy: proxies.Proxy, browser: Browser, people: list[Person]
) -> None:
    """Both pages load over HTTPS from the hidden sub-path, meet through the proxied
    WebSocket, and each decodes the other's video."""
    ada, bo = meet(browser, people, proxy.url, PASSPHRASE, ("Ada", "Bo"))
    for person in (ada, bo):
        assert person.page.evaluate("location.origin") == proxy.origin
        assert person.page.evaluate("window.isSecureContext") is True
    wait_decoding(ada.page, 1, "Ada")
    wait_decoding(bo.page, 1, "Bo")
