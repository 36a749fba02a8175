"""One plain HTTP GET over loopback, for the page checks (not the load: that is wsclient)."""

from __future__ import annotations

import http.client
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


def get(host: str, port: int, path: str, *, gzip: bool = False, timeout: float = 5.0) -> Reply:
    """Raises ConnectionRefusedError while nothing listens yet: callers poll on that."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Accept-Encoding": "gzip"} if gzip else {"Accept-Encoding": "identity"}
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        # Header names are case-insensitive; lower-case them once for the callers.
        found = {name.lower(): value for name, value in response.getheaders()}
        return Reply(response.status, found, body)
    finally:
        connection.close()
