"""The country of an address, from a MaxMind DB country database the operator provides.

The country allow-list and the super-host's audit need it. Parlour never downloads the
database (GeoLite2-Country or DB-IP's free country database, or their City editions): the
operator keeps the file fresh, and this module only reads it, with the `maxminddb` reader.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Final

import maxminddb

from parlour.guard import parse_address

# Addresses that belong to no country: a database has no entry for them, but saying so here
# means a database that does (some map private ranges to the operator's own country) is not
# believed. ipaddress's is_private is not used because it also covers the documentation
# ranges (192.0.2.0/24, 2001:db8::/32, …), which the tests' databases use like real ones.
_NO_COUNTRY: Final = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/3",  # multicast and reserved
        "::/127",  # unspecified and loopback
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "ff00::/8",  # multicast
    )
)


class GeoError(Exception):
    """The country database cannot be used; the message is a sentence naming the file."""


class Countries:
    """Lookups in one country database, or none (Countries.none()), which knows no country."""

    def __init__(self, reader: maxminddb.Reader | None, path: Path | None) -> None:
        self._reader = reader
        self.path = path
        """The database's file, or None for Countries.none()."""

    @classmethod
    def open(cls, path: Path) -> Countries:
        """The database at `path`; GeoError when it is missing or not a MaxMind DB."""
        try:
            reader = maxminddb.open_database(path)
        except FileNotFoundError as exc:
            raise GeoError(f"the country database {path} does not exist") from exc
        except maxminddb.InvalidDatabaseError as exc:
            raise GeoError(f"the country database {path} is not a MaxMind DB file (.mmdb)") from exc
        except OSError as exc:
            raise GeoError(f"the country database {path} cannot be read: {exc.strerror}") from exc
        # An ASN or anonymous-IP database opens just as well but knows no country: every
        # lookup would be None, and every visitor refused by the allow-list, without a word.
        kind = str(reader.metadata().database_type)
        if "country" not in kind.lower() and "city" not in kind.lower():
            reader.close()
            raise GeoError(
                f"the database {path} is a {kind} database, not a country database"
                " (such as GeoLite2-Country or DB-IP's IP to Country Lite)"
            )
        return cls(reader, path)

    @classmethod
    def none(cls) -> Countries:
        """No database: every lookup is None."""
        return cls(None, None)

    def lookup(self, address: str) -> str | None:
        """The ISO 3166-1 alpha-2 code (upper case) of the country `address` is in.

        The country where the address is used, or else the one where its network is
        registered; None without a database, for an address the database does not know, for
        private, loopback and link-local addresses, and for anything that is not an address.
        `address` may be written as a socket or a proxy writes it (guard.parse_address).
        """
        if self._reader is None:
            return None
        parsed = parse_address(address)
        if parsed is None or any(parsed in network for network in _NO_COUNTRY):
            return None
        try:
            record = self._reader.get(parsed)
        except ValueError:  # an IPv6 address in an IPv4-only database, or a closed one
            return None
        if not isinstance(record, dict):
            return None
        for key in ("country", "registered_country"):
            place = record.get(key)
            code = place.get("iso_code") if isinstance(place, dict) else None
            if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
                return code.upper()
        return None

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
