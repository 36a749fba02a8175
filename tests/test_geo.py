"""parlour.geo: countries from a real MaxMind DB file that the test writes itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from parlour.geo import Countries, GeoError
from tests.geodb import write_country_db


@pytest.fixture
def countries(tmp_path: Path) -> Iterator[Countries]:
    db = Countries.open(write_country_db(tmp_path / "countries.mmdb"))
    yield db
    db.close()


@pytest.mark.parametrize(
    ("address", "country"),
    [
        ("203.0.113.7", "NZ"),
        ("198.51.100.200", "DE"),
        ("2001:db8::1", "FR"),
        ("2001:db8:ffff::abcd", "FR"),
        # Written as a socket or a proxy writes it: the same address.
        ("203.0.113.7:40001", "NZ"),
        ("[2001:db8::1]:443", "FR"),
        ("::ffff:198.51.100.1", "DE"),
    ],
)
def test_a_known_address_has_its_country(countries: Countries, address: str, country: str) -> None:
    """IPv4 and IPv6 addresses in the database give their country's code."""
    assert countries.lookup(address) == country


@pytest.mark.parametrize(
    "address",
    ["192.0.2.1", "2001:db9::1", "127.0.0.1", "10.1.2.3", "192.168.1.1", "::1", "fe80::1"],
)
def test_an_unknown_or_private_address_has_none(countries: Countries, address: str) -> None:
    """Addresses the database does not know, and private ones, are in no country."""
    assert countries.lookup(address) is None


@pytest.mark.parametrize(
    "address", ["", "garbage", "unknown", "203.0.113", "999.1.1.1", "2001:db8::g", "a" * 10_000]
)
def test_a_malformed_address_has_none(countries: Countries, address: str) -> None:
    """Anything that is not an address is None, never an exception."""
    assert countries.lookup(address) is None


def test_a_private_range_the_database_maps_is_still_none(tmp_path: Path) -> None:
    """A database that gives a private network a country is not believed for it."""
    db = Countries.open(write_country_db(tmp_path / "c.mmdb", {"10.0.0.0/8": "NZ"}))
    assert db.lookup("10.1.2.3") is None
    db.close()


def test_the_registered_country_is_the_fallback(tmp_path: Path) -> None:
    """Without `country`, the network's registered country answers."""
    path = tmp_path / "c.mmdb"
    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-Country", ipv4_compatible=True)
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"registered_country": {"iso_code": "nz"}})
    writer.insert_network(IPSet(["198.51.100.0/24"]), {"continent": {"code": "EU"}})
    writer.to_db_file(str(path))
    db = Countries.open(path)
    assert db.lookup("203.0.113.9") == "NZ"
    assert db.lookup("198.51.100.9") is None
    db.close()


def test_no_database_knows_no_country() -> None:
    """Countries.none(): every lookup is None."""
    none = Countries.none()
    assert none.lookup("203.0.113.7") is None
    assert none.path is None
    none.close()


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """GeoError, naming the file and saying what is wrong."""
    path = tmp_path / "GeoLite2-Country.mmdb"
    with pytest.raises(GeoError, match=f"{re.escape(str(path))} does not exist"):
        Countries.open(path)


@pytest.mark.parametrize("content", [b"", b"not a database\n" * 1000])
def test_a_file_that_is_not_a_maxmind_db_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    """An empty file or a text file: GeoError naming the file."""
    path = tmp_path / "countries.csv"
    path.write_bytes(content)
    with pytest.raises(GeoError, match=f"{re.escape(str(path))} is not a MaxMind DB file"):
        Countries.open(path)


@pytest.mark.parametrize("kind", ["GeoLite2-City", "DBIP-Country-Lite", "dbip-city-lite"])
def test_country_and_city_databases_are_accepted(tmp_path: Path, kind: str) -> None:
    """MaxMind's and DB-IP's country and city editions all answer the country."""
    db = Countries.open(write_country_db(tmp_path / "c.mmdb", kind=kind))
    assert db.lookup("203.0.113.7") == "NZ"
    db.close()


def test_a_database_of_another_kind_is_a_clear_error(tmp_path: Path) -> None:
    """An ASN database knows no country: GeoError naming the file and its kind."""
    path = write_country_db(tmp_path / "GeoLite2-ASN.mmdb", kind="GeoLite2-ASN")
    with pytest.raises(GeoError, match=f"{re.escape(str(path))} is a GeoLite2-ASN database"):
        Countries.open(path)


def test_a_directory_is_a_clear_error(tmp_path: Path) -> None:
    """A directory where the file should be: GeoError, not a traceback."""
    with pytest.raises(GeoError, match=re.escape(str(tmp_path))):
        Countries.open(tmp_path)


def test_a_closed_database_answers_none(tmp_path: Path) -> None:
    """A lookup after close() (a reload swapping databases) is None, not an exception."""
    db = Countries.open(write_country_db(tmp_path / "c.mmdb"))
    db.close()
    assert db.lookup("203.0.113.7") is None
