"""A small country database in the MaxMind DB format, written by a test for itself.

Parlour reads real GeoLite2 or DB-IP country databases; tests cannot download one, so they
write their own with `mmdb-writer`, shaped like those: {"country": {"iso_code": "NZ"}, …}.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mmdb_writer import MMDBWriter
from netaddr import IPSet

# The documentation networks, each given a country (RFC 5737, RFC 3849).
EXAMPLE: dict[str, str] = {
    "203.0.113.0/24": "NZ",
    "198.51.100.0/24": "DE",
    "2001:db8::/32": "FR",
}


def write_country_db(
    path: Path, countries: Mapping[str, str] = EXAMPLE, *, kind: str = "GeoLite2-Country"
) -> Path:
    """Write a database that maps each network (CIDR, IPv4 or IPv6) to its country code;
    `kind` is the database type its metadata names."""
    writer = MMDBWriter(ip_version=6, database_type=kind, ipv4_compatible=True)
    for network, code in countries.items():
        record = {"country": {"iso_code": code}, "registered_country": {"iso_code": code}}
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path
